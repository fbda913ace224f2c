/*
 * offset_table.h: one group's committed offsets, in memory.
 *
 * A sorted table of (topic, partition) -> offset, with the commit's time,
 * metadata and the log offset of its record in __consumer_offsets.  It
 * knows nothing of members, epochs or logs: the coordinator decides
 * whether a commit may go ahead (group_coordinator.h), and the table only
 * records it.  Not thread-safe: the coordinator's lock guards it.
 */
#ifndef SLOG_OFFSET_TABLE_H
#define SLOG_OFFSET_TABLE_H

#include <stddef.h>
#include <stdint.h>

#define GC_TOPIC_MAX 249

struct gc_tp {
	char topic[GC_TOPIC_MAX + 1];
	int32_t partition;
};

/* A commit as it is asked for, or as a view gives it back. */
struct gc_offset {
	struct gc_tp tp;
	int64_t offset;
	const char *metadata;      /* NULL: none */
	int64_t commit_ms;
};

struct offset_entry {
	struct gc_tp tp;
	int64_t offset;
	int64_t commit_ms;       /* wall clock */
	int64_t log_offset;      /* of its record in __consumer_offsets: the later wins */
	char *metadata;          /* NULL: none */
};

struct offset_table {
	struct offset_entry *v;  /* sorted by topic, then partition */
	size_t n, cap;
};

/* By topic, then partition. */
int gc_tp_cmp(const struct gc_tp *a, const struct gc_tp *b);

/* The entry of tp, or NULL. */
const struct offset_entry *offtab_find(const struct offset_table *t, const struct gc_tp *tp);

/*
 * Record o, made durable at log_offset.  Of two commits of one partition
 * the one written later to the log wins, whatever order they are applied
 * in (two commits racing to the log; a replay).
 */
void offtab_apply(struct offset_table *t, const struct gc_offset *o, int64_t log_offset);

/* Forget tp's offset; whether there was one. */
int offtab_forget(struct offset_table *t, const struct gc_tp *tp);

/* The latest commit time of any entry, or since if it is later. */
int64_t offtab_newest_commit(const struct offset_table *t, int64_t since);

void offtab_free(struct offset_table *t);

#endif
