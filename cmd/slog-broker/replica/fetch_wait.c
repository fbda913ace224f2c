/*
 * fetch_wait.c: long-poll waiters, woken by appends or deadlines.
 * See fetch_wait.h.
 *
 * Each partition keeps a list of its waiters (for appends); all waiters
 * sit in one binary heap by deadline (for the timer).  One mutex guards
 * both; an append first reads the partition's waiter count without it,
 * so appends to a partition nobody waits on never touch the lock.
 */
#include "replica/fetch_wait.h"

#include <pthread.h>
#include <stdlib.h>

#include "clock.h"
#include "xalloc.h"

struct fetch_waits {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct fetch_wait **heap;
	size_t n, cap;
	int stop;
	pthread_t timer;
};

static void heap_swap(struct fetch_waits *fw, size_t a, size_t b)
{
	struct fetch_wait *t = fw->heap[a];

	fw->heap[a] = fw->heap[b];
	fw->heap[b] = t;
	fw->heap[a]->heap_idx = a;
	fw->heap[b]->heap_idx = b;
}

static void heap_up(struct fetch_waits *fw, size_t i)
{
	while (i > 0 && fw->heap[(i - 1) / 2]->deadline_ms > fw->heap[i]->deadline_ms) {
		heap_swap(fw, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
}

static void heap_down(struct fetch_waits *fw, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		if (l < fw->n && fw->heap[l]->deadline_ms < fw->heap[m]->deadline_ms)
			m = l;
		if (r < fw->n && fw->heap[r]->deadline_ms < fw->heap[m]->deadline_ms)
			m = r;
		if (m == i)
			return;
		heap_swap(fw, i, m);
		i = m;
	}
}

static void heap_remove(struct fetch_waits *fw, struct fetch_wait *w)
{
	size_t i = w->heap_idx;

	fw->n--;
	if (i != fw->n) {
		fw->heap[i] = fw->heap[fw->n];
		fw->heap[i]->heap_idx = i;
		heap_down(fw, i);
		heap_up(fw, i);
	}
}

/* Unlink w from its partition and the heap.  lock held. */
static void unlink_locked(struct fetch_waits *fw, struct fetch_wait *w)
{
	struct fetch_wait_list *l = w->list;

	w->queued = 0;
	if (w->prev)
		w->prev->next = w->next;
	else
		l->head = w->next;
	if (w->next)
		w->next->prev = w->prev;
	l->n--;
	heap_remove(fw, w);
}

/* Unlink w, then wake it.  lock held. */
static void wake_locked(struct fetch_waits *fw, struct fetch_wait *w)
{
	unlink_locked(fw, w);
	w->wake(w);
}

static void *timer_main(void *arg)
{
	struct fetch_waits *fw = arg;

	pthread_mutex_lock(&fw->lock);
	while (!fw->stop) {
		int64_t now = clock_mono_ms();

		while (fw->n && fw->heap[0]->deadline_ms <= now)
			wake_locked(fw, fw->heap[0]);
		if (fw->n) {
			int64_t at = fw->heap[0]->deadline_ms;
			clock_cond_wait_until(&fw->cond, &fw->lock, at);
		} else {
			pthread_cond_wait(&fw->cond, &fw->lock);
		}
	}
	pthread_mutex_unlock(&fw->lock);
	return NULL;
}

struct fetch_waits *fetch_waits_start(void)
{
	struct fetch_waits *fw = xcalloc(1, sizeof(*fw));

	pthread_mutex_init(&fw->lock, NULL);
	clock_cond_init(&fw->cond);
	pthread_create(&fw->timer, NULL, timer_main, fw);
	return fw;
}

void fetch_waits_wake_all(struct fetch_waits *fw)
{
	pthread_mutex_lock(&fw->lock);
	while (fw->n)
		wake_locked(fw, fw->heap[0]);
	pthread_mutex_unlock(&fw->lock);
}

void fetch_waits_stop(struct fetch_waits *fw)
{
	int was;

	fetch_waits_wake_all(fw);
	pthread_mutex_lock(&fw->lock);
	was = fw->stop;
	fw->stop = 1;
	pthread_cond_signal(&fw->cond);
	pthread_mutex_unlock(&fw->lock);
	if (!was)
		pthread_join(fw->timer, NULL);
}

void fetch_waits_free(struct fetch_waits *fw)
{
	if (!fw)
		return;
	fetch_waits_stop(fw);
	pthread_mutex_destroy(&fw->lock);
	pthread_cond_destroy(&fw->cond);
	free(fw->heap);
	free(fw);
}

void fetch_waits_add(struct fetch_waits *fw, struct fetch_wait *w)
{
	struct fetch_wait_list *l = w->list;

	pthread_mutex_lock(&fw->lock);
	if (*w->hw > w->offset || fw->stop) {
		pthread_mutex_unlock(&fw->lock);
		w->wake(w);
		return;
	}
	w->queued = 1;
	w->prev = NULL;
	w->next = l->head;
	if (l->head)
		l->head->prev = w;
	l->head = w;
	l->n++;
	fw->heap = xgrow(fw->heap, &fw->cap, fw->n + 1, sizeof(*fw->heap));
	w->heap_idx = fw->n;
	fw->heap[fw->n++] = w;
	heap_up(fw, w->heap_idx);
	if (fw->heap[0] == w)
		pthread_cond_signal(&fw->cond); /* a new earliest deadline */
	pthread_mutex_unlock(&fw->lock);
}

void fetch_waits_cancel(struct fetch_waits *fw, struct fetch_wait *w)
{
	pthread_mutex_lock(&fw->lock);
	if (w->queued)
		unlink_locked(fw, w);
	pthread_mutex_unlock(&fw->lock);
}

void fetch_waits_notify(struct fetch_waits *fw, struct fetch_wait_list *l)
{
	struct fetch_wait *w, *next;

	if (l->n == 0)
		return;
	pthread_mutex_lock(&fw->lock);
	for (w = l->head; w; w = next) {
		next = w->next;
		if (*w->hw > w->offset)
			wake_locked(fw, w);
	}
	pthread_mutex_unlock(&fw->lock);
}

void fetch_waits_drop_partition(struct fetch_waits *fw, struct fetch_wait_list *l)
{
	pthread_mutex_lock(&fw->lock);
	while (l->head)
		wake_locked(fw, l->head);
	pthread_mutex_unlock(&fw->lock);
}
