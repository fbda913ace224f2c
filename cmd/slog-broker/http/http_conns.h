/*
 * http_conns.h: the HTTP front end's connections: how many, and how long
 * each may take to send a request.
 *
 * libmicrohttpd's own idle timeout restarts with every byte, so a client
 * that sends one header line every few seconds (slowloris) keeps a socket
 * for ever, and its default connection limit (1,020) let idle sockets shut
 * everyone out, health checks included.  This module keeps one slot per
 * socket (from libmicrohttpd's connection notifications) with an absolute
 * deadline for the phase the connection is in: headers, body, or idle
 * between keep-alive requests.  A reaper thread shuts down the socket of a
 * slot whose deadline passed; libmicrohttpd then sees the hang-up and
 * closes the connection on its own thread.  A connection whose request is
 * being answered, or is suspended (long poll, acks=all), has no deadline.
 *
 * Past max.connections, a few more sockets are accepted into a reserve
 * that serves only /healthz, /readyz and /metrics, with a one-second
 * header deadline, so that health checks answer while the data path is
 * full.  Past the reserve, a socket is answered 429 and closed at once.
 *
 * It also opens the listening socket and sizes the connection limit to
 * RLIMIT_NOFILE.  All functions may be called from any thread; none
 * blocks on I/O.
 */
#ifndef SLOG_HTTP_CONNS_H
#define SLOG_HTTP_CONNS_H

#include <microhttpd.h>
#include <stdint.h>

#include "err.h"

struct http_conns;

struct http_conn_limits {
	int max;           /* max.connections */
	int reserve;       /* extra sockets for health checks */
	int64_t header_ms; /* http.request.header.timeout.ms */
	int64_t body_ms;   /* http.request.body.timeout.ms */
	int64_t idle_ms;   /* connections.max.idle.ms (0: none) */
};

enum http_conn_phase {
	HTTP_CONN_HEADERS, /* request line seen; headers on their way */
	HTTP_CONN_BODY,    /* headers in; the body on its way */
	HTTP_CONN_BUSY,    /* being answered or suspended: no deadline */
	HTTP_CONN_IDLE,    /* answered; waiting for the next request */
};

/* Flags the request line leaves for the request (see http_conns_flags). */
enum { HTTP_CONN_URI_TOO_LONG = 1, HTTP_CONN_TOO_MANY_ARGS = 2 };

/* Start the reaper thread.  The caller frees with http_conns_free after
 * the HTTP daemon is stopped. */
struct http_conns *http_conns_new(const struct http_conn_limits *l);
void http_conns_free(struct http_conns *c);

/* Listen on host:port (0: any free port); the port bound goes to *bound.
 * Returns the socket, or a negative SLOG_E* code with a message in e. */
int http_conns_listen(const char *host, int port, int *bound, struct err *e);
/* The port a listening socket is bound to. */
int http_conns_port(int fd);
/* Raise the soft RLIMIT_NOFILE to the hard limit (before the logs open). */
void http_conns_raise_nofile(void);
/* Raise it; return how many of want connections fit next to reserve more
 * sockets and the log files.  When both do not fit and the segment
 * descriptor cache has its default size (shrink_files), the cache and the
 * sockets split what is left evenly. */
int http_conns_budget(int want, int reserve, int shrink_files);

/* MHD_OPTION_NOTIFY_CONNECTION callback (cls: the http_conns). */
void http_conns_notify(void *cls, struct MHD_Connection *conn, void **socket_context,
		       enum MHD_ConnectionNotificationCode code);
/* The connection's number, unique in this process (0: none). */
uint64_t http_conns_id(struct MHD_Connection *conn);
/* Enter a phase; its deadline starts now. */
void http_conns_phase(struct MHD_Connection *conn, enum http_conn_phase ph);
/* Was this socket accepted into the health-check reserve? */
int http_conns_health_only(struct MHD_Connection *conn);
/* Set and read the request line's flags (cleared by the next request). */
void http_conns_set_flags(struct MHD_Connection *conn, int flags);
int http_conns_flags(struct MHD_Connection *conn);

#endif
