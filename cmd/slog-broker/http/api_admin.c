/*
 * api_admin.c: metadata and topic administration, health and
 * metrics.  docs/http-api.md documents each resource.
 */
#include <stdlib.h>
#include <string.h>

#include "broker.h"
#include "cluster/broker_heartbeat.h"
#include "http/api.h"
#include "meta/controller.h"
#include "replica/ops.h"
#include "replica/registry.h"
#include "units.h"
#include "xalloc.h"

int32_t api_partition_arg(const char *s)
{
	int64_t v;

	if (units_parse_int(s, 0, INT32_MAX, &v, NULL))
		return -1;
	return (int32_t)v;
}

int api_int32(json_t *v, int32_t min, int32_t *out)
{
	if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > INT32_MAX)
		return -1;
	*out = (int32_t)json_integer_value(v);
	return 0;
}

int api_broker_ids(json_t *v, int32_t *out, int32_t max, int32_t *n)
{
	json_t *x;
	size_t i;

	*n = 0;
	if (!json_is_array(v) || json_array_size(v) < 1 || json_array_size(v) > (size_t)max)
		return -1;
	json_array_foreach(v, i, x)
		if (api_int32(x, 1, &out[(*n)++]))
			return -1;
	return 0;
}

void api_ops_ctx(struct request *r, struct ops_ctx *ctx)
{
	const char *agent = http_header(r, "User-Agent");

	ctx->principal = "";
	ctx->client_id = agent ? agent : "";
	ctx->deadline_ms = INT64_MAX;
}

json_t *api_leader_json(const struct ops_leader *l)
{
	return json_pack("{s:i, s:s?}", "id", l->id, "url", l->url[0] ? l->url : NULL);
}

int api_reply_op_err(struct request *r, const struct err *e, const struct ops_leader *l)
{
	if (e->code != SLOG_ENOT_LEADER || !l)
		return http_reply_err(r, e);
	return http_reply_error_with(r, e->code, json_pack("{s:o}", "leader", api_leader_json(l)),
				     "%s", e->msg);
}

json_t *api_body_object(struct request *r, int required)
{
	json_error_t je;
	json_t *j;

	if (r->body.len == 0 && !required)
		return json_object();
	/* The body is at most http.json.max.bytes (http_server.c refused more
	 * before reading it); jansson's tree is many times that. */
	http_body_parsed(r);
	j = json_loadb(r->body.data ? r->body.data : "", r->body.len, 0, &je);
	if (!j) {
		http_reply_error(r, SLOG_EINVALID_REQUEST, "body is not JSON: %s", je.text);
		return NULL;
	}
	if (!json_is_object(j)) {
		json_decref(j);
		http_reply_error(r, SLOG_EINVALID_REQUEST, "body must be a JSON object");
		return NULL;
	}
	return j;
}

static int flag(json_t *obj, const char *key)
{
	return json_is_true(json_object_get(obj, key));
}

int api_healthz(struct request *r, char **args)
{
	(void)args;
	return http_reply_json(r, 200, json_pack("{s:s}", "status", "ok"));
}

/* [{"dir":…,"reason":…}] for every offline log dir.  No lock: the
 * directories are fixed once the broker runs and their state is atomic. */
static json_t *offline_dirs_json(const struct log_dirs *d)
{
	json_t *list = json_array();

	for (size_t i = 0; i < d->n; i++)
		if (dir_health_offline(&d->v[i].health))
			json_array_append_new(list, json_pack("{s:s, s:s}", "dir", d->v[i].path,
							      "reason",
							      dir_health_reason(&d->v[i].health)));
	return list;
}

int api_readyz(struct request *r, char **args)
{
	(void)args;
	if (r->b->stopping)
		return http_reply_json(r, 503, json_pack("{s:s}", "status", "stopping"));
	if (!r->b->ready)
		return http_reply_json(r, 503, json_pack("{s:s}", "status", "starting"));
	/* A broker serves the cluster once the controller has it alive. */
	if (r->b->heartbeat && !broker_heartbeat_alive(r->b))
		return http_reply_json(r, 503, json_pack("{s:s}", "status", "fenced"));
	if (log_dirs_offline_count(&r->b->dirs))
		return http_reply_json(r, 503, json_pack("{s:s, s:o}", "status", "log_dir_offline",
							 "offline_log_dirs",
							 offline_dirs_json(&r->b->dirs)));
	return http_reply_json(r, 200, json_pack("{s:s}", "status", "ready"));
}

int api_metrics(struct request *r, char **args)
{
	struct buf out = BUF_INIT;

	(void)args;
	pthread_rwlock_rdlock(&r->b->meta_lock);
	metrics_render(r->b->metrics, r->b, &out);
	pthread_rwlock_unlock(&r->b->meta_lock);
	return http_reply(r, 200, "text/plain; version=0.0.4", &out);
}

static json_t *brokers_json(const struct ops_metadata *m)
{
	json_t *list = json_array();

	for (size_t i = 0; i < m->nbrokers; i++) {
		const struct ops_broker_view *v = &m->brokers[i];
		json_array_append_new(list, json_pack("{s:i, s:s, s:i, s:s, s:s}", "node_id", v->node_id,
						      "host", v->host, "port", v->port, "url", v->url,
						      "state", v->state));
	}
	return list;
}

/* The URL of broker id among the metadata's brokers (a new reference;
 * null when it is not one of them). */
static json_t *broker_url_json(const struct ops_metadata *m, int32_t id)
{
	for (size_t i = 0; i < m->nbrokers; i++)
		if (m->brokers[i].node_id == id && m->brokers[i].url[0])
			return json_string(m->brokers[i].url);
	return json_null();
}

/* The cluster and the topics named (every topic when names is NULL). */
static void read_metadata(struct request *r, const char *const *names, size_t n,
			  int with_offsets, struct ops_metadata *m)
{
	struct ops_ctx ctx;

	api_ops_ctx(r, &ctx);
	ops_metadata(r->b, &ctx, names, n, with_offsets, m);
}

static json_t *ids_json(const int32_t *v, size_t n)
{
	json_t *list = json_array();

	for (size_t i = 0; i < n; i++)
		json_array_append_new(list, json_integer(v[i]));
	return list;
}

/* A partition's offsets, size and health (known to its leader only). */
static void offsets_json(json_t *o, const struct ops_partition_view *p)
{
	if (!p->has_offsets)
		return;
	json_object_set_new(o, "log_start_offset", json_integer(p->log_start));
	json_object_set_new(o, "high_watermark", json_integer(p->hw));
	json_object_set_new(o, "log_end_offset", json_integer(p->log_end));
	json_object_set_new(o, "size_bytes", json_integer((json_int_t)p->size_bytes));
	json_object_set_new(o, "offline", json_boolean(p->offline));
}

/* Leader (and its URL), epochs, replicas, ISR, ELR and a move in
 * progress (adding, removing) and replicas on an offline log dir of each
 * partition; with
 * offsets, also the offsets, the size and whether it is offline of those
 * this node leads. */
static json_t *partitions_json(const struct ops_metadata *m, const struct ops_topic_view *t,
			       int with_offsets)
{
	json_t *list = json_array();

	for (int32_t i = 0; i < t->npart; i++) {
		const struct ops_partition_view *p = &t->parts[i];
		json_t *o = json_pack("{s:i, s:i, s:o, s:i, s:o, s:o}", "partition", p->partition,
				      "leader", p->leader, "leader_url", broker_url_json(m, p->leader),
				      "leader_epoch", p->leader_epoch, "replicas",
				      ids_json(p->replicas, p->nreplicas), "isr",
				      ids_json(p->isr, p->nisr));
		json_object_set_new(o, "partition_epoch", json_integer(p->partition_epoch));
		json_object_set_new(o, "elr", ids_json(p->elr, p->nelr));
		json_object_set_new(o, "adding", ids_json(p->adding, p->nadding));
		json_object_set_new(o, "removing", ids_json(p->removing, p->nremoving));
		json_object_set_new(o, "offline_replicas", ids_json(p->offline_replicas, p->noffline_replicas));
		if (with_offsets)
			offsets_json(o, p);
		json_array_append_new(list, o);
	}
	return list;
}

/* The topic's configuration, described; NULL when it is gone. */
static json_t *configs_json(struct broker *b, const char *name)
{
	struct meta_topic *mt;
	json_t *j = NULL;

	pthread_rwlock_rdlock(&b->meta_lock);
	mt = meta_find(&b->meta, name);
	if (mt)
		j = topic_config_describe(&b->conf, mt->configs);
	pthread_rwlock_unlock(&b->meta_lock);
	return j;
}

static int unknown_topic(struct request *r, const char *name)
{
	return http_reply_error(r, SLOG_EUNKNOWN_TOPIC_OR_PARTITION, "topic '%s' does not exist", name);
}

/* Answer with the topic's description (or 404). */
static int reply_describe(struct request *r, const char *name, int status)
{
	struct ops_metadata m;
	const struct ops_topic_view *t;
	json_t *j = NULL, *configs = NULL;

	read_metadata(r, &name, 1, 1, &m);
	t = &m.topics[0];
	if (!t->rc)
		configs = configs_json(r->b, name);
	if (configs)
		j = json_pack("{s:s, s:s, s:b, s:i, s:o, s:o}", "name", t->name, "id", t->id,
			      "internal", t->internal, "replication_factor", t->replication_factor,
			      "partitions", partitions_json(&m, t, 1), "configs", configs);
	ops_metadata_free(&m);
	return j ? http_reply_json(r, status, j) : unknown_topic(r, name);
}

/* One topic of a metadata answer; why: its auto-creation's error. */
static json_t *metadata_topic_json(const struct ops_metadata *m, const struct ops_topic_view *t,
				   const struct err *why)
{
	if (t->rc) {
		int code = why && why->code ? why->code : t->rc;
		return json_pack("{s:s, s:{s:s, s:s}}", "name", t->name, "error", "code", err_name(code),
				 "message", why && why->code ? why->msg : "topic does not exist");
	}
	return json_pack("{s:s, s:s, s:b, s:I, s:o}", "name", t->name, "id", t->id, "internal",
			 t->internal, "max_message_bytes", (json_int_t)t->max_message_bytes,
			 "partitions", partitions_json(m, t, 0));
}

/* Split a comma-separated list in place; *n names (empty ones too). */
static char **split_names(char *s, size_t *n)
{
	char **v = NULL;
	size_t cap = 0;

	*n = 0;
	for (char *p = s, *c; p && *p; p = c ? c + 1 : NULL) {
		c = strchr(p, ',');
		if (c)
			*c = '\0';
		v = xgrow(v, &cap, *n + 1, sizeof(*v));
		v[(*n)++] = p;
	}
	return v;
}

int api_metadata(struct request *r, char **args)
{
	struct broker *b = r->b;
	const char *topics = http_query(r, "topics");
	const char *create = http_query(r, "auto_create");
	char *copy = topics ? xstrdup(topics) : NULL;
	size_t n = 0;
	char **names = copy ? split_names(copy, &n) : NULL;
	struct err *why = xcalloc(n + 1, sizeof(*why));
	struct ops_metadata m;
	json_t *list = json_array(), *j;

	(void)args;
	/* Auto-creation takes the write lock: do it before reading. */
	if (create && (strcmp(create, "true") == 0 || strcmp(create, "1") == 0))
		for (size_t i = 0; i < n; i++)
			if (topic_name_check(names[i], &why[i]) == 0)
				controller_ensure_topic(b, names[i], &why[i]);
	/* "?topics=" names none: every topic is asked without the parameter. */
	read_metadata(r, copy ? (const char *const *)(names ? names : &copy) : NULL, n, 0, &m);
	for (size_t i = 0; i < m.ntopics; i++)
		json_array_append_new(list, metadata_topic_json(&m, &m.topics[i], names ? &why[i] : NULL));
	j = json_pack("{s:s, s:i, s:o, s:o}", "cluster_id", m.cluster_id, "controller",
		      api_controller_id(b), "brokers", brokers_json(&m), "topics", list);
	ops_metadata_free(&m);
	free(why);
	free(names);
	free(copy);
	return http_reply_json(r, 200, j);
}

int api_topics_list(struct request *r, char **args)
{
	struct ops_metadata m;
	json_t *list = json_array();

	(void)args;
	read_metadata(r, NULL, 0, 0, &m);
	for (size_t i = 0; i < m.ntopics; i++) {
		const struct ops_topic_view *t = &m.topics[i];
		json_array_append_new(list, json_pack("{s:s, s:s, s:i, s:i, s:b}", "name", t->name,
						      "id", t->id, "partitions", t->npart,
						      "replication_factor", t->replication_factor,
						      "internal", t->internal));
	}
	ops_metadata_free(&m);
	return http_reply_json(r, 200, json_pack("{s:o}", "topics", list));
}

/* An optional non-negative integer field; -2 if present but wrong. */
static json_int_t int_field(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	if (!v || json_is_null(v))
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > INT32_MAX)
		return -2;
	return json_integer_value(v);
}

int api_unknown_field(struct request *r, json_t *body, const char *const *known)
{
	const char *k;
	json_t *v;

	json_object_foreach(body, k, v) {
		int ok = 0;
		for (const char *const *p = known; *p && !ok; p++)
			ok = strcmp(k, *p) == 0;
		if (!ok) {
			http_reply_error(r, SLOG_EINVALID_REQUEST, "unknown field \"%s\"", k);
			return 1;
		}
	}
	return 0;
}

int api_topics_create(struct request *r, char **args)
{
	static const char *const known[] = { "name", "partitions", "replication_factor", "configs",
					     "validate_only", NULL };
	json_t *body, *name;
	char topic[TOPIC_NAME_MAX + 8];
	json_int_t parts, rf;
	struct err e;
	int rc, validate;

	(void)args;
	if (api_forward_admin(r, api_topics_create))
		return 1;
	body = api_body_object(r, 1);
	if (!body)
		return 1;
	if (api_unknown_field(r, body, known)) {
		json_decref(body);
		return 1;
	}
	name = json_object_get(body, "name");
	parts = int_field(body, "partitions");
	rf = int_field(body, "replication_factor");
	validate = flag(body, "validate_only");
	if (!json_is_string(name)) {
		json_decref(body);
		return http_reply_error(r, SLOG_EINVALID_REQUEST, "body needs \"name\": the topic's name");
	}
	snprintf(topic, sizeof(topic), "%s", json_string_value(name));
	if (parts == -2 || rf == -2) {
		json_decref(body);
		return http_reply_error(r, parts == -2 ? SLOG_EINVALID_PARTITIONS
						       : SLOG_EINVALID_REPLICATION_FACTOR,
					"%s must be a positive integer",
					parts == -2 ? "partitions" : "replication_factor");
	}
	if (meta_topic_internal(topic)) {
		json_decref(body);
		return http_reply_error(r, SLOG_EINVALID_TOPIC,
					"topic '%s' is internal: the broker makes it when it needs it", topic);
	}
	rc = controller_create_topic(r->b, topic, (int32_t)parts, (int32_t)rf,
				     json_object_get(body, "configs"), validate, &e);
	json_decref(body);
	if (rc)
		return http_reply_err(r, &e);
	if (validate)
		return http_reply_json(r, 200, json_pack("{s:s, s:b}", "name", topic, "valid", 1));
	return reply_describe(r, topic, 201);
}

int api_topic_describe(struct request *r, char **args)
{
	return reply_describe(r, args[0], 200);
}

int api_topic_delete(struct request *r, char **args)
{
	struct err e;

	if (api_forward_admin(r, api_topic_delete))
		return 1;
	if (controller_delete_topic(r->b, args[0], &e))
		return http_reply_err(r, &e);
	return http_reply_json(r, 200, json_pack("{s:s, s:b}", "name", args[0], "deleted", 1));
}

static int reply_configs(struct request *r, const char *name)
{
	json_t *configs = configs_json(r->b, name);

	if (!configs)
		return unknown_topic(r, name);
	return http_reply_json(r, 200, json_pack("{s:s, s:o}", "name", name, "configs", configs));
}

int api_topic_configs_get(struct request *r, char **args)
{
	return reply_configs(r, args[0]);
}

int api_topic_configs_alter(struct request *r, char **args)
{
	json_t *body, *set, *del, *result = NULL;
	struct err e;
	int rc, validate;

	if (api_forward_admin(r, api_topic_configs_alter))
		return 1;
	body = api_body_object(r, 1);
	if (!body)
		return 1;
	validate = flag(body, "validate_only");
	set = json_object_get(body, "set");
	del = json_object_get(body, "delete");
	if (set || del) {
		static const char *const known[] = { "set", "delete", "validate_only", NULL };
		if (api_unknown_field(r, body, known)) {
			json_decref(body);
			return 1;
		}
		json_incref(set);
		json_incref(del);
	} else {
		/* Shorthand: {"retention.ms": "1d", "segment.bytes": null} */
		const char *k;
		json_t *v;
		set = json_object();
		del = json_array();
		json_object_foreach(body, k, v) {
			if (strcmp(k, "validate_only") == 0)
				continue;
			if (json_is_null(v))
				json_array_append_new(del, json_string(k));
			else
				json_object_set(set, k, v);
		}
	}
	rc = controller_alter_configs(r->b, args[0], set, del, validate, &result, &e);
	json_decref(set);
	json_decref(del);
	json_decref(body);
	if (rc)
		return http_reply_err(r, &e);
	return http_reply_json(r, 200, json_pack("{s:s, s:o}", "name", args[0], "configs", result));
}

int api_partitions_add(struct request *r, char **args)
{
	static const char *const known[] = { "count", "validate_only", NULL };
	json_t *body;
	json_int_t count;
	struct err e;
	int rc, validate;

	if (api_forward_admin(r, api_partitions_add))
		return 1;
	body = api_body_object(r, 1);
	if (!body)
		return 1;
	if (api_unknown_field(r, body, known)) {
		json_decref(body);
		return 1;
	}
	count = int_field(body, "count");
	validate = flag(body, "validate_only");
	json_decref(body);
	if (count <= 0)
		return http_reply_error(r, SLOG_EINVALID_PARTITIONS,
					"body needs \"count\": the new total number of partitions");
	rc = controller_add_partitions(r->b, args[0], (int32_t)count, validate, &e);
	if (rc)
		return http_reply_err(r, &e);
	return reply_describe(r, args[0], 200);
}

/* ---- POST /v1/topics/{t}/reassignments ---- */

#define MOVE_MAX_REPLICAS 32

/* One {"partition":P,"replicas":[...]} into m (ids into ids[MOVE_MAX_REPLICAS]):
 * 0, or why not. */
static const char *move_fields(json_t *o, struct controller_move *m, int32_t *ids)
{
	static const char *const known[] = { "partition", "replicas", NULL };
	const char *k;
	json_t *v;

	if (!json_is_object(o))
		return "each of partitions must be {\"partition\":P,\"replicas\":[ids]}";
	json_object_foreach(o, k, v) {
		int ok = 0;
		for (const char *const *p = known; *p && !ok; p++)
			ok = strcmp(k, *p) == 0;
		if (!ok)
			return "a partition's move has only \"partition\" and \"replicas\"";
	}
	if (api_int32(json_object_get(o, "partition"), 0, &m->partition))
		return "partition must be an integer >= 0";
	if (api_broker_ids(json_object_get(o, "replicas"), ids, MOVE_MAX_REPLICAS, &m->n))
		return "replicas must be a list of 1 to 32 node ids";
	m->replicas = ids;
	return NULL;
}

/* The moves of a reassignment body (*moves and *ids malloc()ed); 1 after
 * answering 400. */
static int moves_fields(struct request *r, json_t *body, struct controller_move **moves,
			int32_t **ids, size_t *n)
{
	static const char *const known[] = { "partitions", "validate_only", NULL };
	json_t *list = json_object_get(body, "partitions"), *o;
	int64_t cap = conf_get_num(&r->b->conf, "max.partitions.per.request");
	const char *why = NULL;
	size_t i;

	*moves = NULL;
	*ids = NULL;
	*n = 0;
	if (api_unknown_field(r, body, known))
		return 1;
	if (!json_is_array(list) || !json_array_size(list) || json_array_size(list) > (size_t)cap)
		return !!http_reply_error(r, SLOG_EINVALID_REQUEST,
					  "body needs \"partitions\": a list of 1 to %lld moves "
					  "{\"partition\":P,\"replicas\":[ids]}", (long long)cap);
	*moves = xcalloc(json_array_size(list), sizeof(**moves));
	*ids = xcalloc(json_array_size(list) * MOVE_MAX_REPLICAS, sizeof(**ids));
	json_array_foreach(list, i, o)
		if (!why)
			why = move_fields(o, &(*moves)[i], *ids + i * MOVE_MAX_REPLICAS);
	*n = json_array_size(list);
	return why ? !!http_reply_error(r, SLOG_EINVALID_REQUEST, "%s", why) : 0;
}

int api_reassign(struct request *r, char **args)
{
	struct controller_move *moves;
	json_t *body, *recs;
	int32_t *ids;
	struct err e;
	size_t n;
	int rc, validate;

	if (api_forward_admin(r, api_reassign))
		return 1;
	body = api_body_object(r, 1);
	if (!body)
		return 1;
	rc = moves_fields(r, body, &moves, &ids, &n);
	validate = flag(body, "validate_only");
	json_decref(body);
	if (!rc && controller_reassign(r->b, args[0], moves, n, validate, &recs, &e))
		rc = http_reply_err(r, &e);
	else if (!rc && validate)
		rc = http_reply_json(r, 200, json_pack("{s:s, s:b}", "name", args[0], "valid", 1));
	else if (!rc)
		rc = http_reply_json(r, 200, json_pack("{s:s, s:o}", "name", args[0], "partitions",
						       recs));
	free(moves);
	free(ids);
	return rc;
}
