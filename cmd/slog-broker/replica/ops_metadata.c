/*
 * ops_metadata.c: what the cluster holds (ops.h): brokers, topics, and
 * each partition's placement, as C values a front end renders.  With one
 * broker the registry is the cluster: this node leads and holds every
 * partition.  The view is copied under meta_lock, so a front end renders
 * it without the lock.
 */
#include <stdlib.h>
#include <string.h>

#include "broker.h"
#include "replica/ops.h"
#include "replica/registry.h"
#include "xalloc.h"

/* One partition's placement (and offsets); meta_lock held. */
static void view_partition(struct broker *b, struct partition *p, int with_offsets,
			   struct ops_partition_view *v)
{
	v->partition = p->id;
	v->leader = partition_leader(b, p);
	v->leader_epoch = p->leader_epoch;
	v->replicas = xcalloc(2, sizeof(int32_t));
	v->isr = v->replicas + 1;
	v->replicas[0] = b->node_id;
	v->isr[0] = b->node_id;
	v->nreplicas = v->nisr = 1;
	if (!with_offsets)
		return;
	plog_offsets(p->log, &v->log_start, &v->log_end);
	v->hw = p->hw;
	v->size_bytes = plog_size(p->log);
	/* Takes no writes: its log dir went offline, or it failed alone. */
	v->offline = plog_offline(p->log);
}

/* The topic called name, or its absence; meta_lock held. */
static void view_topic(struct broker *b, const char *name, int with_offsets,
		       struct ops_topic_view *v)
{
	struct topic *t = broker_topic(b, name);

	snprintf(v->name, sizeof(v->name), "%s", name);
	if (!t) {
		v->rc = SLOG_EUNKNOWN_TOPIC_OR_PARTITION;
		return;
	}
	snprintf(v->id, sizeof(v->id), "%s", t->id);
	v->internal = t->internal;
	v->replication_factor = t->replication_factor;
	v->max_message_bytes = t->cfg.max_message_bytes;
	v->npart = t->npart;
	v->parts = xcalloc((size_t)t->npart + 1, sizeof(*v->parts));
	for (int32_t i = 0; i < t->npart; i++)
		view_partition(b, t->parts[i], with_offsets, &v->parts[i]);
}

void ops_metadata(struct broker *b, const struct ops_ctx *ctx, const char *const *names,
		  size_t nnames, int with_offsets, struct ops_metadata *out)
{
	(void)ctx;
	memset(out, 0, sizeof(*out));
	out->brokers = xcalloc(1, sizeof(*out->brokers));
	out->nbrokers = 1;
	pthread_rwlock_rdlock(&b->meta_lock);
	snprintf(out->cluster_id, sizeof(out->cluster_id), "%s", b->meta.cluster_id);
	out->controller = b->node_id;
	out->brokers[0].node_id = b->node_id;
	snprintf(out->brokers[0].host, sizeof(out->brokers[0].host), "%s", b->host);
	out->brokers[0].port = b->port;
	out->ntopics = names ? nnames : b->ntopics;
	out->topics = xcalloc(out->ntopics + 1, sizeof(*out->topics));
	for (size_t i = 0; i < out->ntopics; i++)
		view_topic(b, names ? names[i] : b->topics[i]->name, with_offsets, &out->topics[i]);
	pthread_rwlock_unlock(&b->meta_lock);
}

void ops_metadata_free(struct ops_metadata *m)
{
	for (size_t i = 0; i < m->ntopics; i++) {
		for (int32_t k = 0; k < m->topics[i].npart; k++)
			free(m->topics[i].parts[k].replicas);
		free(m->topics[i].parts);
	}
	free(m->topics);
	free(m->brokers);
	memset(m, 0, sizeof(*m));
}
