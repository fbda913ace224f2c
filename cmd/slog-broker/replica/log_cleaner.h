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
 * The cleaner holds a reference to the partition it compacts (broker.h),
 * so deleting a topic does not wait for it: registry_detach() sets the
 * partition's clean_cancel, which stops the compaction at its next batch,
 * and the cleaner's last reference removes the files.  The cleaner calls
 * the registry; the registry knows nothing of the cleaner.
 */
#ifndef SLOG_LOG_CLEANER_H
#define SLOG_LOG_CLEANER_H

struct broker;
struct log_cleaner;

struct log_cleaner *log_cleaner_start(struct broker *b);
void log_cleaner_stop(struct log_cleaner *c);

#endif
