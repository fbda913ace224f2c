/*
 * http_defer.c: the worker that runs waiting handlers.  See http_defer.h.
 */
#include "http/http_defer.h"

#include <pthread.h>
#include <stdlib.h>

#include "xalloc.h"

struct job {
	struct request *r;
	http_handler h;
	struct job *next;
};

struct http_defer {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct job *head, **tail;
	int stop;
};

static void run_job(struct job *j)
{
	struct request *r = j->r;
	struct http_server *s = r->server;

	r->deferring = 1;
	j->h(r, r->args);
	free(j);
	/* Once resumed, the request may be answered and freed at once. */
	http_resume(r);
	http_count_running(s, -1);
}

static void *worker_main(void *arg)
{
	struct http_defer *d = arg;

	pthread_mutex_lock(&d->lock);
	for (;;) {
		struct job *j = d->head;

		if (!j) {
			if (d->stop)
				break;
			pthread_cond_wait(&d->cond, &d->lock);
			continue;
		}
		d->head = j->next;
		if (!d->head)
			d->tail = &d->head;
		pthread_mutex_unlock(&d->lock);
		run_job(j);
		pthread_mutex_lock(&d->lock);
	}
	pthread_mutex_unlock(&d->lock);
	return NULL;
}

struct http_defer *http_defer_start(void)
{
	struct http_defer *d = xcalloc(1, sizeof(*d));

	pthread_mutex_init(&d->lock, NULL);
	pthread_cond_init(&d->cond, NULL);
	d->tail = &d->head;
	if (pthread_create(&d->thread, NULL, worker_main, d) != 0) {
		pthread_mutex_destroy(&d->lock);
		pthread_cond_destroy(&d->cond);
		free(d);
		return NULL;
	}
	return d;
}

void http_defer_stop(struct http_defer *d)
{
	if (!d)
		return;
	pthread_mutex_lock(&d->lock);
	d->stop = 1;
	pthread_cond_signal(&d->cond);
	pthread_mutex_unlock(&d->lock);
	pthread_join(d->thread, NULL);
	pthread_mutex_destroy(&d->lock);
	pthread_cond_destroy(&d->cond);
	free(d);
}

int http_defer(struct http_defer *d, struct request *r, http_handler h)
{
	struct job *j;

	j = xcalloc(1, sizeof(*j));
	j->r = r;
	j->h = h;
	http_count_running(r->server, 1);
	http_suspend(r, http_send_kept);
	pthread_mutex_lock(&d->lock);
	*d->tail = j;
	d->tail = &j->next;
	pthread_cond_signal(&d->cond);
	pthread_mutex_unlock(&d->lock);
	return 1;
}
