/*
 * group_coordinator.c: membership, assignment, long-polled heartbeats and
 * session expiry.  See group_coordinator.h.
 *
 * Each member has three sets of partitions: its target (the assignor's),
 * its answer (what it was told it may own) and what it says it owns.
 * A member's answer is its target, less any partition that is in another
 * member's answer or owned set: when a partition moves from A to B, A's
 * answer drops it at once, and B's answer gains it once A's heartbeat no
 * longer lists it as owned.  So at any moment each partition is in at
 * most one member's answer, and a member only consumes what is in its
 * answer.
 */
#include "groups/group_internal.h"

#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "group_id.h"
#include "groups/group_assignor.h"
#include "log.h"
#include "meta/meta_state.h"
#include "sorted.h"
#include "xalloc.h"

/* ---- partition sets ---- */

/* gc_tp_cmp for sorted_locate: key is a gc_tp, the element too. */
static int tp_key_cmp(const void *key, const void *elem)
{
	return gc_tp_cmp(key, elem);
}

static size_t tpl_locate(const struct tpl *l, const struct gc_tp *tp, int *found)
{
	return sorted_locate(l->v, l->n, sizeof(*l->v), tp, tp_key_cmp, found);
}

int tpl_has(const struct tpl *l, const struct gc_tp *tp)
{
	int found;

	tpl_locate(l, tp, &found);
	return found;
}

void tpl_add(struct tpl *l, const struct gc_tp *tp)
{
	int found;
	size_t at = tpl_locate(l, tp, &found);

	if (found)
		return;
	l->v = xgrow(l->v, &l->cap, l->n + 1, sizeof(*l->v));
	memmove(l->v + at + 1, l->v + at, (l->n - at) * sizeof(*l->v));
	l->v[at] = *tp;
	l->n++;
}

void tpl_free(struct tpl *l)
{
	free(l->v);
	memset(l, 0, sizeof(*l));
}

static int tpl_equal(const struct tpl *a, const struct tpl *b)
{
	if (a->n != b->n)
		return 0;
	for (size_t i = 0; i < a->n; i++)
		if (gc_tp_cmp(&a->v[i], &b->v[i]))
			return 0;
	return 1;
}

void tpl_copy(const struct tpl *l, struct gc_tp_list *out)
{
	out->v = xcalloc(l->n + 1, sizeof(*l->v));
	if (l->n)
		memcpy(out->v, l->v, l->n * sizeof(*l->v));
	out->n = l->n;
}

void gc_tp_list_free(struct gc_tp_list *l)
{
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

/* ---- groups and members ---- */

int gc_group_name_valid(const char *name, struct err *e)
{
	return group_id_check(name, e);
}

static int group_name_cmp(const void *key, const void *elem)
{
	return strcmp(key, (*(struct group *const *)elem)->name);
}

static size_t group_locate(struct group_coordinator *gc, const char *name, int *found)
{
	return sorted_locate(gc->groups, gc->ngroups, sizeof(*gc->groups), name, group_name_cmp,
			     found);
}

struct group *group_find(struct group_coordinator *gc, const char *name)
{
	int found;
	size_t at = group_locate(gc, name, &found);

	return found ? gc->groups[at] : NULL;
}

struct group *group_get(struct group_coordinator *gc, const char *name)
{
	int found;
	size_t at = group_locate(gc, name, &found);
	struct group *g;

	if (found)
		return gc->groups[at];
	g = xcalloc(1, sizeof(*g));
	snprintf(g->name, sizeof(g->name), "%s", name);
	g->empty_since_ms = clock_wall_ms();
	gc->groups = xgrow(gc->groups, &gc->groups_cap, gc->ngroups + 1, sizeof(*gc->groups));
	memmove(gc->groups + at + 1, gc->groups + at, (gc->ngroups - at) * sizeof(*gc->groups));
	gc->groups[at] = g;
	gc->ngroups++;
	return g;
}

static void wake_waiters(struct group_coordinator *gc, const struct group *g);

static void member_free(struct member *m)
{
	for (size_t i = 0; i < m->ntopics; i++)
		free(m->topics[i]);
	free(m->topics);
	tpl_free(&m->target);
	tpl_free(&m->answer);
	tpl_free(&m->owned);
	free(m);
}

static void group_free(struct group *g)
{
	for (size_t k = 0; k < g->nmembers; k++)
		member_free(g->members[k]);
	free(g->members);
	free(g->counts);
	offtab_free(&g->offsets);
	free(g);
}

void group_drop_if_unused(struct group_coordinator *gc, struct group *g)
{
	int found;
	size_t at;

	if (g->nmembers || g->offsets.n)
		return;
	at = group_locate(gc, g->name, &found);
	if (!found)
		return;
	memmove(gc->groups + at, gc->groups + at + 1, (gc->ngroups - at - 1) * sizeof(*gc->groups));
	gc->ngroups--;
	group_free(g);
}

void group_remove(struct group_coordinator *gc, size_t at)
{
	struct group *g = gc->groups[at];

	memmove(gc->groups + at, gc->groups + at + 1, (gc->ngroups - at - 1) * sizeof(*gc->groups));
	gc->ngroups--;
	wake_waiters(gc, g); /* they ask again, and learn they are not members */
	group_free(g);
}

static int member_id_cmp(const void *key, const void *elem)
{
	return strcmp(key, (*(struct member *const *)elem)->id);
}

static size_t member_locate(struct group *g, const char *id, int *found)
{
	return sorted_locate(g->members, g->nmembers, sizeof(*g->members), id, member_id_cmp,
			     found);
}

struct member *member_find(struct group *g, const char *id)
{
	int found;
	size_t at = member_locate(g, id, &found);

	return found ? g->members[at] : NULL;
}

const char *group_state(const struct group *g)
{
	if (g->nmembers == 0)
		return "Empty";
	for (size_t i = 0; i < g->nmembers; i++) {
		const struct member *m = g->members[i];
		if (!tpl_equal(&m->target, &m->answer) || !tpl_equal(&m->answer, &m->owned))
			return "Reconciling";
	}
	return "Stable";
}

/* Wake the group's waiting heartbeats (or every group's, for NULL). */
static void wake_waiters(struct group_coordinator *gc, const struct group *g)
{
	struct gc_waiter **pp = &gc->waiters;

	while (*pp) {
		struct gc_waiter *w = *pp;
		if (!g || strcmp(w->group, g->name) == 0) {
			*pp = w->next;
			w->wake(w);
		} else {
			pp = &w->next;
		}
	}
}

static void changed(struct group_coordinator *gc, struct group *g)
{
	g->version++;
	wake_waiters(gc, g);
}

/* ---- assignment ---- */

static int32_t partition_count(struct group_coordinator *gc, const char *topic)
{
	return gc->cfg.partitions(gc->cfg.arg, topic);
}

/* Have the subscribed topics' partition counts moved since the targets? */
static int counts_moved(struct group_coordinator *gc, const struct group *g)
{
	for (size_t i = 0; i < g->ncounts; i++)
		if (partition_count(gc, g->counts[i].topic) != g->counts[i].partitions)
			return 1;
	return 0;
}

static int topic_index(const struct topic_count *c, size_t n, const char *topic)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(c[i].topic, topic) == 0)
			return (int)i;
	return -1;
}

/* Compute every member's target again (meta_lock held). */
static void reassign(struct group_coordinator *gc, struct group *g)
{
	struct ga_member *gm = xcalloc(g->nmembers + 1, sizeof(*gm));
	struct ga_topic *gt;
	size_t cap = 0;

	/* The topics: the union of the subscriptions. */
	free(g->counts);
	g->counts = NULL;
	g->ncounts = 0;
	for (size_t k = 0; k < g->nmembers; k++) {
		const struct member *m = g->members[k];
		for (size_t i = 0; i < m->ntopics; i++) {
			if (topic_index(g->counts, g->ncounts, m->topics[i]) >= 0)
				continue;
			g->counts = xgrow(g->counts, &cap, g->ncounts + 1, sizeof(*g->counts));
			snprintf(g->counts[g->ncounts].topic, sizeof(g->counts[0].topic), "%s", m->topics[i]);
			g->counts[g->ncounts].partitions = partition_count(gc, m->topics[i]);
			g->ncounts++;
		}
	}
	gt = xcalloc(g->ncounts + 1, sizeof(*gt));
	for (size_t i = 0; i < g->ncounts; i++) {
		gt[i].name = g->counts[i].topic;
		gt[i].partitions = g->counts[i].partitions;
	}
	for (size_t k = 0; k < g->nmembers; k++) {
		const struct member *m = g->members[k];
		int *topics = xcalloc(m->ntopics + 1, sizeof(int));
		struct ga_tp *prev = xcalloc(m->target.n + 1, sizeof(*prev));
		for (size_t i = 0; i < m->ntopics; i++)
			topics[i] = topic_index(g->counts, g->ncounts, m->topics[i]);
		for (size_t i = 0; i < m->target.n; i++) {
			prev[i].topic = topic_index(g->counts, g->ncounts, m->target.v[i].topic);
			prev[i].partition = m->target.v[i].partition;
		}
		gm[k] = (struct ga_member){ .id = m->id, .topics = topics, .ntopics = m->ntopics,
					    .prev = prev, .nprev = m->target.n };
	}
	group_assign(gm, g->nmembers, gt, g->ncounts);
	for (size_t k = 0; k < g->nmembers; k++) {
		struct member *m = g->members[k];
		m->target.n = 0;
		for (size_t i = 0; i < gm[k].ntarget; i++) {
			struct gc_tp tp;
			snprintf(tp.topic, sizeof(tp.topic), "%s", g->counts[gm[k].target[i].topic].topic);
			tp.partition = gm[k].target[i].partition;
			tpl_add(&m->target, &tp);
		}
		free(gm[k].target);
		free((void *)gm[k].topics);
		free((void *)gm[k].prev);
	}
	free(gm);
	free(gt);
	g->epoch++;
	changed(gc, g);
}

/* Is tp in the answer or owned set of a member other than m? */
static int taken_by_other(const struct group *g, const struct member *m, const struct gc_tp *tp)
{
	for (size_t k = 0; k < g->nmembers; k++) {
		const struct member *o = g->members[k];
		if (o != m && (tpl_has(&o->answer, tp) || tpl_has(&o->owned, tp)))
			return 1;
	}
	return 0;
}

/* Bring m's answer up to date: drop what left its target, add what is
 * free.  Returns whether it changed (its epoch then grew). */
static int update_answer(struct group_coordinator *gc, struct group *g, struct member *m)
{
	struct tpl next = { 0 };
	int moved;

	for (size_t i = 0; i < m->target.n; i++)
		if (tpl_has(&m->answer, &m->target.v[i]) || !taken_by_other(g, m, &m->target.v[i]))
			tpl_add(&next, &m->target.v[i]);
	moved = !tpl_equal(&next, &m->answer);
	if (moved) {
		tpl_free(&m->answer);
		m->answer = next;
		m->epoch++;
		/* A partition it was told to give up may now be free for another
		 * member once it releases; others see that via its owned set. */
		changed(gc, g);
	} else {
		tpl_free(&next);
	}
	return moved;
}

static void fill_answer(const struct group *g, const struct member *m, struct gc_answer *a)
{
	snprintf(a->member_id, sizeof(a->member_id), "%s", m->id);
	a->member_epoch = m->epoch;
	a->interval_ms = m->interval_ms;
	a->session_ms = m->session_ms;
	tpl_copy(&m->answer, &a->assignment);
	a->pending = 0;
	for (size_t i = 0; i < m->target.n; i++)
		a->pending += !tpl_has(&m->answer, &m->target.v[i]);
	a->version = g->version;
	a->settled = tpl_equal(&m->answer, &m->owned);
}

static void set_subscription(struct member *m, const char *const *topics, size_t n)
{
	for (size_t i = 0; i < m->ntopics; i++)
		free(m->topics[i]);
	free(m->topics);
	m->topics = xcalloc(n + 1, sizeof(char *));
	m->ntopics = 0;
	for (size_t i = 0; i < n; i++) {
		size_t at = 0;
		while (at < m->ntopics && strcmp(m->topics[at], topics[i]) < 0)
			at++;
		if (at < m->ntopics && strcmp(m->topics[at], topics[i]) == 0)
			continue;
		memmove(m->topics + at + 1, m->topics + at, (m->ntopics - at) * sizeof(char *));
		m->topics[at] = xstrdup(topics[i]);
		m->ntopics++;
	}
}

static int same_subscription(const struct member *m, const char *const *topics, size_t n)
{
	struct member tmp = { 0 };
	int same;

	set_subscription(&tmp, topics, n);
	same = tmp.ntopics == m->ntopics;
	for (size_t i = 0; same && i < m->ntopics; i++)
		same = strcmp(tmp.topics[i], m->topics[i]) == 0;
	for (size_t i = 0; i < tmp.ntopics; i++)
		free(tmp.topics[i]);
	free(tmp.topics);
	return same;
}

static void remove_member(struct group_coordinator *gc, struct group *g, struct member *m)
{
	int found;
	size_t at = member_locate(g, m->id, &found);

	if (!found)
		return;
	memmove(g->members + at, g->members + at + 1, (g->nmembers - at - 1) * sizeof(*g->members));
	g->nmembers--;
	member_free(m);
	if (g->nmembers == 0)
		g->empty_since_ms = clock_wall_ms();
	reassign(gc, g);
}

static int check_session(struct group_coordinator *gc, int64_t asked, int64_t *out, struct err *e)
{
	if (asked == 0) {
		asked = gc->cfg.default_session_ms;
		if (asked < gc->cfg.min_session_ms)
			asked = gc->cfg.min_session_ms;
		if (asked > gc->cfg.max_session_ms)
			asked = gc->cfg.max_session_ms;
	}
	if (asked < gc->cfg.min_session_ms || asked > gc->cfg.max_session_ms)
		return err_set(e, SLOG_EINVALID_SESSION_TIMEOUT,
			       "session timeout %lld ms is outside the broker's range [%lld, %lld] "
			       "(group.min.session.timeout.ms, group.max.session.timeout.ms)",
			       (long long)asked, (long long)gc->cfg.min_session_ms,
			       (long long)gc->cfg.max_session_ms);
	*out = asked;
	return 0;
}

/* A third of the session, so that two lost heartbeats do not expire it. */
static int64_t interval_for(const struct group_coordinator *gc, int64_t session_ms)
{
	int64_t v = gc->cfg.interval_ms < session_ms / 3 ? gc->cfg.interval_ms : session_ms / 3;

	return v < 1 ? 1 : v;
}

static struct member *join(struct group_coordinator *gc, struct group *g, int64_t session_ms)
{
	struct member *m = xcalloc(1, sizeof(*m));
	int found;
	size_t at;

	do {
		meta_new_id(m->id);
		at = member_locate(g, m->id, &found);
	} while (found);
	m->epoch = 1; /* 0 is "joining" */
	m->session_ms = session_ms;
	m->interval_ms = interval_for(gc, session_ms);
	g->members = xgrow(g->members, &g->members_cap, g->nmembers + 1, sizeof(*g->members));
	memmove(g->members + at + 1, g->members + at, (g->nmembers - at) * sizeof(*g->members));
	g->members[at] = m;
	g->nmembers++;
	return m;
}

/* The member a heartbeat names, at an epoch it may be at. */
static int known_member(struct group_coordinator *gc, const struct gc_heartbeat *hb,
			struct group **g, struct member **m, struct err *e)
{
	*g = group_find(gc, hb->group);
	*m = *g ? member_find(*g, hb->member_id) : NULL;
	if (!*m)
		return err_set(e, SLOG_EUNKNOWN_MEMBER_ID,
			       "member %s is not in group %s (its session expired, or the broker "
			       "restarted): join again", hb->member_id, hb->group);
	if (hb->member_epoch > (*m)->epoch)
		return err_set(e, SLOG_EFENCED_MEMBER_EPOCH,
			       "member %s of group %s is at epoch %d, not %d: join again", (*m)->id,
			       (*g)->name, (*m)->epoch, hb->member_epoch);
	return 0;
}

/* What the member says it owns.  A member can only still hold what it
 * held or was given: a partition it was never given must not keep it
 * from another. */
static void take_owned(struct group_coordinator *gc, struct group *g, struct member *m,
		       const struct gc_tp *v, size_t n)
{
	struct tpl owned = { 0 };

	for (size_t i = 0; i < n; i++)
		if (tpl_has(&m->owned, &v[i]) || tpl_has(&m->answer, &v[i]))
			tpl_add(&owned, &v[i]);
	if (!tpl_equal(&owned, &m->owned)) {
		tpl_free(&m->owned);
		m->owned = owned;
		changed(gc, g); /* what it released may be another's now */
	} else {
		tpl_free(&owned);
	}
}

/* The checks of a heartbeat that need no lock; the session it asks for. */
static int check_heartbeat(struct group_coordinator *gc, const struct gc_heartbeat *hb,
			   int64_t *session_ms, struct err *e)
{
	int joining = hb->member_id[0] == '\0';

	*session_ms = 0;
	if (gc_group_name_valid(hb->group, e))
		return SLOG_EINVALID_GROUP_ID;
	if (joining && hb->member_epoch != 0)
		return err_set(e, SLOG_EINVALID_REQUEST, "a member joins with member_epoch 0");
	if (joining && (!hb->has_topics || hb->ntopics == 0))
		return err_set(e, SLOG_EINVALID_REQUEST, "a member joins with the topics it subscribes to");
	if ((joining || hb->session_ms) && check_session(gc, hb->session_ms, session_ms, e))
		return SLOG_EINVALID_SESSION_TIMEOUT;
	return 0;
}

int gc_heartbeat(struct group_coordinator *gc, const struct gc_heartbeat *hb,
		 struct gc_answer *a, struct err *e)
{
	int64_t session_ms;
	struct group *g;
	struct member *m;
	int rc, again = 0;

	memset(a, 0, sizeof(*a));
	rc = check_heartbeat(gc, hb, &session_ms, e);
	if (rc)
		return rc;
	pthread_mutex_lock(&gc->lock);
	if (hb->member_id[0] == '\0') {
		g = group_get(gc, hb->group);
		m = join(gc, g, session_ms);
		again = 1;
		log_info("group %s: member %s (%s, %s) joined", g->name, m->id,
			 hb->client_id ? hb->client_id : "-", hb->host ? hb->host : "-");
	} else if ((rc = known_member(gc, hb, &g, &m, e)) != 0) {
		goto out;
	} else if (session_ms && session_ms != m->session_ms) {
		m->session_ms = session_ms;
		m->interval_ms = interval_for(gc, session_ms);
	}
	if (hb->client_id)
		snprintf(m->client_id, sizeof(m->client_id), "%s", hb->client_id);
	if (hb->host)
		snprintf(m->host, sizeof(m->host), "%s", hb->host);
	m->expires_ms = clock_mono_ms() + m->session_ms;
	if (hb->has_topics && hb->ntopics && !same_subscription(m, hb->topics, hb->ntopics)) {
		set_subscription(m, hb->topics, hb->ntopics);
		again = 1;
	}
	if (hb->has_owned)
		take_owned(gc, g, m, hb->owned, hb->nowned);
	if (again || counts_moved(gc, g))
		reassign(gc, g);
	update_answer(gc, g, m);
	fill_answer(g, m, a);
out:
	pthread_mutex_unlock(&gc->lock);
	return rc;
}

int gc_answer(struct group_coordinator *gc, const char *group, const char *member_id,
	      struct gc_answer *a, struct err *e)
{
	struct group *g;
	struct member *m;
	int rc = 0;

	memset(a, 0, sizeof(*a));
	pthread_mutex_lock(&gc->lock);
	g = group_find(gc, group);
	m = g ? member_find(g, member_id) : NULL;
	if (!m) {
		rc = err_set(e, SLOG_EUNKNOWN_MEMBER_ID,
			     "member %s is not in group %s (its session expired): join again",
			     member_id, group);
	} else {
		if (counts_moved(gc, g))
			reassign(gc, g);
		update_answer(gc, g, m);
		fill_answer(g, m, a);
	}
	pthread_mutex_unlock(&gc->lock);
	return rc;
}

void gc_wait(struct group_coordinator *gc, struct gc_waiter *w)
{
	struct group *g;

	pthread_mutex_lock(&gc->lock);
	g = group_find(gc, w->group);
	if (gc->stop || !g || g->version != w->version) {
		w->wake(w);
	} else {
		w->next = gc->waiters;
		gc->waiters = w;
		pthread_cond_signal(&gc->cond); /* a new deadline */
	}
	pthread_mutex_unlock(&gc->lock);
}

int gc_leave(struct group_coordinator *gc, const char *group, const char *member_id,
	     struct err *e)
{
	struct group *g;
	struct member *m;
	int rc = 0;

	pthread_mutex_lock(&gc->lock);
	g = group_find(gc, group);
	m = g ? member_find(g, member_id) : NULL;
	if (!m) {
		rc = err_set(e, SLOG_EUNKNOWN_MEMBER_ID, "member %s is not in group %s", member_id,
			     group);
	} else {
		log_info("group %s: member %s left", g->name, m->id);
		remove_member(gc, g, m);
		group_drop_if_unused(gc, g);
	}
	pthread_mutex_unlock(&gc->lock);
	return rc;
}

void gc_topics_changed(struct group_coordinator *gc)
{
	pthread_mutex_lock(&gc->lock);
	for (size_t i = 0; i < gc->ngroups; i++)
		gc->groups[i]->version++;
	wake_waiters(gc, NULL);
	pthread_mutex_unlock(&gc->lock);
}

/* ---- the expiry thread: sessions and waiting heartbeats ---- */

/* Expire silent members; wake waiters past their deadline.  Returns the
 * next time there is something to do.  Both locks held. */
static int64_t expire(struct group_coordinator *gc, int64_t now)
{
	int64_t next = now + 1000;
	struct gc_waiter **pp = &gc->waiters;

	for (size_t i = 0; i < gc->ngroups; i++) {
		struct group *g = gc->groups[i];
		for (size_t k = 0; k < g->nmembers;) {
			struct member *m = g->members[k];
			if (m->expires_ms > now) {
				if (m->expires_ms < next)
					next = m->expires_ms;
				k++;
				continue;
			}
			log_info("group %s: member %s expired (no heartbeat for %lld ms)", g->name, m->id,
				 (long long)m->session_ms);
			remove_member(gc, g, m);
		}
	}
	while (*pp) {
		struct gc_waiter *w = *pp;
		if (w->deadline_ms <= now) {
			*pp = w->next;
			w->wake(w);
			continue;
		}
		if (w->deadline_ms < next)
			next = w->deadline_ms;
		pp = &w->next;
	}
	for (size_t i = 0; i < gc->ngroups;) {
		struct group *g = gc->groups[i];
		size_t before = gc->ngroups;
		group_drop_if_unused(gc, g);
		if (gc->ngroups == before)
			i++;
	}
	return next;
}

static void *expiry_main(void *arg)
{
	struct group_coordinator *gc = arg;

	for (;;) {
		int64_t next;

		/* Reassignment reads partition counts: meta_lock first. */
		pthread_rwlock_rdlock(gc->cfg.meta_lock);
		pthread_mutex_lock(&gc->lock);
		if (gc->stop) {
			pthread_mutex_unlock(&gc->lock);
			pthread_rwlock_unlock(gc->cfg.meta_lock);
			break;
		}
		next = expire(gc, clock_mono_ms());
		pthread_rwlock_unlock(gc->cfg.meta_lock);
		if (!gc->stop)
			clock_cond_wait_until(&gc->cond, &gc->lock, next);
		pthread_mutex_unlock(&gc->lock);
	}
	return NULL;
}

void gc_answer_free(struct gc_answer *a)
{
	gc_tp_list_free(&a->assignment);
}

struct group_coordinator *gc_start(const struct gc_config *cfg)
{
	struct group_coordinator *gc = xcalloc(1, sizeof(*gc));

	gc->cfg = *cfg;
	pthread_mutex_init(&gc->lock, NULL);
	clock_cond_init(&gc->cond);
	pthread_create(&gc->thread, NULL, expiry_main, gc);
	return gc;
}

void gc_quiesce(struct group_coordinator *gc)
{
	pthread_mutex_lock(&gc->lock);
	gc->stop = 1;
	wake_waiters(gc, NULL);
	pthread_cond_signal(&gc->cond);
	pthread_mutex_unlock(&gc->lock);
}

void gc_stop(struct group_coordinator *gc)
{
	gc_quiesce(gc);
	pthread_join(gc->thread, NULL);
	for (size_t i = 0; i < gc->ngroups; i++)
		group_free(gc->groups[i]);
	free(gc->groups);
	free(gc->loads);
	pthread_mutex_destroy(&gc->lock);
	pthread_cond_destroy(&gc->cond);
	free(gc);
}

/* Java's String.hashCode over the UTF-16 code units of the group id. */
int32_t gc_partition_for(const char *group, int32_t count)
{
	const unsigned char *s = (const unsigned char *)group;
	uint32_t h = 0;

	while (*s) {
		uint32_t cp;
		int len;
		if (s[0] < 0x80) {
			cp = s[0];
			len = 1;
		} else if ((s[0] & 0xe0) == 0xc0 && s[1]) {
			cp = (uint32_t)(s[0] & 0x1f) << 6 | (s[1] & 0x3f);
			len = 2;
		} else if ((s[0] & 0xf0) == 0xe0 && s[1] && s[2]) {
			cp = (uint32_t)(s[0] & 0x0f) << 12 | (uint32_t)(s[1] & 0x3f) << 6 | (s[2] & 0x3f);
			len = 3;
		} else if ((s[0] & 0xf8) == 0xf0 && s[1] && s[2] && s[3]) {
			cp = (uint32_t)(s[0] & 0x07) << 18 | (uint32_t)(s[1] & 0x3f) << 12 |
			     (uint32_t)(s[2] & 0x3f) << 6 | (s[3] & 0x3f);
			len = 4;
		} else {
			cp = 0xfffd; /* what Java decodes a bad byte to */
			len = 1;
		}
		if (cp >= 0x10000) {
			cp -= 0x10000;
			h = h * 31 + (0xd800 + (cp >> 10));
			h = h * 31 + (0xdc00 + (cp & 0x3ff));
		} else {
			h = h * 31 + cp;
		}
		s += len;
	}
	/* Kafka's Utils.abs: the absolute value, with INT_MIN mapping to 0. */
	if (h == 0x80000000u)
		return 0;
	return (int32_t)((int32_t)h < 0 ? -(int32_t)h : (int32_t)h) % count;
}
