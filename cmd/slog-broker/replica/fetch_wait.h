/*
 * fetch_wait.h: fetches that wait for records (long polls).
 *
 * A fetch at the high watermark that may wait registers a waiter on the
 * partition (ops_fetch: one on each partition it reads) and parks.  The
 * append that moves the high watermark past the waiter's offset wakes it
 * (fetch_waits_notify); a timer thread wakes it at its deadline; nothing
 * polls.  The wake callback runs exactly once per registration, unless
 * the waiter is cancelled first, with the waiters' lock held: it must
 * only flag its request and hand it back to its front end, which then
 * answers from its own thread.
 *
 * Registration re-checks the high watermark under the lock, so an append
 * that lands between the handler's check and the registration is never
 * missed.
 */
#ifndef SLOG_FETCH_WAIT_H
#define SLOG_FETCH_WAIT_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

struct fetch_waits;
struct fetch_wait;

/* A partition's waiters, kept in the partition: the waiters' lock guards
 * head; n is read without it, so appends nobody waits for skip the lock. */
struct fetch_wait_list {
	struct fetch_wait *head;
	_Atomic int n;
};

struct fetch_wait {
	struct fetch_wait_list *list; /* the partition's */
	const _Atomic int64_t *hw;    /* the partition's high watermark */
	int64_t offset;      /* wake once the high watermark is past this */
	int64_t deadline_ms; /* monotonic clock */
	void (*wake)(struct fetch_wait *w);
	void *arg;
	/* owned by fetch_waits */
	int queued;          /* registered and not yet woken or cancelled */
	struct fetch_wait *next, *prev;
	size_t heap_idx;
};

struct fetch_waits *fetch_waits_start(void);
/*
 * Wake every waiter and stop the timer thread (again: nothing).  The
 * waits stay usable until fetch_waits_free: a waiter added later is woken
 * at once, and a partition dropped later (the metadata publisher may
 * still delete a topic while the broker stops) finds an empty list.
 */
void fetch_waits_stop(struct fetch_waits *fw);
/* Stop if need be, then free (NULL: nothing). */
void fetch_waits_free(struct fetch_waits *fw);

/* Register w, or wake it at once if its data is already there. */
void fetch_waits_add(struct fetch_waits *fw, struct fetch_wait *w);

/*
 * Take w back if it is still registered: its wake will not run.  After
 * this returns, no wake of w is running either (wakes run under the
 * lock), so a request waiting on several partitions cancels the rest
 * once the first wakes it.
 */
void fetch_waits_cancel(struct fetch_waits *fw, struct fetch_wait *w);

/* The partition's high watermark moved: wake whoever it satisfies. */
void fetch_waits_notify(struct fetch_waits *fw, struct fetch_wait_list *l);

/* Wake every waiter of a partition (it is being removed). */
void fetch_waits_drop_partition(struct fetch_waits *fw, struct fetch_wait_list *l);

/* Wake everyone now (shutdown: answer what can be answered). */
void fetch_waits_wake_all(struct fetch_waits *fw);

#endif
