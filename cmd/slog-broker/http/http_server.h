/*
 * http_server.h: the broker's HTTP front end on libmicrohttpd.
 *
 * libmicrohttpd runs a pool of threads, each with its own epoll loop,
 * and calls back for every request.  This module turns those callbacks
 * into one struct request per HTTP request.  When the headers are in, it
 * checks them (http_policy.h: framing, Host, Origin, content type), finds
 * the route, and refuses with a JSON error before reading any body byte a
 * request that is too large for its route (socket.request.max.bytes for
 * records, http.json.max.bytes for JSON) or for the bytes all requests may
 * hold at once (queued.max.request.bytes).  It then reads the body,
 * growing the buffer as bytes arrive, runs the handler, and records each
 * request's API, status and duration in the metrics when it completes.
 * Connection limits and deadlines are http_conns.h's.
 *
 * A handler answers with one of the http_reply_* calls, or suspends the
 * request (http_suspend) and has another thread resume it later
 * (http_resume): a long-polling fetch, an acks=all produce waiting for
 * its fsync.  A suspended request holds no thread and no lock.  When it
 * is resumed, its continuation runs on a server thread and answers.
 */
#ifndef SLOG_HTTP_SERVER_H
#define SLOG_HTTP_SERVER_H

#include <jansson.h>
#include <stdint.h>

#include "buf.h"
#include "err.h"
#include "metrics.h"

struct broker;
struct http_server;
struct MHD_Connection;

struct route;

struct request {
	struct broker *b;
	struct http_server *server;
	struct MHD_Connection *conn;
	const char *method;
	char *path;
	enum api api;
	struct buf body;
	int64_t body_limit;   /* the most body bytes this route reads */
	int64_t counted;      /* bytes counted against queued.max.request.bytes */
	int refused;          /* SLOG_E* for a body refused while it arrived */
	int trim;             /* a large body was parsed: give memory back after */
	const struct route *route;
	char *route_path;     /* path split in place; args point into it */
	char *args[8];
	int64_t start_ns;
	int status;
	int phase;
	int (*resume)(struct request *r); /* continuation after http_resume */
	/* Handler state kept across a suspension; freed with the request. */
	void *state;
	void (*free_state)(void *state);
	/* An answer kept while the handler runs off the server's threads
	 * (http_defer.h), sent by the continuation. */
	int deferring;
	struct MHD_Response *kept;
	int kept_status;
	/* Headers for the answer (http_add_header). */
	char *hdr_name[8], *hdr_value[8];
	int nhdrs;
	struct request *sprev, *snext; /* suspended list, under the server's lock */
};

/* Serve on listen_fd (from http_conns_listen()) with threads threads.
 * Takes the socket: it is closed with the server, or on failure. */
struct http_server *http_start(struct broker *b, int listen_fd, int threads, struct err *e);
/* The port actually bound. */
int http_port(const struct http_server *s);
/* Stop accepting connections; requests in flight go on. */
void http_quiesce(struct http_server *s);
/* Requests not yet answered. */
int http_active(struct http_server *s);
/*
 * Shutdown, in this order: http_quiesce; http_close_handlers (new requests
 * are answered 503 and no handler is running when it returns, so the
 * flusher and the fetch waits can be stopped: they resume what waits on
 * them); http_abandon (answers 503 to any request still suspended and
 * waits, up to deadline_ms, for the answers); http_stop.  libmicrohttpd
 * must not be stopped while a connection is suspended.
 */
void http_close_handlers(struct http_server *s);
void http_abandon(struct http_server *s, int64_t deadline_ms);
void http_stop(struct http_server *s);

/* ---- routing ---- */

typedef int (*http_handler)(struct request *r, char **args);
#define HTTP_MAX_ARGS 8 /* path segments a route may have */

/*
 * The handler for method on path, and its API in *api; NULL when there is
 * none.  path is split in place and args receives its variable segments
 * (pointing into path).  When the path exists under other methods, allow
 * receives them ("GET, DELETE"); otherwise it is "".  Pure: no request,
 * no connection, so tests and fuzzers call it directly.
 */
http_handler http_route(const char *method, char *path, char **args, enum api *api, char *allow,
			size_t allow_size);

/* ---- for handlers ---- */

const char *http_query(struct request *r, const char *name);
const char *http_header(struct request *r, const char *name);
/* Each query argument in order, decoded (value NULL for "?name" alone). */
void http_query_each(struct request *r, void (*fn)(void *arg, const char *name, const char *value),
		     void *arg);

/* Answer with body (taken; may be NULL) and a content type. */
int http_reply(struct request *r, int status, const char *content_type, struct buf *body);
/* Answer with a JSON value (reference stolen). */
int http_reply_json(struct request *r, int status, json_t *j);
/* Answer {"error":{"code":NAME,"message":...}} with the code's status. */
int http_reply_error(struct request *r, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int http_reply_err(struct request *r, const struct err *e);
/* An error with extra fields merged into the error object (stolen). */
int http_reply_error_with(struct request *r, int code, json_t *extra, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Answer with len bytes of fd from offset (fd is taken: closed later). */
int http_reply_fd(struct request *r, int status, const char *content_type, int fd,
		  uint64_t offset, uint64_t len);
/*
 * Answer with len bytes that read(arg, pos, out, max) produces in order
 * as the connection takes them (at most max at a time; a short count is
 * fine, -1 cuts the connection), for an answer made of pieces too large
 * to build in memory.  done(arg) runs once when the answer is freed,
 * whether it was sent or not (also when this call fails).
 */
int http_reply_stream(struct request *r, int status, const char *content_type, uint64_t len,
		      long (*read)(void *arg, uint64_t pos, char *out, size_t max),
		      void (*done)(void *arg), void *arg);
/* The client's IP address as text ("-" if unknown). */
void http_peer(struct request *r, char *out, size_t len);
/* Add a header to the answer about to be sent; call before http_reply*. */
void http_add_header(struct request *r, const char *name, const char *value);

/* The body was parsed whole (JSON): give its memory back when done. */
void http_body_parsed(struct request *r);

/* Suspend: the request is answered later, by cont, after http_resume(). */
int http_suspend(struct request *r, int (*cont)(struct request *r));
/* Resume a suspended request (any thread, any time after http_suspend). */
void http_resume(struct request *r);

/* Count a piece of a request's work running off the server's threads as
 * a handler (+1 when it starts, -1 when done): http_close_handlers waits
 * for it too. */
void http_count_running(struct http_server *s, int delta);

/* Send the answer a deferred handler kept (its continuation). */
int http_send_kept(struct request *r);

#endif
