/*
 * registry.c: the broker's topic registry: runtime topics and partitions
 * mirroring the metadata state.  See broker.h for the locking rules and
 * the partitions' lifetime.
 */
#include "replica/registry.h"

#include <stdlib.h>
#include <string.h>

#include "broker.h"
#include "log.h"
#include "replica/fetch_wait.h"
#include "replica/replication.h"
#include "sorted.h"
#include "storage/partition_dir.h"
#include "xalloc.h"

static int topic_name_cmp(const void *key, const void *elem)
{
	return strcmp(key, (*(struct topic *const *)elem)->name);
}

static size_t locate(struct broker *b, const char *name, int *found)
{
	return sorted_locate(b->topics, b->ntopics, sizeof(*b->topics), name, topic_name_cmp,
			     found);
}

struct topic *broker_topic(struct broker *b, const char *name)
{
	int found;
	size_t i = locate(b, name, &found);

	return found ? b->topics[i] : NULL;
}

struct partition *topic_partition(struct topic *t, int32_t p)
{
	return p >= 0 && p < t->npart ? t->parts[p] : NULL;
}

/* ---- lifetime ---- */

struct topic *topic_get(struct topic *t)
{
	atomic_fetch_add(&t->refs, 1);
	return t;
}

void topic_put(struct topic *t)
{
	if (atomic_fetch_sub(&t->refs, 1) != 1)
		return;
	free(t->parts);
	free(t);
}

struct partition *partition_get(struct partition *p)
{
	atomic_fetch_add(&p->refs, 1);
	return p;
}

/* The last reference went: nobody else can reach the log any more. */
static void partition_free(struct partition *p)
{
	struct topic *t = p->topic;
	struct err e;

	if (p->log && atomic_load(&p->deleted)) {
		if (partition_dir_retire(p->log, t->id, &e) || plog_destroy(p->log, &e))
			log_warn("%s-%d: deleted, but removing its files failed (the next start "
				 "removes them): %s", t->name, p->id, e.msg);
	} else if (p->log && plog_close(p->log, &e)) {
		log_warn("%s-%d: %s", t->name, p->id, e.msg);
	}
	replication_destroy(p);
	free(p);
	topic_put(t);
}

void partition_put(struct partition *p)
{
	if (atomic_fetch_sub(&p->refs, 1) == 1)
		partition_free(p);
}

/* ---- opening ---- */

static struct partition *open_partition(struct broker *b, struct topic *t, int32_t id,
					struct err *e)
{
	struct partition *p = xcalloc(1, sizeof(*p));
	char path[4400];
	int rc;

	p->topic = t;
	p->id = id;
	p->dir = log_dirs_find(&b->dirs, t->name, id);
	if (p->dir < 0)
		p->dir = log_dirs_pick(&b->dirs);
	snprintf(path, sizeof(path), "%s/%s-%d", b->dirs.v[p->dir].path, t->name, id);
	rc = partition_dir_check(path, t->id, e);
	if (!rc)
		rc = partition_dir_stamp(path, t->id, e);
	if (!rc)
		rc = log_dirs_open_partition(&b->dirs, p->dir, t->name, id, &t->cfg.log, &p->log, e);
	if (rc) {
		free(p);
		err_wrap(e, "%s-%d", t->name, id);
		return NULL;
	}
	/* The HW starts from its checkpoint: what replication committed
	 * before (a lower bound); the leader moves it from there. */
	replication_init(b, p, log_dirs_hw_checkpoint(&b->dirs, p->dir, t->name, id));
	p->first_dirty = log_dirs_cleaner_offset(&b->dirs, p->dir, t->name, id);
	p->leader_epoch = 0;
	p->refs = 1; /* the registry's */
	atomic_fetch_add(&t->refs, 1);
	return p;
}

/* Undo open_partition for a partition nobody has seen: remove its files. */
static void discard_partition(struct broker *b, struct partition *p)
{
	b->dirs.v[p->dir].partitions--;
	atomic_store(&p->deleted, 1);
	partition_put(p);
}

/* Open partitions [from, to) of t into v[from..to). */
static int open_range(struct broker *b, struct topic *t, struct partition **v, int32_t from,
		      int32_t to, struct err *e)
{
	for (int32_t i = from; i < to; i++) {
		v[i] = open_partition(b, t, i, e);
		if (!v[i]) {
			while (i-- > from)
				discard_partition(b, v[i]);
			return e ? e->code : SLOG_ESTORAGE;
		}
	}
	return 0;
}

struct topic *registry_prepare(struct broker *b, const struct meta_topic *mt, struct err *e)
{
	struct topic *t = xcalloc(1, sizeof(*t));

	snprintf(t->name, sizeof(t->name), "%s", mt->name);
	snprintf(t->id, sizeof(t->id), "%s", mt->id);
	t->replication_factor = mt->replication_factor;
	t->internal = meta_topic_internal(mt->name);
	t->refs = 1; /* the registry's */
	if (topic_config_resolve(&b->conf, mt->configs, &t->cfg, e)) {
		free(t);
		err_wrap(e, "topic %s", mt->name);
		return NULL;
	}
	t->parts = xcalloc((size_t)mt->partitions, sizeof(*t->parts));
	if (open_range(b, t, t->parts, 0, mt->partitions, e)) {
		topic_put(t);
		return NULL;
	}
	t->npart = mt->partitions;
	return t;
}

void registry_insert(struct broker *b, struct topic *t)
{
	int found;
	size_t at = locate(b, t->name, &found);

	b->topics = xgrow(b->topics, &b->topics_cap, b->ntopics + 1, sizeof(*b->topics));
	memmove(b->topics + at + 1, b->topics + at, (b->ntopics - at) * sizeof(*b->topics));
	b->topics[at] = t;
	b->ntopics++;
}

void registry_discard(struct broker *b, struct topic *t)
{
	for (int32_t i = 0; i < t->npart; i++)
		discard_partition(b, t->parts[i]);
	topic_put(t);
}

int registry_grow_prepare(struct broker *b, struct topic *t, int32_t count,
			struct partition ***parts, struct err *e)
{
	struct partition **v = xcalloc((size_t)count, sizeof(*v));
	int rc = open_range(b, t, v, t->npart, count, e);

	if (rc) {
		free(v);
		return rc;
	}
	*parts = v;
	return 0;
}

void registry_grow_commit(struct topic *t, int32_t count, struct partition **parts)
{
	struct partition **old = t->parts;

	memcpy(parts, old, (size_t)t->npart * sizeof(*parts));
	t->parts = parts;
	t->npart = count;
	free(old);
}

void registry_grow_discard(struct broker *b, struct topic *t, int32_t count,
			 struct partition **parts)
{
	for (int32_t i = t->npart; i < count; i++)
		discard_partition(b, parts[i]);
	free(parts);
}

int registry_reconfigure(struct broker *b, struct topic *t, json_t *overrides, struct err *e)
{
	struct topic_config cfg;
	int rc = topic_config_resolve(&b->conf, overrides, &cfg, e);

	if (rc)
		return rc;
	t->cfg = cfg;
	for (int32_t i = 0; i < t->npart; i++)
		plog_set_config(t->parts[i]->log, &cfg.log);
	return 0;
}

/* ---- removing ---- */

struct topic *registry_detach(struct broker *b, const char *name)
{
	int found;
	size_t at = locate(b, name, &found);
	struct topic *t;

	if (!found)
		return NULL;
	t = b->topics[at];
	memmove(b->topics + at, b->topics + at + 1, (b->ntopics - at - 1) * sizeof(*b->topics));
	b->ntopics--;
	for (int32_t i = 0; i < t->npart; i++) {
		struct partition *p = t->parts[i];

		atomic_store(&p->deleted, 1);
		fetch_waits_drop_partition(b->waits, &p->waiters);
		/* Stops a compaction of p at its next batch: the cleaner's
		 * reference keeps p until then, and its put removes the files. */
		atomic_store(&p->clean_cancel, 1);
		b->dirs.v[p->dir].partitions--;
	}
	return t;
}

void registry_release(struct topic *t)
{
	int32_t n = t->npart;

	/* The topic outlives its partitions: it holds a reference of its own
	 * until they are all put. */
	for (int32_t i = 0; i < n; i++)
		partition_put(t->parts[i]);
	topic_put(t);
}

int registry_close_all(struct broker *b, struct err *e)
{
	int rc = 0;

	for (size_t i = 0; i < b->ntopics; i++) {
		struct topic *t = b->topics[i];
		for (int32_t j = 0; j < t->npart; j++) {
			struct partition *p = t->parts[j];
			struct err pe;
			if (plog_close(p->log, &pe) && !rc) {
				rc = pe.code;
				if (e)
					*e = pe;
			}
			p->log = NULL;
		}
		registry_release(t);
	}
	free(b->topics);
	b->topics = NULL;
	b->ntopics = b->topics_cap = 0;
	return rc;
}

int32_t partition_leader(struct broker *b, const struct partition *p)
{
	const struct meta_topic *mt = meta_find(&b->meta, p->topic->name);

	if (!mt || p->id >= mt->partitions)
		return -1;
	return mt->parts[p->id].leader;
}

int broker_endpoint(struct broker *b, int32_t node, const char **host, int *port)
{
	const struct meta_broker *mb = meta_find_broker(&b->meta, node);

	if (mb)
		return meta_broker_http(mb, host, port);
	if (node != b->node_id)
		return -1;
	*host = b->host;
	*port = b->port;
	return 0;
}

json_t *broker_address(struct broker *b, int32_t node)
{
	const char *host = "";
	int port = 0;

	broker_endpoint(b, node, &host, &port);
	return json_pack("{s:i, s:s, s:i}", "node_id", node, "host", host, "port", port);
}

struct partition **registry_hold_all(struct broker *b, size_t *n)
{
	struct partition **v;

	pthread_rwlock_rdlock(&b->meta_lock);
	*n = 0;
	for (size_t i = 0; i < b->ntopics; i++)
		*n += (size_t)b->topics[i]->npart;
	v = xcalloc(*n + 1, sizeof(*v));
	*n = 0;
	for (size_t i = 0; i < b->ntopics; i++)
		for (int32_t j = 0; j < b->topics[i]->npart; j++)
			v[(*n)++] = partition_get(b->topics[i]->parts[j]);
	pthread_rwlock_unlock(&b->meta_lock);
	return v;
}

void registry_put_all(struct partition **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		partition_put(v[i]);
	free(v);
}
