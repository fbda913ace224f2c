/*
 * scheduler.h: the broker's periodic work, on one background thread.
 *
 *   every log.retention.check.interval.ms   retention on every partition
 *   every log.flush.offset.checkpoint.interval.ms
 *                                           flush what is appended and
 *                                           write the recovery-point,
 *                                           log-start and high-watermark
 *                                           checkpoints, so a crash
 *                                           rescans little and a restart
 *                                           keeps what was committed
 *
 * and the jobs its caller adds (main.c: the group offsets' expiry, which
 * lives in groups/, above this layer).
 *
 * The thread sleeps on a condition variable between runs and wakes at
 * once when the broker stops.
 */
#ifndef SLOG_SCHEDULER_H
#define SLOG_SCHEDULER_H

#include <stddef.h>

struct broker;
struct scheduler;

/* A job, run every interval (a broker key, read again after each run)
 * after its last run ended, on the scheduler's thread. */
struct scheduler_job {
	const char *interval_key;
	void (*run)(struct broker *b);
};

/* Start the thread with the scheduler's jobs and jobs[0..n) (copied). */
struct scheduler *scheduler_start(struct broker *b, const struct scheduler_job *jobs, size_t n);
void scheduler_stop(struct scheduler *s);

/* Write the checkpoints now (shutdown, tests).  meta_lock not held. */
int scheduler_checkpoint(struct broker *b);

#endif
