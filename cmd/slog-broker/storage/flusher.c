/*
 * flusher.c: the group-commit threads, one per log dir.  See flusher.h.
 *
 * A log dir is usually a disk: fsyncs to one disk queue behind each
 * other, while fsyncs to different disks can run at once.  With one
 * thread per dir, a disk that hangs (or is merely slow) delays only the
 * acknowledgements of its own partitions.
 *
 * A round takes the dir's whole queue, groups its requests by log
 * with a hash table (linear in the number of requests, however many
 * logs there are), fsyncs each log once to the largest
 * offset asked, and answers the log's requests.  A done callback
 * resumes a connection whose request (and the flush_req inside it)
 * another thread may free at once, so a round never touches a request
 * after answering it: the grouping lives in arrays of its own.
 */
#include "storage/flusher.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "storage/partition_log.h"
#include "xalloc.h"

/* One log dir's queue and thread. */
struct flush_queue {
	pthread_mutex_t lock;      /* guards the fields down to stop */
	pthread_cond_t cond;       /* work arrived, or stop */
	struct flush_req *head, *tail;
	int stop;
	pthread_t thread;
};

struct flusher {
	size_t n;
	struct flush_queue *q;
};

/* One log's requests in a round. */
struct flush_group {
	struct plog *log;
	int64_t upto;
	size_t first;              /* index of its first request */
};

/* A round's working memory, kept between rounds. */
struct round {
	struct flush_req **req;    /* the queue, in order */
	size_t *next;              /* next request of the same group, or SIZE_MAX */
	struct flush_group *group;
	size_t *slot;              /* hash of log -> group index + 1 */
	size_t req_cap, next_cap, group_cap, slot_cap;
	size_t nreq, ngroups;
};

static size_t hash_ptr(const void *p, size_t mask)
{
	uint64_t x = (uint64_t)(uintptr_t)p;

	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	return (size_t)x & mask;
}

/* Group rd->req by log, in O(nreq).  Fills group, next, ngroups. */
static void group_requests(struct round *rd)
{
	size_t nslots = 16, *tail;

	while (nslots < 2 * rd->nreq)
		nslots *= 2;
	rd->slot = xgrow(rd->slot, &rd->slot_cap, nslots, sizeof(*rd->slot));
	memset(rd->slot, 0, nslots * sizeof(*rd->slot));
	rd->next = xgrow(rd->next, &rd->next_cap, rd->nreq, sizeof(*rd->next));
	rd->group = xgrow(rd->group, &rd->group_cap, rd->nreq, sizeof(*rd->group));
	tail = xcalloc(rd->nreq, sizeof(*tail)); /* last request of each group */
	rd->ngroups = 0;
	for (size_t i = 0; i < rd->nreq; i++) {
		struct flush_req *r = rd->req[i];
		size_t h = hash_ptr(r->log, nslots - 1), g;

		while (rd->slot[h] && rd->group[rd->slot[h] - 1].log != r->log)
			h = (h + 1) & (nslots - 1);
		rd->next[i] = SIZE_MAX;
		if (!rd->slot[h]) {
			g = rd->ngroups++;
			rd->slot[h] = g + 1;
			rd->group[g] = (struct flush_group){ r->log, r->upto, i };
		} else {
			g = rd->slot[h] - 1;
			if (r->upto > rd->group[g].upto)
				rd->group[g].upto = r->upto;
			rd->next[tail[g]] = i;
		}
		tail[g] = i;
	}
	free(tail);
}

/* Flush each log of the round once and answer its requests. */
static void run_round(struct round *rd)
{
	for (size_t g = 0; g < rd->ngroups; g++) {
		struct err e;
		int rc;

		err_clear(&e);
		rc = plog_flush(rd->group[g].log, rd->group[g].upto, &e);
		for (size_t i = rd->group[g].first; i != SIZE_MAX; i = rd->next[i]) {
			struct flush_req *r = rd->req[i];
			r->done(r, rc, &e); /* r may be gone after this */
		}
	}
}

/* Take the queue into rd (lock held). */
static void take_queue(struct flush_queue *q, struct round *rd)
{
	rd->nreq = 0;
	for (struct flush_req *r = q->head; r; r = r->next) {
		rd->req = xgrow(rd->req, &rd->req_cap, rd->nreq + 1, sizeof(*rd->req));
		rd->req[rd->nreq++] = r;
	}
	q->head = q->tail = NULL;
	group_requests(rd);
}

static void *queue_main(void *arg)
{
	struct flush_queue *q = arg;
	struct round rd = { 0 };

	pthread_mutex_lock(&q->lock);
	for (;;) {
		while (!q->head && !q->stop)
			pthread_cond_wait(&q->cond, &q->lock);
		if (!q->head)
			break;
		take_queue(q, &rd);
		pthread_mutex_unlock(&q->lock);
		run_round(&rd);
		pthread_mutex_lock(&q->lock);
	}
	pthread_mutex_unlock(&q->lock);
	free(rd.req);
	free(rd.next);
	free(rd.group);
	free(rd.slot);
	return NULL;
}

struct flusher *flusher_start(size_t ndirs)
{
	struct flusher *f = xcalloc(1, sizeof(*f));

	f->n = ndirs ? ndirs : 1;
	f->q = xcalloc(f->n, sizeof(*f->q));
	for (size_t i = 0; i < f->n; i++) {
		struct flush_queue *q = &f->q[i];
		pthread_mutex_init(&q->lock, NULL);
		pthread_cond_init(&q->cond, NULL);
		pthread_create(&q->thread, NULL, queue_main, q);
	}
	return f;
}

void flusher_stop(struct flusher *f)
{
	for (size_t i = 0; i < f->n; i++) {
		struct flush_queue *q = &f->q[i];
		pthread_mutex_lock(&q->lock);
		q->stop = 1;
		pthread_cond_signal(&q->cond);
		pthread_mutex_unlock(&q->lock);
	}
	for (size_t i = 0; i < f->n; i++) {
		struct flush_queue *q = &f->q[i];
		pthread_join(q->thread, NULL);
		pthread_mutex_destroy(&q->lock);
		pthread_cond_destroy(&q->cond);
	}
	free(f->q);
	free(f);
}

static struct flush_queue *queue_of(struct flusher *f, int dir)
{
	return &f->q[dir >= 0 ? (size_t)dir % f->n : 0];
}

void flusher_submit(struct flusher *f, struct flush_req *r)
{
	struct flush_queue *q = queue_of(f, r->dir);

	r->next = NULL;
	pthread_mutex_lock(&q->lock);
	if (q->tail)
		q->tail->next = r;
	else
		q->head = r;
	q->tail = r;
	pthread_cond_signal(&q->cond);
	pthread_mutex_unlock(&q->lock);
}
