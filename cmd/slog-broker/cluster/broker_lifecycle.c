/*
 * broker_lifecycle.c: heartbeats in, broker records out.
 * See broker_lifecycle.h.
 *
 * Request threads only note heartbeats in the member table; the one
 * thread here decides (broker_lifecycle_decide, pure) and proposes, one
 * change at a time, as Kafka's controller fences one stale broker per
 * event.  A proposal can wait for the quorum and for the brokers to
 * follow (controller.h), so it never runs on a request thread nor with
 * a lock held.
 */
#include "cluster/broker_lifecycle.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "broker.h"
#include "clock.h"
#include "log.h"
#include "xalloc.h"

#define TICK_MS 100
#define RETRY_MS 250

struct broker_lifecycle {
	struct broker *b;
	const struct lc_controller *ctl;
	int64_t session_ms;
	int64_t quiet_ms;   /* a broker silent this long is not waited for */
	int64_t hb_ms;      /* broker.heartbeat.interval.ms */
	int64_t active_since; /* when this node became the controller; 0: it is not */
	pthread_mutex_t lock;   /* guards members, n, cap, stop */
	pthread_cond_t cond;    /* a heartbeat, a closed connection, or stop */
	struct lc_member *members;
	size_t n, cap;
	size_t first;           /* the thread's: where the next look starts */
	int stop;
	pthread_t thread;
};

/* One broker record's id, incarnation and state, copied from the image. */
struct lc_reg {
	int32_t id;
	char incarnation[24];
	enum meta_broker_state state;
};

/* ---- the decision ---- */

static int64_t max64(int64_t a, int64_t b)
{
	return a > b ? a : b;
}

/*
 * Whether the broker is still in its session: a heartbeat on a live
 * connection within the timeout, counted from this controller's
 * election at the earliest (m NULL: none heard since).
 */
static int member_live(const struct lc_member *m, const struct lc_clock *c)
{
	int64_t from = m ? max64(m->last_ms, c->active_since_ms) : c->active_since_ms;

	if (m && m->closed && m->id != c->self_id)
		return 0;
	return c->now_ms - from <= c->session_ms;
}

/* Whether its heartbeats are recent enough to act on what they say. */
static int member_heard(const struct lc_member *m, const struct lc_clock *c)
{
	if (m->closed && m->id != c->self_id)
		return 0;
	return c->now_ms - m->last_ms <= c->session_ms;
}

enum lc_action broker_lifecycle_decide(const struct lc_member *m, const struct meta_broker *reg,
				       const struct lc_clock *c)
{
	if (m && (!reg || strcmp(reg->incarnation, m->incarnation) != 0)) {
		if (member_heard(m, c) && !m->want_shutdown)
			return LC_REGISTER;
		m = NULL; /* its heartbeats say nothing of reg's incarnation */
	}
	if (!reg)
		return LC_NONE;
	if (!member_live(m, c))
		return reg->state != META_BROKER_FENCED ? LC_FENCE : LC_NONE;
	if (!m || !member_heard(m, c))
		return LC_NONE;
	if (m->want_shutdown)
		return reg->state == META_BROKER_ALIVE ? LC_SHUTTING_DOWN : LC_NONE;
	if (reg->state == META_BROKER_FENCED && m->need_offset >= 0 &&
	    m->meta_offset >= m->need_offset)
		return LC_ALIVE;
	return LC_NONE;
}

/* ---- the member table (lc->lock held) ---- */

static struct lc_member *member_find(struct broker_lifecycle *lc, int32_t id)
{
	for (size_t i = 0; i < lc->n; i++)
		if (lc->members[i].id == id)
			return &lc->members[i];
	return NULL;
}

static struct lc_member *member_get(struct broker_lifecycle *lc, int32_t id)
{
	struct lc_member *m = member_find(lc, id);

	if (m)
		return m;
	lc->members = xgrow(lc->members, &lc->cap, lc->n + 1, sizeof(*lc->members));
	m = &lc->members[lc->n++];
	memset(m, 0, sizeof(*m));
	m->id = id;
	m->need_offset = -1;
	return m;
}

/* ---- the image ---- */

/* The registered brokers as the image has them; *offset its offset. */
static struct lc_reg *image_regs(struct meta_image *img, size_t *n, int64_t *offset)
{
	struct lc_reg *v;

	pthread_mutex_lock(&img->lock);
	*n = img->state.nbrokers;
	v = xcalloc(*n ? *n : 1, sizeof(*v));
	for (size_t i = 0; i < *n; i++) {
		const struct meta_broker *mb = &img->state.brokers[i];
		v[i].id = mb->id;
		memcpy(v[i].incarnation, mb->incarnation, sizeof(v[i].incarnation));
		v[i].state = mb->state;
	}
	if (offset)
		*offset = img->offset;
	pthread_mutex_unlock(&img->lock);
	return v;
}

static const struct lc_reg *reg_find(const struct lc_reg *v, size_t n, int32_t id)
{
	for (size_t i = 0; i < n; i++)
		if (v[i].id == id)
			return &v[i];
	return NULL;
}

/* ---- heartbeats ---- */

void broker_lifecycle_heartbeat(struct broker_lifecycle *lc, const struct lc_heartbeat *hb,
				enum meta_broker_state *state)
{
	size_t n;
	struct lc_reg *regs = image_regs(&lc->b->image, &n, NULL);
	const struct lc_reg *reg = reg_find(regs, n, hb->id);
	struct lc_member *m;

	*state = reg && strcmp(reg->incarnation, hb->incarnation) == 0 ? reg->state
								       : META_BROKER_FENCED;
	free(regs);
	pthread_mutex_lock(&lc->lock);
	m = member_get(lc, hb->id);
	if (strcmp(m->incarnation, hb->incarnation) != 0) {
		snprintf(m->incarnation, sizeof(m->incarnation), "%s", hb->incarnation);
		m->need_offset = -1;
		json_decref(m->endpoints);
		m->endpoints = NULL;
	}
	if (!m->endpoints || !json_equal(m->endpoints, hb->endpoints)) {
		json_decref(m->endpoints);
		m->endpoints = json_deep_copy(hb->endpoints);
	}
	m->last_ms = clock_mono_ms();
	m->meta_offset = hb->meta_offset;
	m->want_shutdown = hb->want_shutdown;
	m->closed = 0;
	m->conn_id = hb->conn_id;
	json_decref(m->offline);
	m->offline = json_array_size(hb->offline_replicas) ? json_deep_copy(hb->offline_replicas)
							   : NULL;
	m->offline_due = m->offline != NULL;
	pthread_cond_broadcast(&lc->cond);
	pthread_mutex_unlock(&lc->lock);
}

void broker_lifecycle_conn_closed(struct broker_lifecycle *lc, uint64_t conn_id)
{
	/* A controller that stops closes every connection: that says
	 * nothing of the brokers, whom its successor will time. */
	if (!conn_id || lc->b->stopping)
		return;
	pthread_mutex_lock(&lc->lock);
	for (size_t i = 0; i < lc->n; i++)
		if (lc->members[i].conn_id == conn_id && !lc->members[i].closed) {
			lc->members[i].closed = 1;
			pthread_cond_broadcast(&lc->cond);
		}
	pthread_mutex_unlock(&lc->lock);
}

/* ---- the thread ---- */

/* One change to make, copied out of the table. */
struct lc_change {
	enum lc_action action;
	int32_t id;
	char incarnation[24];
	json_t *endpoints; /* for LC_REGISTER; owned */
	char why[96];
};

static void change_set(struct lc_change *ch, enum lc_action a, const struct lc_member *m,
		       const struct lc_reg *reg, const struct lc_clock *c)
{
	ch->action = a;
	ch->id = reg && a != LC_REGISTER ? reg->id : m->id;
	snprintf(ch->incarnation, sizeof(ch->incarnation), "%s",
		 reg && a != LC_REGISTER ? reg->incarnation : m->incarnation);
	if (a == LC_REGISTER)
		ch->endpoints = json_incref(m->endpoints);
	if (a != LC_FENCE)
		return;
	if (m && strcmp(m->incarnation, ch->incarnation) == 0 && m->closed)
		snprintf(ch->why, sizeof(ch->why), "its heartbeat connection closed");
	else
		snprintf(ch->why, sizeof(ch->why), "no heartbeat for over %lld ms",
			 (long long)c->session_ms);
}

/* The change a member needs, noting first when it is registered. */
static enum lc_action member_change(struct lc_member *m, const struct lc_reg *reg,
				    int64_t image_offset, const struct lc_clock *c)
{
	struct meta_broker mb = { .id = m->id };

	/* First seen registered: the offset it must reach is at most where
	 * the image is now. */
	if (reg && strcmp(reg->incarnation, m->incarnation) == 0 && m->need_offset < 0)
		m->need_offset = image_offset;
	if (reg) {
		memcpy(mb.incarnation, reg->incarnation, sizeof(mb.incarnation));
		mb.state = reg->state;
	}
	return broker_lifecycle_decide(m, reg ? &mb : NULL, c);
}

/*
 * The first change any broker needs (lc->lock held); LC_NONE if none.
 * The look starts at lc->first, which moves on after a failure, so that
 * a change that keeps failing does not hold up the others.
 */
static void pick_change(struct broker_lifecycle *lc, const struct lc_reg *regs, size_t n,
			int64_t image_offset, const struct lc_clock *c, struct lc_change *ch)
{
	for (size_t k = 0; k < lc->n; k++) {
		struct lc_member *m = &lc->members[(k + lc->first) % lc->n];
		const struct lc_reg *reg = reg_find(regs, n, m->id);
		enum lc_action a = member_change(m, reg, image_offset, c);

		if (a != LC_NONE)
			return change_set(ch, a, m, reg, c);
	}
	for (size_t k = 0; k < n; k++) {
		const struct lc_reg *reg = &regs[(k + lc->first) % n];
		struct meta_broker mb = { .id = reg->id, .state = reg->state };

		if (member_find(lc, reg->id))
			continue;
		memcpy(mb.incarnation, reg->incarnation, sizeof(mb.incarnation));
		if (broker_lifecycle_decide(NULL, &mb, c) == LC_FENCE)
			return change_set(ch, LC_FENCE, NULL, reg, c);
	}
	ch->action = LC_NONE;
}

static int apply_change(struct broker_lifecycle *lc, struct lc_change *ch, struct err *e)
{
	static const enum meta_broker_state to[] = {
		[LC_ALIVE] = META_BROKER_ALIVE,
		[LC_SHUTTING_DOWN] = META_BROKER_SHUTTING_DOWN,
		[LC_FENCE] = META_BROKER_FENCED,
	};
	struct broker *b = lc->b;
	int rc;

	if (ch->action != LC_REGISTER)
		return lc->ctl->set_state(b, ch->id, ch->incarnation, to[ch->action], e);
	rc = lc->ctl->register_broker(b, ch->id, ch->incarnation, ch->endpoints, e);
	if (!rc) {
		/* The registration is in the image now: its offset bounds it. */
		int64_t offset = b->image.offset;
		struct lc_member *m;

		pthread_mutex_lock(&lc->lock);
		m = member_find(lc, ch->id);
		if (m && strcmp(m->incarnation, ch->incarnation) == 0)
			m->need_offset = offset;
		pthread_mutex_unlock(&lc->lock);
	}
	return rc;
}

static void log_change(const struct lc_change *ch)
{
	static const char *const what[] = {
		[LC_REGISTER] = "registered", [LC_ALIVE] = "alive",
		[LC_SHUTTING_DOWN] = "shutting down", [LC_FENCE] = "fenced",
	};

	log_info("broker %d (incarnation %s) %s%s%s", ch->id, ch->incarnation, what[ch->action],
		 ch->why[0] ? ": " : "", ch->why);
}

/* Decide and make one change; 1 if one was made, -1 if it failed. */
static int step(struct broker_lifecycle *lc, int64_t active_since)
{
	struct broker *b = lc->b;
	struct lc_clock c = { clock_mono_ms(), active_since, lc->session_ms, b->node_id };
	struct lc_change ch = { .action = LC_NONE };
	int64_t image_offset;
	size_t n;
	struct lc_reg *regs = image_regs(&b->image, &n, &image_offset);
	struct err e;
	int rc;

	pthread_mutex_lock(&lc->lock);
	pick_change(lc, regs, n, image_offset, &c, &ch);
	pthread_mutex_unlock(&lc->lock);
	free(regs);
	if (ch.action == LC_NONE)
		return 0;
	rc = apply_change(lc, &ch, &e);
	if (rc) {
		log_warn("cannot mark broker %d %s: %s", ch.id,
			 ch.action == LC_REGISTER ? "registered" : "in its new state", e.msg);
		lc->first++;
	} else
		log_change(&ch);
	json_decref(ch.endpoints);
	return rc ? -1 : 1;
}

/* ---- replicas on offline log dirs ---- */

/* Ask the controller to mark the replicas one broker listed as offline
 * (the first whose list is due); each list is asked for once per
 * heartbeat that carried it. */
static void offline_step(struct broker_lifecycle *lc)
{
	int32_t id = 0;
	char incarnation[24];
	json_t *replicas = NULL;
	size_t changed;
	struct err e;

	if (!lc->ctl->replicas_offline)
		return;
	pthread_mutex_lock(&lc->lock);
	for (size_t i = 0; i < lc->n && !replicas; i++) {
		struct lc_member *m = &lc->members[i];

		if (!m->offline_due)
			continue;
		m->offline_due = 0;
		id = m->id;
		memcpy(incarnation, m->incarnation, sizeof(incarnation));
		replicas = json_incref(m->offline);
	}
	pthread_mutex_unlock(&lc->lock);
	if (!replicas)
		return;
	/* A stale incarnation (not registered yet, or replaced) is answered
	 * by its successor's own heartbeats: nothing to retry. */
	if (lc->ctl->replicas_offline(lc->b, id, incarnation, replicas, &changed, &e) &&
	    e.code != SLOG_ESTALE_BROKER_EPOCH)
		log_warn("cannot mark broker %d's replicas on its offline log dir: %s", id, e.msg);
	json_decref(replicas);
}

static void *lifecycle_main(void *arg)
{
	struct broker_lifecycle *lc = arg;
	int64_t active_since = 0;

	pthread_mutex_lock(&lc->lock);
	while (!lc->stop) {
		int rc = 0;

		pthread_mutex_unlock(&lc->lock);
		if (lc->b->stopping || !lc->ctl->active(lc->b, NULL))
			active_since = 0;
		else {
			if (!active_since)
				active_since = clock_mono_ms();
			rc = step(lc, active_since);
			offline_step(lc);
			if (lc->ctl->duties)
				lc->ctl->duties(lc->b, clock_mono_ms() - active_since);
		}
		pthread_mutex_lock(&lc->lock);
		lc->active_since = active_since;
		if (rc <= 0 && !lc->stop)
			clock_cond_wait_until(&lc->cond, &lc->lock,
					      clock_mono_ms() + (rc < 0 ? RETRY_MS : TICK_MS));
	}
	pthread_mutex_unlock(&lc->lock);
	return NULL;
}

struct broker_lifecycle *broker_lifecycle_start(struct broker *b,
						const struct lc_controller *ctl)
{
	struct broker_lifecycle *lc = xcalloc(1, sizeof(*lc));

	lc->b = b;
	lc->ctl = ctl;
	lc->session_ms = conf_get_num(&b->conf, "broker.session.timeout.ms");
	lc->hb_ms = conf_get_num(&b->conf, "broker.heartbeat.interval.ms");
	lc->quiet_ms = 2 * lc->hb_ms;
	pthread_mutex_init(&lc->lock, NULL);
	clock_cond_init(&lc->cond);
	pthread_create(&lc->thread, NULL, lifecycle_main, lc);
	return lc;
}

void broker_lifecycle_stop(struct broker_lifecycle *lc)
{
	if (!lc)
		return;
	pthread_mutex_lock(&lc->lock);
	lc->stop = 1;
	pthread_cond_broadcast(&lc->cond);
	pthread_mutex_unlock(&lc->lock);
	pthread_join(lc->thread, NULL);
	for (size_t i = 0; i < lc->n; i++) {
		json_decref(lc->members[i].endpoints);
		json_decref(lc->members[i].offline);
	}
	free(lc->members);
	pthread_mutex_destroy(&lc->lock);
	pthread_cond_destroy(&lc->cond);
	free(lc);
}

/* ---- waiting for the brokers to follow ---- */

/* The first alive broker but self whose heartbeats are behind offset
 * (lc->lock held); 0 if none. */
static int32_t first_behind(struct broker_lifecycle *lc, const struct lc_reg *regs, size_t n,
			    int64_t offset)
{
	int64_t now = clock_mono_ms();

	for (size_t i = 0; i < n; i++) {
		const struct lc_member *m = member_find(lc, regs[i].id);
		int heard = m && lc->active_since && m->last_ms >= lc->active_since;

		if (regs[i].state != META_BROKER_ALIVE || regs[i].id == lc->b->node_id)
			continue;
		/* Not waited for: a broker silent lately (dead, to be fenced),
		 * and one not heard from since this node became the controller
		 * once the brokers had a heartbeat's time to find it (the broker
		 * of the controller it replaced). */
		if (heard ? now - m->last_ms > lc->quiet_ms : now - lc->active_since > lc->hb_ms)
			continue;
		if (!heard || strcmp(m->incarnation, regs[i].incarnation) != 0 ||
		    m->meta_offset < offset)
			return regs[i].id;
	}
	return 0;
}

int broker_lifecycle_await(struct broker_lifecycle *lc, int64_t offset, int64_t deadline_ms,
			   struct err *e)
{
	for (;;) {
		size_t n;
		struct lc_reg *regs = image_regs(&lc->b->image, &n, NULL);
		int32_t behind;

		pthread_mutex_lock(&lc->lock);
		behind = lc->stop ? 0 : first_behind(lc, regs, n, offset);
		/* Woken by heartbeats; the windows of first_behind run out
		 * without one, so look again at least every TICK_MS. */
		if (behind && clock_mono_ms() < deadline_ms)
			clock_cond_wait_until(&lc->cond, &lc->lock,
					      deadline_ms < clock_mono_ms() + TICK_MS
						      ? deadline_ms : clock_mono_ms() + TICK_MS);
		pthread_mutex_unlock(&lc->lock);
		free(regs);
		if (!behind)
			return 0;
		if (clock_mono_ms() >= deadline_ms)
			return err_set(e, SLOG_EREQUEST_TIMED_OUT,
				       "broker %d has not reported metadata offset %lld yet", behind,
				       (long long)offset);
	}
}
