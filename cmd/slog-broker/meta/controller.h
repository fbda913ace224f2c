/*
 * controller.h: changes to the cluster's metadata.
 *
 * The controller runs on the active controller only: the metadata
 * quorum's leader, once everything before its term is applied
 * (controller_active; elsewhere every change is SLOG_ENOT_CONTROLLER,
 * naming the controller this node knows).  Every change follows the same
 * path, on one node as in a cluster: validate the request against the
 * image's committed state (under the image's lock), propose its records
 * as one entry (quorum_propose_wait, bounded by
 * controller.quorum.request.timeout.ms), and once it is committed and
 * applied to the image, wait for this broker's publisher
 * (meta_publisher.h) to open or remove the logs it places here, so that
 * the answer comes when the change is served.  A log that cannot be
 * created does not undo the committed record: the publisher retries it,
 * and the request times out naming why.  New replicas go to the
 * available brokers (cluster/placement.h).
 *
 * The functions serialize among themselves and hold no lock that a
 * request needs while they wait.
 */
#ifndef SLOG_CONTROLLER_H
#define SLOG_CONTROLLER_H

#include <jansson.h>
#include <stdint.h>

#include "err.h"

struct broker;
#include "meta/meta_state.h"

/*
 * Create a topic.  partitions/replication_factor <= 0 take the broker's
 * defaults; configs (borrowed, may be NULL) is an object of key -> value
 * (strings, numbers or booleans).  validate_only checks and changes nothing.
 */
int controller_create_topic(struct broker *b, const char *name, int32_t partitions,
			    int32_t replication_factor, json_t *configs, int validate_only,
			    struct err *e);

/* Create one of the broker's own topics (__consumer_offsets), whose
 * names controller_create_topic() refuses, with max_rf replicas or as
 * many as there are brokers to place them on, if fewer. */
int controller_create_internal_topic(struct broker *b, const char *name, int32_t partitions,
				     int32_t max_rf, json_t *configs, struct err *e);

int controller_delete_topic(struct broker *b, const char *name, struct err *e);

/*
 * Set and delete topic config overrides (set: object; del: array of
 * keys).  *configs (if not NULL) receives the topic's configuration as it
 * is now, or would be (validate_only), as topic_config_describe() lists it.
 * Nothing to change is a success that writes nothing.
 */
int controller_alter_configs(struct broker *b, const char *name, json_t *set, json_t *del,
			     int validate_only, json_t **configs, struct err *e);

/* Grow a topic to total partitions. */
int controller_add_partitions(struct broker *b, const char *name, int32_t total,
			      int validate_only, struct err *e);

/*
 * Make sure a topic exists, creating it with the broker's defaults if
 * auto.create.topics.enable allows.  Call without the metadata lock.
 */
int controller_ensure_topic(struct broker *b, const char *name, struct err *e);

/* Write the first record of a new cluster (its id). */
int controller_bootstrap(struct broker *b, const char *cluster_id, struct err *e);

/*
 * Register a broker: a broker record with its id, incarnation (new at
 * each start of its process) and endpoints (borrowed: an array of
 * {"name","host","port"}).  It starts fenced.  The same incarnation
 * registered again is a success that writes nothing.  The first
 * registration of a new cluster (no cluster record yet) carries that
 * record too, with this node's cluster id.
 */
int controller_register_broker(struct broker *b, int32_t id, const char *incarnation,
			       json_t *endpoints, struct err *e);

/* Set a registered broker's state (that incarnation's; another is
 * SLOG_ESTALE_BROKER_EPOCH).  The state it has already writes nothing. */
int controller_set_broker_state(struct broker *b, int32_t id, const char *incarnation,
				enum meta_broker_state state, struct err *e);

/* ---- partitions (controller_partitions.c) ---- */

/* A leader's AlterPartition (POST /v1/cluster/partitions/alter). */
struct controller_alter {
	int32_t broker;
	const char *broker_epoch; /* the sender's incarnation */
	const char *topic;
	int32_t partition;
	int32_t leader_epoch, partition_epoch;
	const int32_t *isr;
	int32_t nisr;
};

/*
 * Replace a partition's ISR as its leader asks (partition_change.h's
 * pc_alter, which also ends a move whose new replicas are all in sync).
 * The sender's broker epoch must be its registered incarnation
 * (SLOG_ESTALE_BROKER_EPOCH).  *record (new reference) receives the
 * partition's record as committed; an ISR equal to the committed one
 * writes nothing and answers that record.
 */
int controller_alter_partition(struct broker *b, const struct controller_alter *a,
			       json_t **record, struct err *e);

/*
 * Broker id's incarnation reports replicas whose log dir is offline
 * (its heartbeat's offline_replicas, borrowed: [{"topic","topic_id",
 * "partitions":[n,...]}], as POST /v1/cluster/heartbeat checked them).
 * Each such replica not marked yet is marked offline (partition_change.h
 * pc_replica_offline: out of the ISR and the ELR, its leaderships elected
 * anew), all in one entry.  Another incarnation than the registered one
 * is SLOG_ESTALE_BROKER_EPOCH; partitions the image lacks, or of another
 * topic id, are skipped.  *changed (may be NULL) receives how many
 * partitions changed.
 */
int controller_replicas_offline(struct broker *b, int32_t id, const char *incarnation,
				json_t *replicas, size_t *changed, struct err *e);

/* One partition's new replica list (borrowed). */
struct controller_move {
	int32_t partition;
	const int32_t *replicas;
	int32_t n;
};

/*
 * Start moving partitions of topic to new replicas (registered brokers):
 * replicas become old + new, the new ones join the ISR as followers, and
 * the move ends once the ISR holds them all (controller_alter_partition,
 * or controller_partition_duties).  All or nothing: one refused move
 * refuses them all.  *records (new reference) receives the partitions'
 * records as committed, in request order (validate_only: checks, changes
 * nothing, and *records is NULL).
 */
int controller_reassign(struct broker *b, const char *topic, const struct controller_move *moves,
			size_t n, int validate_only, json_t **records, struct err *e);

/*
 * The controller's periodic partition work, from the lifecycle thread's
 * duties (active_ms: how long this node has been the controller): moves
 * whose new replicas are in sync end, leaderless partitions elect (a
 * change lost in a failover, an unclean election allowed since), and,
 * with auto.leader.rebalance.enable, every
 * leader.imbalance.check.interval.seconds leadership goes back to each
 * partition's preferred replica where it is alive and in sync.
 */
void controller_partition_duties(struct broker *b, int64_t active_ms);

/*
 * Whether this node is the active controller: the quorum's leader, with
 * everything before its term applied.  If not, *controller_id (may be
 * NULL) receives the controller's id as this node knows it (0: none).
 */
int controller_active(struct broker *b, int32_t *controller_id);

#endif
