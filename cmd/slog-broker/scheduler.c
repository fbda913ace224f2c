/*
 * scheduler.c: periodic retention, flushing and checkpoints.  See
 * scheduler.h.
 */
#include "scheduler.h"

#include <pthread.h>
#include <stdlib.h>

#include "broker.h"
#include "log.h"
#include "offsets_store.h"
#include "xalloc.h"

struct scheduler {
	struct broker *b;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int stop;
	pthread_t thread;
};

static void run_retention(struct broker *b)
{
	int64_t now = clock_wall_ms();

	pthread_rwlock_rdlock(&b->meta_lock);
	for (size_t i = 0; i < b->ntopics; i++) {
		struct topic *t = b->topics[i];
		for (int32_t p = 0; p < t->npart; p++) {
			struct err e;
			int deleted = 0;
			if (plog_apply_retention(t->parts[p]->log, now, &deleted, &e))
				log_warn("%s-%d: retention: %s", t->name, p, e.msg);
			else if (deleted)
				log_info("%s-%d: retention deleted %d segments", t->name, p, deleted);
		}
	}
	pthread_rwlock_unlock(&b->meta_lock);
}

int scheduler_checkpoint(struct broker *b)
{
	struct log_dirs_entry *v;
	size_t n = 0;
	struct err e;
	int rc;

	pthread_rwlock_rdlock(&b->meta_lock);
	for (size_t i = 0; i < b->ntopics; i++)
		n += (size_t)b->topics[i]->npart;
	v = xcalloc(n + 1, sizeof(*v));
	n = 0;
	for (size_t i = 0; i < b->ntopics; i++) {
		struct topic *t = b->topics[i];
		for (int32_t p = 0; p < t->npart; p++) {
			struct partition *part = t->parts[p];
			int64_t end;
			/* Flush everything appended so far: the recovery point moves
			 * to the end, and a restart after a crash rescans only what
			 * came after. */
			plog_offsets(part->log, NULL, &end);
			/* An offline log was reported once, when it failed. */
			if (!plog_offline(part->log) && plog_flush(part->log, end, &e))
				log_warn("%s-%d: %s", t->name, p, e.msg);
			v[n++] = (struct log_dirs_entry){ part->dir, t->name, p, part->log,
							  t->cfg.cleanup_policy == CLEANUP_DELETE
								  ? -1 : part->first_dirty };
		}
	}
	rc = log_dirs_checkpoint(&b->dirs, v, n, &e);
	pthread_rwlock_unlock(&b->meta_lock);
	if (rc)
		log_warn("writing checkpoints: %s", e.msg);
	free(v);
	return rc;
}

static void run_checkpoint(struct broker *b)
{
	scheduler_checkpoint(b);
}

/* The jobs, each run every interval (a broker key) after the last run ended. */
static const struct job {
	const char *interval_key;
	void (*run)(struct broker *b);
} jobs[] = {
	{ "log.retention.check.interval.ms", run_retention },
	{ "log.flush.offset.checkpoint.interval.ms", run_checkpoint },
	{ "offsets.retention.check.interval.ms", offsets_store_expire },
};
#define NJOBS (sizeof(jobs) / sizeof(jobs[0]))

static void *scheduler_main(void *arg)
{
	struct scheduler *s = arg;
	struct broker *b = s->b;
	int64_t next[NJOBS];

	for (size_t i = 0; i < NJOBS; i++)
		next[i] = clock_mono_ms() + conf_get_num(&b->conf, jobs[i].interval_key);
	pthread_mutex_lock(&s->lock);
	while (!s->stop) {
		int64_t now = clock_mono_ms(), at = INT64_MAX;
		size_t due = NJOBS;

		for (size_t i = 0; i < NJOBS; i++) {
			if (next[i] <= now && due == NJOBS)
				due = i;
			if (next[i] < at)
				at = next[i];
		}
		if (due < NJOBS) {
			pthread_mutex_unlock(&s->lock);
			jobs[due].run(b);
			pthread_mutex_lock(&s->lock);
			next[due] = clock_mono_ms() + conf_get_num(&b->conf, jobs[due].interval_key);
			continue;
		}
		clock_cond_wait_until(&s->cond, &s->lock, at);
	}
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

struct scheduler *scheduler_start(struct broker *b)
{
	struct scheduler *s = xcalloc(1, sizeof(*s));

	s->b = b;
	pthread_mutex_init(&s->lock, NULL);
	clock_cond_init(&s->cond);
	pthread_create(&s->thread, NULL, scheduler_main, s);
	return s;
}

void scheduler_stop(struct scheduler *s)
{
	pthread_mutex_lock(&s->lock);
	s->stop = 1;
	pthread_cond_signal(&s->cond);
	pthread_mutex_unlock(&s->lock);
	pthread_join(s->thread, NULL);
	pthread_mutex_destroy(&s->lock);
	pthread_cond_destroy(&s->cond);
	free(s);
}
