/*
 * ops_metadata.c: what the cluster holds (ops.h): brokers, topics, and
 * each partition's placement, as C values a front end renders, and where
 * a client goes for a partition this node does not lead.
 *
 * Everything comes from this node's published metadata (b->meta), not
 * from its registry: a node serves metadata about every topic of the
 * cluster, including those with no replica here, and a client routes by
 * it.  Only the offsets and sizes come from the registry, for the
 * partitions this node leads (the leader's log is the one clients read).
 * The view is copied under meta_lock, so a front end renders it without
 * the lock.
 */
#include <stdlib.h>
#include <string.h>

#include "broker.h"
#include "http_client.h"
#include "replica/ops.h"
#include "replica/registry.h"
#include "xalloc.h"

int ops_broker_url(struct broker *b, int32_t id, char *url, size_t size)
{
	const char *host;
	int port;

	url[0] = '\0';
	if (id < 0 || broker_endpoint(b, id, &host, &port))
		return -1;
	http_base_url(url, size, host, port);
	return 0;
}

int ops_check_leader(struct broker *b, const char *topic, int32_t partition,
		     struct ops_leader *leader, struct err *e)
{
	const struct meta_topic *mt = meta_find(&b->meta, topic);
	int32_t id;

	if (!mt)
		return err_set(e, SLOG_EUNKNOWN_TOPIC_OR_PARTITION, "topic '%s' does not exist", topic);
	if (partition < 0 || partition >= mt->partitions)
		return err_set(e, SLOG_EUNKNOWN_TOPIC_OR_PARTITION,
			       "topic '%s' has no partition %d (it has %d)", topic, partition,
			       mt->partitions);
	id = mt->parts[partition].leader;
	if (id == b->node_id)
		return 0;
	if (id < 0)
		return err_set(e, SLOG_ELEADER_NOT_AVAILABLE, "%s-%d has no leader", topic, partition);
	if (leader) {
		leader->id = id;
		ops_broker_url(b, id, leader->url, sizeof(leader->url));
	}
	return err_set(e, SLOG_ENOT_LEADER, "broker %d leads %s-%d, not this broker (%d)", id, topic,
		       partition, b->node_id);
}

static const char *state_name(enum meta_broker_state s)
{
	switch (s) {
	case META_BROKER_ALIVE:
		return "alive";
	case META_BROKER_SHUTTING_DOWN:
		return "shutting_down";
	default:
		return "fenced";
	}
}

static void view_broker(struct broker *b, int32_t id, const char *state,
			struct ops_broker_view *v)
{
	const char *host = "";
	int port = 0;

	v->node_id = id;
	broker_endpoint(b, id, &host, &port);
	snprintf(v->host, sizeof(v->host), "%s", host);
	v->port = port;
	ops_broker_url(b, id, v->url, sizeof(v->url));
	v->state = state;
}

/* The registered brokers by id, with this node in its place if it is
 * not registered yet; meta_lock held. */
static void view_brokers(struct broker *b, struct ops_metadata *out)
{
	const struct meta_state *s = &b->meta;
	int self = meta_find_broker(s, b->node_id) != NULL;
	size_t n = 0;

	out->brokers = xcalloc(s->nbrokers + 1, sizeof(*out->brokers));
	for (size_t i = 0; i < s->nbrokers; i++) {
		if (!self && s->brokers[i].id > b->node_id) {
			view_broker(b, b->node_id, "alive", &out->brokers[n++]);
			self = 1;
		}
		view_broker(b, s->brokers[i].id, state_name(s->brokers[i].state), &out->brokers[n++]);
	}
	if (!self)
		view_broker(b, b->node_id, "alive", &out->brokers[n++]);
	out->nbrokers = n;
}

static int32_t *ids_copy(const int32_t *v, int32_t n)
{
	int32_t *c = xcalloc((size_t)n + 1, sizeof(*c));

	if (n > 0) /* v is NULL for an empty list */
		memcpy(c, v, (size_t)n * sizeof(*c));
	return c;
}

/* The offsets and size of a partition this node leads; meta_lock held. */
static void view_offsets(struct topic *t, struct ops_partition_view *v)
{
	struct partition *p = t ? topic_partition(t, v->partition) : NULL;

	if (!p)
		return;
	v->has_offsets = 1;
	plog_offsets(p->log, &v->log_start, &v->log_end);
	v->hw = p->hw;
	v->size_bytes = plog_size(p->log);
	/* Takes no writes: its log dir went offline, or it failed alone. */
	v->offline = plog_offline(p->log);
}

/* One partition's placement (and offsets); meta_lock held. */
static void view_partition(struct broker *b, const struct meta_topic *mt, int32_t i,
			   struct topic *t, int with_offsets, struct ops_partition_view *v)
{
	const struct meta_partition *mp = &mt->parts[i];

	v->partition = i;
	v->leader = mp->leader;
	v->leader_epoch = mp->leader_epoch;
	v->replicas = ids_copy(mp->replicas, mp->nreplicas);
	v->isr = ids_copy(mp->isr, mp->nisr);
	v->nreplicas = (size_t)mp->nreplicas;
	v->nisr = (size_t)mp->nisr;
	v->partition_epoch = mp->partition_epoch;
	v->elr = ids_copy(mp->elr, mp->nelr);
	v->adding = ids_copy(mp->adding, mp->nadding);
	v->removing = ids_copy(mp->removing, mp->nremoving);
	v->nelr = (size_t)mp->nelr;
	v->nadding = (size_t)mp->nadding;
	v->nremoving = (size_t)mp->nremoving;
	v->offline_replicas = ids_copy(mp->offline, mp->noffline);
	v->noffline_replicas = (size_t)mp->noffline;
	if (with_offsets && mp->leader == b->node_id)
		view_offsets(t, v);
}

/* The largest batch the topic takes: its registry's config, or resolved
 * from its overrides when it has no replica here; meta_lock held. */
static int64_t max_message_bytes(struct broker *b, const struct meta_topic *mt, struct topic *t)
{
	struct topic_config cfg;

	if (t)
		return t->cfg.max_message_bytes;
	if (topic_config_resolve(&b->conf, mt->configs, &cfg, NULL))
		return conf_get_num(&b->conf, "message.max.bytes");
	return cfg.max_message_bytes;
}

/* The topic called name, or its absence; meta_lock held. */
static void view_topic(struct broker *b, const char *name, int with_offsets,
		       struct ops_topic_view *v)
{
	const struct meta_topic *mt = meta_find(&b->meta, name);
	struct topic *t = broker_topic(b, name);

	snprintf(v->name, sizeof(v->name), "%s", name);
	if (!mt) {
		v->rc = SLOG_EUNKNOWN_TOPIC_OR_PARTITION;
		return;
	}
	if (t && strcmp(t->id, mt->id) != 0)
		t = NULL; /* cannot be: the registry is swapped in with the state */
	snprintf(v->id, sizeof(v->id), "%s", mt->id);
	v->internal = meta_topic_internal(name);
	v->replication_factor = mt->replication_factor;
	v->max_message_bytes = max_message_bytes(b, mt, t);
	v->npart = mt->partitions;
	v->parts = xcalloc((size_t)mt->partitions + 1, sizeof(*v->parts));
	for (int32_t i = 0; i < mt->partitions; i++)
		view_partition(b, mt, i, t, with_offsets, &v->parts[i]);
}

void ops_metadata(struct broker *b, const struct ops_ctx *ctx, const char *const *names,
		  size_t nnames, int with_offsets, struct ops_metadata *out)
{
	(void)ctx;
	memset(out, 0, sizeof(*out));
	pthread_rwlock_rdlock(&b->meta_lock);
	snprintf(out->cluster_id, sizeof(out->cluster_id), "%s", b->meta.cluster_id);
	view_brokers(b, out);
	out->ntopics = names ? nnames : b->meta.ntopics;
	out->topics = xcalloc(out->ntopics + 1, sizeof(*out->topics));
	for (size_t i = 0; i < out->ntopics; i++)
		view_topic(b, names ? names[i] : b->meta.topics[i]->name, with_offsets,
			   &out->topics[i]);
	pthread_rwlock_unlock(&b->meta_lock);
}

void ops_metadata_free(struct ops_metadata *m)
{
	for (size_t i = 0; i < m->ntopics; i++) {
		for (int32_t k = 0; k < m->topics[i].npart; k++) {
			struct ops_partition_view *v = &m->topics[i].parts[k];

			free(v->replicas);
			free(v->isr);
			free(v->elr);
			free(v->adding);
			free(v->removing);
			free(v->offline_replicas);
		}
		free(m->topics[i].parts);
	}
	free(m->topics);
	free(m->brokers);
	memset(m, 0, sizeof(*m));
}
