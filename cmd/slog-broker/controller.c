/*
 * controller.c: admin operations through the metadata log.  See
 * controller.h.
 */
#include "controller.h"

#include <stdio.h>
#include <string.h>

#include "broker.h"
#include "group_coordinator.h"
#include "log.h"

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

/* Groups subscribed to a topic that came, went or grew assign again. */
static void topics_changed(struct broker *b)
{
	if (b->groups)
		gc_topics_changed(b->groups);
}

static int check_partitions(int32_t n, struct err *e)
{
	if (n < 1 || n > 100000)
		return err_set(e, SLOG_EINVALID_PARTITIONS, "a topic has 1 to 100000 partitions, not %d", n);
	return 0;
}

static int create_locked(struct broker *b, const char *name, int32_t partitions, int32_t rf,
			 json_t *configs, int validate_only, int internal, struct err *e)
{
	struct topic_config cfg;
	json_t *norm = NULL, *rec;
	char id[24];
	int rc;

	rc = meta_topic_name_valid(name, e);
	if (rc)
		return rc;
	if (meta_topic_reserved(name) && !(internal && meta_topic_internal(name)))
		return err_set(e, SLOG_EINVALID_TOPIC,
			       "topic names starting with '__' are the broker's own: '%s' is refused",
			       name);
	if (partitions <= 0)
		partitions = (int32_t)conf_get_num(&b->conf, "num.partitions");
	if (rf <= 0)
		rf = (int32_t)conf_get_num(&b->conf, "default.replication.factor");
	rc = check_partitions(partitions, e);
	if (rc)
		return rc;
	if (rf != 1)
		return err_set(e, SLOG_EINVALID_REPLICATION_FACTOR,
			       "replication factor %d is larger than the 1 broker in this cluster", rf);
	if (meta_find(&b->meta, name))
		return err_set(e, SLOG_ETOPIC_ALREADY_EXISTS, "topic '%s' already exists", name);
	rc = normalize_configs(configs, &norm, e);
	if (!rc)
		rc = topic_config_resolve(&b->conf, norm, &cfg, e);
	if (rc || validate_only) {
		json_decref(norm);
		return rc;
	}
	meta_new_id(id);
	rec = json_pack("{s:s, s:s, s:s, s:i, s:i, s:o}", "type", "topic", "name", name, "id", id,
			"partitions", partitions, "replication_factor", rf, "configs", norm);
	{
		/* Open the logs first: if the disk says no, no record is written. */
		struct meta_topic mt;
		memset(&mt, 0, sizeof(mt));
		snprintf(mt.name, sizeof(mt.name), "%s", name);
		snprintf(mt.id, sizeof(mt.id), "%s", id);
		mt.partitions = partitions;
		mt.replication_factor = rf;
		mt.configs = json_object_get(rec, "configs");
		rc = topics_add(b, &mt, e);
	}
	if (!rc) {
		rc = meta_log_commit(&b->mlog, &b->meta, rec, e);
		if (rc) {
			struct err ee;
			topics_remove(b, name, &ee);
		}
	}
	json_decref(rec);
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

	pthread_rwlock_wrlock(&b->meta_lock);
	rc = create_locked(b, name, partitions, replication_factor, configs, validate_only, 0, e);
	pthread_rwlock_unlock(&b->meta_lock);
	return rc;
}

int controller_create_internal_topic(struct broker *b, const char *name, int32_t partitions,
				     json_t *configs, struct err *e)
{
	int rc;

	pthread_rwlock_wrlock(&b->meta_lock);
	rc = create_locked(b, name, partitions, 1, configs, 0, 1, e);
	pthread_rwlock_unlock(&b->meta_lock);
	return rc;
}

int controller_ensure_topic(struct broker *b, const char *name, struct err *e)
{
	int rc = 0;

	pthread_rwlock_wrlock(&b->meta_lock);
	if (!meta_find(&b->meta, name)) {
		if (!conf_get_bool(&b->conf, "auto.create.topics.enable"))
			rc = err_set(e, SLOG_EUNKNOWN_TOPIC_OR_PARTITION,
				     "topic '%s' does not exist (auto.create.topics.enable is off)", name);
		else
			rc = create_locked(b, name, 0, 0, NULL, 0, 0, e);
	}
	pthread_rwlock_unlock(&b->meta_lock);
	return rc;
}

int controller_delete_topic(struct broker *b, const char *name, struct err *e)
{
	struct meta_topic *mt;
	json_t *rec;
	int rc;

	pthread_rwlock_wrlock(&b->meta_lock);
	mt = meta_find(&b->meta, name);
	if (!mt) {
		rc = err_set(e, SLOG_EUNKNOWN_TOPIC_OR_PARTITION, "topic '%s' does not exist", name);
	} else if (meta_topic_internal(name)) {
		rc = err_set(e, SLOG_EINVALID_TOPIC, "topic '%s' is internal: the broker keeps it", name);
	} else if (!conf_get_bool(&b->conf, "delete.topic.enable")) {
		rc = err_set(e, SLOG_EPOLICY_VIOLATION, "deleting topics is disabled (delete.topic.enable)");
	} else {
		rec = json_pack("{s:s, s:s, s:s}", "type", "remove_topic", "name", name, "id", mt->id);
		rc = meta_log_commit(&b->mlog, &b->meta, rec, e);
		json_decref(rec);
		if (!rc) {
			struct err ee;
			if (topics_remove(b, name, &ee))
				log_warn("topic %s deleted, but removing its files failed: %s", name, ee.msg);
			log_info("deleted topic %s", name);
			topics_changed(b);
		}
	}
	pthread_rwlock_unlock(&b->meta_lock);
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

int controller_alter_configs(struct broker *b, const char *name, json_t *set, json_t *del,
			     int validate_only, json_t **configs, struct err *e)
{
	struct meta_topic *mt;
	struct topic_config cfg;
	json_t *norm = NULL, *merged = NULL, *rec, *v;
	size_t i;
	int rc;

	pthread_rwlock_wrlock(&b->meta_lock);
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
	if (del && !json_is_array(del)) {
		rc = err_set(e, SLOG_EINVALID_CONFIG, "delete must be a list of config names");
		goto out;
	}
	json_array_foreach(del, i, v) {
		if (!json_is_string(v) || !topic_config_known(json_string_value(v))) {
			rc = err_set(e, SLOG_EINVALID_CONFIG, "unknown topic config '%s'",
				     json_is_string(v) ? json_string_value(v) : "(not a string)");
			goto out;
		}
	}
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
	rec = json_pack("{s:s, s:s, s:O, s:O}", "type", "configs", "name", name, "set", norm,
			"delete", del ? del : json_array());
	rc = meta_log_commit(&b->mlog, &b->meta, rec, e);
	json_decref(rec);
	if (!rc)
		rc = topics_reconfigure(b, broker_topic(b, name), mt->configs, e);
	if (!rc && configs)
		*configs = topic_config_describe(&b->conf, mt->configs);
out:
	json_decref(norm);
	json_decref(merged);
	pthread_rwlock_unlock(&b->meta_lock);
	return rc;
}

int controller_add_partitions(struct broker *b, const char *name, int32_t total,
			      int validate_only, struct err *e)
{
	struct meta_topic *mt;
	json_t *rec;
	int rc;

	pthread_rwlock_wrlock(&b->meta_lock);
	mt = meta_find(&b->meta, name);
	if (!mt) {
		rc = err_set(e, SLOG_EUNKNOWN_TOPIC_OR_PARTITION, "topic '%s' does not exist", name);
		goto out;
	}
	if (meta_topic_internal(name)) {
		/* Its partition count decides where each group's offsets live. */
		rc = err_set(e, SLOG_EINVALID_TOPIC, "topic '%s' is internal: its partitions are fixed",
			     name);
		goto out;
	}
	rc = check_partitions(total, e);
	if (!rc && total <= mt->partitions)
		rc = err_set(e, SLOG_EINVALID_PARTITIONS,
			     "topic '%s' has %d partitions; the count can only grow", name, mt->partitions);
	if (rc || validate_only)
		goto out;
	rc = topics_grow(b, broker_topic(b, name), total, e);
	if (rc)
		goto out;
	rec = json_pack("{s:s, s:s, s:i}", "type", "partitions", "name", name, "count", total);
	rc = meta_log_commit(&b->mlog, &b->meta, rec, e);
	json_decref(rec);
	if (!rc) {
		log_info("topic %s now has %d partitions", name, total);
		topics_changed(b);
	}
out:
	pthread_rwlock_unlock(&b->meta_lock);
	return rc;
}

int controller_bootstrap(struct broker *b, const char *cluster_id, struct err *e)
{
	json_t *rec = json_pack("{s:s, s:s}", "type", "cluster", "cluster_id", cluster_id);
	int rc;

	pthread_rwlock_wrlock(&b->meta_lock);
	rc = meta_log_commit(&b->mlog, &b->meta, rec, e);
	pthread_rwlock_unlock(&b->meta_lock);
	json_decref(rec);
	return rc;
}
