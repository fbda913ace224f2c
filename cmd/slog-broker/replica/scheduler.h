/*
 * scheduler.h: the broker's periodic work, on one background thread.
 *
 *   every log.retention.check.interval.ms   retention on every partition
 *   every log.flush.offset.checkpoint.interval.ms
 *                                           flush what is appended and
 *                                           write the recovery-point and
 *                                           log-start checkpoints, so a
 *                                           crash rescans little
 *   every offsets.retention.check.interval.ms
 *                                           forget the offsets of groups
 *                                           idle past offsets.retention
 *
 * The thread sleeps on a condition variable between runs and wakes at
 * once when the broker stops.
 */
#ifndef SLOG_SCHEDULER_H
#define SLOG_SCHEDULER_H

struct broker;
struct scheduler;

struct scheduler *scheduler_start(struct broker *b);
void scheduler_stop(struct scheduler *s);

/* Write the checkpoints now (shutdown, tests).  meta_lock not held. */
int scheduler_checkpoint(struct broker *b);

#endif
