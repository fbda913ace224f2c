/*
 * broker_heartbeat.c: the heartbeat thread.  See broker_heartbeat.h.
 *
 * The thread follows the controller as controller_link.h does, so that
 * a broker whose controller died finds the new one within a few
 * heartbeats.  A failure is logged when it starts and when it ends, not
 * at every heartbeat.
 */
#include "cluster/broker_heartbeat.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "broker.h"
#include "clock.h"
#include "cluster/controller_link.h"
#include "log.h"
#include "meta/meta_publisher.h"
#include "replica/registry.h"
#include "xalloc.h"

#define STARTING_INTERVAL_MS 100 /* until alive */
#define SHUTDOWN_WAIT_MS 2000
#define PUBLISH_WAIT_MS 200

struct broker_heartbeat {
	struct broker *b;
	struct controller_link link;   /* the thread's; stopped by any */
	void (*on_ready)(void *arg);
	void *arg;
	int64_t interval_ms, timeout_ms;
	int failing, ready;            /* the thread's */
	pthread_mutex_t lock;          /* guards the fields below */
	pthread_cond_t cond;
	int nudged, want_shutdown, stop;
	enum meta_broker_state state;  /* as the controller last answered */
	int32_t known_id;              /* the controller that answered */
	char known_url[PEER_URL_MAX];
	pthread_t thread;
};

int broker_heartbeat_alive(struct broker *b)
{
	const struct meta_broker *mb;
	int alive;

	pthread_mutex_lock(&b->image.lock);
	mb = meta_find_broker(&b->image.state, b->node_id);
	alive = mb && mb->state == META_BROKER_ALIVE &&
		strcmp(mb->incarnation, b->incarnation) == 0;
	pthread_mutex_unlock(&b->image.lock);
	return alive;
}

/*
 * The metadata offset this broker serves: what its publisher has applied
 * (Kafka's broker reports the offset its metadata publishers reached),
 * given a moment to catch up with the image, which was just nudged.
 */
static int64_t served_offset(struct broker *b)
{
	int64_t image = atomic_load(&b->image.offset);

	if (!b->publisher)
		return image;
	meta_publisher_await(b->publisher, image, clock_mono_ms() + PUBLISH_WAIT_MS, NULL);
	return meta_publisher_offset(b->publisher);
}

/* Whether partition k of mt, placed on this node, is offline here: its
 * log is, or it could not be opened (publish.c), meta_lock held. */
static int offline_here(struct broker *b, const struct meta_topic *mt, struct topic *t, int32_t k)
{
	struct partition *p;

	if (!meta_partition_on(&mt->parts[k], b->node_id))
		return 0;
	if (!t || strcmp(t->id, mt->id) != 0 || k >= t->npart || !t->parts[k])
		return 1;
	p = t->parts[k];
	return !atomic_load(&p->deleted) && plog_offline(p->log);
}

/* The replicas placed on this node that are offline, by topic:
 * [{"topic","topic_id","partitions":[n,...]}].  Reads only in-memory
 * state under meta_lock (plog_offline does not lock). */
static json_t *offline_replicas(struct broker *b)
{
	json_t *out = json_array();

	pthread_rwlock_rdlock(&b->meta_lock);
	for (size_t i = 0; i < b->meta.ntopics; i++) {
		const struct meta_topic *mt = b->meta.topics[i];
		struct topic *t = broker_topic(b, mt->name);
		json_t *parts = json_array();

		for (int32_t k = 0; k < mt->partitions; k++)
			if (offline_here(b, mt, t, k))
				json_array_append_new(parts, json_integer(k));
		if (json_array_size(parts))
			json_array_append_new(out, json_pack("{s:s, s:s, s:o}", "topic", mt->name,
							     "topic_id", mt->id, "partitions",
							     parts));
		else
			json_decref(parts);
	}
	pthread_rwlock_unlock(&b->meta_lock);
	return out;
}

/*
 * Kafka's heartbeat carries the broker's offline log dirs, and its
 * controller knows which replicas live in each from the partition
 * records.  slog's controller does not place replicas in directories, so
 * the broker names the replicas too: the controller marks exactly those
 * offline (replication spec D7).  Absent while every dir is online, so a
 * healthy broker's heartbeat is what an older controller expects.
 */
static void add_offline(struct broker *b, json_t *body)
{
	json_t *dirs;

	if (!log_dirs_offline_count(&b->dirs))
		return;
	dirs = json_array();
	for (size_t i = 0; i < b->dirs.n; i++)
		if (dir_health_offline(&b->dirs.v[i].health))
			json_array_append_new(dirs, json_string(b->dirs.v[i].path));
	json_object_set_new(body, "offline_log_dirs", dirs);
	json_object_set_new(body, "offline_replicas", offline_replicas(b));
}

static json_t *heartbeat_body(struct broker_heartbeat *hb, int want_shutdown)
{
	struct broker *b = hb->b;
	json_t *body = json_pack("{s:i, s:s, s:[{s:s, s:s, s:i}], s:I, s:b}", "id", b->node_id,
				 "incarnation", b->incarnation, "endpoints", "name", "http", "host",
				 b->host, "port", b->port, "meta_offset",
				 (json_int_t)served_offset(b), "want_shutdown", want_shutdown);

	add_offline(b, body);
	return body;
}

static void note_failure(struct broker_heartbeat *hb, const char *url, const struct err *e)
{
	pthread_mutex_lock(&hb->lock);
	hb->known_id = 0;
	pthread_mutex_unlock(&hb->lock);
	if (!hb->failing)
		log_warn("heartbeat to %s failed: %s (trying the other controllers)", url, e->msg);
	hb->failing = 1;
}

static void note_success(struct broker_heartbeat *hb, const char *url, json_t *ans)
{
	enum meta_broker_state st;

	if (hb->failing)
		log_info("heartbeats answered again by %s", url);
	hb->failing = 0;
	pthread_mutex_lock(&hb->lock);
	if (!meta_broker_state_parse(json_string_value(json_object_get(ans, "state")), &st))
		hb->state = st;
	hb->known_id = (int32_t)json_integer_value(
		json_object_get(json_object_get(ans, "controller"), "id"));
	memcpy(hb->known_url, hb->link.url, sizeof(hb->known_url));
	pthread_cond_broadcast(&hb->cond);
	pthread_mutex_unlock(&hb->lock);
}

int broker_heartbeat_controller(struct broker_heartbeat *hb, int32_t *id, char *url, size_t size)
{
	int rc;

	pthread_mutex_lock(&hb->lock);
	rc = hb->known_id > 0 ? 0 : -1;
	*id = hb->known_id;
	snprintf(url, size, "%s", hb->known_url);
	pthread_mutex_unlock(&hb->lock);
	return rc;
}

/* One heartbeat, to the controller wherever it is: 0 once one took it. */
static int beat(struct broker_heartbeat *hb, int want_shutdown)
{
	json_t *body = heartbeat_body(hb, want_shutdown), *ans = NULL;
	char url[PEER_URL_MAX];
	struct err e;
	int rc;

	rc = controller_link_call(&hb->link, "/v1/cluster/heartbeat", body,
				  clock_mono_ms() + hb->timeout_ms, &ans, url, sizeof(url), &e);
	if (!rc)
		note_success(hb, url, ans);
	else if (rc != SLOG_ENOT_CONTROLLER)
		note_failure(hb, url, &e);
	json_decref(ans);
	json_decref(body);
	return rc;
}

static void check_ready(struct broker_heartbeat *hb)
{
	if (hb->ready || !broker_heartbeat_alive(hb->b))
		return;
	hb->ready = 1;
	log_info("registered with the controller: broker %d is alive (incarnation %s)",
		 hb->b->node_id, hb->b->incarnation);
	if (hb->on_ready)
		hb->on_ready(hb->arg);
}

static void *heartbeat_main(void *arg)
{
	struct broker_heartbeat *hb = arg;

	pthread_mutex_lock(&hb->lock);
	while (!hb->stop) {
		int want = hb->want_shutdown, taken;
		int64_t wait;

		hb->nudged = 0;
		pthread_mutex_unlock(&hb->lock);
		/* Until a controller takes them (at start, or while a new one
		 * is elected), heartbeats come often: the controller waits for
		 * the brokers it has not heard from since its election. */
		taken = beat(hb, want) == 0;
		check_ready(hb);
		wait = hb->ready && !want && taken ? hb->interval_ms : STARTING_INTERVAL_MS;
		if (wait > hb->interval_ms)
			wait = hb->interval_ms;
		pthread_mutex_lock(&hb->lock);
		if (!hb->nudged && !hb->stop)
			clock_cond_wait_until(&hb->cond, &hb->lock, clock_mono_ms() + wait);
	}
	pthread_mutex_unlock(&hb->lock);
	return NULL;
}

struct broker_heartbeat *broker_heartbeat_start(struct broker *b, void (*on_ready)(void *arg),
						void *arg)
{
	struct broker_heartbeat *hb = xcalloc(1, sizeof(*hb));
	int64_t session = conf_get_num(&b->conf, "broker.session.timeout.ms");

	hb->b = b;
	hb->on_ready = on_ready;
	hb->arg = arg;
	hb->interval_ms = conf_get_num(&b->conf, "broker.heartbeat.interval.ms");
	/* A heartbeat that takes half the session is as good as lost. */
	hb->timeout_ms = session / 2 > hb->interval_ms ? session / 2 : hb->interval_ms;
	hb->state = META_BROKER_FENCED;
	controller_link_init(&hb->link, b);
	pthread_mutex_init(&hb->lock, NULL);
	clock_cond_init(&hb->cond);
	pthread_create(&hb->thread, NULL, heartbeat_main, hb);
	return hb;
}

void broker_heartbeat_nudge(struct broker_heartbeat *hb)
{
	if (!hb)
		return;
	pthread_mutex_lock(&hb->lock);
	hb->nudged = 1;
	pthread_cond_broadcast(&hb->cond);
	pthread_mutex_unlock(&hb->lock);
}

int broker_heartbeat_shut_down(struct broker_heartbeat *hb)
{
	int64_t deadline = clock_mono_ms() + SHUTDOWN_WAIT_MS;
	int rc;

	if (!hb)
		return -1;
	pthread_mutex_lock(&hb->lock);
	if (hb->want_shutdown || hb->state != META_BROKER_ALIVE || hb->stop) {
		rc = hb->state == META_BROKER_SHUTTING_DOWN ? 0 : -1;
		pthread_mutex_unlock(&hb->lock);
		return rc; /* asked already, or fenced: it leads nothing */
	}
	hb->want_shutdown = 1;
	hb->nudged = 1;
	pthread_cond_broadcast(&hb->cond);
	while (hb->state != META_BROKER_SHUTTING_DOWN && clock_mono_ms() < deadline)
		clock_cond_wait_until(&hb->cond, &hb->lock, deadline);
	rc = hb->state == META_BROKER_SHUTTING_DOWN ? 0 : -1;
	pthread_mutex_unlock(&hb->lock);
	return rc;
}

void broker_heartbeat_stop(struct broker_heartbeat *hb)
{
	if (!hb)
		return;
	broker_heartbeat_shut_down(hb);
	pthread_mutex_lock(&hb->lock);
	if (hb->stop) {
		pthread_mutex_unlock(&hb->lock);
		return;
	}
	hb->stop = 1;
	pthread_cond_broadcast(&hb->cond);
	pthread_mutex_unlock(&hb->lock);
	controller_link_stop(&hb->link);
	pthread_join(hb->thread, NULL);
}

void broker_heartbeat_free(struct broker_heartbeat *hb)
{
	if (!hb)
		return;
	broker_heartbeat_stop(hb);
	controller_link_free(&hb->link);
	pthread_mutex_destroy(&hb->lock);
	pthread_cond_destroy(&hb->cond);
	free(hb);
}
