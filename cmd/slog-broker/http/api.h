/*
 * api.h: the HTTP API's handlers (docs/http-api.md is their reference).
 *
 * Each takes the request and the path's variable segments (topic,
 * partition) and answers, or suspends to answer later.  They are grouped
 * by what they serve: api_admin.c (metadata, topics, health, metrics),
 * api_cluster.c (the cluster, brokers' heartbeats, the metadata log), api_produce.c (records in), api_fetch.c (records and
 * offsets out), api_replica.c (followers' fetches, epochs' end offsets),
 * api_groups.c (consumer groups).
 */
#ifndef SLOG_API_H
#define SLOG_API_H

#include "http/http_server.h"

int api_healthz(struct request *r, char **args);
int api_readyz(struct request *r, char **args);
int api_metrics(struct request *r, char **args);
int api_cluster(struct request *r, char **args);
int api_cluster_heartbeat(struct request *r, char **args);
int api_cluster_alter(struct request *r, char **args);
int api_meta_records(struct request *r, char **args);
int api_metadata(struct request *r, char **args);
int api_topics_list(struct request *r, char **args);
int api_topics_create(struct request *r, char **args);
int api_topic_describe(struct request *r, char **args);
int api_topic_delete(struct request *r, char **args);
int api_topic_configs_get(struct request *r, char **args);
int api_topic_configs_alter(struct request *r, char **args);
int api_partitions_add(struct request *r, char **args);
int api_reassign(struct request *r, char **args);

int api_produce_topic(struct request *r, char **args);
int api_produce_partition(struct request *r, char **args);

int api_fetch(struct request *r, char **args);
int api_offsets(struct request *r, char **args);

/* api_replica.c: followers' fetches, and where a leader epoch ends. */
int api_replica_fetch(struct request *r, char **args);
int api_epoch_end_offset(struct request *r, char **args);

int api_groups_list(struct request *r, char **args);
int api_group_describe(struct request *r, char **args);
int api_group_offsets_delete(struct request *r, char **args);
int api_group_delete(struct request *r, char **args);
int api_group_heartbeat(struct request *r, char **args);
int api_group_leave(struct request *r, char **args);
int api_group_offsets_get(struct request *r, char **args);
int api_group_offsets_commit(struct request *r, char **args);

/*
 * For the admin handlers (api_forward.c): 1 when the request is taken,
 * 0 when the handler goes on.  On the active controller the handler self
 * is run again on the worker that waits for the quorum (http_defer.h),
 * where this returns 0; elsewhere the request is forwarded to the
 * controller, or answered 503 NOT_CONTROLLER.
 */
int api_forward_admin(struct request *r, http_handler self);

/* The active controller's id as this node knows it: its own, its
 * quorum's leader, or the one its heartbeat last reached; -1: none. */
int32_t api_controller_id(struct broker *b);

/* ---- shared by the handlers (api_admin.c) ---- */

/* Parse a partition number from a path segment; -1 if it is not one. */
int32_t api_partition_arg(const char *s);

/* A JSON array of 1 to max broker ids (positive, int32) into out:
 * 0, or -1 when v is not one. */
int api_broker_ids(json_t *v, int32_t *out, int32_t max, int32_t *n);

/* A JSON integer from min to INT32_MAX into *out: 0, or -1. */
int api_int32(json_t *v, int32_t min, int32_t *out);

/* The request body as a JSON object (an empty body is {} unless
 * required), or NULL after answering 400. */
json_t *api_body_object(struct request *r, int required);

/* Answer 400 and return 1 if body has a field not in known (NULL-ended):
 * a typo must not pass as a default. */
int api_unknown_field(struct request *r, json_t *body, const char *const *known);

struct ops_ctx;
struct ops_leader;

/* {"id":N,"url":"http://host:port"} of a leader (url null when unknown). */
json_t *api_leader_json(const struct ops_leader *l);

/* Answer an operation's error; NOT_LEADER names the leader in the error
 * object ({"error":{...,"leader":{"id","url"}}}). */
int api_reply_op_err(struct request *r, const struct err *e, const struct ops_leader *l);

/* The context of the operations a request calls (replica/ops.h): the
 * HTTP API has no authentication yet, and no deadline of its own. */
void api_ops_ctx(struct request *r, struct ops_ctx *ctx);

#endif
