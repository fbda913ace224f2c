/*
 * log_cleaner.h: the thread that compacts topics whose cleanup.policy
 * includes "compact".
 *
 * Every log.cleaner.backoff.ms it goes over the compacted partitions and
 * runs plog_compact() on each whose dirty share has reached its
 * min.cleanable.dirty.ratio.  Where each partition's dirty part starts is
 * kept in memory and written with the other checkpoints
 * (cleaner-offset-checkpoint); a stale value only means some clean
 * records are read again.
 *
 * Deleting a topic must not free a partition the cleaner is compacting:
 * log_cleaner_release() asks it to stop and waits until it has.
 */
#ifndef SLOG_LOG_CLEANER_H
#define SLOG_LOG_CLEANER_H

struct broker;
struct partition;
struct log_cleaner;

struct log_cleaner *log_cleaner_start(struct broker *b);
void log_cleaner_stop(struct log_cleaner *c);

/* Make sure the cleaner no longer uses p (meta_lock held for writing). */
void log_cleaner_release(struct log_cleaner *c, struct partition *p);

/* Compact everything that is due now, on the calling thread (tests, shutdown). */
void log_cleaner_run_once(struct broker *b);

#endif
