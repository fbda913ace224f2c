/*
 * offset_map.h: key -> latest offset, for log compaction.
 *
 * The cleaner reads the dirty part of a log and records, for each key,
 * the offset of its newest record; then it keeps a record only if no
 * newer one of its key exists.  Keys are stored whole (not hashed away,
 * as Kafka's map does with MD5), so two keys can never be taken for one.
 * Memory is bounded by the caller (log.cleaner.dedupe.buffer.size): when
 * the next key would not fit, put() says so and the cleaner cleans only
 * up to the offset it reached.
 *
 * Not thread-safe; one map per cleaning.
 */
#ifndef SLOG_OFFSET_MAP_H
#define SLOG_OFFSET_MAP_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

struct om_slot {
	uint64_t hash;    /* 0: empty */
	uint32_t key_off; /* in keys */
	uint32_t key_len;
	int64_t offset;
};

struct offset_map {
	struct om_slot *slots;
	size_t cap, n;
	struct buf keys;
	size_t max_bytes;
};

void offset_map_init(struct offset_map *m, size_t max_bytes);
void offset_map_free(struct offset_map *m);

/* Record offset for key (a later offset replaces an earlier one).
 * Returns 0, or -1 when the map is full (nothing recorded). */
int offset_map_put(struct offset_map *m, const void *key, size_t len, int64_t offset);

/* The offset recorded for key, or -1. */
int64_t offset_map_get(const struct offset_map *m, const void *key, size_t len);

#endif
