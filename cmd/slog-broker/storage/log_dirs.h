/*
 * log_dirs.h: the broker's data directories.
 *
 * Each directory in log.dirs holds partition directories (<topic>-<n>),
 * and the files that describe them as a whole:
 *
 *   .lock                            flock()ed while a broker uses it
 *   meta.properties                  cluster.id and node.id (Kafka's file)
 *   recovery-point-offset-checkpoint offsets below which each partition
 *                                    is known flushed
 *   log-start-offset-checkpoint      log start offsets moved by deletion
 *   cleaner-offset-checkpoint        where compaction of each partition resumes
 *   replication-offset-checkpoint    each partition's high watermark (a lower
 *                                    bound: replication.h)
 *   .clean-shutdown                  present only after a clean shutdown
 *
 * Opening locks every directory (a second broker on the same data is
 * refused, naming the pid that holds it), checks meta.properties, and
 * reads the checkpoints; the clean-shutdown marker is read and removed, so
 * that a crash from here on is never mistaken for a clean stop.
 *
 * Each directory has a health state (dir_health.h) that its partition
 * logs share: the first failed fsync in any of them takes the directory
 * offline.  An offline directory gets no new partitions, no checkpoints
 * and no clean-shutdown marker, so the next start recovers it in full.
 */
#ifndef SLOG_LOG_DIRS_H
#define SLOG_LOG_DIRS_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "storage/checkpoint.h"
#include "storage/dir_health.h"
#include "storage/partition_log.h"

struct log_dir {
	char *path;
	int lock_fd;
	int clean;              /* the last shutdown was clean */
	int partitions;         /* partition logs placed here */
	struct checkpoint_entry *recovery, *starts, *cleaner, *hws;
	size_t nrecovery, nstarts, ncleaner, nhws;
	struct dir_health health; /* shared by the partition logs opened here */
};

struct log_dirs {
	struct log_dir *v;
	size_t n;
};

/*
 * Open the comma-separated dirs.  cluster_id is read from the first
 * meta.properties that has one; if none has, a fresh cluster takes new_id
 * (the caller's, meta_new_id(): storage makes no ids of its own).  It is
 * then written to every dir that lacks it.
 */
int log_dirs_open(struct log_dirs *d, const char *csv, int32_t node_id, const char *new_id,
		  char cluster_id[24], struct err *e);

/* Write cluster_id into every dir's meta.properties: a node that joins
 * a cluster takes the cluster's id in place of the one it made. */
int log_dirs_set_cluster_id(struct log_dirs *d, int32_t node_id, const char *cluster_id,
			    struct err *e);

/* Where <topic>-<partition> lives, or -1. */
int log_dirs_find(const struct log_dirs *d, const char *topic, int32_t partition);

/* The directory for a new partition: the online one with the fewest. */
int log_dirs_pick(const struct log_dirs *d);

/* Open (create if needed) <dir>/<topic>-<partition> with its checkpoints;
 * SLOG_ESTORAGE when the directory is offline. */
int log_dirs_open_partition(struct log_dirs *d, int dir, const char *topic, int32_t partition,
			    const struct plog_config *cfg, struct plog **out, struct err *e);

/* Where compaction of <topic>-<partition> resumes (0 when never run). */
int64_t log_dirs_cleaner_offset(const struct log_dirs *d, int dir, const char *topic,
				int32_t partition);

/* <topic>-<partition>'s checkpointed high watermark, or -1. */
int64_t log_dirs_hw_checkpoint(const struct log_dirs *d, int dir, const char *topic,
			       int32_t partition);

/* A partition log's placement, for writing checkpoints. */
struct log_dirs_entry {
	int dir;
	const char *topic;
	int32_t partition;
	struct plog *log;
	int64_t cleaner_offset; /* -1: not a compacted partition */
	int64_t hw;             /* the high watermark; -1: none (log_dirs_checkpoint_hw) */
};

/* Write every online directory's recovery-point and log-start checkpoints. */
int log_dirs_checkpoint(struct log_dirs *d, const struct log_dirs_entry *v, size_t n,
			struct err *e);

/* Write every online directory's replication-offset-checkpoint: the hw
 * of each entry placed in it. */
int log_dirs_checkpoint_hw(struct log_dirs *d, const struct log_dirs_entry *v, size_t n,
			   struct err *e);

/* Remove partition directories that keep(topic, partition) says are unknown. */
void log_dirs_remove_orphans(struct log_dirs *d, int (*keep)(void *arg, const char *topic,
							  int32_t partition), void *arg);

/* How many directories are offline. */
size_t log_dirs_offline_count(const struct log_dirs *d);

/* Mark clean (after every log closed cleanly; offline ones never), unlock, free. */
void log_dirs_close(struct log_dirs *d, int clean);

#endif
