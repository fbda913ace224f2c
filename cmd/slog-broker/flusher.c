/*
 * flusher.c: the group-commit thread.  See flusher.h.
 *
 * A done callback resumes a connection whose request (and the flush_req
 * inside it) another thread may free at once, so a round first copies
 * the queue into an array and never touches a request after answering
 * it.
 */
#include "flusher.h"

#include <pthread.h>
#include <stdlib.h>

#include "broker.h"
#include "xalloc.h"

struct flusher {
	pthread_mutex_t lock;
	pthread_cond_t cond;       /* work arrived, or stop */
	pthread_cond_t idle;       /* a round finished */
	struct flush_req *head, *tail;
	struct partition **running; /* partitions of the round in progress */
	size_t nrunning;
	int stop;
	pthread_t thread;
};

/* Flush one round: each partition once, to the largest offset asked. */
static void run_round(struct flush_req **v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct partition *part;
		int64_t upto = 0;
		struct err e;
		int rc;

		if (!v[i])
			continue;
		part = v[i]->part;
		for (size_t j = i; j < n; j++)
			if (v[j] && v[j]->part == part && v[j]->upto > upto)
				upto = v[j]->upto;
		err_clear(&e);
		rc = plog_flush(part->log, upto, &e);
		for (size_t j = i; j < n; j++) {
			struct flush_req *r = v[j];
			if (!r || r->part != part)
				continue;
			v[j] = NULL;
			r->done(r, rc, &e); /* r may be gone after this */
		}
	}
}

static void *flusher_main(void *arg)
{
	struct flusher *f = arg;
	struct flush_req **v = NULL;
	size_t cap = 0, pcap = 0;

	pthread_mutex_lock(&f->lock);
	for (;;) {
		size_t n = 0;

		while (!f->head && !f->stop)
			pthread_cond_wait(&f->cond, &f->lock);
		if (!f->head)
			break;
		for (struct flush_req *r = f->head; r; r = r->next) {
			v = xgrow(v, &cap, n + 1, sizeof(*v));
			f->running = xgrow(f->running, &pcap, n + 1, sizeof(*f->running));
			f->running[n] = r->part;
			v[n++] = r;
		}
		f->nrunning = n;
		f->head = f->tail = NULL;
		pthread_mutex_unlock(&f->lock);
		run_round(v, n);
		pthread_mutex_lock(&f->lock);
		f->nrunning = 0;
		pthread_cond_broadcast(&f->idle);
	}
	pthread_mutex_unlock(&f->lock);
	free(v);
	return NULL;
}

struct flusher *flusher_start(void)
{
	struct flusher *f = xcalloc(1, sizeof(*f));

	pthread_mutex_init(&f->lock, NULL);
	pthread_cond_init(&f->cond, NULL);
	pthread_cond_init(&f->idle, NULL);
	pthread_create(&f->thread, NULL, flusher_main, f);
	return f;
}

void flusher_stop(struct flusher *f)
{
	pthread_mutex_lock(&f->lock);
	f->stop = 1;
	pthread_cond_signal(&f->cond);
	pthread_mutex_unlock(&f->lock);
	pthread_join(f->thread, NULL);
	pthread_mutex_destroy(&f->lock);
	pthread_cond_destroy(&f->cond);
	pthread_cond_destroy(&f->idle);
	free(f->running);
	free(f);
}

void flusher_submit(struct flusher *f, struct flush_req *r)
{
	r->next = NULL;
	pthread_mutex_lock(&f->lock);
	if (f->tail)
		f->tail->next = r;
	else
		f->head = r;
	f->tail = r;
	pthread_cond_signal(&f->cond);
	pthread_mutex_unlock(&f->lock);
}

static int busy_with(struct flusher *f, struct partition *p)
{
	for (size_t i = 0; i < f->nrunning; i++)
		if (f->running[i] == p)
			return 1;
	for (struct flush_req *r = f->head; r; r = r->next)
		if (r->part == p)
			return 1;
	return 0;
}

void flusher_drain_partition(struct flusher *f, struct partition *p)
{
	pthread_mutex_lock(&f->lock);
	while (busy_with(f, p))
		pthread_cond_wait(&f->idle, &f->lock);
	pthread_mutex_unlock(&f->lock);
}
