/*
 * offsets_store.h: committed offsets, durable in the internal compacted
 * topic __consumer_offsets.
 *
 * Each committed offset is one record: the key names the group and the
 * partition, the value holds the offset, so compaction keeps only the
 * latest commit of each.  Both are small JSON objects, readable with
 * slog-consume:
 *
 *   key    {"group":"g","topic":"t","partition":0}
 *   value  {"offset":42,"metadata":"...","commit_timestamp":1700000000000}
 *          or null (a tombstone: the offset was deleted)
 *
 * A group's records all go to one partition, abs(hashCode(group)) % N as
 * in Kafka; the leader of that partition is the group's coordinator.  The
 * topic is made on first use with offsets.topic.num.partitions
 * partitions; at start every partition is read back into the coordinator.
 */
#ifndef SLOG_OFFSETS_STORE_H
#define SLOG_OFFSETS_STORE_H

#include <jansson.h>

#include "groups/group_coordinator.h"
#include "meta/meta_state.h"
#include "storage/partition_log.h"

struct broker;
struct partition;

/* Rebuild the coordinator's offsets from the topic, if it exists. */
int offsets_store_load(struct broker *b, struct err *e);

/* Make the topic if it does not exist yet (meta_lock not held). */
int offsets_store_ensure(struct broker *b, struct err *e);

/*
 * The partition holding the group's offsets (meta_lock held).  When this
 * broker does not lead it, SLOG_ENOT_COORDINATOR with the coordinator's
 * address in *where ({"node_id","host","port"}, the caller's).
 */
int offsets_store_partition(struct broker *b, const char *group, struct partition **p,
			    json_t **where, struct err *e);

/* Does this broker coordinate group (lead its partition) now?  (meta_lock held) */
int offsets_store_coordinates(struct broker *b, const char *group);

/*
 * Append the commits v[0..n) of a group (tombstones when tombstones is
 * set: only v[i].tp counts) to p, which the caller holds a reference to
 * (meta_lock not held: the write may block on a stalled disk).  res says
 * where they went; the caller makes them durable before it applies them.
 */
int offsets_store_append(struct broker *b, struct partition *p, const char *group,
			 const struct gc_offset *v, size_t n, int tombstones,
			 struct plog_append_result *res, struct err *e);

/* Forget the groups past offsets.retention.minutes, tombstones first
 * (a scheduler job, every offsets.retention.check.interval.ms; meta_lock
 * not held). */
void offsets_store_expire(struct broker *b);

#endif
