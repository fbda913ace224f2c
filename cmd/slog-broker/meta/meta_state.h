/*
 * meta_state.h: the cluster's metadata as a state machine.
 *
 * Everything the cluster knows about itself (its id, its brokers, its
 * topics, their partitions' placement and config overrides) changes only
 * by applying a metadata record, a small JSON object with a version "v"
 * and a "type" (docs/design-notes.md lists every type and its fields):
 *
 *   {"v":1,"type":"cluster","cluster_id":"..."}
 *   {"v":1,"type":"broker","id":1,"incarnation":"...","endpoints":[{"name":"http",
 *    "host":"h","port":9092}]}                       (registers it, fenced)
 *   {"v":1,"type":"broker_state","id":1,"incarnation":"...","state":"alive"}
 *    (or "fenced", "shutting_down"; applies only to that incarnation)
 *   {"v":1,"type":"topic","name":"t","id":"...","partitions":3,"replication_factor":1,
 *    "configs":{"retention.ms":"1d"}}
 *   {"v":1,"type":"partition","topic":"t","topic_id":"...","partition":0,"replicas":[1],
 *    "isr":[1],"leader":1,"leader_epoch":0,"partition_epoch":0}
 *    optional: "elr":[2] (eligible leader replicas, KIP-966), "last_leader":1,
 *    "adding":[4],"removing":[1] (a reassignment in progress),
 *    "offline_replicas":[3] (replicas whose log dir failed, as their broker
 *    reported: not in the ELR, not elected; absent in older records)
 *   {"v":1,"type":"partitions","name":"t","count":6}
 *   {"v":1,"type":"configs","name":"t","set":{"k":"v"},"delete":["k2"]}
 *   {"v":1,"type":"remove_topic","name":"t","id":"..."}
 *
 * A topic or partitions record makes partitions without placement; the
 * partition records committed with it place them.  Records without "v"
 * (version 0, written before placement was recorded) place a new
 * partition on v0_node, the one broker that wrote them.
 *
 * meta_state_apply() is a pure function of the state and the record:
 * replaying the same records gives the same state, on this broker after
 * a restart or on another broker of a cluster (the metadata log is what
 * a Raft quorum will replicate).  What it refuses falls in two kinds:
 * bytes it cannot read (not a record, an unknown type, a version newer
 * than META_RECORD_VERSION), which must stop a broker rather than be
 * misread; and a readable record that does not fit the state (a topic
 * that exists already: two proposals that raced), which every broker
 * skips alike.
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

/* The newest record version this broker reads. */
#define META_RECORD_VERSION 1

/*
 * A partition's placement; nreplicas 0 until a partition record.  The
 * ISR holds the leader whenever there is one; it never empties (its last
 * member stays, leaderless, until it returns).  The ELR holds replicas
 * that left the ISR while it was below min.insync.replicas: they have
 * every record below the frozen high watermark (docs/replication.md).
 * During a reassignment replicas lists the old and new sets together,
 * adding the new ones not yet in sync, removing the old ones to drop.
 * offline lists the replicas whose log dir went offline on their broker
 * (replication spec D7): they are out of the ISR (unless one is its last
 * member, which then keeps leading if it led: it serves what it fsynced),
 * out of the ELR, and never elected, until their broker registers again
 * with a new incarnation.
 */
struct meta_partition {
	int32_t *replicas, *isr; /* owned */
	int32_t nreplicas, nisr;
	int32_t *elr, *adding, *removing, *offline; /* owned; NULL when empty */
	int32_t nelr, nadding, nremoving, noffline;
	int32_t leader;          /* a node id, or -1 */
	int32_t last_leader;     /* the leader before it became -1, or -1 */
	int32_t leader_epoch;    /* + 1 at each new leader */
	int32_t partition_epoch; /* + 1 at each change of the record */
};

struct meta_topic {
	char name[TOPIC_NAME_MAX + 1];
	char id[24];
	int32_t partitions;
	int32_t replication_factor;
	json_t *configs;              /* object: key -> string value; owned */
	struct meta_partition *parts; /* [partitions] */
};

/* A registered broker's state, as the controller decided it. */
enum meta_broker_state {
	META_BROKER_FENCED,        /* registered, not caught up, or silent: leads nothing */
	META_BROKER_ALIVE,         /* heartbeating and caught up */
	META_BROKER_SHUTTING_DOWN, /* stopping on purpose */
};

struct meta_broker {
	int32_t id;
	char incarnation[24]; /* new at each start of the broker process */
	json_t *endpoints;    /* array of {"name","host","port"}; owned */
	enum meta_broker_state state;
};

struct meta_state {
	char cluster_id[24];
	struct meta_topic **topics; /* sorted by name */
	size_t ntopics, cap;
	struct meta_broker *brokers; /* sorted by id */
	size_t nbrokers, brokers_cap;
	int32_t v0_node; /* where records of version 0 place partitions */
};

void meta_state_init(struct meta_state *s);
void meta_state_free(struct meta_state *s);

/*
 * Apply one record (borrowed).  0; SLOG_EINVALID_REQUEST (with why) for a
 * record that does not fit the state, which leaves s as it was; or
 * SLOG_ECORRUPT_MESSAGE for one this broker cannot read.
 */
int meta_state_apply(struct meta_state *s, json_t *rec, struct err *e);

/*
 * Whether this broker can read rec (borrowed), without a state: 0, or
 * SLOG_ECORRUPT_MESSAGE for what meta_state_apply() would refuse as
 * unreadable.  Lets a caller check every record of an entry before it
 * applies the first.
 */
int meta_record_check(json_t *rec, struct err *e);

/*
 * The whole state as one JSON value (new reference), and back into s
 * (initialised, empty): {"v":1,"records":[...]}, the records that build
 * the state from nothing.  A snapshot for the quorum's log compaction,
 * and for meta_state_copy().
 */
json_t *meta_state_encode(const struct meta_state *s);
int meta_state_decode(struct meta_state *s, json_t *snap, struct err *e);

/* A deep copy of from into to (uninitialised); fails only if from holds
 * what no record could have made. */
int meta_state_copy(struct meta_state *to, const struct meta_state *from, struct err *e);

/* The partition record that places t's partition idx as p is (new reference). */
json_t *meta_partition_record(const struct meta_topic *t, int32_t idx,
			      const struct meta_partition *p);

/* The broker_state record setting that incarnation of broker id to state
 * (new reference). */
json_t *meta_broker_state_record(int32_t id, const char *incarnation,
				 enum meta_broker_state state);

/* A state's name in records and answers ("alive", "fenced",
 * "shutting_down"), and back: 0, or -1 for a name that is none. */
const char *meta_broker_state_name(enum meta_broker_state state);
int meta_broker_state_parse(const char *name, enum meta_broker_state *state);

struct meta_topic *meta_find(const struct meta_state *s, const char *name);
struct meta_broker *meta_find_broker(const struct meta_state *s, int32_t id);

/* The host and port of a registered broker's "http" endpoint (host
 * borrowed from mb): 0, or -1 when it has none. */
int meta_broker_http(const struct meta_broker *mb, const char **host, int *port);

/* Free what p holds; p is then an unplaced partition. */
void meta_partition_clear(struct meta_partition *p);

/* Whether node holds a replica of p. */
int meta_partition_on(const struct meta_partition *p, int32_t node);

/* Whether the broker owns the topic: clients neither write to it, nor
 * create, delete or grow it. */
int meta_topic_internal(const char *name);

/* Names starting with "__" belong to the broker (__consumer_offsets,
 * __cluster_metadata, and whatever it needs later): clients neither create
 * them nor write to them unless such a topic exists.  "__connect_" names
 * are slog-connect's (__connect_offsets), which it creates as Kafka
 * Connect's workers create theirs; none can be a broker's directory. */
int meta_topic_reserved(const char *name);

/* A new random id in Kafka's Uuid text form (22 base64url characters). */
void meta_new_id(char out[24]);

#endif
