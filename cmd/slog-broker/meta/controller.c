/*
 * controller.c: admin operations through the metadata log.  See
 * controller.h.
 */
#include "meta/controller.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "broker.h"
#include "groups/group_coordinator.h"
#include "log.h"
#include "replica/registry.h"

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
 * registry change only here, so the controller reads them without
 * meta_lock; it takes meta_lock for writing only to swap in a result
 * whose disk work (opening logs, the record's fsync) is already done.
 */
static pthread_mutex_t ctl = PTHREAD_MUTEX_INITIALIZER;

/* Groups subscribed to a topic that came, went or grew assign again. */
static void topics_changed(struct broker *b)
{
	if (b->groups)
		gc_topics_changed(b->groups);
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

/* Make rec durable (no lock held), then apply it under meta_lock with
 * swap(arg), which brings the registry in line.  Returns what the write
 * returned: nothing is applied when it failed. */
static int commit(struct broker *b, json_t *rec, void (*swap)(struct broker *b, void *arg),
		  void *arg, struct err *e)
{
	int rc = meta_log_write(&b->mlog, &b->meta, rec, e);

	if (rc)
		return rc;
	pthread_rwlock_wrlock(&b->meta_lock);
	meta_log_applied(&b->meta, rec, NULL);
	if (swap)
		swap(b, arg);
	pthread_rwlock_unlock(&b->meta_lock);
	return 0;
}

static void swap_insert(struct broker *b, void *arg)
{
	registry_insert(b, arg);
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
	struct meta_topic mt;
	struct topic *t;
	json_t *norm = NULL, *rec;
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
	memset(&mt, 0, sizeof(mt));
	snprintf(mt.name, sizeof(mt.name), "%s", name);
	meta_new_id(mt.id);
	mt.partitions = partitions;
	mt.replication_factor = rf;
	mt.configs = norm;
	rec = json_pack("{s:s, s:s, s:s, s:i, s:i, s:O}", "type", "topic", "name", name, "id", mt.id,
			"partitions", partitions, "replication_factor", rf, "configs", norm);
	/* Open the logs first: if the disk says no, no record is written. */
	t = registry_prepare(b, &mt, e);
	rc = t ? commit(b, rec, swap_insert, t, e) : (e ? e->code : SLOG_ESTORAGE);
	if (rc && t)
		registry_discard(b, t);
	json_decref(rec);
	json_decref(norm);
	if (!rc) {
		log_info("created topic %s with %d partitions", name, partitions);
		topics_changed(b);
	}
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

struct detach {
	const char *name;
	struct topic *t;
};

static void swap_detach(struct broker *b, void *arg)
{
	struct detach *d = arg;

	d->t = registry_detach(b, d->name);
}

int controller_delete_topic(struct broker *b, const char *name, struct err *e)
{
	struct detach d = { name, NULL };
	struct meta_topic *mt;
	json_t *rec;
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
		rec = json_pack("{s:s, s:s, s:s}", "type", "remove_topic", "name", name, "id", mt->id);
		rc = commit(b, rec, swap_detach, &d, e);
		json_decref(rec);
	}
	if (!rc) {
		/* Files go with the last reference: here, or when the last
		 * flush or compaction in flight lets go of its partition. */
		if (d.t)
			registry_release(d.t);
		log_info("deleted topic %s", name);
		topics_changed(b);
	}
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

static void swap_configs(struct broker *b, void *arg)
{
	struct topic *t = broker_topic(b, arg);
	struct err e;

	/* The record was checked by topic_config_resolve() before it was written. */
	if (registry_reconfigure(b, t, meta_find(&b->meta, t->name)->configs, &e))
		log_error("topic %s: %s", t->name, e.msg);
}

int controller_alter_configs(struct broker *b, const char *name, json_t *set, json_t *del,
			     int validate_only, json_t **configs, struct err *e)
{
	struct meta_topic *mt;
	struct topic_config cfg;
	json_t *norm = NULL, *merged = NULL, *rec, *v;
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
	rec = json_pack("{s:s, s:s, s:O, s:o}", "type", "configs", "name", name, "set", norm,
			"delete", del ? json_incref(del) : json_array());
	rc = commit(b, rec, swap_configs, (void *)name, e);
	json_decref(rec);
	if (!rc && configs)
		*configs = topic_config_describe(&b->conf, mt->configs);
out:
	json_decref(norm);
	json_decref(merged);
	pthread_mutex_unlock(&ctl);
	return rc;
}

struct grow {
	struct topic *t;
	int32_t count;
	struct partition **parts;
};

static void swap_grow(struct broker *b, void *arg)
{
	struct grow *g = arg;

	(void)b;
	registry_grow_commit(g->t, g->count, g->parts);
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
	struct grow g = { NULL, total, NULL };
	json_t *rec;
	int rc;

	pthread_mutex_lock(&ctl);
	rc = check_grow(b, name, total, e);
	if (rc || validate_only)
		goto out;
	g.t = broker_topic(b, name);
	/* The new logs are opened first and become visible only with the
	 * record: a failure on either side leaves no partition behind. */
	rc = registry_grow_prepare(b, g.t, total, &g.parts, e);
	if (rc)
		goto out;
	rec = json_pack("{s:s, s:s, s:i}", "type", "partitions", "name", name, "count", total);
	rc = commit(b, rec, swap_grow, &g, e);
	json_decref(rec);
	if (rc) {
		registry_grow_discard(b, g.t, total, g.parts);
		goto out;
	}
	log_info("topic %s now has %d partitions", name, total);
	topics_changed(b);
out:
	pthread_mutex_unlock(&ctl);
	return rc;
}

int controller_bootstrap(struct broker *b, const char *cluster_id, struct err *e)
{
	json_t *rec = json_pack("{s:s, s:s}", "type", "cluster", "cluster_id", cluster_id);
	int rc;

	pthread_mutex_lock(&ctl);
	rc = commit(b, rec, NULL, NULL, e);
	pthread_mutex_unlock(&ctl);
	json_decref(rec);
	return rc;
}
