/*
 * meta_state.h: the cluster's metadata as a state machine.
 *
 * Everything the cluster knows about itself (its id, its topics, their
 * partition counts, replica sets and config overrides) changes only by
 * applying a metadata record, a small JSON object:
 *
 *   {"type":"cluster","cluster_id":"..."}
 *   {"type":"topic","name":"t","id":"...","partitions":3,"replication_factor":1,
 *    "configs":{"retention.ms":"1d"}}
 *   {"type":"partitions","name":"t","count":6}
 *   {"type":"configs","name":"t","set":{"k":"v"},"delete":["k2"]}
 *   {"type":"remove_topic","name":"t","id":"..."}
 *
 * meta_apply() is a pure function of the state and the record: replaying
 * the same records gives the same state, on this broker after a restart
 * or on another broker of a cluster (the metadata log is what a Raft
 * quorum will replicate).  It refuses a record that does not fit the
 * state (a topic that exists already, fewer partitions than now), so a
 * damaged log cannot silently produce a different state.
 *
 * Not thread-safe: the broker's metadata lock guards a state.
 */
#ifndef SLOG_META_STATE_H
#define SLOG_META_STATE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "topic_name.h"

/* The internal topic of committed offsets (offsets_store.h). */
#define OFFSETS_TOPIC "__consumer_offsets"

struct meta_topic {
	char name[TOPIC_NAME_MAX + 1];
	char id[24];
	int32_t partitions;
	int32_t replication_factor;
	json_t *configs; /* object: key -> string value; owned */
};

struct meta_state {
	char cluster_id[24];
	struct meta_topic **topics; /* sorted by name */
	size_t ntopics, cap;
};

void meta_state_init(struct meta_state *s);
void meta_state_free(struct meta_state *s);

/* Apply one record (borrowed).  0, or SLOG_EINVALID_REQUEST with why. */
int meta_apply(struct meta_state *s, json_t *rec, struct err *e);

/* Whether rec would apply, without changing s. */
int meta_check(const struct meta_state *s, json_t *rec, struct err *e);

struct meta_topic *meta_find(const struct meta_state *s, const char *name);

/* Whether the broker owns the topic: clients neither write to it, nor
 * create, delete or grow it. */
int meta_topic_internal(const char *name);

/* Names starting with "__" belong to the broker (__consumer_offsets,
 * __cluster_metadata, and whatever it needs later): clients neither create
 * them nor write to them unless such a topic exists. */
int meta_topic_reserved(const char *name);

/* A new random id in Kafka's Uuid text form (22 base64url characters). */
void meta_new_id(char out[24]);

#endif
