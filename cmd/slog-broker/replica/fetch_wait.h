/*
 * fetch_wait.h: fetches that wait for records (long polls).
 *
 * A fetch at the high watermark with max_wait_ms > 0 suspends its HTTP
 * connection and registers a waiter on the partition.  The append that
 * moves the high watermark past the waiter's offset wakes it
 * (fetch_waits_notify); a timer thread wakes it at its deadline; nothing
 * polls.  The wake callback runs exactly once per registration, with the
 * waiters' lock held: it must only flag its request and resume the
 * connection, which then answers from its own thread.
 *
 * Registration re-checks the high watermark under the lock, so an append
 * that lands between the handler's check and the registration is never
 * missed.
 */
#ifndef SLOG_FETCH_WAIT_H
#define SLOG_FETCH_WAIT_H

#include <stddef.h>
#include <stdint.h>

struct partition;
struct fetch_waits;

struct fetch_wait {
	struct partition *part;
	int64_t offset;      /* wake once the high watermark is past this */
	int64_t deadline_ms; /* monotonic clock */
	void (*wake)(struct fetch_wait *w);
	void *arg;
	/* owned by fetch_waits */
	struct fetch_wait *next, *prev;
	size_t heap_idx;
};

struct fetch_waits *fetch_waits_start(void);
/* Wake every waiter and stop the timer thread. */
void fetch_waits_stop(struct fetch_waits *fw);

/* Register w, or wake it at once if its data is already there. */
void fetch_waits_add(struct fetch_waits *fw, struct fetch_wait *w);

/* The partition's high watermark moved: wake whoever it satisfies. */
void fetch_waits_notify(struct fetch_waits *fw, struct partition *p);

/* Wake every waiter of a partition (it is being removed). */
void fetch_waits_drop_partition(struct fetch_waits *fw, struct partition *p);

/* Wake everyone now (shutdown: answer what can be answered). */
void fetch_waits_wake_all(struct fetch_waits *fw);

#endif
