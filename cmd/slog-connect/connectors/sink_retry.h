/*
 * sink_retry.h: how long a sink waits before it tries a delivery again.
 *
 * Kafka Connect's errors.retry.timeout bounds the whole operation (-1:
 * forever, 0: never retry) and errors.retry.delay.max.ms caps each
 * wait.  The waits double from 100 ms, each drawn between half and all
 * of its step (jitter: many tasks that failed together do not come back
 * together), and a server's Retry-After raises one to what it asked for.
 *
 * The sleep wakes up as soon as the task is asked to stop: a sink stuck
 * retrying a dead endpoint still stops at once, with nothing committed
 * for what it could not deliver.
 */
#ifndef SLOG_SINK_RETRY_H
#define SLOG_SINK_RETRY_H

#include <stdint.h>

#include "err.h"

struct connect_task;

#define SINK_RETRY_FIRST_MS 100

struct sink_retry {
	int64_t timeout_ms;    /* -1: forever; 0: no retries */
	int64_t delay_max_ms;
	uint64_t rng;          /* jitter's state */
};

void sink_retry_init(struct sink_retry *r, int64_t timeout_ms, int64_t delay_max_ms);

/*
 * After the attempt-th failure (1, 2, ...) of an operation begun at
 * first_ms, at now_ms: 1 and *wait_ms when it may be tried again,
 * 0 when errors.retry.timeout is spent (or the wait would pass it).
 * retry_after_ms is the server's ask, or -1.
 */
int sink_retry_next(struct sink_retry *r, int attempt, int64_t first_ms, int64_t now_ms,
		    int64_t retry_after_ms, int64_t *wait_ms);

/* Count one retry in the task's metrics (slog_connect_retries_total). */
void sink_retry_count(const struct connect_task *t);

/* Sleep wait_ms; SLOG_EREQUEST_TIMED_OUT (e says so) if the task is asked to stop first. */
int sink_retry_sleep(const struct connect_task *t, int64_t wait_ms, struct err *e);

#endif
