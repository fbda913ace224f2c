/*
 * rest.h: slog-connect's REST API, in Kafka Connect's JSON shapes, so
 * that what speaks to Connect (curl scripts, kcctl, Connect UIs) reads
 * slog-connect's status and controls its connectors.
 *
 * It reads state and pauses, resumes, restarts and stops connectors
 * (worker.h); creating, changing or deleting one is done by editing its
 * file, so those calls answer 405 naming the file.  Besides Connect's
 * paths: /healthz (the process answers), /readyz (503 until every
 * enabled connector is RUNNING) and /metrics (Prometheus text).
 *
 * The listener is http://host:port (the worker's `listeners`, loopback
 * by default: the API has no authentication).  Requests are served on
 * libmicrohttpd's threads; every worker call is thread-safe.
 */
#ifndef SLOG_CONNECT_REST_H
#define SLOG_CONNECT_REST_H

#include "err.h"

struct worker;
struct rest_server;

/* Serve the API for w on listener; NULL with e (bad listener, port taken). */
struct rest_server *rest_start(struct worker *w, const char *listener, struct err *e);
/* The port it listens on (the worker id names it). */
int rest_port(const struct rest_server *s);
/* Stop serving and free (NULL: nothing). */
void rest_stop(struct rest_server *s);

#endif
