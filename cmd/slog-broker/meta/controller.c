/*
 * controller.c: admin operations through the metadata quorum.  See
 * controller.h.
 */
#include "meta/controller.h"
#include "meta/controller_internal.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker.h"
#include "clock.h"
#include "cluster/broker_lifecycle.h"
#include "cluster/placement.h"
#include "log.h"
#include "meta/meta_publisher.h"
#include "xalloc.h"

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
 * One change at a time on this node: a change is validated against the
 * image and proposed before the next is validated, so that two requests
 * here never both pass a check that only one of them can meet.  (A
 * controller elected elsewhere meanwhile is settled by the records: what
 * no longer fits is skipped alike on every node, and the proposer hears
 * it.)
 */
static pthread_mutex_t ctl = PTHREAD_MUTEX_INITIALIZER;

void controller_lock(void)
{
	pthread_mutex_lock(&ctl);
}

void controller_unlock(void)
{
	pthread_mutex_unlock(&ctl);
}

/* ---- the image, read under its lock ---- */

/* What the controller needs of a topic, copied out of the image. */
struct image_topic {
	char id[24];
	int32_t partitions, replication_factor;
	json_t *configs; /* owned */
};

/* Whether the image has topic name; its copy into out (may be NULL). */
static int image_topic(struct broker *b, const char *name, struct image_topic *out)
{
	struct meta_topic *mt;

	pthread_mutex_lock(&b->image.lock);
	mt = meta_find(&b->image.state, name);
	if (mt && out) {
		memcpy(out->id, mt->id, sizeof(out->id));
		out->partitions = mt->partitions;
		out->replication_factor = mt->replication_factor > 0 ? mt->replication_factor : 1;
		out->configs = json_deep_copy(mt->configs);
	}
	pthread_mutex_unlock(&b->image.lock);
	return mt != NULL;
}

/*
 * The brokers new replicas may go to, in id order: the ALIVE ones, and
 * this node's own registered broker, which no heartbeat has to make
 * ALIVE when it is the cluster's only broker.
 */
static size_t available_brokers(struct broker *b, int32_t **ids)
{
	const struct meta_state *s = &b->image.state;
	size_t n = 0;

	pthread_mutex_lock(&b->image.lock);
	*ids = xcalloc(s->nbrokers + 1, sizeof(**ids));
	for (size_t i = 0; i < s->nbrokers; i++)
		if (s->brokers[i].state == META_BROKER_ALIVE || s->brokers[i].id == b->node_id)
			(*ids)[n++] = s->brokers[i].id;
	pthread_mutex_unlock(&b->image.lock);
	return n;
}

/* ---- proposing ---- */

/* Not the active controller: the one this node knows, if any. */
int controller_require_active(struct broker *b, struct err *e)
{
	int32_t id = 0;

	if (controller_active(b, &id))
		return 0;
	if (id == b->node_id && b->quorum)
		return err_set(e, SLOG_ENOT_CONTROLLER,
			       "this node leads the metadata quorum but is not ready to change it yet");
	if (id > 0)
		return err_set(e, SLOG_ENOT_CONTROLLER,
			       "this node is not the controller: node %d is", id);
	return err_set(e, SLOG_ENOT_CONTROLLER,
		       "this node is not the controller, and knows of none right now");
}

#define BROKERS_WAIT_MS 1000

/*
 * Wait until this broker, and (with a lifecycle) every ALIVE broker, has
 * the change below offset: an admin request is answered once what it
 * changed is served.
 */
static int await_published(struct broker *b, int64_t offset, int64_t deadline, struct err *e)
{
	int64_t most = clock_mono_ms() + BROKERS_WAIT_MS;
	struct err late;
	int rc = 0;

	if (b->publisher)
		rc = meta_publisher_await(b->publisher, offset, deadline, e);
	/* A broker that is slow to report (or dead, not yet fenced) delays
	 * the answer by BROKERS_WAIT_MS at most: the change is made. */
	if (!rc && b->lifecycle &&
	    broker_lifecycle_await(b->lifecycle, offset, most < deadline ? most : deadline, &late))
		log_debug("answering before every broker has the change: %s", late.msg);
	return rc;
}

/*
 * Propose recs (a JSON array; consumed) as one entry, wait for the quorum
 * to commit and apply it, then for this broker to publish it.  No lock
 * but ctl is held meanwhile.
 */
int controller_propose(struct broker *b, json_t *recs, struct err *e)
{
	int64_t deadline =
		clock_mono_ms() + conf_get_num(&b->conf, "controller.quorum.request.timeout.ms");
	size_t len;
	char *text = meta_entry_encode(recs, &len);
	int status = 0, rc;

	json_decref(recs);
	rc = quorum_propose_wait(b->quorum, text, len, deadline, &status, e);
	free(text);
	if (!rc && status)
		return err_set(e, status, "the change no longer fits the cluster's metadata "
					  "(another change came first): nothing was changed");
	if (!rc)
		rc = await_published(b, atomic_load(&b->image.offset), deadline, e);
	return rc;
}

/* Where a topic's partitions start their round-robin: from its random
 * id, so that topics lead on different brokers first, and partitions
 * added later continue where the first ones left off. */
static uint32_t topic_start(const char *id)
{
	uint32_t h = 2166136261u;

	for (; *id; id++)
		h = (h ^ (uint8_t)*id) * 16777619u;
	return h;
}

/* The partition records placing partitions [from, to) of a topic with rf
 * replicas over the available brokers, appended to recs (NULL: only
 * check that they can be placed). */
static int place(struct broker *b, json_t *recs, const char *name, const char *id, int32_t rf,
		 int32_t from, int32_t to, struct err *e)
{
	struct meta_topic mt;
	int32_t *ids, *out = xcalloc((size_t)(to - from) * (size_t)rf + 1, sizeof(*out));
	size_t n = available_brokers(b, &ids);
	int rc = placement_assign(ids, n, rf, from, to, topic_start(id), out, e);

	memset(&mt, 0, sizeof(mt));
	snprintf(mt.name, sizeof(mt.name), "%s", name);
	snprintf(mt.id, sizeof(mt.id), "%s", id);
	for (int32_t i = from; !rc && recs && i < to; i++) {
		int32_t *r = &out[(size_t)(i - from) * (size_t)rf];
		/* A new partition is empty everywhere: every replica is in sync. */
		struct meta_partition p = { .replicas = r, .isr = r, .nreplicas = rf, .nisr = rf,
					    .leader = r[0], .last_leader = -1 };
		json_array_append_new(recs, meta_partition_record(&mt, i, &p));
	}
	free(out);
	free(ids);
	return rc;
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
	if (!rc)
		rc = place(b, NULL, name, "", *rf, 0, 0, e);
	if (!rc && image_topic(b, name, NULL))
		rc = err_set(e, SLOG_ETOPIC_ALREADY_EXISTS, "topic '%s' already exists", name);
	return rc;
}

static int create_ctl(struct broker *b, const char *name, int32_t partitions, int32_t rf,
		      json_t *configs, int validate_only, int internal, struct err *e)
{
	struct topic_config cfg;
	char id[24];
	json_t *norm = NULL, *recs;
	int rc = controller_require_active(b, e);

	if (!rc)
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
	rc = place(b, recs, name, id, rf, 0, partitions, e);
	if (rc) {
		json_decref(recs);
		return rc;
	}
	rc = controller_propose(b, recs, e);
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
				     int32_t max_rf, json_t *configs, struct err *e)
{
	int32_t *ids;
	int32_t rf = (int32_t)available_brokers(b, &ids);
	int rc;

	free(ids);
	/* Kafka waits for offsets.topic.replication.factor brokers; a small
	 * cluster gets one replica a broker instead, not no groups at all. */
	if (rf > max_rf || rf < 1)
		rf = max_rf;
	pthread_mutex_lock(&ctl);
	rc = create_ctl(b, name, partitions, rf, configs, 0, 1, e);
	pthread_mutex_unlock(&ctl);
	return rc;
}

int controller_ensure_topic(struct broker *b, const char *name, struct err *e)
{
	int rc = 0;

	pthread_mutex_lock(&ctl);
	if (!image_topic(b, name, NULL)) {
		if (!conf_get_bool(&b->conf, "auto.create.topics.enable"))
			rc = err_set(e, SLOG_EUNKNOWN_TOPIC_OR_PARTITION,
				     "topic '%s' does not exist (auto.create.topics.enable is off)", name);
		else
			rc = create_ctl(b, name, 0, 0, NULL, 0, 0, e);
	}
	pthread_mutex_unlock(&ctl);
	return rc;
}

static int delete_ctl(struct broker *b, const char *name, struct err *e)
{
	struct image_topic it;
	int rc = controller_require_active(b, e);

	if (rc)
		return rc;
	if (!image_topic(b, name, &it))
		return err_set(e, SLOG_EUNKNOWN_TOPIC_OR_PARTITION, "topic '%s' does not exist", name);
	json_decref(it.configs);
	if (meta_topic_internal(name))
		return err_set(e, SLOG_EINVALID_TOPIC, "topic '%s' is internal: the broker keeps it",
			       name);
	if (!conf_get_bool(&b->conf, "delete.topic.enable"))
		return err_set(e, SLOG_EPOLICY_VIOLATION,
			       "deleting topics is disabled (delete.topic.enable)");
	return controller_propose(b, json_pack("[{s:i, s:s, s:s, s:s}]", "v", META_RECORD_VERSION, "type",
				   "remove_topic", "name", name, "id", it.id), e);
}

int controller_delete_topic(struct broker *b, const char *name, struct err *e)
{
	int rc;

	pthread_mutex_lock(&ctl);
	rc = delete_ctl(b, name, e);
	if (!rc)
		log_info("deleted topic %s", name);
	pthread_mutex_unlock(&ctl);
	return rc;
}

/* A config change sets or removes key. */
static int touches_key(json_t *set, json_t *del, const char *key)
{
	json_t *v;
	size_t i;

	if (json_object_get(set, key))
		return 1;
	json_array_foreach(del, i, v)
		if (json_is_string(v) && strcmp(json_string_value(v), key) == 0)
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

/* The topic's overrides once set and del apply (into *merged, new), or
 * why they cannot. */
static int merge_configs(struct broker *b, const char *name, json_t *current, json_t *set,
			 json_t *del, json_t **norm, json_t **merged, struct err *e)
{
	struct topic_config cfg;
	json_t *v;
	size_t i;
	int rc;

	if (meta_topic_internal(name) && touches_key(set, del, "cleanup.policy"))
		return err_set(e, SLOG_EINVALID_TOPIC,
			       "topic '%s' is internal: its cleanup.policy stays compact, or retention "
			       "would delete committed offsets", name);
	rc = normalize_configs(set, norm, e);
	if (!rc)
		rc = check_delete(del, e);
	if (rc)
		return rc;
	*merged = json_deep_copy(current);
	json_array_foreach(del, i, v)
		json_object_del(*merged, json_string_value(v));
	json_object_update(*merged, *norm);
	return topic_config_resolve(&b->conf, *merged, &cfg, e);
}

static int alter_ctl(struct broker *b, const char *name, json_t *set, json_t *del,
		     int validate_only, json_t **configs, struct err *e)
{
	struct image_topic it = { .configs = NULL };
	json_t *norm = NULL, *merged = NULL, *recs;
	int rc = controller_require_active(b, e);

	if (!rc && !image_topic(b, name, &it))
		rc = err_set(e, SLOG_EUNKNOWN_TOPIC_OR_PARTITION, "topic '%s' does not exist", name);
	if (!rc)
		rc = merge_configs(b, name, it.configs, set, del, &norm, &merged, e);
	if (rc)
		goto out;
	if (validate_only || (!json_object_size(norm) && !json_array_size(del))) {
		if (configs)
			*configs = topic_config_describe(&b->conf, merged);
		goto out;
	}
	recs = json_pack("[{s:i, s:s, s:s, s:O, s:o}]", "v", META_RECORD_VERSION, "type", "configs",
			 "name", name, "set", norm, "delete", del ? json_incref(del) : json_array());
	/* The ELR was made for the old min.insync.replicas (KIP-966). */
	if (touches_key(set, del, "min.insync.replicas"))
		controller_clear_elr(b, name, recs);
	rc = controller_propose(b, recs, e);
	json_decref(it.configs);
	it.configs = NULL;
	if (!rc && configs && image_topic(b, name, &it))
		*configs = topic_config_describe(&b->conf, it.configs);
out:
	json_decref(it.configs);
	json_decref(norm);
	json_decref(merged);
	return rc;
}

int controller_alter_configs(struct broker *b, const char *name, json_t *set, json_t *del,
			     int validate_only, json_t **configs, struct err *e)
{
	int rc;

	pthread_mutex_lock(&ctl);
	rc = alter_ctl(b, name, set, del, validate_only, configs, e);
	pthread_mutex_unlock(&ctl);
	return rc;
}

static int check_grow(struct broker *b, const char *name, int32_t total, struct image_topic *it,
		      struct err *e)
{
	if (!image_topic(b, name, it))
		return err_set(e, SLOG_EUNKNOWN_TOPIC_OR_PARTITION, "topic '%s' does not exist", name);
	json_decref(it->configs);
	it->configs = NULL;
	if (meta_topic_internal(name))
		/* Its partition count decides where each group's offsets live. */
		return err_set(e, SLOG_EINVALID_TOPIC, "topic '%s' is internal: its partitions are fixed",
			       name);
	if (total <= it->partitions)
		return err_set(e, SLOG_EINVALID_PARTITIONS,
			       "topic '%s' has %d partitions; the count can only grow", name,
			       it->partitions);
	return check_partitions(b, total, total - it->partitions, e);
}

static int grow_ctl(struct broker *b, const char *name, int32_t total, int validate_only,
		    struct err *e)
{
	struct image_topic it;
	json_t *recs;
	int rc = controller_require_active(b, e);

	if (!rc)
		rc = check_grow(b, name, total, &it, e);
	if (rc || validate_only)
		return rc;
	recs = json_pack("[{s:i, s:s, s:s, s:i}]", "v", META_RECORD_VERSION, "type", "partitions",
			 "name", name, "count", total);
	/* Placed like the topic's first partitions, with its replication
	 * factor, continuing their round-robin. */
	rc = place(b, recs, name, it.id, it.replication_factor, it.partitions, total, e);
	if (rc) {
		json_decref(recs);
		return rc;
	}
	rc = controller_propose(b, recs, e);
	if (!rc)
		log_info("topic %s now has %d partitions", name, total);
	return rc;
}

int controller_add_partitions(struct broker *b, const char *name, int32_t total,
			      int validate_only, struct err *e)
{
	int rc;

	pthread_mutex_lock(&ctl);
	rc = grow_ctl(b, name, total, validate_only, e);
	pthread_mutex_unlock(&ctl);
	return rc;
}

/* The record that makes a new cluster, on recs (NULL: a new array). */
static json_t *cluster_record(json_t *recs, const char *cluster_id)
{
	if (!recs)
		recs = json_array();
	json_array_append_new(recs, json_pack("{s:i, s:s, s:s}", "v", META_RECORD_VERSION, "type",
					      "cluster", "cluster_id", cluster_id));
	return recs;
}

int controller_bootstrap(struct broker *b, const char *cluster_id, struct err *e)
{
	int rc;

	pthread_mutex_lock(&ctl);
	rc = controller_require_active(b, e);
	if (!rc)
		rc = controller_propose(b, cluster_record(NULL, cluster_id), e);
	pthread_mutex_unlock(&ctl);
	return rc;
}

/*
 * The records of a registration: the cluster's first record too while
 * there is none (the controller's own cluster id from meta.properties),
 * so that the first broker to register in a new cluster makes it.
 * NULL when the same incarnation is registered already.
 */
static json_t *registration(struct broker *b, int32_t id, const char *incarnation,
			    json_t *endpoints)
{
	struct meta_broker *mb;
	json_t *recs = NULL;
	int same;

	pthread_mutex_lock(&b->image.lock);
	mb = meta_find_broker(&b->image.state, id);
	same = mb && strcmp(mb->incarnation, incarnation) == 0;
	if (!same && !b->image.state.cluster_id[0] && b->mlog.cluster_id[0])
		recs = cluster_record(NULL, b->mlog.cluster_id);
	pthread_mutex_unlock(&b->image.lock);
	if (same)
		return NULL;
	if (!recs)
		recs = json_array();
	json_array_append_new(recs, json_pack("{s:i, s:s, s:i, s:s, s:O}", "v",
					      META_RECORD_VERSION, "type", "broker", "id", id,
					      "incarnation", incarnation, "endpoints", endpoints));
	return recs;
}

int controller_register_broker(struct broker *b, int32_t id, const char *incarnation,
			       json_t *endpoints, struct err *e)
{
	json_t *recs;
	int rc;

	pthread_mutex_lock(&ctl);
	rc = controller_require_active(b, e);
	if (!rc && (recs = registration(b, id, incarnation, endpoints))) {
		/* The incarnation it replaces led at epochs this one never saw;
		 * its log dirs were opened anew, offline ones included. */
		controller_restart_elections(b, id, recs);
		rc = controller_propose(b, recs, e);
	}
	pthread_mutex_unlock(&ctl);
	return rc;
}

static const char *const state_names[] = {
	[META_BROKER_FENCED] = "fenced",
	[META_BROKER_ALIVE] = "alive",
	[META_BROKER_SHUTTING_DOWN] = "shutting_down",
};

/* 1 when the broker's incarnation has state already, 0 when it must
 * change, or an error for an incarnation that is not the registered one. */
static int broker_state_now(struct broker *b, int32_t id, const char *incarnation,
			    enum meta_broker_state state, struct err *e)
{
	struct meta_broker *mb;
	int rc;

	pthread_mutex_lock(&b->image.lock);
	mb = meta_find_broker(&b->image.state, id);
	if (!mb)
		rc = err_set(e, SLOG_ESTALE_BROKER_EPOCH, "broker %d is not registered", id);
	else if (strcmp(mb->incarnation, incarnation) != 0)
		rc = err_set(e, SLOG_ESTALE_BROKER_EPOCH,
			     "broker %d is registered with incarnation %s, not %s", id,
			     mb->incarnation, incarnation);
	else
		rc = mb->state == state;
	pthread_mutex_unlock(&b->image.lock);
	return rc;
}

int controller_set_broker_state(struct broker *b, int32_t id, const char *incarnation,
				enum meta_broker_state state, struct err *e)
{
	int rc;

	if ((unsigned)state >= sizeof(state_names) / sizeof(state_names[0]))
		return err_set(e, SLOG_EINVALID_REQUEST, "broker state %d is unknown", (int)state);
	pthread_mutex_lock(&ctl);
	rc = controller_require_active(b, e);
	if (!rc)
		rc = broker_state_now(b, id, incarnation, state, e);
	if (rc == 0) {
		json_t *recs = json_pack("[{s:i, s:s, s:i, s:s, s:s}]", "v", META_RECORD_VERSION,
					 "type", "broker_state", "id", id, "incarnation",
					 incarnation, "state", state_names[state]);

		/* Its ISRs and leaderships change in the same entry: no
		 * broker ever sees it fenced and still leading. */
		controller_state_elections(b, id, state, recs);
		rc = controller_propose(b, recs, e);
	}
	pthread_mutex_unlock(&ctl);
	return rc < 0 ? rc : 0;
}

int controller_active(struct broker *b, int32_t *controller_id)
{
	struct quorum_view v;

	if (controller_id)
		*controller_id = 0;
	if (!b->quorum)
		return 0;
	quorum_view(b->quorum, &v);
	if (controller_id)
		*controller_id = v.leader_id;
	return v.role == QUORUM_LEADER && v.ready && !v.failed;
}
