/*
 * cluster_client.h: a client's view of the cluster.
 *
 * Connecting tries each broker of the -b list in turn until one answers
 * GET /v1/cluster (a broker that refuses the connection, or does not take
 * it within CLUSTER_CONNECT_MS, or does not answer within CLUSTER_PROBE_MS,
 * while others remain, is skipped), and
 * fails with every broker's reason when none does.  The brokers the
 * cluster lists are added to the list (broker_list.h).
 *
 * Requests that any broker can answer (metadata, listings, and the admin
 * calls, which a broker forwards to the active controller) go through
 * cluster_json(): when the broker answers NOT_CONTROLLER,
 * BROKER_NOT_AVAILABLE or LEADER_NOT_AVAILABLE, or cannot be reached, the
 * call waits a backoff (backoff.h) and is made again on the next broker
 * of the list that answers, until the caller's deadline.  A request that
 * changes something is made again after a network failure only when it
 * surely did not leave (the connection was refused): a retried create
 * must not meet its own first attempt as TOPIC_ALREADY_EXISTS.
 *
 * Requests about one partition go to its leader, learned from
 * GET /v1/metadata; a NOT_LEADER answer names the new leader (KIP-951's
 * way), else the metadata is asked again.
 *
 * Every call here may block until its deadline.
 */
#ifndef SLOG_CLUSTER_CLIENT_H
#define SLOG_CLUSTER_CLIENT_H

#include <regex.h>
#include <stddef.h>
#include <stdint.h>

#include "backoff.h"
#include "broker_list.h"
#include "err.h"
#include "http_client.h"

/* How long a connection to one broker may take while others remain. */
#define CLUSTER_CONNECT_MS 2000
/* How long one broker may take to answer GET /v1/cluster while others
 * remain (a non-controller may forward it, which takes up to a second). */
#define CLUSTER_PROBE_MS 3000

struct topic_meta {
	char name[256];
	int32_t partitions;
	int64_t max_message_bytes;
	char **leader;  /* per partition: "http://host:port" of its leader */
	int32_t *leader_epoch; /* per partition: its leader epoch; -1 when not said */
};

struct cluster {
	struct broker_list brokers;
	size_t cur;              /* the broker boot is connected to */
	struct http_client boot; /* connected to the broker that answered */
	char boot_url[300];
};

/* Parse "host:port,host:port" and connect to the first broker that answers. */
int cluster_connect(struct cluster *cl, const char *brokers, int64_t deadline_ms, struct err *e);
void cluster_close(struct cluster *cl);

/*
 * Connect to the next broker after the current one that answers, round
 * the list (the current one last).  0, or the reason of every broker.
 */
int cluster_reconnect(struct cluster *cl, int64_t deadline_ms, struct err *e);

/*
 * Whether a call that failed with rc is worth making again on another
 * broker: not_sent when it never left (http_not_sent), idempotent for a
 * GET.  Pure.
 */
int cluster_should_retry(int rc, int not_sent, int idempotent);

/*
 * Whether a request about a partition that failed with rc should look
 * for the partition's leader again (it moved, its broker is down, or the
 * epoch the client knew was deposed: FENCED_LEADER_EPOCH, as Kafka's
 * clients refresh their metadata on it).  UNKNOWN_LEADER_EPOCH is not a
 * move: the broker has not learned the epoch yet, and a retry there
 * will do.
 */
int cluster_leader_moved(int rc);

/*
 * Whether a produce request that failed with rc is sent again (after a
 * backoff, within the batch's delivery deadline), as Kafka's producer
 * with retries does for its retriable errors: the leader moved or is
 * being elected (NOT_LEADER, LEADER_NOT_AVAILABLE, BROKER_NOT_AVAILABLE,
 * FENCED_LEADER_EPOCH, UNKNOWN_LEADER_EPOCH), too few replicas in sync
 * (NOT_ENOUGH_REPLICAS: nothing was appended; NOT_ENOUGH_REPLICAS_AFTER_APPEND),
 * no answer in time, a broker that cannot be reached, a storage error.
 * Pure.
 */
int cluster_produce_retriable(int rc);

/*
 * Whether a produce request that got rc as its answer may have been
 * appended all the same: a timeout, a storage error or an unknown error
 * can come after the append, and NOT_ENOUGH_REPLICAS_AFTER_APPEND always
 * does.  Sending such a batch again may write it twice (there is no
 * idempotent producer); it is retried anyway, as Kafka's producer does,
 * and reported "not acknowledged" if it fails in the end.  Pure.
 */
int cluster_produce_ambiguous(int rc);

/*
 * A JSON call that any broker answers (body may be NULL; *out, may be
 * NULL, owned by the caller), with the retries above.  A call that runs
 * out of time while retrying says so and what the last try got.
 */
int cluster_json(struct cluster *cl, const char *method, const char *path, json_t *body,
		 int64_t deadline_ms, json_t **out, struct err *e);

/*
 * Metadata of one topic.  auto_create asks the broker to create it if
 * its auto.create.topics.enable allows.  SLOG_EUNKNOWN_TOPIC_OR_PARTITION
 * when it does not exist.
 */
int cluster_topic(struct cluster *cl, const char *topic, int auto_create, int64_t deadline_ms,
		  struct topic_meta *out, struct err *e);
void topic_meta_free(struct topic_meta *m);

/*
 * The base URL of a partition's leader in a metadata answer (meta) for
 * one of its partitions (part): the partition's own "leader" object or
 * "leader_url", else the broker whose id is its "leader".  A cluster of
 * one broker, or a leader not listed, is reached at fallback, the way
 * the client already reached the cluster.  Pure.
 */
void cluster_leader_url(json_t *meta, json_t *part, const char *fallback, char *out, size_t len);

/*
 * Look up where a partition's leader is now (fresh metadata) into
 * leader (size len).  0, or the error of the lookup.
 */
int cluster_find_leader(struct cluster *cl, const char *topic, int32_t partition,
			int64_t deadline_ms, char *leader, size_t len, struct err *e);

/* The same, and the partition's leader epoch into *epoch (-1: not said). */
int cluster_find_leader_epoch(struct cluster *cl, const char *topic, int32_t partition,
			      int64_t deadline_ms, char *leader, size_t len, int32_t *epoch,
			      struct err *e);

/*
 * GET path from a partition's leader (leader, size len, is updated when
 * it moves), following NOT_LEADER and retrying as above until the
 * deadline.  *out is owned by the caller.
 */
int cluster_partition_json(struct cluster *cl, const char *topic, int32_t partition, char *leader,
			   size_t len, const char *path, int64_t deadline_ms, json_t **out,
			   struct err *e);

/*
 * GET path from leader once, without retries, for a caller that keeps
 * its own (a consumer's loop must not block on one partition).  On
 * NOT_LEADER, moved_to (size len) gets the leader the answer names, or
 * "".  *out is owned by the caller.
 */
int cluster_leader_get(const char *leader, const char *path, int64_t deadline_ms, json_t **out,
		       char *moved_to, size_t len, struct err *e);

/*
 * The names of the topics whose name re matches (every topic when re is
 * NULL), less the broker's own internal ones, as a list the caller frees
 * with cluster_names_free().  0, or the error of the request.
 */
int cluster_topic_names(struct cluster *cl, const regex_t *re, int64_t deadline_ms, char ***names,
			size_t *n, struct err *e);
void cluster_names_free(char **names, size_t n);
/* The two lists hold the same names in the same order (as listed: sorted). */
int cluster_names_equal(char *const *a, size_t na, char *const *b, size_t nb);

/*
 * Every group of the cluster, as {"group","state","members"} objects
 * sorted by name (*out, the caller's): each broker lists the groups it
 * coordinates (GET /v1/groups), so every broker that may coordinate
 * (alive or shutting down) is asked, as Kafka's admin client asks every
 * broker.  0, or the error of the first broker that did not answer.
 */
int cluster_groups(struct cluster *cl, int64_t deadline_ms, json_t **out, struct err *e);

/*
 * Whether a group call that failed with rc is made again after a backoff
 * because its coordinator is moving: NOT_COORDINATOR (it moved, or no
 * broker leads the group's offsets partition yet) and
 * COORDINATOR_NOT_AVAILABLE (a new coordinator still reads the group
 * back from its log), as Kafka's clients retry them.  Pure.
 */
int cluster_group_retry_coordinator(int rc);

/*
 * A JSON call about a group: METHOD /v1/groups/{group}{suffix}, sent to
 * the group's coordinator (a NOT_COORDINATOR answer names it, and the
 * call is made again there), retried on another broker as cluster_json
 * does, and while the coordinator moves (cluster_group_retry_coordinator)
 * until the deadline.  *out (may be NULL) gets the answer.
 */
int cluster_group_json(struct cluster *cl, const char *method, const char *group,
		       const char *suffix, json_t *body, int64_t deadline_ms, json_t **out,
		       struct err *e);

#endif
