/*
 * controlled_shutdown.c: handing leaderships over before stopping.  See
 * controlled_shutdown.h.
 *
 * The wait reads the published metadata (b->meta, under meta_lock), not
 * the image: what the publisher applied is what this broker serves, so
 * once it shows another leader, the new leader's epoch is what clients
 * and followers are told here too.  The publisher wakes nobody on each
 * change, so the wait looks every POLL_MS; a shutdown is not a hot path.
 */
#include "cluster/controlled_shutdown.h"

#include <pthread.h>
#include <unistd.h>

#include "broker.h"
#include "clock.h"
#include "cluster/broker_heartbeat.h"
#include "log.h"
#include "meta/meta_state.h"

#define POLL_MS 50

/* Whether another member of mp's ISR is on a live broker. */
static int has_successor(const struct meta_state *s, const struct meta_partition *mp,
			 int32_t node)
{
	for (int32_t i = 0; i < mp->nisr; i++) {
		const struct meta_broker *mb;

		if (mp->isr[i] == node)
			continue;
		mb = meta_find_broker(s, mp->isr[i]);
		if (mb && mb->state == META_BROKER_ALIVE)
			return 1;
	}
	return 0;
}

/* The partitions node leads in s that another in-sync replica on a live
 * broker could lead instead. */
static int32_t movable_leaderships(const struct meta_state *s, int32_t node)
{
	int32_t n = 0;

	for (size_t t = 0; t < s->ntopics; t++) {
		const struct meta_topic *mt = s->topics[t];

		for (int32_t i = 0; i < mt->partitions; i++)
			if (mt->parts[i].leader == node && has_successor(s, &mt->parts[i], node))
				n++;
	}
	return n;
}

/* The partitions this broker leads, and how many of them could move. */
static void count_leaderships(struct broker *b, int32_t *led, int32_t *movable)
{
	const struct meta_state *s = &b->meta;

	*led = 0;
	pthread_rwlock_rdlock(&b->meta_lock);
	for (size_t t = 0; t < s->ntopics; t++)
		for (int32_t i = 0; i < s->topics[t]->partitions; i++)
			*led += s->topics[t]->parts[i].leader == b->node_id;
	*movable = movable_leaderships(s, b->node_id);
	pthread_rwlock_unlock(&b->meta_lock);
}

/* Until nothing that could move is led here, or the deadline. */
static void await_moves(struct broker *b, int64_t timeout_ms)
{
	int64_t deadline = clock_mono_ms() + timeout_ms;
	int32_t led, movable;

	count_leaderships(b, &led, &movable);
	if (movable > 0)
		log_info("controlled shutdown: waiting for the leadership of %d partition(s) to "
			 "move to other brokers", movable);
	while (movable > 0 && clock_mono_ms() < deadline) {
		usleep(POLL_MS * 1000);
		count_leaderships(b, &led, &movable);
	}
	if (movable > 0)
		log_warn("controlled shutdown: after %lld ms this broker still leads %d "
			 "partition(s) that other brokers could lead; stopping anyway",
			 (long long)timeout_ms, movable);
	else if (led > 0)
		log_info("controlled shutdown: this broker still leads %d partition(s) that no "
			 "other in-sync replica can take", led);
	else
		log_info("controlled shutdown: this broker leads no partition now");
}

void controlled_shutdown_run(struct broker *b)
{
	if (!b->heartbeat)
		return;
	/* Not marked yet while alive (no controller answered in time) is no
	 * reason to stop waiting: the heartbeats go on asking.  Not alive (a
	 * fenced broker, or one that never was), its leaderships are the
	 * controller's to move already. */
	if (broker_heartbeat_shut_down(b->heartbeat) && !broker_heartbeat_alive(b))
		return;
	if (!conf_get_bool(&b->conf, "controlled.shutdown.enable"))
		return;
	await_moves(b, conf_get_num(&b->conf, "controlled.shutdown.timeout.ms"));
}
