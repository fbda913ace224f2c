/*
 * log_internal.h: the partition log's state, shared by its parts:
 * partition_log.c (append, flush, read, retention), log_recovery.c
 * (open, recovery, close) and log_truncate.c (truncation).  Nothing else
 * includes this.
 */
#ifndef SLOG_LOG_INTERNAL_H
#define SLOG_LOG_INTERNAL_H

#include <pthread.h>

#include "storage/dir_health.h"
#include "storage/leader_epoch.h"
#include "storage/log_damage.h"
#include "storage/partition_log.h"

struct plog {
	char *dir;
	struct dir_health *health;   /* the log dir's (plog_open_opts), or own_health */
	struct dir_health own_health;

	pthread_mutex_t lock;    /* guards the fields down to flush_lock */
	struct plog_config cfg;
	struct segment **segs;   /* oldest first; the last is active */
	size_t nsegs, segs_cap;
	/* Written under lock; atomic so that plog_offsets reads them without
	 * it: an append blocked on a stalled disk holds the lock, and health
	 * and metadata answers must not wait for it. */
	_Atomic int64_t log_start; /* first offset readers may ask for */
	_Atomic int64_t log_end;   /* the next offset to assign */
	struct leader_epochs epochs;
	int dir_dirty;           /* a segment file was created since the last flush */
	_Atomic int failed;      /* no segment to append to: refuse appends */
	_Atomic uint64_t size_seen; /* plog_size's last answer */
	struct log_damage damage; /* ranges recovery found damaged */
	_Atomic size_t damaged_seen; /* plog_damaged's last count */

	pthread_mutex_t flush_lock; /* guards the group-commit fields below */
	pthread_cond_t flush_cond;
	int64_t flushed;         /* the recovery point: offsets below are durable */
	int flushing;            /* a thread is running a flush round */
};

void plog_free(struct plog *l);
void plog_push_segment(struct plog *l, struct segment *s);
/* Take the log lock if it comes within 50 ms (1), else 0: for gauges that
 * must answer while an append is stalled on its disk. */
int plog_lock_briefly(struct plog *l);

/*
 * rc came from a step that had to be durable (a sync, an epoch-cache
 * write).  When the fsync itself failed the log dir goes offline
 * (dir_health.h); a failure that lost nothing (EMFILE, ENOSPC) only
 * fails this request.  Call right after the failing fio_* call, which
 * filled e; returns rc.
 */
int plog_durability_failed(struct plog *l, int rc, struct err *e);

/* SLOG_ESTORAGE when the log takes no writes, else 0.  lock held. */
int plog_refuse_writes(struct plog *l, struct err *e);

/* Remove segs[keep..] from the list and their files; the first failure
 * goes into e (may be NULL).  The caller fsyncs the directory.  lock held. */
int plog_remove_tail_locked(struct plog *l, size_t keep, struct err *e);

/* Offsets spanned by data (validated batches); SLOG_ECORRUPT_MESSAGE
 * when they do not parse. */
int plog_count_offsets(const uint8_t *data, size_t len, int64_t *offsets, struct err *e);

/* plog_append_replica's write, for it and plog_append_mirror: the
 * batches continue the log (the first at the log end, or with gap at or
 * after it), epochs recorded first.  lock held. */
int plog_append_at_offsets_locked(struct plog *l, const uint8_t *data, size_t len, int gap,
				  int64_t now_ms, struct plog_append_result *res, struct err *e);

/* plog_truncate_fully_and_start_at with the lock held: every segment
 * goes and the log restarts empty at offset.  lock held. */
int plog_restart_empty_locked(struct plog *l, int64_t offset, int64_t now_ms, struct err *e);

/* The recovery point to use on open: rp, or lower when a truncation left
 * a ceiling (log_truncate.c). */
int64_t plog_recovery_ceiling(const char *dir, int64_t rp);

/* A clean close: the checkpoint is exact again, the ceiling goes. */
void plog_drop_ceiling(const char *dir);

#endif
