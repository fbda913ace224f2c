/*
 * meta_log.h: the metadata log, persisted as a partition log in its own
 * directory: metadata.log.dir, by default __cluster_metadata in the first
 * log directory.  That name has no "-<n>" suffix, so no topic partition's
 * directory can ever be it (KRaft's __cluster_metadata-0 could: a topic
 * of that name once overwrote it).
 *
 * Each metadata record is one record of a batch: its key is the record's
 * type, its value the JSON object.  Opening replays every record into a
 * state; appending makes a record durable (fsync) before the caller
 * applies it, so the state a restart rebuilds is never behind what any
 * client was told.
 *
 * The caller serializes appends (the broker's controller).  Writing and
 * applying are separate steps so that the fsync runs without the lock
 * that guards the state readers see: the controller writes the record,
 * then applies it under that lock.
 */
#ifndef SLOG_META_LOG_H
#define SLOG_META_LOG_H

#include <jansson.h>

#include "err.h"
#include "meta/meta_state.h"
#include "storage/partition_log.h"

struct meta_log {
	struct plog *log;
};

#define META_LOG_DIR_NAME "__cluster_metadata"

/*
 * The metadata log's directory into out: configured (metadata.log.dir)
 * if set, else first_log_dir/__cluster_metadata.  A log at the old place,
 * first_log_dir/__cluster_metadata-0, is moved there first (durably).
 */
int meta_log_locate(const char *configured, const char *first_log_dir, char *out, size_t size,
		    struct err *e);

/* Open the metadata log in dir and replay it into s (initialised). */
int meta_log_open(struct meta_log *ml, const char *dir, int clean, struct meta_state *s,
		  struct err *e);

/* Append rec durably if it would apply to s (not changed).  rec is borrowed. */
int meta_log_write(struct meta_log *ml, const struct meta_state *s, json_t *rec, struct err *e);

/* Apply a record meta_log_write() made durable (logs if it does not). */
int meta_log_applied(struct meta_state *s, json_t *rec, struct err *e);

/* Both: append rec durably, then apply it to s. */
int meta_log_commit(struct meta_log *ml, struct meta_state *s, json_t *rec, struct err *e);

int meta_log_close(struct meta_log *ml, struct err *e);

#endif
