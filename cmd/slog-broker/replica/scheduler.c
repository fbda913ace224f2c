/*
 * scheduler.c: periodic retention, flushing and checkpoints.  See
 * scheduler.h.
 */
#include "replica/scheduler.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "broker.h"
#include "log.h"
#include "replica/registry.h"
#include "replica/replication.h"
#include "xalloc.h"

struct scheduler {
	struct broker *b;
	struct scheduler_job *jobs; /* the scheduler's own, then the caller's */
	size_t njobs;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int stop;
	pthread_t thread;
};

/* Every partition, each with a reference taken under meta_lock, so that
 * the jobs do their disk I/O without it.  *n is the count; *compacted
 * (if not NULL) says for each whether its topic is compacted. */
static struct partition **hold_all(struct broker *b, size_t *n, int **compacted)
{
	struct partition **v = registry_hold_all(b, n);

	if (!compacted)
		return v;
	*compacted = xcalloc(*n + 1, sizeof(**compacted));
	/* A topic's config changes under meta_lock. */
	pthread_rwlock_rdlock(&b->meta_lock);
	for (size_t i = 0; i < *n; i++)
		(*compacted)[i] = v[i]->topic->cfg.cleanup_policy != CLEANUP_DELETE;
	pthread_rwlock_unlock(&b->meta_lock);
	return v;
}

static void run_retention(struct broker *b)
{
	int64_t now = clock_wall_ms();
	size_t n;
	struct partition **v = hold_all(b, &n, NULL);

	for (size_t i = 0; i < n; i++) {
		struct partition *p = v[i];
		struct err e;
		int deleted = 0;

		if (atomic_load(&p->deleted))
			continue;
		if (plog_apply_retention(p->log, now, atomic_load(&p->hw), &deleted, &e))
			log_warn("%s-%d: retention: %s", p->topic->name, p->id, e.msg);
		else if (deleted)
			log_info("%s-%d: retention deleted %d segments", p->topic->name, p->id, deleted);
	}
	registry_put_all(v, n);
}

int scheduler_checkpoint(struct broker *b)
{
	struct log_dirs_entry *v;
	size_t n, k = 0;
	int *compacted;
	struct partition **parts = hold_all(b, &n, &compacted);
	struct err e;
	int rc;

	v = xcalloc(n + 1, sizeof(*v));
	for (size_t i = 0; i < n; i++) {
		struct partition *p = parts[i];
		int64_t end;

		if (atomic_load(&p->deleted))
			continue;
		/* Flush everything appended so far: the recovery point moves to
		 * the end, and a restart after a crash rescans only what came
		 * after. */
		plog_offsets(p->log, NULL, &end);
		/* An offline log was reported once, when it failed. */
		if (!plog_offline(p->log) && plog_flush(p->log, end, &e))
			log_warn("%s-%d: %s", p->topic->name, p->id, e.msg);
		/* What the flush made durable counts for the HW at once. */
		replication_durable(b, p);
		v[k++] = (struct log_dirs_entry){ p->dir, p->topic->name, p->id, p->log,
						  compacted[i] ? p->first_dirty : -1, -1 };
	}
	rc = log_dirs_checkpoint(&b->dirs, v, k, &e);
	if (rc)
		log_warn("writing checkpoints: %s", e.msg);
	/* The high watermarks after the flush, which may have moved them. */
	if (replication_checkpoint(b, &e)) {
		log_warn("writing high watermark checkpoints: %s", e.msg);
		rc = rc ? rc : e.code;
	}
	free(v);
	free(compacted);
	registry_put_all(parts, n);
	return rc;
}

static void run_checkpoint(struct broker *b)
{
	scheduler_checkpoint(b);
}

/* The scheduler's own jobs. */
static const struct scheduler_job own_jobs[] = {
	{ "log.retention.check.interval.ms", run_retention },
	{ "log.flush.offset.checkpoint.interval.ms", run_checkpoint },
};
#define NOWN (sizeof(own_jobs) / sizeof(own_jobs[0]))

static void *scheduler_main(void *arg)
{
	struct scheduler *s = arg;
	struct broker *b = s->b;
	int64_t *next = xcalloc(s->njobs + 1, sizeof(*next));

	for (size_t i = 0; i < s->njobs; i++)
		next[i] = clock_mono_ms() + conf_get_num(&b->conf, s->jobs[i].interval_key);
	pthread_mutex_lock(&s->lock);
	while (!s->stop) {
		int64_t now = clock_mono_ms(), at = INT64_MAX;
		size_t due = s->njobs;

		for (size_t i = 0; i < s->njobs; i++) {
			if (next[i] <= now && due == s->njobs)
				due = i;
			if (next[i] < at)
				at = next[i];
		}
		if (due < s->njobs) {
			pthread_mutex_unlock(&s->lock);
			s->jobs[due].run(b);
			pthread_mutex_lock(&s->lock);
			next[due] = clock_mono_ms() + conf_get_num(&b->conf, s->jobs[due].interval_key);
			continue;
		}
		clock_cond_wait_until(&s->cond, &s->lock, at);
	}
	pthread_mutex_unlock(&s->lock);
	free(next);
	return NULL;
}

struct scheduler *scheduler_start(struct broker *b, const struct scheduler_job *jobs, size_t n)
{
	struct scheduler *s = xcalloc(1, sizeof(*s));

	s->b = b;
	s->njobs = NOWN + n;
	s->jobs = xcalloc(s->njobs, sizeof(*s->jobs));
	memcpy(s->jobs, own_jobs, sizeof(own_jobs));
	if (n)
		memcpy(s->jobs + NOWN, jobs, n * sizeof(*jobs));
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
	free(s->jobs);
	free(s);
}
