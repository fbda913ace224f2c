/*
 * http_defer.h: handlers that wait, run off the server's threads.
 *
 * libmicrohttpd serves each connection from one of its threads, so a
 * handler that waits there (a metadata change waiting for the quorum to
 * commit it and for the brokers to have it) stalls every other
 * connection of that thread, among them the very heartbeats the change
 * waits for.  http_defer() suspends the request and runs its handler on
 * a worker thread of its own; the handler's answer is kept
 * (request.deferring) and sent once the request resumes.  One worker:
 * the changes it runs are serialized by the controller anyway.
 */
#ifndef SLOG_HTTP_DEFER_H
#define SLOG_HTTP_DEFER_H

#include "http/http_server.h"

struct http_defer;

struct http_defer *http_defer_start(void);
/* Stop the worker (after http_close_handlers: nothing is queued then). */
void http_defer_stop(struct http_defer *d);

/* Run h(r, r->args) on the worker; the request is suspended meanwhile.
 * Returns what a handler returns. */
int http_defer(struct http_defer *d, struct request *r, http_handler h);

#endif
