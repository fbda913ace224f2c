/*
 * backoff.h: how long a client waits before it tries a request again.
 *
 * Kafka's clients wait retry.backoff.ms (100 ms) growing to
 * retry.backoff.max.ms (1 s); ours start at 50 ms, double each time and
 * stay at 1 s, so that a leader that moved is found again within a tenth
 * of a second while a cluster that is down is not hammered.  No jitter:
 * a command-line client is one process, not a fleet waking together.
 *
 * The waits are cut at the caller's deadline (STYLE rule 18): a retry
 * never takes the program past its --timeout-ms.
 */
#ifndef SLOG_BACKOFF_H
#define SLOG_BACKOFF_H

#include <stdint.h>

#define BACKOFF_FIRST_MS 50
#define BACKOFF_MAX_MS 1000

struct backoff {
	int64_t next_ms; /* the wait after the next failure; 0: the first */
};

/* Back to the first wait, after a success. */
void backoff_reset(struct backoff *b);

/* The wait after one more failure: 50, 100, 200, ... 1000, 1000 ms. */
int64_t backoff_next(struct backoff *b);

/*
 * When to try again after one more failure at now_ms: now plus the next
 * wait, but never past deadline_ms.
 */
int64_t backoff_until(struct backoff *b, int64_t now_ms, int64_t deadline_ms);

/*
 * Sleep the next wait, cut at deadline_ms (monotonic).  0 when time is
 * left for another try afterwards, else SLOG_EREQUEST_TIMED_OUT.
 */
int backoff_sleep(struct backoff *b, int64_t deadline_ms);

#endif
