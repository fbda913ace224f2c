/*
 * forward.h: admin requests relayed to the active controller.
 *
 * Only the active controller changes the cluster's metadata.  An admin
 * request (create, delete or alter a topic, add partitions) that reaches
 * another node is sent on to the controller as it came: its method, path,
 * query, body and content type, with the header `Slog-Forwarded: 1` so
 * that it is never sent on twice; the controller's status and body are
 * the answer.  A client never needs to know which node is the controller.
 *
 * A forward costs no request thread.  The front end suspends its request
 * and submits a forward; one thread of the forwarder drives every
 * transfer at once (libcurl's multi interface, connections kept alive)
 * and calls the job's done hook from that thread when an answer is in,
 * or when the deadline passed.  A job may name several targets: the next
 * is tried when one cannot be reached, or answers 503 NOT_CONTROLLER
 * (it is not, or no longer, the controller), while time is left.
 *
 * forwarder_stop() finishes every job still in flight with
 * SLOG_ELEADER_NOT_AVAILABLE ("shutting down") and joins the thread: call
 * it once no handler can submit any more (http_close_handlers) and before
 * suspended requests are abandoned, so that every done hook has run.
 */
#ifndef SLOG_FORWARD_H
#define SLOG_FORWARD_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "err.h"

struct forwarder;

#define FORWARD_HEADER "Slog-Forwarded"
#define FORWARD_TARGETS_MAX 8
#define FORWARD_URL_MAX 300

/* What to send (everything is copied by forward_submit). */
struct forward_request {
	const char *method;
	const char *path;          /* as the client sent it, decoded ("/v1/topics/t") */
	const char *query;         /* encoded, without '?'; NULL or "" for none */
	const char *content_type;  /* NULL for none */
	const void *body;
	size_t len;
	int64_t deadline_ms;       /* monotonic */
	const char *targets[FORWARD_TARGETS_MAX]; /* "http://host:port", best first */
	size_t ntargets;
};

/* What came back: rc 0 with the answer of the last target tried, as it
 * is; else SLOG_ENETWORK, SLOG_EREQUEST_TIMED_OUT or
 * SLOG_ELEADER_NOT_AVAILABLE (stopping), with err naming the target. */
struct forward_result {
	int rc;
	struct err err;
	long status;
	char content_type[64];
	struct buf body;           /* the caller's once done has it */
	char target[FORWARD_URL_MAX]; /* the last one tried */
};

struct forwarder *forwarder_start(struct err *e);
void forwarder_stop(struct forwarder *fw);

/*
 * Send rq.  done(arg, res) runs exactly once, on the forwarder's thread
 * (or on this one, when the forwarder has stopped); res is borrowed for
 * the call, and its body may be taken (buf_detach).  done must not block.
 */
void forward_submit(struct forwarder *fw, const struct forward_request *rq,
		    void (*done)(void *arg, struct forward_result *res), void *arg);

/*
 * The URL of a forwarded request: base, then path with each segment
 * percent-encoded again (the server decoded it), then "?query".  Pure.
 */
void forward_url(struct buf *out, const char *base, const char *path, const char *query);

/* Append "name=value" (value may be NULL: "name"), encoded, to a query
 * in the making, with '&' between arguments.  Pure. */
void forward_query_add(struct buf *query, const char *name, const char *value);

/* Whether an answer says "not the controller" (503 NOT_CONTROLLER):
 * the next target may be.  Pure. */
int forward_not_controller(long status, const struct buf *body);

#endif
