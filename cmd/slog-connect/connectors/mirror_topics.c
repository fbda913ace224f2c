/*
 * mirror_topics.c: the topics a mirror copies, and their copies.
 *
 * Every refresh.topics.interval.seconds (MM2's refresh.topics.interval,
 * 600 s there, 10 s here) the housekeeping thread lists the source's
 * topics, keeps those `topics` and `topics.exclude` take, and for each
 * makes sure its copy on the target exists with as many partitions and
 * the same topic configs: the copy of a new topic is made, a copy with
 * fewer partitions grows (partitions are only ever added), and with
 * sync.topic.configs.enabled the source's own config values are set on
 * the copy and those it dropped removed.  The copy gets the cluster's
 * replication factor: placement is the target's business.
 *
 * Configs that say how durable a cluster's own writes are
 * (min.insync.replicas, unclean.leader.election.enable) are not copied,
 * as MM2's default filter does not copy them; translate mode, which
 * re-produces records, does not copy the timestamp rules either, or the
 * target would re-stamp or refuse old records.
 *
 * Exact mode's copy carries mirror.source=<source id>/<topic>: producers
 * are refused on it, and only this mirror appends.  A source topic that
 * is itself a mirror (it has mirror.source) is not copied: two clusters
 * copying each other's topics in exact mode would otherwise copy each
 * copy back.  A copy whose mirror.source is not this source's topic (it
 * was promoted, or is an ordinary topic of the target) is left alone:
 * the mirror never writes over a topic producers write to.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "clock.h"
#include "connectors/mirror_internal.h"
#include "log.h"
#include "xalloc.h"

/* What the mirror needs of a topic on either cluster. */
struct topic_view {
	int32_t partitions;
	json_t *overrides;          /* name -> value: the topic's own configs (owned) */
	char mirror_source[320];    /* its mirror.source, or "" */
};

int64_t mirror_deadline(void)
{
	return clock_mono_ms() + 30000;
}

void mirror_source_of(const struct mirror *m, const char *topic, char *out, size_t size)
{
	snprintf(out, size, "%s/%s", m->source_id, topic);
}

int mirror_target_name(const struct mirror *m, const char *topic, char *out, size_t size,
		       struct err *e)
{
	if (m->conf.exact || !m->conf.has_rename)
		return mirror_rename(NULL, NULL, topic, out, size, e);
	return mirror_rename(&m->conf.rename, m->conf.replacement, topic, out, size, e);
}

/* GET /v1/topics/{t} into v; SLOG_EUNKNOWN_TOPIC_OR_PARTITION when absent. */
static int describe(struct cluster *cl, const char *topic, struct topic_view *v, struct err *e)
{
	char path[400];
	json_t *j, *c;
	size_t i;
	int rc;

	memset(v, 0, sizeof(*v));
	snprintf(path, sizeof(path), "/v1/topics/%s", topic);
	rc = cluster_json(cl, "GET", path, NULL, mirror_deadline(), &j, e);
	if (rc)
		return rc;
	v->partitions = (int32_t)json_array_size(json_object_get(j, "partitions"));
	v->overrides = json_object();
	json_array_foreach(json_object_get(j, "configs"), i, c) {
		const char *name = json_string_value(json_object_get(c, "name"));
		const char *value = json_string_value(json_object_get(c, "value"));
		const char *source = json_string_value(json_object_get(c, "source"));

		if (!name || !value || !source || strcmp(source, "topic") != 0)
			continue;
		if (strcmp(name, "mirror.source") == 0)
			snprintf(v->mirror_source, sizeof(v->mirror_source), "%s", value);
		else
			json_object_set_new(v->overrides, name, json_string(value));
	}
	json_decref(j);
	return 0;
}

static void view_free(struct topic_view *v)
{
	json_decref(v->overrides);
	v->overrides = NULL;
}

/* Whether a topic config is copied to the copy (the top says why not). */
static int copied_config(const struct mirror *m, const char *name)
{
	static const char *const never[] = { "min.insync.replicas",
					     "unclean.leader.election.enable", NULL };
	static const char *const translate[] = { "message.timestamp.type",
						 "message.timestamp.before.max.ms",
						 "message.timestamp.after.max.ms", NULL };

	for (const char *const *p = never; *p; p++)
		if (strcmp(*p, name) == 0)
			return 0;
	for (const char *const *p = translate; !m->conf.exact && *p; p++)
		if (strcmp(*p, name) == 0)
			return 0;
	return 1;
}

/* The source's configs the copy takes, as an object (new). */
static json_t *copy_configs(const struct mirror *m, const struct topic_view *src)
{
	json_t *out = json_object(), *v;
	const char *k;

	json_object_foreach(src->overrides, k, v)
		if (copied_config(m, k))
			json_object_set(out, k, v);
	return out;
}

static int create_copy(struct mirror *m, struct cluster *dst, const char *topic,
		       const char *copy, const struct topic_view *src, struct err *e)
{
	json_t *configs = copy_configs(m, src), *body;
	char ms[400];
	int rc;

	if (m->conf.exact) {
		mirror_source_of(m, topic, ms, sizeof(ms));
		json_object_set_new(configs, "mirror.source", json_string(ms));
	}
	body = json_pack("{s:s, s:i, s:o}", "name", copy, "partitions", src->partitions, "configs",
			 configs);
	rc = cluster_json(dst, "POST", "/v1/topics", body, mirror_deadline(), NULL, e);
	json_decref(body);
	if (rc == SLOG_ETOPIC_ALREADY_EXISTS)
		return 0; /* another task, or another process, made it first */
	if (!rc)
		task_log(m->t, LOG_LEVEL_INFO, "created topic '%s' (%d partitions) as the copy of '%s'",
			 copy, src->partitions, topic);
	return rc;
}

static int grow_copy(struct mirror *m, struct cluster *dst, const char *copy, int32_t count,
		     struct err *e)
{
	json_t *body = json_pack("{s:i}", "count", count);
	char path[400];
	int rc;

	snprintf(path, sizeof(path), "/v1/topics/%s/partitions", copy);
	rc = cluster_json(dst, "POST", path, body, mirror_deadline(), NULL, e);
	json_decref(body);
	if (rc == SLOG_EINVALID_PARTITIONS)
		return 0; /* grown meanwhile by another task */
	if (!rc)
		task_log(m->t, LOG_LEVEL_INFO, "topic '%s' grew to %d partitions, as its source did",
			 copy, count);
	return rc;
}

/* Set on the copy what the source has and drop what it no longer has. */
static int sync_configs(struct mirror *m, struct cluster *dst, const char *copy,
			const struct topic_view *src, const struct topic_view *dv, struct err *e)
{
	json_t *want = copy_configs(m, src), *set = json_object(), *del = json_array(), *v, *body;
	const char *k;
	char path[400];
	int rc = 0;

	json_object_foreach(want, k, v)
		if (!json_equal(v, json_object_get(dv->overrides, k)))
			json_object_set(set, k, v);
	json_object_foreach(dv->overrides, k, v)
		if (copied_config(m, k) && !json_object_get(want, k))
			json_array_append_new(del, json_string(k));
	if (json_object_size(set) || json_array_size(del)) {
		snprintf(path, sizeof(path), "/v1/topics/%s/configs", copy);
		body = json_pack("{s:O, s:O}", "set", set, "delete", del);
		rc = cluster_json(dst, "PATCH", path, body, mirror_deadline(), NULL, e);
		json_decref(body);
		if (!rc)
			task_log(m->t, LOG_LEVEL_INFO, "topic '%s': configs follow the source's", copy);
	}
	json_decref(want);
	json_decref(set);
	json_decref(del);
	return rc;
}

/* The copy of topic (described as src): made, grown, configured.  1 when
 * it is not to be written (not a mirror of topic), 0, or an error. */
static int sync_copy(struct mirror *m, struct cluster *dst, const char *topic,
		     const struct topic_view *src, int admin, struct err *e)
{
	struct topic_view dv;
	char copy[256], ms[400];
	int rc = mirror_target_name(m, topic, copy, sizeof(copy), e);

	if (!rc)
		rc = describe(dst, copy, &dv, e);
	if (rc == SLOG_EUNKNOWN_TOPIC_OR_PARTITION)
		return create_copy(m, dst, topic, copy, src, e);
	if (rc)
		return rc;
	mirror_source_of(m, topic, ms, sizeof(ms));
	if (m->conf.exact && strcmp(dv.mirror_source, ms) != 0) {
		view_free(&dv);
		mirror_skip_once(m, topic, dv.mirror_source[0] ?
			"its copy on the target mirrors another topic" :
			"its copy on the target is no mirror topic (promoted, or the target's own)");
		return 1;
	}
	if (dv.partitions < src->partitions)
		rc = grow_copy(m, dst, copy, src->partitions, e);
	if (!rc && admin && m->conf.sync_configs)
		rc = sync_configs(m, dst, copy, src, &dv, e);
	view_free(&dv);
	return rc;
}

int mirror_topic_ensure(struct mirror *m, struct cluster *src, struct cluster *dst,
			const char *topic, struct err *e)
{
	struct topic_view sv;
	int rc = describe(src, topic, &sv, e);

	if (!rc)
		rc = sync_copy(m, dst, topic, &sv, 0, e);
	view_free(&sv);
	return rc < 0 ? rc : 0;
}

/* Whether topic is copied: 1, with its copy ready; 0 when it is not. */
static int take_topic(struct mirror *m, struct cluster *src, struct cluster *dst,
		      const char *topic, int admin)
{
	struct topic_view sv;
	struct err e;
	int rc;

	if (!mirror_filter_match(&m->conf.topics, topic))
		return 0;
	rc = describe(src, topic, &sv, &e);
	if (!rc && m->conf.exact && sv.mirror_source[0]) {
		view_free(&sv);
		mirror_skip_once(m, topic, "it is itself a mirror topic (mirror.source is set)");
		return 0;
	}
	if (!rc)
		rc = sync_copy(m, dst, topic, &sv, admin, &e);
	view_free(&sv);
	if (rc < 0)
		task_log(m->t, LOG_LEVEL_WARN, "topic '%s' is not copied for now: %s", topic, e.msg);
	return rc == 0;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Publish list (taken) as the topics copied: 1 when it changed. */
static int publish(struct mirror *m, char **list, size_t n)
{
	int changed;

	qsort(list, n, sizeof(*list), cmp_names);
	pthread_mutex_lock(&m->lock);
	changed = !cluster_names_equal(m->topics, m->ntopics, list, n);
	if (changed) {
		cluster_names_free(m->topics, m->ntopics);
		m->topics = list;
		m->ntopics = n;
		m->engine_stop = 1; /* the engine starts again with the new list */
		pthread_cond_broadcast(&m->changed);
	}
	pthread_mutex_unlock(&m->lock);
	if (!changed)
		cluster_names_free(list, n);
	return changed;
}

int mirror_topics_refresh(struct mirror *m, struct cluster *src, struct cluster *dst, int admin,
			  struct err *e)
{
	char **names, **keep;
	size_t n, nkeep = 0;
	int rc = cluster_topic_names(src, NULL, mirror_deadline(), &names, &n, e);

	if (rc)
		return rc;
	keep = xcalloc(n + 1, sizeof(*keep));
	for (size_t i = 0; i < n; i++)
		if (take_topic(m, src, dst, names[i], admin))
			keep[nkeep++] = xstrdup(names[i]);
	cluster_names_free(names, n);
	return publish(m, keep, nkeep);
}

int mirror_copies(struct mirror *m, const char *topic)
{
	int found = 0;

	pthread_mutex_lock(&m->lock);
	for (size_t i = 0; i < m->ntopics && !found; i++)
		found = strcmp(m->topics[i], topic) == 0;
	pthread_mutex_unlock(&m->lock);
	return found;
}

void mirror_skip_once(struct mirror *m, const char *topic, const char *why)
{
	int seen = 0;

	pthread_mutex_lock(&m->lock);
	for (size_t i = 0; i < m->nskipped && !seen; i++)
		seen = strcmp(m->skipped[i], topic) == 0;
	if (!seen) {
		m->skipped = xrealloc(m->skipped, (m->nskipped + 1) * sizeof(*m->skipped));
		m->skipped[m->nskipped++] = xstrdup(topic);
	}
	pthread_mutex_unlock(&m->lock);
	if (!seen)
		task_log(m->t, LOG_LEVEL_INFO, "topic '%s' is not copied: %s", topic, why);
}
