/*
 * controller.c: admin operations through the metadata log.  See
 * controller.h.
 */
#include "meta/controller.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "broker.h"
#include "clock.h"
#include "log.h"
#include "meta/publish.h"

/* Config values arrive as strings, numbers or booleans; store text. */
static int normalize_configs(json_t *in, json_t **out, struct err *e)
{
	const char *k;
	json_t *v;

	*out = json_object();
	if (!in || json_is_null(in))
		return 0;
	if (!json_is_object(in))
		return err_set(e, SLOG_EINVALID_CONFIG, "configs must be an object of key: value");
	json_object_foreach(in, k, v) {
		char text[64];
		const char *s = text;
		int rc;

		if (json_is_string(v))
			s = json_string_value(v);
		else if (json_is_integer(v))
			snprintf(text, sizeof(text), "%lld", (long long)json_integer_value(v));
		else if (json_is_real(v))
			snprintf(text, sizeof(text), "%.17g", json_real_value(v));
		else if (json_is_boolean(v))
			snprintf(text, sizeof(text), "%s", json_is_true(v) ? "true" : "false");
		else
			return err_set(e, SLOG_EINVALID_CONFIG, "config '%s' must be a string, a number or a boolean", k);
		rc = topic_config_check(k, s, e);
		if (rc)
			return rc;
		json_object_set_new(*out, k, json_string(s));
	}
	return 0;
}

/*
 * One change at a time.  With ctl held, the metadata state and the topic
 * registry change only through this controller's publisher, so the
 * controller reads them without meta_lock, and validates a request
 * against the committed state.
 */
static pthread_mutex_t ctl = PTHREAD_MUTEX_INITIALIZER;

/* How long a change waits for its records to commit. */
#define COMMIT_TIMEOUT_MS 30000

/*
 * Propose recs (a JSON array; consumed) and publish them once committed.
 * The publisher opens the logs they place here before the proposal, so
 * that a disk that refuses them leaves no record behind.  No lock but
 * ctl is held while the records are written and awaited.
 */
static int change(struct broker *b, json_t *recs, struct err *e)
{
	struct publish_plan pl;
	int64_t end;
	int rc = publish_prepare(b, recs, &pl, e);

	if (rc) {
		json_decref(recs);
		return rc;
	}
	rc = meta_log_propose(&b->mlog, recs, &end, e);
	if (!rc)
		rc = meta_log_await(&b->mlog, end, clock_mono_ms() + COMMIT_TIMEOUT_MS, e);
	if (rc)
		publish_abort(b, &pl);
	else
		publish_commit(b, &pl);
	json_decref(recs);
	return rc;
}

/* The partition records placing partitions [from, to) of a topic on this
 * broker alone, appended to recs. */
static void place_here(struct broker *b, json_t *recs, const char *name, const char *id,
		       int32_t from, int32_t to)
{
	struct meta_topic mt;
	int32_t node = b->node_id;
	struct meta_partition p = { .replicas = &node, .isr = &node, .nreplicas = 1, .nisr = 1,
				    .leader = node };

	memset(&mt, 0, sizeof(mt));
	snprintf(mt.name, sizeof(mt.name), "%s", name);
	snprintf(mt.id, sizeof(mt.id), "%s", id);
	for (int32_t i = from; i < to; i++)
		json_array_append_new(recs, meta_partition_record(&mt, i, &p));
}

/* A count a client asked for: more than max.partitions.per.request opens
 * that many logs and files at once, for anyone who can reach the port. */
static int check_partitions(struct broker *b, int32_t n, int32_t adding, struct err *e)
{
	int64_t cap = conf_get_num(&b->conf, "max.partitions.per.request");

	if (n < 1 || n > 100000)
		return err_set(e, SLOG_EINVALID_PARTITIONS, "a topic has 1 to 100000 partitions, not %d", n);
	if (adding > cap)
		return err_set(e, SLOG_EINVALID_PARTITIONS,
			       "a request may add at most %lld partitions (max.partitions.per.request), "
			       "not %d", (long long)cap, adding);
	return 0;
}

static int check_create(struct broker *b, const char *name, int32_t *partitions, int32_t *rf,
			int internal, struct err *e)
{
	int asked = *partitions > 0;
	int rc = topic_name_check(name, e);

	if (rc)
		return rc;
	if (meta_topic_reserved(name) && !(internal && meta_topic_internal(name)))
		return err_set(e, SLOG_EINVALID_TOPIC,
			       "topic names starting with '__' are the broker's own: '%s' is refused",
			       name);
	if (!asked)
		*partitions = (int32_t)conf_get_num(&b->conf, "num.partitions");
	if (*rf <= 0)
		*rf = (int32_t)conf_get_num(&b->conf, "default.replication.factor");
	rc = check_partitions(b, *partitions, asked && !internal ? *partitions : 0, e);
	if (rc)
		return rc;
	if (*rf != 1)
		return err_set(e, SLOG_EINVALID_REPLICATION_FACTOR,
			       "replication factor %d is larger than the 1 broker in this cluster", *rf);
	if (meta_find(&b->meta, name))
		return err_set(e, SLOG_ETOPIC_ALREADY_EXISTS, "topic '%s' already exists", name);
	return 0;
}

static int create_ctl(struct broker *b, const char *name, int32_t partitions, int32_t rf,
		      json_t *configs, int validate_only, int internal, struct err *e)
{
	struct topic_config cfg;
	char id[24];
	json_t *norm = NULL, *recs;
	int rc;

	rc = check_create(b, name, &partitions, &rf, internal, e);
	if (!rc)
		rc = normalize_configs(configs, &norm, e);
	if (!rc)
		rc = topic_config_resolve(&b->conf, norm, &cfg, e);
	if (rc || validate_only) {
		json_decref(norm);
		return rc;
	}
	meta_new_id(id);
	recs = json_pack("[{s:i, s:s, s:s, s:s, s:i, s:i, s:o}]", "v", META_RECORD_VERSION, "type",
			 "topic", "name", name, "id", id, "partitions", partitions,
			 "replication_factor", rf, "configs", norm);
	place_here(b, recs, name, id, 0, partitions);
	rc = change(b, recs, e);
	if (!rc)
		log_info("created topic %s with %d partitions", name, partitions);
	return rc;
}

int controller_create_topic(struct broker *b, const char *name, int32_t partitions,
			    int32_t replication_factor, json_t *configs, int validate_only,
			    struct err *e)
{
	int rc;

	pthread_mutex_lock(&ctl);
	rc = create_ctl(b, name, partitions, replication_factor, configs, validate_only, 0, e);
	pthread_mutex_unlock(&ctl);
	return rc;
}

int controller_create_internal_topic(struct broker *b, const char *name, int32_t partitions,
				     json_t *configs, struct err *e)
{
	int rc;

	pthread_mutex_lock(&ctl);
	rc = create_ctl(b, name, partitions, 1, configs, 0, 1, e);
	pthread_mutex_unlock(&ctl);
	return rc;
}

int controller_ensure_topic(struct broker *b, const char *name, struct err *e)
{
	int rc = 0;

	pthread_mutex_lock(&ctl);
	if (!meta_find(&b->meta, name)) {
		if (!conf_get_bool(&b->conf, "auto.create.topics.enable"))
			rc = err_set(e, SLOG_EUNKNOWN_TOPIC_OR_PARTITION,
				     "topic '%s' does not exist (auto.create.topics.enable is off)", name);
		else
			rc = create_ctl(b, name, 0, 0, NULL, 0, 0, e);
	}
	pthread_mutex_unlock(&ctl);
	return rc;
}

int controller_delete_topic(struct broker *b, const char *name, struct err *e)
{
	struct meta_topic *mt;
	int rc;

	pthread_mutex_lock(&ctl);
	mt = meta_find(&b->meta, name);
	if (!mt) {
		rc = err_set(e, SLOG_EUNKNOWN_TOPIC_OR_PARTITION, "topic '%s' does not exist", name);
	} else if (meta_topic_internal(name)) {
		rc = err_set(e, SLOG_EINVALID_TOPIC, "topic '%s' is internal: the broker keeps it", name);
	} else if (!conf_get_bool(&b->conf, "delete.topic.enable")) {
		rc = err_set(e, SLOG_EPOLICY_VIOLATION, "deleting topics is disabled (delete.topic.enable)");
	} else {
		rc = change(b, json_pack("[{s:i, s:s, s:s, s:s}]", "v", META_RECORD_VERSION, "type",
					 "remove_topic", "name", name, "id", mt->id), e);
	}
	if (!rc)
		log_info("deleted topic %s", name);
	pthread_mutex_unlock(&ctl);
	return rc;
}

/* A config change sets or removes cleanup.policy. */
static int touches_cleanup_policy(json_t *set, json_t *del)
{
	json_t *v;
	size_t i;

	if (json_object_get(set, "cleanup.policy"))
		return 1;
	json_array_foreach(del, i, v)
		if (json_is_string(v) && strcmp(json_string_value(v), "cleanup.policy") == 0)
			return 1;
	return 0;
}

/* The keys a config change deletes: a list of known names. */
static int check_delete(json_t *del, struct err *e)
{
	json_t *v;
	size_t i;

	if (del && !json_is_array(del))
		return err_set(e, SLOG_EINVALID_CONFIG, "delete must be a list of config names");
	json_array_foreach(del, i, v)
		if (!json_is_string(v) || !topic_config_known(json_string_value(v)))
			return err_set(e, SLOG_EINVALID_CONFIG, "unknown topic config '%s'",
				       json_is_string(v) ? json_string_value(v) : "(not a string)");
	return 0;
}

int controller_alter_configs(struct broker *b, const char *name, json_t *set, json_t *del,
			     int validate_only, json_t **configs, struct err *e)
{
	struct meta_topic *mt;
	struct topic_config cfg;
	json_t *norm = NULL, *merged = NULL, *v;
	size_t i;
	int rc;

	pthread_mutex_lock(&ctl);
	mt = meta_find(&b->meta, name);
	if (!mt) {
		rc = err_set(e, SLOG_EUNKNOWN_TOPIC_OR_PARTITION, "topic '%s' does not exist", name);
		goto out;
	}
	if (meta_topic_internal(name) && touches_cleanup_policy(set, del)) {
		rc = err_set(e, SLOG_EINVALID_TOPIC,
			     "topic '%s' is internal: its cleanup.policy stays compact, or retention "
			     "would delete committed offsets", name);
		goto out;
	}
	rc = normalize_configs(set, &norm, e);
	if (rc)
		goto out;
	rc = check_delete(del, e);
	if (rc)
		goto out;
	merged = json_deep_copy(mt->configs);
	json_array_foreach(del, i, v)
		json_object_del(merged, json_string_value(v));
	json_object_update(merged, norm);
	rc = topic_config_resolve(&b->conf, merged, &cfg, e);
	if (rc)
		goto out;
	if (validate_only || (!json_object_size(norm) && !json_array_size(del))) {
		if (configs)
			*configs = topic_config_describe(&b->conf, merged);
		goto out;
	}
	rc = change(b, json_pack("[{s:i, s:s, s:s, s:O, s:o}]", "v", META_RECORD_VERSION, "type",
				 "configs", "name", name, "set", norm, "delete",
				 del ? json_incref(del) : json_array()), e);
	/* The publisher swapped in a new state: look the topic up again. */
	mt = meta_find(&b->meta, name);
	if (!rc && configs && mt)
		*configs = topic_config_describe(&b->conf, mt->configs);
out:
	json_decref(norm);
	json_decref(merged);
	pthread_mutex_unlock(&ctl);
	return rc;
}

static int check_grow(struct broker *b, const char *name, int32_t total, struct err *e)
{
	struct meta_topic *mt = meta_find(&b->meta, name);

	if (!mt)
		return err_set(e, SLOG_EUNKNOWN_TOPIC_OR_PARTITION, "topic '%s' does not exist", name);
	if (meta_topic_internal(name))
		/* Its partition count decides where each group's offsets live. */
		return err_set(e, SLOG_EINVALID_TOPIC, "topic '%s' is internal: its partitions are fixed",
			       name);
	if (total <= mt->partitions)
		return err_set(e, SLOG_EINVALID_PARTITIONS,
			       "topic '%s' has %d partitions; the count can only grow", name,
			       mt->partitions);
	return check_partitions(b, total, total - mt->partitions, e);
}

int controller_add_partitions(struct broker *b, const char *name, int32_t total,
			      int validate_only, struct err *e)
{
	struct meta_topic *mt;
	json_t *recs;
	int rc;

	pthread_mutex_lock(&ctl);
	rc = check_grow(b, name, total, e);
	if (rc || validate_only)
		goto out;
	mt = meta_find(&b->meta, name);
	recs = json_pack("[{s:i, s:s, s:s, s:i}]", "v", META_RECORD_VERSION, "type", "partitions",
			 "name", name, "count", total);
	place_here(b, recs, name, mt->id, mt->partitions, total);
	rc = change(b, recs, e);
	if (!rc)
		log_info("topic %s now has %d partitions", name, total);
out:
	pthread_mutex_unlock(&ctl);
	return rc;
}

int controller_bootstrap(struct broker *b, const char *cluster_id, struct err *e)
{
	int rc;

	pthread_mutex_lock(&ctl);
	rc = change(b, json_pack("[{s:i, s:s, s:s}]", "v", META_RECORD_VERSION, "type", "cluster",
				 "cluster_id", cluster_id), e);
	pthread_mutex_unlock(&ctl);
	return rc;
}

int controller_register_broker(struct broker *b, int32_t id, const char *incarnation,
			       json_t *endpoints, struct err *e)
{
	struct meta_broker *mb;
	int rc = 0;

	pthread_mutex_lock(&ctl);
	mb = meta_find_broker(&b->meta, id);
	if (!mb || strcmp(mb->incarnation, incarnation) != 0)
		rc = change(b, json_pack("[{s:i, s:s, s:i, s:s, s:O}]", "v", META_RECORD_VERSION,
					 "type", "broker", "id", id, "incarnation", incarnation,
					 "endpoints", endpoints), e);
	pthread_mutex_unlock(&ctl);
	return rc;
}

int controller_start(struct broker *b, struct meta_state *replayed, struct err *e)
{
	struct publish_plan pl;
	int rc;

	pthread_mutex_lock(&ctl);
	rc = publish_prepare_state(b, replayed, &pl, e);
	if (!rc)
		publish_commit(b, &pl);
	pthread_mutex_unlock(&ctl);
	return rc;
}
