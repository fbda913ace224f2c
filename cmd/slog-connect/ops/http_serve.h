/*
 * http_serve.h: the HTTP server slog-connect answers on, twice: the REST
 * API (rest.h) and each http-source connector's listener.
 *
 * A listener is "http://host:port" (host may be a name, an IPv4 address
 * or a bracketed IPv6 one; empty: every address).  libmicrohttpd runs it
 * on its own threads; the handler is called once per request, with the
 * whole body read (up to max_body bytes: a longer body is read and
 * thrown away, and the request says so, so the handler answers 413
 * instead of leaving the client's write hanging).
 *
 * The handler answers at once (http_reply) or later: http_suspend()
 * parks the connection, and any thread calls http_reply() then
 * http_resume() when the answer is known (the http-source answers once
 * the broker has acknowledged).  A suspended request stays valid until
 * it is resumed; every one must be resumed before http_serve_stop().
 */
#ifndef SLOG_CONNECT_HTTP_SERVE_H
#define SLOG_CONNECT_HTTP_SERVE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "err.h"

struct MHD_Connection;
struct http_serve;

#define HTTP_REQ_HEADERS 4

struct http_req {
	struct MHD_Connection *conn;
	const char *method;        /* borrowed for the request's life */
	const char *path;          /* the URL's path, without the query */
	struct buf body;
	int body_too_large;        /* more than max_body came (and was dropped) */
	void *user;                /* the handler's, for a suspended request */
	/* The answer (http_reply). */
	int status;
	char *answer;
	size_t answer_len;
	const char *content_type;
	char *hdr_name[HTTP_REQ_HEADERS], *hdr_value[HTTP_REQ_HEADERS];
	int nhdr;
	int suspended;
};

typedef void (*http_handler)(void *arg, struct http_req *r);

struct http_serve_opts {
	const char *listener;      /* http://host:port */
	int64_t max_body;          /* bytes kept of a request body */
	int threads;               /* libmicrohttpd's pool, >= 1 */
	http_handler handler;
	void *arg;
};

/* Start serving; NULL with e (a bad listener, a port in use). */
struct http_serve *http_serve_start(const struct http_serve_opts *o, struct err *e);
/* The port it listens on. */
int http_serve_port(const struct http_serve *s);
/* Stop and free (no request may be suspended). */
void http_serve_stop(struct http_serve *s);

/*
 * "http://host:port" into host (without brackets) and port; 0, or
 * SLOG_EINVALID_CONFIG naming it.
 */
int http_listener_parse(const char *listener, char *host, size_t size, int *port, struct err *e);

/* A query argument, a request header (case-insensitive), or NULL. */
const char *http_req_arg(const struct http_req *r, const char *name);
const char *http_req_header(const struct http_req *r, const char *name);
/* Whether a query argument name (repeated, or comma-separated) holds value. */
int http_req_arg_has(const struct http_req *r, const char *name, const char *value);
/* Call fn for every request header; stops early when fn returns nonzero. */
void http_req_headers(const struct http_req *r,
		      int (*fn)(void *arg, const char *name, const char *value), void *arg);

/* Set the answer (body copied; NULL: empty). */
void http_reply(struct http_req *r, int status, const char *content_type, const void *body,
		size_t len);
/* A JSON answer (j taken). */
void http_reply_json(struct http_req *r, int status, json_t *j_take);
/* An error answer in Kafka Connect's body: {"error_code":status,"message":...}. */
void http_reply_error(struct http_req *r, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* An extra header of the answer (Retry-After, WWW-Authenticate, Allow). */
void http_reply_header(struct http_req *r, const char *name, const char *value);

/* From the handler: answer later (then http_reply and http_resume). */
void http_suspend(struct http_req *r);
/* From any thread, after http_reply: send the answer. */
void http_resume(struct http_req *r);

#endif
