/*
 * dir_gate.c: per-log-dir admission for request threads.  See dir_gate.h.
 *
 * One mutex guards every dir's count and queue: entering several dirs at
 * once must see them all in one state, and the critical sections are a
 * few instructions.  Wake callbacks run after the mutex is released:
 * they resume HTTP connections, which takes the server's own locks.
 */
#include "storage/dir_gate.h"

#include <pthread.h>
#include <stdlib.h>

#include "xalloc.h"

#define GATE_MAX_DIRS 64

enum { W_IDLE, W_QUEUED, W_WOKEN };

struct gate_dir {
	int busy;                        /* request threads inside */
	struct dir_gate_wait *head, *tail;
};

struct dir_gate {
	pthread_mutex_t lock;            /* guards everything below */
	int slots;
	int closed;
	struct gate_dir d[GATE_MAX_DIRS];
};

struct dir_gate *dir_gate_new(int slots)
{
	struct dir_gate *g = xcalloc(1, sizeof(*g));

	pthread_mutex_init(&g->lock, NULL);
	g->slots = slots > 0 ? slots : 1;
	return g;
}

void dir_gate_free(struct dir_gate *g)
{
	if (!g)
		return;
	pthread_mutex_destroy(&g->lock);
	free(g);
}

static int dir_index(int dir)
{
	return dir < 0 ? 0 : dir % GATE_MAX_DIRS;
}

uint64_t dir_gate_bit(int dir)
{
	return (uint64_t)1 << dir_index(dir);
}

static void queue_add(struct gate_dir *d, struct dir_gate_wait *w, int front)
{
	w->state = W_QUEUED;
	w->next = NULL;
	if (!d->head) {
		d->head = d->tail = w;
	} else if (front) {
		w->next = d->head;
		d->head = w;
	} else {
		d->tail->next = w;
		d->tail = w;
	}
}

static void queue_remove(struct gate_dir *d, struct dir_gate_wait *w)
{
	struct dir_gate_wait **pp = &d->head, *prev = NULL;

	while (*pp && *pp != w) {
		prev = *pp;
		pp = &(*pp)->next;
	}
	if (!*pp)
		return;
	*pp = w->next;
	if (d->tail == w)
		d->tail = prev;
	w->next = NULL;
}

/* The oldest waiter of d if d has a free slot, taken off the queue (lock held). */
static struct dir_gate_wait *next_to_wake(struct dir_gate *g, struct gate_dir *d)
{
	struct dir_gate_wait *w = d->head;

	if (!w || d->busy >= g->slots)
		return NULL;
	d->head = w->next;
	if (!d->head)
		d->tail = NULL;
	w->next = NULL;
	w->state = W_WOKEN;
	return w;
}

static int gate_enter(struct dir_gate *g, uint64_t mask, struct dir_gate_wait *w, int queue)
{
	int full = -1, retry;

	pthread_mutex_lock(&g->lock);
	for (int i = 0; i < GATE_MAX_DIRS && full < 0; i++)
		if ((mask >> i & 1) && g->d[i].busy >= g->slots)
			full = i;
	if (full < 0) {
		for (int i = 0; i < GATE_MAX_DIRS; i++)
			if (mask >> i & 1)
				g->d[i].busy++;
		if (w)
			w->state = W_IDLE;
		pthread_mutex_unlock(&g->lock);
		return 1;
	}
	if (g->closed || !queue) {
		int rc = g->closed ? -1 : 0;
		pthread_mutex_unlock(&g->lock);
		return rc;
	}
	/* A woken waiter that lost the race keeps its place at the front. */
	retry = w->gate == g && w->state == W_WOKEN;
	w->gate = g;
	w->dir = full;
	queue_add(&g->d[full], w, retry);
	pthread_mutex_unlock(&g->lock);
	return 0;
}

int dir_gate_enter(struct dir_gate *g, uint64_t mask, struct dir_gate_wait *w)
{
	return gate_enter(g, mask, w, 1);
}

int dir_gate_try(struct dir_gate *g, uint64_t mask, struct dir_gate_wait *w)
{
	return gate_enter(g, mask, w, 0);
}

void dir_gate_leave(struct dir_gate *g, uint64_t mask)
{
	struct dir_gate_wait *wake[GATE_MAX_DIRS];
	int n = 0;

	pthread_mutex_lock(&g->lock);
	for (int i = 0; i < GATE_MAX_DIRS; i++) {
		if (!(mask >> i & 1))
			continue;
		g->d[i].busy--;
		wake[n] = next_to_wake(g, &g->d[i]);
		if (wake[n])
			n++;
	}
	pthread_mutex_unlock(&g->lock);
	for (int i = 0; i < n; i++)
		wake[i]->wake(wake[i]); /* the last touch: it may be gone after */
}

void dir_gate_forget(struct dir_gate_wait *w)
{
	struct dir_gate *g = w->gate;
	struct dir_gate_wait *next = NULL;

	if (!g)
		return;
	pthread_mutex_lock(&g->lock);
	if (w->state == W_QUEUED)
		queue_remove(&g->d[w->dir], w);
	else if (w->state == W_WOKEN)
		next = next_to_wake(g, &g->d[w->dir]);
	w->state = W_IDLE;
	w->gate = NULL;
	pthread_mutex_unlock(&g->lock);
	if (next)
		next->wake(next);
}

void dir_gate_close(struct dir_gate *g)
{
	pthread_mutex_lock(&g->lock);
	g->closed = 1;
	for (int i = 0; i < GATE_MAX_DIRS; i++) {
		struct dir_gate_wait *w;
		/* One at a time, unlocked: a woken waiter may come back at once. */
		while ((w = g->d[i].head)) {
			g->d[i].head = w->next;
			if (!g->d[i].head)
				g->d[i].tail = NULL;
			w->next = NULL;
			w->state = W_WOKEN;
			pthread_mutex_unlock(&g->lock);
			w->wake(w);
			pthread_mutex_lock(&g->lock);
		}
	}
	pthread_mutex_unlock(&g->lock);
}

int dir_gate_busy(struct dir_gate *g, int dir)
{
	int n;

	pthread_mutex_lock(&g->lock);
	n = g->d[dir_index(dir)].busy;
	pthread_mutex_unlock(&g->lock);
	return n;
}
