/*
 * log_internal.h: the partition log's state, shared by its two halves:
 * partition_log.c (append, flush, read, retention) and log_recovery.c
 * (open, recovery, close, truncation).  Nothing else includes this.
 */
#ifndef SLOG_LOG_INTERNAL_H
#define SLOG_LOG_INTERNAL_H

#include <pthread.h>

#include "leader_epoch.h"
#include "log_damage.h"
#include "partition_log.h"

struct plog {
	char *dir;

	pthread_mutex_t lock;    /* guards the fields down to flush_lock */
	struct plog_config cfg;
	struct segment **segs;   /* oldest first; the last is active */
	size_t nsegs, segs_cap;
	int64_t log_start;       /* first offset readers may ask for */
	int64_t log_end;         /* the next offset to assign */
	struct leader_epochs epochs;
	int dir_dirty;           /* a segment file was created since the last flush */
	int failed;              /* a fsync failed: refuse appends */
	struct log_damage damage; /* ranges recovery found damaged */

	pthread_mutex_t flush_lock; /* guards the group-commit fields below */
	pthread_cond_t flush_cond;
	int64_t flushed;         /* the recovery point: offsets below are durable */
	int flushing;            /* a thread is running a flush round */
	int flush_failed;
};

void plog_free(struct plog *l);
void plog_push_segment(struct plog *l, struct segment *s);

#endif
