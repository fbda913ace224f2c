/*
 * api_admin.c: cluster, metadata and topic administration, health and
 * metrics.  docs/http-api.md documents each resource.
 */
#include <stdlib.h>
#include <string.h>

#include "broker.h"
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

void api_ops_ctx(struct request *r, struct ops_ctx *ctx)
{
	const char *agent = http_header(r, "User-Agent");

	ctx->principal = "";
	ctx->client_id = agent ? agent : "";
	ctx->deadline_ms = INT64_MAX;
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

static json_t *brokers_json(struct broker *b)
{
	return json_pack("[o]", broker_address(b, b->node_id));
}

int api_cluster(struct request *r, char **args)
{
	struct broker *b = r->b;
	json_t *j;

	(void)args;
	pthread_rwlock_rdlock(&b->meta_lock);
	j = json_pack("{s:s, s:i, s:o}", "cluster_id", b->meta.cluster_id, "controller", b->node_id,
		      "brokers", brokers_json(b));
	pthread_rwlock_unlock(&b->meta_lock);
	return http_reply_json(r, 200, j);
}

/* Leader, epoch, replicas and ISR of each partition (meta_lock held); with
 * offsets, also the offsets, the size and whether it is offline. */
static json_t *partitions_json(struct broker *b, struct topic *t, int with_offsets)
{
	json_t *list = json_array();

	for (int32_t i = 0; i < t->npart; i++) {
		struct partition *p = t->parts[i];
		json_t *o = json_pack("{s:i, s:i, s:i, s:[i], s:[i]}", "partition", i, "leader",
				      b->node_id, "leader_epoch", p->leader_epoch, "replicas",
				      b->node_id, "isr", b->node_id);
		if (with_offsets) {
			int64_t start, end;
			plog_offsets(p->log, &start, &end);
			json_object_set_new(o, "log_start_offset", json_integer(start));
			json_object_set_new(o, "high_watermark", json_integer(p->hw));
			json_object_set_new(o, "log_end_offset", json_integer(end));
			json_object_set_new(o, "size_bytes", json_integer((json_int_t)plog_size(p->log)));
			/* Takes no writes: its log dir went offline, or it failed alone. */
			json_object_set_new(o, "offline", json_boolean(plog_offline(p->log)));
		}
		json_array_append_new(list, o);
	}
	return list;
}

static json_t *describe_json(struct broker *b, struct topic *t)
{
	struct meta_topic *mt = meta_find(&b->meta, t->name);

	return json_pack("{s:s, s:s, s:b, s:i, s:o, s:o}", "name", t->name, "id", t->id, "internal",
			 t->internal, "replication_factor", t->replication_factor, "partitions",
			 partitions_json(b, t, 1), "configs",
			 topic_config_describe(&b->conf, mt ? mt->configs : NULL));
}

static int unknown_topic(struct request *r, const char *name)
{
	return http_reply_error(r, SLOG_EUNKNOWN_TOPIC_OR_PARTITION, "topic '%s' does not exist", name);
}

/* Answer with the topic's description (or 404), taking the read lock. */
static int reply_describe(struct request *r, const char *name, int status)
{
	struct broker *b = r->b;
	struct topic *t;
	json_t *j = NULL;

	pthread_rwlock_rdlock(&b->meta_lock);
	t = broker_topic(b, name);
	if (t)
		j = describe_json(b, t);
	pthread_rwlock_unlock(&b->meta_lock);
	return j ? http_reply_json(r, status, j) : unknown_topic(r, name);
}

static void add_metadata_topic(struct broker *b, json_t *list, const char *name,
			       const struct err *why)
{
	struct topic *t = broker_topic(b, name);

	if (!t) {
		int code = why && why->code ? why->code : SLOG_EUNKNOWN_TOPIC_OR_PARTITION;
		json_array_append_new(list, json_pack("{s:s, s:{s:s, s:s}}", "name", name, "error",
						      "code", err_name(code), "message",
						      why && why->code ? why->msg : "topic does not exist"));
		return;
	}
	json_array_append_new(list, json_pack("{s:s, s:s, s:b, s:I, s:o}", "name", t->name, "id",
					      t->id, "internal", t->internal, "max_message_bytes",
					      (json_int_t)t->cfg.max_message_bytes, "partitions",
					      partitions_json(b, t, 0)));
}

/* Call fn for each name of a comma-separated list (s is modified and restored). */
static void each_name(char *s, void (*fn)(void *arg, const char *name, size_t i), void *arg)
{
	size_t i = 0;

	for (char *p = s, *c; p && *p; p = c ? c + 1 : NULL, i++) {
		c = strchr(p, ',');
		if (c)
			*c = '\0';
		fn(arg, p, i);
		if (c)
			*c = ',';
	}
}

struct metadata_ctx {
	struct broker *b;
	json_t *list;
	struct err *why; /* per name, from auto-creation */
	size_t n;
};

static void count_name(void *arg, const char *name, size_t i)
{
	(void)name;
	((struct metadata_ctx *)arg)->n = i + 1;
}

static void create_name(void *arg, const char *name, size_t i)
{
	struct metadata_ctx *m = arg;

	if (topic_name_check(name, &m->why[i]) == 0)
		controller_ensure_topic(m->b, name, &m->why[i]);
}

static void describe_name(void *arg, const char *name, size_t i)
{
	struct metadata_ctx *m = arg;

	add_metadata_topic(m->b, m->list, name, m->why ? &m->why[i] : NULL);
}

int api_metadata(struct request *r, char **args)
{
	struct broker *b = r->b;
	const char *topics = http_query(r, "topics");
	const char *create = http_query(r, "auto_create");
	char *copy = topics ? xstrdup(topics) : NULL;
	struct metadata_ctx m = { .b = b, .list = json_array() };
	json_t *j;

	(void)args;
	if (copy) {
		each_name(copy, count_name, &m);
		m.why = xcalloc(m.n + 1, sizeof(*m.why));
		/* Auto-creation takes the write lock: do it before reading. */
		if (create && (strcmp(create, "true") == 0 || strcmp(create, "1") == 0))
			each_name(copy, create_name, &m);
	}
	pthread_rwlock_rdlock(&b->meta_lock);
	if (copy) {
		each_name(copy, describe_name, &m);
	} else {
		for (size_t i = 0; i < b->ntopics; i++)
			add_metadata_topic(b, m.list, b->topics[i]->name, NULL);
	}
	j = json_pack("{s:s, s:i, s:o, s:o}", "cluster_id", b->meta.cluster_id, "controller",
		      b->node_id, "brokers", brokers_json(b), "topics", m.list);
	pthread_rwlock_unlock(&b->meta_lock);
	free(m.why);
	free(copy);
	return http_reply_json(r, 200, j);
}

int api_topics_list(struct request *r, char **args)
{
	struct broker *b = r->b;
	json_t *list = json_array();

	(void)args;
	pthread_rwlock_rdlock(&b->meta_lock);
	for (size_t i = 0; i < b->ntopics; i++) {
		struct topic *t = b->topics[i];
		json_array_append_new(list, json_pack("{s:s, s:s, s:i, s:i, s:b}", "name", t->name,
						      "id", t->id, "partitions", t->npart,
						      "replication_factor", t->replication_factor,
						      "internal", t->internal));
	}
	pthread_rwlock_unlock(&b->meta_lock);
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
	json_t *body = api_body_object(r, 1), *name;
	char topic[TOPIC_NAME_MAX + 8];
	json_int_t parts, rf;
	struct err e;
	int rc, validate;

	(void)args;
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

	if (controller_delete_topic(r->b, args[0], &e))
		return http_reply_err(r, &e);
	return http_reply_json(r, 200, json_pack("{s:s, s:b}", "name", args[0], "deleted", 1));
}

static int reply_configs(struct request *r, const char *name)
{
	struct broker *b = r->b;
	struct meta_topic *mt;
	json_t *j = NULL;

	pthread_rwlock_rdlock(&b->meta_lock);
	mt = meta_find(&b->meta, name);
	if (mt)
		j = json_pack("{s:s, s:o}", "name", name, "configs",
			      topic_config_describe(&b->conf, mt->configs));
	pthread_rwlock_unlock(&b->meta_lock);
	return j ? http_reply_json(r, 200, j) : unknown_topic(r, name);
}

int api_topic_configs_get(struct request *r, char **args)
{
	return reply_configs(r, args[0]);
}

int api_topic_configs_alter(struct request *r, char **args)
{
	json_t *body = api_body_object(r, 1), *set, *del, *result = NULL;
	struct err e;
	int rc, validate;

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
	json_t *body = api_body_object(r, 1);
	json_int_t count;
	struct err e;
	int rc, validate;

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
