/*
 * meta_log.h: the metadata log, persisted as the partition
 * __cluster_metadata-0 of the first log directory (KRaft's layout).
 *
 * Each metadata record is one record of a batch: its key is the record's
 * type, its value the JSON object.  Opening replays every record into a
 * state; appending makes a record durable (fsync) before the caller
 * applies it, so the state a restart rebuilds is never behind what any
 * client was told.
 *
 * The caller serializes appends (the broker's metadata lock).
 */
#ifndef SLOG_META_LOG_H
#define SLOG_META_LOG_H

#include <jansson.h>

#include "err.h"
#include "meta_state.h"
#include "partition_log.h"

struct meta_log {
	struct plog *log;
};

/* Open dir/__cluster_metadata-0 and replay it into s (initialised). */
int meta_log_open(struct meta_log *ml, const char *log_dir, int clean, struct meta_state *s,
		  struct err *e);

/* Append rec durably, then apply it to s.  rec is borrowed. */
int meta_log_commit(struct meta_log *ml, struct meta_state *s, json_t *rec, struct err *e);

int meta_log_close(struct meta_log *ml, struct err *e);

#endif
