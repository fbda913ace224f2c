/*
 * isr_sender.c: ISR changes to the controller (isr_sender.h).
 *
 * One thread.  Each round it first sends again the changes a controller
 * has neither taken nor refused (it could not be reached, or it was being
 * elected), then asks every partition led here whether its leader wants
 * a change (replication_isr_wanted marks it pending) and sends it.  The
 * partitions are found under meta_lock, each with a reference, and asked
 * and sent without it: a request to the controller may take a quorum
 * round.
 *
 * A change ends in one of three ways.  Taken: the controller committed
 * it, and the record, once published here, ends the pending state
 * (replication_isr_done with ok 1).  Refused (a stale broker epoch, an
 * older leader epoch or partition epoch, an ineligible replica, a topic
 * deleted meanwhile, a bad request): the leader goes back to its
 * committed ISR (ok 0) and decides again next round.  Unanswered: it is kept and sent again, as Kafka's
 * AlterPartition manager retries, since the controller may have
 * committed it; unless this node no longer leads the partition at that
 * epoch, when the published record has settled it.
 */
#include "cluster/isr_sender.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "broker.h"
#include "clock.h"
#include "cluster/controller_link.h"
#include "log.h"
#include "replica/registry.h"
#include "replica/replication.h"
#include "xalloc.h"

#define RETRY_MS 200 /* the pause before sending an unanswered change again */
#define ALTER_PATH "/v1/cluster/partitions/alter"

/* A change sent, or to send: the thread's. */
struct isr_change {
	struct partition *p; /* a reference */
	int32_t isr[REPLICA_SET_MAX];
	int32_t n, leader_epoch, partition_epoch;
};

enum send_result { SENT_TAKEN, SENT_REFUSED, SENT_UNANSWERED };

struct isr_sender {
	struct broker *b;
	struct controller_link link;  /* the thread's; stopped by any */
	int64_t lag_ms, interval_ms, timeout_ms;
	struct isr_change *held;      /* the thread's: unanswered changes */
	size_t nheld, held_cap;
	int failing;                  /* the thread's: the controller is out of reach */
	pthread_mutex_t lock;         /* guards poked and stop */
	pthread_cond_t cond;
	int poked, stop;
	pthread_t thread;
};

static int stopping(struct isr_sender *s)
{
	int stop;

	pthread_mutex_lock(&s->lock);
	stop = s->stop;
	pthread_mutex_unlock(&s->lock);
	return stop;
}

static json_t *alter_body(struct isr_sender *s, const struct isr_change *c)
{
	json_t *isr = json_array();

	for (int32_t i = 0; i < c->n; i++)
		json_array_append_new(isr, json_integer(c->isr[i]));
	return json_pack("{s:i, s:s, s:s, s:i, s:i, s:i, s:o}", "broker", s->b->node_id,
			 "broker_epoch", s->b->incarnation, "topic", c->p->topic->name,
			 "partition", c->p->id, "leader_epoch", c->leader_epoch,
			 "partition_epoch", c->partition_epoch, "isr", isr);
}

/* "[1,2,3]" for the log. */
static void isr_text(const struct isr_change *c, char *out, size_t size)
{
	size_t len = 0;

	out[0] = '\0';
	for (int32_t i = 0; i < c->n && len < size; i++)
		len += (size_t)snprintf(out + len, size - len, "%s%d", i ? "," : "", c->isr[i]);
}

/* What the controller's error means for the change: refused for good, or
 * to be asked again. */
static int is_refusal(int rc)
{
	return rc == SLOG_ESTALE_BROKER_EPOCH || rc == SLOG_EFENCED_LEADER_EPOCH ||
	       rc == SLOG_EINVALID_UPDATE_VERSION || rc == SLOG_EINVALID_REQUEST ||
	       rc == SLOG_EINELIGIBLE_REPLICA || rc == SLOG_EUNKNOWN_TOPIC_OR_PARTITION;
}

static enum send_result send_change(struct isr_sender *s, const struct isr_change *c)
{
	json_t *body = alter_body(s, c);
	char url[PEER_URL_MAX], isr[REPLICA_SET_MAX * 12];
	struct err e;
	int rc;

	rc = controller_link_call(&s->link, ALTER_PATH, body, clock_mono_ms() + s->timeout_ms,
				  NULL, url, sizeof(url), &e);
	json_decref(body);
	isr_text(c, isr, sizeof(isr));
	if (!rc || is_refusal(rc)) {
		if (s->failing)
			log_info("ISR changes answered again by %s", url);
		s->failing = 0;
	}
	if (!rc) {
		log_info("partition %s-%d: the controller took ISR [%s] (leader epoch %d)",
			 c->p->topic->name, c->p->id, isr, c->leader_epoch);
		return SENT_TAKEN;
	}
	if (is_refusal(rc)) {
		log_warn("partition %s-%d: the controller refused ISR [%s]: %s",
			 c->p->topic->name, c->p->id, isr, e.msg);
		return SENT_REFUSED;
	}
	if (!s->failing && !stopping(s))
		log_warn("ISR change of %s-%d sent to %s failed: %s (sending it again)",
			 c->p->topic->name, c->p->id, url, e.msg);
	s->failing = 1;
	return SENT_UNANSWERED;
}

static void hold(struct isr_sender *s, const struct isr_change *c)
{
	if (s->nheld == s->held_cap) {
		s->held_cap = s->held_cap ? 2 * s->held_cap : 8;
		s->held = xrealloc(s->held, s->held_cap * sizeof(*s->held));
	}
	s->held[s->nheld++] = *c;
}

/* Send c (the caller's reference moves to the sender): ended, or held. */
static void send_or_hold(struct isr_sender *s, struct isr_change *c)
{
	enum send_result r = send_change(s, c);

	if (r == SENT_UNANSWERED) {
		hold(s, c);
		return;
	}
	replication_isr_done(c->p, r == SENT_TAKEN);
	partition_put(c->p);
}

/* Whether this node still leads c's partition at c's epoch. */
static int still_leads(const struct isr_change *c)
{
	int32_t epoch = -1;

	return !atomic_load(&c->p->deleted) &&
	       replication_role(c->p, NULL, &epoch) == REPLICA_LEADER &&
	       epoch == c->leader_epoch;
}

/* The unanswered changes, again. */
static void resend_held(struct isr_sender *s)
{
	size_t n = s->nheld;
	struct isr_change *old = s->held;

	s->held = NULL;
	s->nheld = s->held_cap = 0;
	for (size_t i = 0; i < n; i++) {
		if (stopping(s) || !still_leads(&old[i])) {
			replication_isr_done(old[i].p, 0);
			partition_put(old[i].p);
			continue;
		}
		send_or_hold(s, &old[i]);
	}
	free(old);
}

static int is_held(const struct isr_sender *s, const struct partition *p)
{
	for (size_t i = 0; i < s->nheld; i++)
		if (s->held[i].p == p)
			return 1;
	return 0;
}

/* References to the partitions led here that have no change held. */
static struct partition **led_partitions(struct isr_sender *s, size_t *n)
{
	struct broker *b = s->b;
	struct partition **out = NULL;
	size_t cap = 0;

	*n = 0;
	pthread_rwlock_rdlock(&b->meta_lock);
	for (size_t t = 0; t < b->ntopics; t++)
		for (int32_t i = 0; i < b->topics[t]->npart; i++) {
			struct partition *p = b->topics[t]->parts[i];

			if (!p || replication_role(p, NULL, NULL) != REPLICA_LEADER ||
			    is_held(s, p))
				continue;
			if (*n == cap) {
				cap = cap ? 2 * cap : 16;
				out = xrealloc(out, cap * sizeof(*out));
			}
			out[(*n)++] = partition_get(p);
		}
	pthread_rwlock_unlock(&b->meta_lock);
	return out;
}

/* One round: what was unanswered, then what the leaders want now. */
static void run_round(struct isr_sender *s)
{
	struct partition **led;
	size_t n;

	resend_held(s);
	led = led_partitions(s, &n);
	for (size_t i = 0; i < n; i++) {
		struct isr_change c = { .p = led[i] };

		if (stopping(s) ||
		    !replication_isr_wanted(s->b, c.p, s->lag_ms, c.isr, &c.n, &c.leader_epoch,
					    &c.partition_epoch)) {
			partition_put(c.p);
			continue;
		}
		send_or_hold(s, &c);
	}
	free(led);
}

static void *sender_main(void *arg)
{
	struct isr_sender *s = arg;

	pthread_mutex_lock(&s->lock);
	while (!s->stop) {
		int64_t wait;

		s->poked = 0;
		pthread_mutex_unlock(&s->lock);
		run_round(s);
		wait = s->nheld ? RETRY_MS : s->interval_ms;
		pthread_mutex_lock(&s->lock);
		if (!s->poked && !s->stop)
			clock_cond_wait_until(&s->cond, &s->lock, clock_mono_ms() + wait);
	}
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

struct isr_sender *isr_sender_start(struct broker *b)
{
	struct isr_sender *s = xcalloc(1, sizeof(*s));

	s->b = b;
	s->lag_ms = conf_get_num(&b->conf, "replica.lag.time.max.ms");
	/* Half the lag: a follower out of sync for lag_ms leaves within 1.5
	 * times it, as in Kafka. */
	s->interval_ms = s->lag_ms / 2 > 0 ? s->lag_ms / 2 : 1;
	s->timeout_ms = conf_get_num(&b->conf, "controller.quorum.request.timeout.ms");
	controller_link_init(&s->link, b);
	pthread_mutex_init(&s->lock, NULL);
	clock_cond_init(&s->cond);
	pthread_create(&s->thread, NULL, sender_main, s);
	return s;
}

void isr_sender_poke(struct isr_sender *s)
{
	if (!s)
		return;
	pthread_mutex_lock(&s->lock);
	s->poked = 1;
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->lock);
}

void isr_sender_stop(struct isr_sender *s)
{
	if (!s)
		return;
	pthread_mutex_lock(&s->lock);
	if (s->stop) {
		pthread_mutex_unlock(&s->lock);
		return;
	}
	s->stop = 1;
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->lock);
	/* A request in flight fails at once. */
	controller_link_stop(&s->link);
	pthread_join(s->thread, NULL);
	for (size_t i = 0; i < s->nheld; i++) {
		replication_isr_done(s->held[i].p, 0);
		partition_put(s->held[i].p);
	}
	s->nheld = 0;
}

void isr_sender_free(struct isr_sender *s)
{
	if (!s)
		return;
	isr_sender_stop(s);
	free(s->held);
	controller_link_free(&s->link);
	pthread_mutex_destroy(&s->lock);
	pthread_cond_destroy(&s->cond);
	free(s);
}
