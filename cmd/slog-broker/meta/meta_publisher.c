/*
 * meta_publisher.c: the broker follows its image.  See meta_publisher.h.
 */
#include "meta/meta_publisher.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "broker.h"
#include "clock.h"
#include "log.h"
#include "meta/publish.h"
#include "xalloc.h"

/* Entries taken from the image per round. */
#define BATCH_ENTRIES 64
/* The pause after a failure doubles from the first to the last. */
#define RETRY_FIRST_MS 100
#define RETRY_MAX_MS 5000

struct meta_publisher {
	struct broker *b;
	pthread_t thread;
	pthread_mutex_t lock;     /* guards what follows */
	pthread_cond_t wake;      /* the image changed, or stop */
	pthread_cond_t progress;  /* published moved */
	int stop;
	int64_t published;        /* records below it are published; -1: nothing yet */
	int64_t retry_ms;         /* the pause after the last failure; 0: none */
	int64_t retry_at;         /* monotonic: when to try again */
	char last_error[512];
};

static void set_published(struct meta_publisher *p, int64_t offset)
{
	pthread_mutex_lock(&p->lock);
	p->published = offset;
	pthread_cond_broadcast(&p->progress);
	pthread_mutex_unlock(&p->lock);
}

/* The image's whole state at once: at start, or after falling behind
 * what the image's ring keeps. */
static int publish_whole(struct meta_publisher *p, struct err *e)
{
	struct meta_state s;
	struct publish_plan pl;
	int64_t offset;
	int rc = meta_image_copy_state(&p->b->image, &s, &offset, e);

	if (rc)
		return rc;
	rc = publish_prepare_state(p->b, &s, &pl, e); /* takes s over */
	if (rc)
		return rc;
	publish_commit(p->b, &pl);
	set_published(p, offset);
	return 0;
}

/* Entries of an answer of meta_image_since(), in order, up to the first
 * that fails. */
static int publish_entries(struct meta_publisher *p, json_t *entries, struct err *e)
{
	json_t *entry;
	size_t i;

	json_array_foreach(entries, i, entry) {
		json_t *recs = json_object_get(entry, "records");
		int64_t offset = json_integer_value(json_object_get(entry, "offset"));
		int rc = publish_records(p->b, recs, e);

		if (rc)
			return rc;
		set_published(p, offset + (int64_t)json_array_size(recs));
	}
	return 0;
}

/* One round: what the image has past published. */
static int publish_step(struct meta_publisher *p, int64_t published, struct err *e)
{
	json_t *answer;
	int rc;

	/* An image restored behind what was published (not from a leader,
	 * which is ahead) is published whole too. */
	if (published < 0 || published > atomic_load(&p->b->image.offset))
		return publish_whole(p, e);
	rc = meta_image_since(&p->b->image, published, BATCH_ENTRIES, &answer, e);
	if (rc)
		return rc;
	/* Behind by a snapshot, or by a full batch or more (a start that
	 * replays the log): the whole state at once is one diff, not one a
	 * batch of entries. */
	if (json_object_get(answer, "snapshot") ||
	    json_array_size(json_object_get(answer, "entries")) >= BATCH_ENTRIES)
		rc = publish_whole(p, e);
	else
		rc = publish_entries(p, json_object_get(answer, "entries"), e);
	json_decref(answer);
	return rc;
}

/* After a round: the next pause, and the failure for those who wait. */
static void note_round(struct meta_publisher *p, int rc, const struct err *e)
{
	if (!rc) {
		p->retry_ms = 0;
		p->last_error[0] = 0;
		return;
	}
	p->retry_ms = p->retry_ms ? p->retry_ms * 2 : RETRY_FIRST_MS;
	if (p->retry_ms > RETRY_MAX_MS)
		p->retry_ms = RETRY_MAX_MS;
	p->retry_at = clock_mono_ms() + p->retry_ms;
	snprintf(p->last_error, sizeof(p->last_error), "%s", e->msg);
	log_error("publishing metadata at offset %lld: %s (trying again in %lld ms)",
		  (long long)p->published, e->msg, (long long)p->retry_ms);
}

/*
 * The first cluster id published is the one this node joins (recorded
 * for its next start); another one later means this node's data belongs
 * to another cluster: the broker stops (main exits 1 on refused), since
 * serving would mix two clusters' data.
 */
static void join_cluster(struct meta_publisher *p)
{
	struct broker *b = p->b;
	struct err e;

	if (!b->meta.cluster_id[0] || strcmp(b->meta.cluster_id, b->mlog.joined) == 0)
		return;
	if (!meta_log_join(&b->mlog, b->meta.cluster_id, &b->dirs, b->node_id, &e))
		return;
	log_error("%s", e.msg);
	if (b->mlog.refused)
		kill(getpid(), SIGTERM);
}

static int behind(struct meta_publisher *p)
{
	return p->published < 0 || p->published != atomic_load(&p->b->image.offset);
}

static void *publisher_main(void *arg)
{
	struct meta_publisher *p = arg;
	struct err e;

	pthread_mutex_lock(&p->lock);
	while (!p->stop) {
		int64_t published = p->published;
		int rc;

		if (!behind(p)) {
			pthread_cond_wait(&p->wake, &p->lock);
			continue;
		}
		if (p->retry_ms && clock_mono_ms() < p->retry_at) {
			clock_cond_wait_until(&p->wake, &p->lock, p->retry_at);
			continue;
		}
		pthread_mutex_unlock(&p->lock);
		rc = publish_step(p, published, &e);
		if (!rc)
			join_cluster(p);
		pthread_mutex_lock(&p->lock);
		note_round(p, rc, &e);
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

void meta_publisher_wake(void *arg)
{
	struct meta_publisher *p = arg;

	pthread_mutex_lock(&p->lock);
	pthread_cond_signal(&p->wake);
	pthread_mutex_unlock(&p->lock);
}

struct meta_publisher *meta_publisher_start(struct broker *b)
{
	struct meta_publisher *p = xcalloc(1, sizeof(*p));

	p->b = b;
	p->published = -1;
	pthread_mutex_init(&p->lock, NULL);
	clock_cond_init(&p->wake);
	clock_cond_init(&p->progress);
	pthread_create(&p->thread, NULL, publisher_main, p);
	return p;
}

void meta_publisher_stop(struct meta_publisher *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	p->stop = 1;
	pthread_cond_signal(&p->wake);
	pthread_mutex_unlock(&p->lock);
	pthread_join(p->thread, NULL);
	pthread_mutex_destroy(&p->lock);
	pthread_cond_destroy(&p->wake);
	pthread_cond_destroy(&p->progress);
	free(p);
}

int meta_publisher_await(struct meta_publisher *p, int64_t offset, int64_t deadline_ms,
			 struct err *e)
{
	int rc = 0;

	pthread_mutex_lock(&p->lock);
	while (p->published < offset && !p->stop &&
	       (!p->retry_ms || clock_mono_ms() < deadline_ms))
		clock_cond_wait_until(&p->progress, &p->lock,
				      p->retry_ms ? deadline_ms : clock_mono_ms() + 100);
	if (p->published < offset)
		rc = err_set(e, SLOG_EREQUEST_TIMED_OUT,
			     "the metadata change is committed, but this broker has not applied it "
			     "yet%s%s", p->last_error[0] ? ": " : "", p->last_error);
	pthread_mutex_unlock(&p->lock);
	return rc;
}

int64_t meta_publisher_offset(struct meta_publisher *p)
{
	int64_t offset;

	pthread_mutex_lock(&p->lock);
	offset = p->published;
	pthread_mutex_unlock(&p->lock);
	return offset;
}
