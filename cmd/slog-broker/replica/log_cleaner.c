/*
 * log_cleaner.c: the compaction thread.  See log_cleaner.h.
 */
#include "replica/log_cleaner.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "broker.h"
#include "log.h"
#include "replica/registry.h"
#include "xalloc.h"

struct log_cleaner {
	struct broker *b;
	pthread_mutex_t lock;
	pthread_cond_t wake; /* stop */
	struct partition *busy;
	int stop;
	pthread_t thread;
};

struct candidate {
	char topic[TOPIC_NAME_MAX + 1];
	char id[24];
	int32_t partition;
};

/* Which partitions are compacted, by name (they may go while we work). */
static struct candidate *candidates(struct broker *b, size_t *n)
{
	struct candidate *v = NULL;
	size_t cap = 0;

	*n = 0;
	pthread_rwlock_rdlock(&b->meta_lock);
	for (size_t i = 0; i < b->ntopics; i++) {
		struct topic *t = b->topics[i];
		if (t->cfg.cleanup_policy == CLEANUP_DELETE)
			continue;
		for (int32_t p = 0; p < t->npart; p++) {
			v = xgrow(v, &cap, *n + 1, sizeof(*v));
			memcpy(v[*n].topic, t->name, sizeof(v[*n].topic));
			memcpy(v[*n].id, t->id, sizeof(v[*n].id));
			v[*n].partition = p;
			(*n)++;
		}
	}
	pthread_rwlock_unlock(&b->meta_lock);
	return v;
}

static void clean_one(struct broker *b, struct log_cleaner *c, const struct candidate *cand)
{
	struct plog_compact_opts o = { 0 };
	struct plog_compact_result r;
	struct partition *p;
	struct topic *t;
	struct err e;
	int rc;

	pthread_rwlock_rdlock(&b->meta_lock);
	t = broker_topic(b, cand->topic);
	p = t && strcmp(t->id, cand->id) == 0 ? topic_partition(t, cand->partition) : NULL;
	if (!p || t->cfg.cleanup_policy == CLEANUP_DELETE) {
		pthread_rwlock_unlock(&b->meta_lock);
		return;
	}
	o.first_dirty = p->first_dirty;
	o.max_offset = atomic_load(&p->hw);
	o.min_dirty_ratio = t->cfg.min_cleanable_ratio;
	o.min_lag_ms = t->cfg.min_compaction_lag_ms;
	o.delete_retention_ms = t->cfg.delete_retention_ms;
	o.max_bytes_per_sec = conf_get_num(&b->conf, "log.cleaner.io.max.bytes.per.second");
	o.map_bytes = (size_t)conf_get_num(&b->conf, "log.cleaner.dedupe.buffer.size");
	o.now_ms = clock_wall_ms();
	o.cancel = &p->clean_cancel;
	/* Under meta_lock: a deletion sets clean_cancel under it for writing. */
	atomic_store(&p->clean_cancel, 0);
	partition_get(p);
	pthread_mutex_lock(&c->lock);
	c->busy = p;
	pthread_mutex_unlock(&c->lock);
	pthread_rwlock_unlock(&b->meta_lock);

	/* Our reference keeps p; deleting its topic only sets clean_cancel. */
	rc = plog_compact(p->log, &o, &r, &e);
	if (rc)
		log_warn("%s-%d: compaction: %s", cand->topic, cand->partition, e.msg);
	else
		p->first_dirty = r.first_dirty;
	if (!rc && r.cleaned) {
		p->cleaner_bytes_read += r.bytes_read;
		p->cleaner_bytes_written += r.bytes_written;
		log_info("%s-%d: compacted %d segments into %d: %lld of %lld records kept, "
			 "%lld tombstones removed, %.1f MB read",
			 cand->topic, cand->partition, r.segments_before, r.segments_after,
			 (long long)r.records_kept, (long long)r.records_read,
			 (long long)r.tombstones_removed, (double)r.bytes_read / 1e6);
	}
	pthread_mutex_lock(&c->lock);
	c->busy = NULL;
	pthread_mutex_unlock(&c->lock);
	partition_put(p);
}

static void run(struct broker *b, struct log_cleaner *c)
{
	size_t n;
	struct candidate *v = candidates(b, &n);

	for (size_t i = 0; i < n && !c->stop; i++)
		clean_one(b, c, &v[i]);
	free(v);
}

static void *cleaner_main(void *arg)
{
	struct log_cleaner *c = arg;
	int64_t every = conf_get_num(&c->b->conf, "log.cleaner.backoff.ms");

	pthread_mutex_lock(&c->lock);
	while (!c->stop) {
		clock_cond_wait_until(&c->wake, &c->lock, clock_mono_ms() + every);
		if (c->stop)
			break;
		pthread_mutex_unlock(&c->lock);
		run(c->b, c);
		pthread_mutex_lock(&c->lock);
	}
	pthread_mutex_unlock(&c->lock);
	return NULL;
}

struct log_cleaner *log_cleaner_start(struct broker *b)
{
	struct log_cleaner *c = xcalloc(1, sizeof(*c));

	c->b = b;
	pthread_mutex_init(&c->lock, NULL);
	clock_cond_init(&c->wake);
	pthread_create(&c->thread, NULL, cleaner_main, c);
	return c;
}

void log_cleaner_stop(struct log_cleaner *c)
{
	pthread_mutex_lock(&c->lock);
	c->stop = 1;
	if (c->busy)
		atomic_store(&c->busy->clean_cancel, 1);
	pthread_cond_signal(&c->wake);
	pthread_mutex_unlock(&c->lock);
	pthread_join(c->thread, NULL);
	pthread_mutex_destroy(&c->lock);
	pthread_cond_destroy(&c->wake);
	free(c);
}
