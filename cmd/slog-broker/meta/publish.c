/*
 * publish.c: apply committed metadata records on this broker.  See
 * publish.h.
 */
#include "meta/publish.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "broker.h"
#include "cluster/isr_sender.h"
#include "cluster/replica_fetcher.h"
#include "groups/group_coordinator.h"
#include "log.h"
#include "replica/registry.h"
#include "replica/replication.h"
#include "xalloc.h"

/* Whether any partition of t is placed on node: the registry opens a
 * topic's partitions together. */
static int topic_here(const struct meta_topic *t, int32_t node)
{
	for (int32_t i = 0; i < t->partitions; i++)
		if (meta_partition_on(&t->parts[i], node))
			return 1;
	return 0;
}

static void add_name(char ***v, size_t *n, const char *name)
{
	*v = xrealloc(*v, (*n + 1) * sizeof(**v));
	(*v)[(*n)++] = xstrdup(name);
}

static void free_names(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* A topic of next, against the same name in the state now (o, or NULL). */
static int plan_topic(struct broker *b, struct publish_plan *pl, const struct meta_topic *o,
		      const struct meta_topic *nt, struct err *e)
{
	struct topic *t = broker_topic(b, nt->name);
	struct publish_grow g;
	struct err oe = { 0 };

	if (o && strcmp(o->id, nt->id) == 0 && t) {
		if (!topic_here(nt, b->node_id)) {
			add_name(&pl->removed, &pl->nremoved, nt->name);
			pl->topics_changed = 1;
			return 0;
		}
		if (!json_equal(o->configs, nt->configs))
			add_name(&pl->reconfigured, &pl->nreconfigured, nt->name);
		if (nt->partitions <= t->npart)
			return 0;
		g.t = t;
		g.count = nt->partitions;
		if (registry_grow_prepare(b, t, g.count, &g.parts, e))
			return err_wrap(e, "topic %s", nt->name);
		pl->grown = xrealloc(pl->grown, (pl->ngrown + 1) * sizeof(*pl->grown));
		pl->grown[pl->ngrown++] = g;
		pl->topics_changed = 1;
		return 0;
	}
	/* New, placed here now, or created again under the same name (the
	 * old one goes). */
	if (t)
		add_name(&pl->removed, &pl->nremoved, nt->name);
	if (!o || strcmp(o->id, nt->id) != 0)
		pl->topics_changed = 1;
	if (!topic_here(nt, b->node_id))
		return 0;
	t = registry_prepare(b, nt, &oe);
	if (!t && oe.code == SLOG_ESTORAGE && log_dirs_offline_count(&b->dirs)) {
		/* No online dir takes it (replication spec D7): the rest of the
		 * metadata still applies here, and the heartbeat reports these
		 * replicas offline, as Kafka's broker marks them. */
		log_warn("topic %s: its partitions here stay offline: %s", nt->name, oe.msg);
		return 0;
	}
	if (!t) {
		if (e)
			*e = oe;
		return oe.code ? oe.code : SLOG_ESTORAGE;
	}
	pl->opened = xrealloc(pl->opened, (pl->nopened + 1) * sizeof(*pl->opened));
	pl->opened[pl->nopened++] = t;
	pl->topics_changed = 1;
	return 0;
}

/* The plan from the broker's state to pl->next. */
static int plan(struct broker *b, struct publish_plan *pl, struct err *e)
{
	const struct meta_state *now = &b->meta;
	int rc = 0;

	for (size_t i = 0; i < pl->next.ntopics && !rc; i++) {
		const struct meta_topic *nt = pl->next.topics[i];
		rc = plan_topic(b, pl, meta_find(now, nt->name), nt, e);
	}
	for (size_t i = 0; i < now->ntopics && !rc; i++) {
		const char *name = now->topics[i]->name;
		if (!meta_find(&pl->next, name)) {
			pl->topics_changed = 1;
			if (broker_topic(b, name))
				add_name(&pl->removed, &pl->nremoved, name);
		}
	}
	if (rc)
		publish_abort(b, pl);
	return rc;
}

int publish_prepare_state(struct broker *b, struct meta_state *next, struct publish_plan *pl,
			  struct err *e)
{
	memset(pl, 0, sizeof(*pl));
	pl->next = *next;
	meta_state_init(next);
	return plan(b, pl, e);
}

int publish_prepare(struct broker *b, json_t *recs, struct publish_plan *pl, struct err *e)
{
	json_t *rec;
	size_t i;
	int rc;

	memset(pl, 0, sizeof(*pl));
	rc = meta_state_copy(&pl->next, &b->meta, e);
	json_array_foreach(recs, i, rec) {
		if (!rc)
			rc = meta_log_apply(&b->mlog, &pl->next, rec, -1, e);
	}
	if (rc) {
		meta_state_free(&pl->next);
		return rc;
	}
	return plan(b, pl, e);
}

static void plan_free(struct publish_plan *pl)
{
	meta_state_free(&pl->next);
	free(pl->opened);
	free(pl->grown);
	free_names(pl->removed, pl->nremoved);
	free_names(pl->reconfigured, pl->nreconfigured);
	memset(pl, 0, sizeof(*pl));
}

void publish_abort(struct broker *b, struct publish_plan *pl)
{
	for (size_t i = 0; i < pl->nopened; i++)
		registry_discard(b, pl->opened[i]);
	for (size_t i = 0; i < pl->ngrown; i++)
		registry_grow_discard(b, pl->grown[i].t, pl->grown[i].count, pl->grown[i].parts);
	plan_free(pl);
}

/* The registry's side of the plan; meta_lock held for writing, the new
 * state in place.  Removed topics go into gone, to be released unlocked. */
static void swap_registry(struct broker *b, struct publish_plan *pl, struct topic **gone)
{
	struct err e;

	for (size_t i = 0; i < pl->nremoved; i++)
		gone[i] = registry_detach(b, pl->removed[i]);
	for (size_t i = 0; i < pl->nopened; i++)
		registry_insert(b, pl->opened[i]);
	for (size_t i = 0; i < pl->ngrown; i++)
		registry_grow_commit(pl->grown[i].t, pl->grown[i].count, pl->grown[i].parts);
	for (size_t i = 0; i < pl->nreconfigured; i++) {
		struct topic *t = broker_topic(b, pl->reconfigured[i]);
		/* The controller resolved these configs before proposing them. */
		if (t && registry_reconfigure(b, t, meta_find(&b->meta, t->name)->configs, &e))
			log_error("topic %s: %s", t->name, e.msg);
	}
}

/* ---- replication follows the committed placement ---- */

static int same_ids(const int32_t *a, int32_t na, const int32_t *b, int32_t nb)
{
	return na == nb && (na == 0 || memcmp(a, b, (size_t)na * sizeof(*a)) == 0);
}

static int placement_changed(const struct meta_partition *o, const struct meta_partition *n)
{
	return !o || o->leader != n->leader || o->leader_epoch != n->leader_epoch ||
	       o->partition_epoch != n->partition_epoch ||
	       !same_ids(o->replicas, o->nreplicas, n->replicas, n->nreplicas) ||
	       !same_ids(o->isr, o->nisr, n->isr, n->nisr);
}

/* Whether a broker registered, went, or changed state or incarnation. */
static int brokers_changed(const struct meta_state *o, const struct meta_state *n)
{
	if (o->nbrokers != n->nbrokers)
		return 1;
	for (size_t i = 0; i < n->nbrokers; i++)
		if (o->brokers[i].id != n->brokers[i].id || o->brokers[i].state != n->brokers[i].state ||
		    strcmp(o->brokers[i].incarnation, n->brokers[i].incarnation) != 0)
			return 1;
	return 0;
}

/*
 * t's partitions whose placement (or min.insync.replicas) changed from
 * old to the published state: replication_apply for each; the rest hear
 * of broker changes.  Runs on the publisher, the only writer of the state
 * and the registry, after meta_lock is released: both stay as they are
 * meanwhile, and the partitions' references are the registry's.
 */
static void follow_topic(struct broker *b, const struct meta_state *old, struct topic *t,
			 int brokers)
{
	const struct meta_topic *mt = meta_find(&b->meta, t->name);
	const struct meta_topic *ot = meta_find(old, t->name);
	int reconf;

	if (!mt)
		return;
	if (ot && strcmp(ot->id, mt->id) != 0)
		ot = NULL;
	reconf = !ot || !json_equal(ot->configs, mt->configs);
	for (int32_t i = 0; i < t->npart && i < mt->partitions; i++) {
		const struct meta_partition *o = ot && i < ot->partitions ? &ot->parts[i] : NULL;
		struct partition *p = t->parts[i];
		struct err e;

		if (reconf || placement_changed(o, &mt->parts[i])) {
			if (replication_apply(b, p, &mt->parts[i], t->cfg.min_insync_replicas, &e))
				log_error("%s", e.msg);
		} else if (brokers) {
			replication_brokers_changed(b, p);
		}
	}
}

/* Replication after a commit: old is the state before it. */
static void follow_placement(struct broker *b, const struct meta_state *old)
{
	int brokers = brokers_changed(old, &b->meta);

	for (size_t i = 0; i < b->ntopics; i++)
		follow_topic(b, old, b->topics[i], brokers);
	if (b->fetcher)
		replica_fetcher_poke(b->fetcher);
	if (b->isr_sender)
		isr_sender_poke(b->isr_sender);
}

void publish_commit(struct broker *b, struct publish_plan *pl)
{
	struct topic **gone = xcalloc(pl->nremoved + 1, sizeof(*gone));
	struct meta_state old;

	pthread_rwlock_wrlock(&b->meta_lock);
	old = b->meta;
	b->meta = pl->next;
	pl->next = old;
	swap_registry(b, pl, gone);
	pthread_rwlock_unlock(&b->meta_lock);
	/* Files go with the last reference: here, or when the last flush or
	 * compaction in flight lets go of its partition. */
	for (size_t i = 0; i < pl->nremoved; i++)
		if (gone[i])
			registry_release(gone[i]);
	free(gone);
	follow_placement(b, &pl->next);
	if (pl->topics_changed && b->groups)
		gc_topics_changed(b->groups);
	plan_free(pl); /* the old state, and the plan's lists */
}

int publish_records(struct broker *b, json_t *recs, struct err *e)
{
	struct publish_plan pl;
	int rc = publish_prepare(b, recs, &pl, e);

	if (!rc)
		publish_commit(b, &pl);
	return rc;
}
