/*
 * topics.c: the broker's topic registry: runtime topics and partitions
 * mirroring the metadata state.  See broker.h for the locking rules.
 */
#include <stdlib.h>
#include <string.h>

#include "broker.h"
#include "fetch_wait.h"
#include "flusher.h"
#include "log.h"
#include "log_cleaner.h"
#include "sorted.h"
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

static int open_partition(struct broker *b, struct topic *t, int32_t id, struct err *e)
{
	struct partition *p = xcalloc(1, sizeof(*p));
	int64_t end;
	int rc;

	p->topic = t;
	p->id = id;
	p->dir = log_dirs_find(&b->dirs, t->name, id);
	if (p->dir < 0)
		p->dir = log_dirs_pick(&b->dirs);
	rc = log_dirs_open_partition(&b->dirs, p->dir, t->name, id, &t->cfg.log, &p->log, e);
	if (rc) {
		free(p);
		return err_wrap(e, "%s-%d", t->name, id);
	}
	/* One replica: everything in the log is committed. */
	plog_offsets(p->log, NULL, &end);
	p->hw = end;
	p->first_dirty = log_dirs_cleaner_offset(&b->dirs, p->dir, t->name, id);
	p->leader_epoch = 0;
	t->parts[id] = p;
	return 0;
}

static void free_topic(struct topic *t)
{
	for (int32_t i = 0; i < t->npart; i++)
		free(t->parts[i]);
	free(t->parts);
	free(t);
}

int topics_add(struct broker *b, const struct meta_topic *mt, struct err *e)
{
	struct topic *t = xcalloc(1, sizeof(*t));
	int found, rc;
	size_t at;

	snprintf(t->name, sizeof(t->name), "%s", mt->name);
	snprintf(t->id, sizeof(t->id), "%s", mt->id);
	t->replication_factor = mt->replication_factor;
	t->internal = meta_topic_internal(mt->name);
	rc = topic_config_resolve(&b->conf, mt->configs, &t->cfg, e);
	if (rc) {
		free(t);
		return err_wrap(e, "topic %s", mt->name);
	}
	t->parts = xcalloc((size_t)mt->partitions, sizeof(*t->parts));
	for (int32_t i = 0; i < mt->partitions && !rc; i++) {
		rc = open_partition(b, t, i, e);
		if (!rc)
			t->npart = i + 1;
	}
	if (rc) {
		for (int32_t i = 0; i < t->npart; i++)
			plog_close(t->parts[i]->log, NULL);
		free_topic(t);
		return rc;
	}
	at = locate(b, t->name, &found);
	b->topics = xgrow(b->topics, &b->topics_cap, b->ntopics + 1, sizeof(*b->topics));
	memmove(b->topics + at + 1, b->topics + at, (b->ntopics - at) * sizeof(*b->topics));
	b->topics[at] = t;
	b->ntopics++;
	return 0;
}

int topics_open_all(struct broker *b, struct err *e)
{
	for (size_t i = 0; i < b->meta.ntopics; i++) {
		int rc = topics_add(b, b->meta.topics[i], e);
		if (rc)
			return rc;
	}
	return 0;
}

int topics_grow(struct broker *b, struct topic *t, int32_t count, struct err *e)
{
	int rc = 0;

	(void)b;
	t->parts = xrealloc(t->parts, (size_t)count * sizeof(*t->parts));
	for (int32_t i = t->npart; i < count && !rc; i++) {
		rc = open_partition(b, t, i, e);
		if (!rc)
			t->npart = i + 1;
	}
	return rc;
}

int topics_reconfigure(struct broker *b, struct topic *t, json_t *overrides, struct err *e)
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

int topics_remove(struct broker *b, const char *name, struct err *e)
{
	int found, rc = 0;
	size_t at = locate(b, name, &found);
	struct topic *t;

	if (!found)
		return 0;
	t = b->topics[at];
	memmove(b->topics + at, b->topics + at + 1, (b->ntopics - at - 1) * sizeof(*b->topics));
	b->ntopics--;
	for (int32_t i = 0; i < t->npart; i++) {
		struct partition *p = t->parts[i];
		struct err pe;

		/* Nobody may hold the partition once it is freed. */
		fetch_waits_drop_partition(b->waits, p);
		flusher_drain_partition(b->flusher, p);
		log_cleaner_release(b->cleaner, p);
		b->dirs.v[p->dir].partitions--;
		if (plog_destroy(p->log, &pe) && !rc) {
			rc = pe.code;
			if (e)
				*e = pe;
		}
	}
	free_topic(t);
	return rc;
}

int topics_close_all(struct broker *b, struct err *e)
{
	int rc = 0;

	for (size_t i = 0; i < b->ntopics; i++) {
		struct topic *t = b->topics[i];
		for (int32_t j = 0; j < t->npart; j++) {
			struct err pe;
			if (plog_close(t->parts[j]->log, &pe) && !rc) {
				rc = pe.code;
				if (e)
					*e = pe;
			}
		}
		free_topic(t);
	}
	free(b->topics);
	b->topics = NULL;
	b->ntopics = b->topics_cap = 0;
	return rc;
}

int32_t partition_leader(struct broker *b, const struct partition *p)
{
	(void)p; /* replication will keep a leader per partition */
	return b->node_id;
}

json_t *broker_address(struct broker *b, int32_t node)
{
	(void)node; /* a cluster of one knows one address */
	return json_pack("{s:i, s:s, s:i}", "node_id", b->node_id, "host", b->host, "port", b->port);
}

void partition_appended(struct broker *b, struct partition *p, int64_t log_end)
{
	int64_t hw = p->hw;

	/* Appends finish out of order across threads: only ever move forward. */
	while (log_end > hw && !atomic_compare_exchange_weak(&p->hw, &hw, log_end))
		;
	fetch_waits_notify(b->waits, p);
}
