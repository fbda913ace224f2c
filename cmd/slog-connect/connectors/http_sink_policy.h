/*
 * http_sink_policy.h: what the HTTP sink does with each answer.
 *
 * Each status class has one action, set by two lists of the forms
 * "429", "5xx" and "network" (no answer at all: refused, reset, timed
 * out):
 *
 *   2xx              delivered
 *   http.retry.on    (429,5xx,network) try again, backing off, honouring
 *                    Retry-After, until errors.retry.timeout
 *   http.dlq.on      (4xx) the batch's records go to the error policy
 *   anything else    (3xx, a 4xx left out of both lists) the task fails
 *
 * retry.on is asked first, so "http.retry.on = 408,429,5xx,network"
 * retries a 408 while the other 4xx are dead-lettered.
 */
#ifndef SLOG_HTTP_SINK_POLICY_H
#define SLOG_HTTP_SINK_POLICY_H

#include <stdint.h>

#include "err.h"

/* The status a failed connection counts as in the lists. */
#define HTTP_STATUS_NETWORK 0

#define HTTP_STATUS_SET_MAX 32

struct http_status_set {
	int network;
	unsigned classes;              /* bit n: every nxx status */
	long codes[HTTP_STATUS_SET_MAX];
	int ncodes;
};

enum http_action { HTTP_DELIVERED, HTTP_RETRY, HTTP_DEAD_LETTER, HTTP_FAIL };

/* Parse "429,5xx,network"; SLOG_EINVALID_CONFIG naming the bad item. */
int http_status_set_parse(const char *list, struct http_status_set *s, struct err *e);
int http_status_set_has(const struct http_status_set *s, long status);

enum http_action http_sink_action(const struct http_status_set *retry,
				  const struct http_status_set *dlq, long status);

/*
 * A Retry-After header's value (delta-seconds, or an HTTP-date) as a wait
 * in ms from now_wall_ms; -1 when it says neither.
 */
int64_t http_retry_after_ms(const char *value, int64_t now_wall_ms);

#endif
