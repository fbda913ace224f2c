/*
 * peer_client.h: one node's JSON requests to another node of the
 * cluster, that another thread can cut short.
 *
 * A broker's heartbeat and an observer's fetch of the metadata log each
 * run on a thread of their own and talk to one peer at a time over a
 * connection kept alive between requests (libcurl's cache, held by a
 * multi handle).  A request waits in curl_multi_poll(), so that
 * peer_client_stop() from the thread that shuts the broker down wakes it
 * at once instead of letting a long poll run out its time.
 *
 * One thread calls peer_call(); any thread may call peer_client_stop().
 */
#ifndef SLOG_PEER_CLIENT_H
#define SLOG_PEER_CLIENT_H

#include <jansson.h>
#include <stdint.h>

#include "err.h"
#include "http_client.h"

struct peer_client;

struct peer_client *peer_client_new(void);
void peer_client_free(struct peer_client *pc);

/* Make the call in progress, and every later one, fail at once
 * (SLOG_ENETWORK, "stopping"). */
void peer_client_stop(struct peer_client *pc);

/*
 * method base+path with body (borrowed; NULL for none), until
 * deadline_ms (monotonic).  0 for a 2xx answer, else the SLOG_E* code the
 * answer names (or SLOG_ENETWORK when the peer cannot be reached) with e
 * set.  *answer (may be NULL) receives the answer's JSON when it has one,
 * error answers included (new reference; NULL otherwise).
 */
int peer_call(struct peer_client *pc, const char *base, const char *method, const char *path,
	      json_t *body, int64_t deadline_ms, json_t **answer, struct err *e);

/*
 * POST body[0..len) (JSON) to base+path and keep the answer as it came:
 * r (http_response_init'ed by the caller, who frees it) receives its
 * status and bytes, at most max_answer of them (> 0; a longer answer
 * fails).  Returns as peer_call.  For answers that are not JSON (the
 * replica fetch's frames).
 */
int peer_post_raw(struct peer_client *pc, const char *base, const char *path, const char *body,
		  size_t len, int64_t deadline_ms, int64_t max_answer, struct http_response *r,
		  struct err *e);

#endif
