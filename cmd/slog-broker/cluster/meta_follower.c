/*
 * meta_follower.c: the observer's fetch loop.  See meta_follower.h.
 *
 * The voter holds each poll up to WAIT_MS and answers as soon as its
 * image moves past N, so an observer sees a change one round trip after
 * the voter applied it.  A voter that fails, or that is behind this
 * observer (OFFSET_OUT_OF_RANGE), is left for the next at once; from
 * the second failure in a row, the loop waits a little between tries.
 */
#include "cluster/meta_follower.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker.h"
#include "clock.h"
#include "cluster/cluster_peers.h"
#include "cluster/peer_client.h"
#include "log.h"
#include "xalloc.h"

#define WAIT_MS 2000
#define SLACK_MS 3000   /* beyond the poll's wait, for the answer to come */
#define BACKOFF_MS 250

struct meta_follower {
	struct broker *b;
	struct peer_client *pc;
	char url[PEER_URL_MAX]; /* the thread's: the voter it follows */
	size_t next;            /* the thread's: the candidate to try next */
	int failures;           /* the thread's: in a row */
	pthread_mutex_t lock;   /* guards stop */
	pthread_cond_t cond;
	int stop;
	pthread_t thread;
};

static int pick_voter(struct meta_follower *f)
{
	struct peer_list l;

	if (f->url[0])
		return 0;
	cluster_peers_controllers(f->b, &l);
	if (l.n == 0)
		return -1;
	snprintf(f->url, sizeof(f->url), "%s", l.url[f->next++ % l.n]);
	return 0;
}

/* One long poll and its answer applied; 0 or an SLOG_E* code. */
static int poll_once(struct meta_follower *f, struct err *e)
{
	struct broker *b = f->b;
	char path[96];
	json_t *ans = NULL;
	int rc;

	snprintf(path, sizeof(path), "/v1/meta/records?after=%lld&wait_ms=%d",
		 (long long)b->image.offset, WAIT_MS);
	rc = peer_call(f->pc, f->url, "GET", path, NULL, clock_mono_ms() + WAIT_MS + SLACK_MS,
		       &ans, e);
	if (!rc && !json_is_object(ans))
		rc = err_set(e, SLOG_ECORRUPT_MESSAGE, "%s%s: the answer is not a JSON object",
			     f->url, path);
	if (!rc)
		rc = meta_image_apply_fetched(&b->image, ans, e);
	json_decref(ans);
	return rc;
}

static void note(struct meta_follower *f, int rc, const struct err *e)
{
	if (!rc) {
		if (f->failures)
			log_info("following the metadata log on %s", f->url);
		f->failures = 0;
		return;
	}
	if (f->failures == 0)
		log_warn("metadata from %s: %s (trying the other controllers)", f->url, e->msg);
	f->failures++;
	f->url[0] = '\0';
}

static void *follower_main(void *arg)
{
	struct meta_follower *f = arg;

	pthread_mutex_lock(&f->lock);
	while (!f->stop) {
		struct err e = { 0 };
		int rc;

		pthread_mutex_unlock(&f->lock);
		rc = pick_voter(f);
		if (rc)
			err_set(&e, SLOG_ENOT_CONTROLLER, "no controller known: set "
				"controller.quorum.bootstrap.servers");
		else
			rc = poll_once(f, &e);
		pthread_mutex_lock(&f->lock);
		if (f->stop)
			break; /* a poll cut short by the stop is no failure */
		pthread_mutex_unlock(&f->lock);
		note(f, rc, &e);
		pthread_mutex_lock(&f->lock);
		if (rc && f->failures > 1 && !f->stop)
			clock_cond_wait_until(&f->cond, &f->lock, clock_mono_ms() + BACKOFF_MS);
	}
	pthread_mutex_unlock(&f->lock);
	return NULL;
}

struct meta_follower *meta_follower_start(struct broker *b)
{
	struct meta_follower *f = xcalloc(1, sizeof(*f));

	f->b = b;
	f->pc = peer_client_new();
	pthread_mutex_init(&f->lock, NULL);
	clock_cond_init(&f->cond);
	pthread_create(&f->thread, NULL, follower_main, f);
	return f;
}

void meta_follower_stop(struct meta_follower *f)
{
	if (!f)
		return;
	pthread_mutex_lock(&f->lock);
	f->stop = 1;
	pthread_cond_broadcast(&f->cond);
	pthread_mutex_unlock(&f->lock);
	peer_client_stop(f->pc);
	pthread_join(f->thread, NULL);
	peer_client_free(f->pc);
	pthread_mutex_destroy(&f->lock);
	pthread_cond_destroy(&f->cond);
	free(f);
}
