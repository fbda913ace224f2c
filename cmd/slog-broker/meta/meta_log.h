/*
 * meta_log.h: the metadata log, persisted as a partition log in its own
 * directory: metadata.log.dir, by default __cluster_metadata in the first
 * log directory.  That name has no "-<n>" suffix, so no topic partition's
 * directory can ever be it (KRaft's __cluster_metadata-0 could: a topic
 * of that name once overwrote it).
 *
 * Each metadata record is one record of a batch: its key is the record's
 * type, its value the JSON object.  The records of one proposal (a topic
 * and its partitions) are one batch, committed together or not at all.
 *
 * The interface is the one a Raft quorum's log will offer, so that the
 * controller and the publisher (publish.h) stay as they are when it
 * comes: meta_log_propose() hands records to the log, meta_log_await()
 * waits for their commit with a deadline, and every broker applies what
 * is committed.  On one node, a record is committed when it is durable
 * (fsynced), which propose does before it returns.
 */
#ifndef SLOG_META_LOG_H
#define SLOG_META_LOG_H

#include <jansson.h>
#include <pthread.h>
#include <stdint.h>

#include "err.h"
#include "meta/meta_state.h"
#include "storage/partition_log.h"

struct meta_log {
	struct plog *log;
	char dir[4200];      /* for messages */
	pthread_mutex_t lock;
	pthread_cond_t committed_cond;
	int64_t committed;   /* offsets below it are committed */
};

#define META_LOG_DIR_NAME "__cluster_metadata"

/*
 * The metadata log's directory into out: configured (metadata.log.dir)
 * if set, else first_log_dir/__cluster_metadata.  A log at the old place,
 * first_log_dir/__cluster_metadata-0, is moved there first (durably).
 */
int meta_log_locate(const char *configured, const char *first_log_dir, char *out, size_t size,
		    struct err *e);

/*
 * Open the metadata log in dir and replay it into s (initialised): each
 * record through meta_log_apply(), so that only unreadable bytes stop it.
 */
int meta_log_open(struct meta_log *ml, const char *dir, int clean, struct meta_state *s,
		  struct err *e);

/*
 * Propose records (a JSON array, borrowed; each with its "v") to be
 * committed together.  *end receives the offset after the last: hand it
 * to meta_log_await().  The caller has checked them against the
 * committed state; whatever raced them is settled when they apply.
 */
int meta_log_propose(struct meta_log *ml, json_t *recs, int64_t *end, struct err *e);

/*
 * Wait, holding none of the caller's locks, until the records below end
 * are committed: 0, or SLOG_EREQUEST_TIMED_OUT when the monotonic clock
 * reaches deadline_ms first (they may still commit later).
 */
int meta_log_await(struct meta_log *ml, int64_t end, int64_t deadline_ms, struct err *e);

/*
 * Apply one committed record at offset (-1: proposed) to s.  One that does not fit the
 * state (it lost a race) is logged and skipped: 0, s unchanged, the same
 * on every broker.  Bytes that cannot be read are SLOG_ECORRUPT_MESSAGE,
 * naming the log's directory and the offset.
 */
int meta_log_apply(const struct meta_log *ml, struct meta_state *s, json_t *rec, int64_t offset,
		   struct err *e);

int meta_log_close(struct meta_log *ml, struct err *e);

#endif
