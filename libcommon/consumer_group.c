/*
 * consumer_group.c: the consumer in a group (-g).  The partitions read are the ones
 * the group assigns (group_member.h); each starts at the group's
 * committed offset; positions are committed every --commit-interval-ms,
 * before a partition is given up, and on exit.
 *
 * --commit after (at least once) commits a position only once the
 * records before it were written to stdout; a crash re-reads at most what
 * came after the last commit.  --commit before (at most once) commits
 * each answer's positions before writing its records; a crash loses at
 * most what was committed and not yet written.  A program's sink is
 * always "after": what it flushed is committed (consumer_output.c).
 */
#include <stdlib.h>
#include <string.h>

#include "consumer_internal.h"
#include "log.h"
#include "xalloc.h"

/* The group member's notices go where the consumer's go. */
static void member_log(void *arg, int level, const char *msg)
{
	consumer_log(arg, level, "%s", msg);
}

void group_setup(struct consumer *c)
{
	struct gm_opts go = { 0 };

	go.broker = c->cl->boot_url;
	go.cl = c->cl;
	go.group = c->o->group;
	go.topics = (const char *const *)c->subs;
	go.ntopics = c->nsubs;
	go.client_id = c->o->client_id;
	go.session_ms = c->o->session_ms;
	go.timeout_ms = c->o->timeout_ms;
	go.wake = c->multi;
	if (c->o->log) {
		go.log = member_log;
		go.log_arg = c;
	}
	c->gm = gm_start(&go);
	c->next_commit = clock_mono_ms() + c->o->commit_interval_ms;
}

void group_resubscribe(struct consumer *c)
{
	gm_set_topics(c->gm, (const char *const *)c->subs, c->nsubs);
}

static int in_list(const struct gm_tp *v, size_t n, const struct cpart *cp)
{
	for (size_t i = 0; i < n; i++)
		if (v[i].partition == cp->id && strcmp(v[i].topic, cp->topic) == 0)
			return 1;
	return 0;
}

static struct cpart *find_part(struct consumer *c, const struct gm_tp *tp)
{
	for (size_t i = 0; i < c->nparts; i++)
		if (c->parts[i]->id == tp->partition && strcmp(c->parts[i]->topic, tp->topic) == 0)
			return c->parts[i];
	return NULL;
}

/* Commit the positions of the partitions chosen by want(); 0 or SLOG_E*. */
static int commit_where(struct consumer *c, int (*want)(const struct cpart *cp, void *arg),
			void *arg, int64_t (*pos)(const struct cpart *cp), int64_t deadline,
			struct err *e)
{
	struct gm_offset *v = xcalloc(c->nparts + 1, sizeof(*v));
	size_t n = 0;
	int rc;

	for (size_t i = 0; i < c->nparts; i++) {
		struct cpart *cp = c->parts[i];
		if (!want(cp, arg) || pos(cp) <= cp->committed || cp->gone)
			continue;
		snprintf(v[n].tp.topic, sizeof(v[n].tp.topic), "%s", cp->topic);
		v[n].tp.partition = cp->id;
		v[n].offset = pos(cp);
		n++;
	}
	rc = gm_commit(c->gm, v, n, deadline, e);
	for (size_t i = 0, k = 0; !rc && i < c->nparts && k < n; i++)
		if (c->parts[i]->id == v[k].tp.partition && strcmp(c->parts[i]->topic, v[k].tp.topic) == 0)
			c->parts[i]->committed = v[k++].offset;
	free(v);
	return rc;
}

static int64_t pos_written(const struct cpart *cp)
{
	return cp->written;
}

static int64_t pos_next(const struct cpart *cp)
{
	return cp->next;
}

static int want_all(const struct cpart *cp, void *arg)
{
	(void)cp;
	(void)arg;
	return 1;
}

/* Partitions the new assignment no longer holds (arg: the diff). */
static int want_revoked(const struct cpart *cp, void *arg)
{
	const struct group_diff *d = arg;

	for (size_t k = 0; k < d->nrevoked; k++)
		if (d->revoked[k] < d->nparts_then && d->parts_then[d->revoked[k]] == cp)
			return 1;
	return 0;
}

int group_commit_written(struct consumer *c, int64_t deadline, struct err *e)
{
	int rc;

	c->next_commit = clock_mono_ms() + c->o->commit_interval_ms;
	rc = commit_where(c, want_all, NULL, pos_written, deadline, e);
	return rc && !e->code ? SLOG_EUNKNOWN : rc;
}

int group_commit_before_write(struct consumer *c)
{
	struct err e;

	if (!commit_where(c, want_all, NULL, pos_next, clock_mono_ms() + c->o->timeout_ms, &e))
		return 0;
	/* Nothing is written that was not committed: read it again later. */
	consumer_log(c, LOG_LEVEL_ERROR, "group %s: commit failed, not writing those records: %s",
		     c->o->group, e.msg);
	for (size_t i = 0; i < c->nparts; i++)
		c->parts[i]->next = c->parts[i]->written;
	return -1;
}

/*
 * The group forgot us (the broker restarted, or our session expired) and
 * took the partition away without a commit: keep where we were.  Records
 * written since the last commit are ours; reading them again when the
 * partition comes back would print them twice.
 */
static void keep_pos(struct consumer *c, const struct cpart *cp)
{
	struct kept_pos *k = NULL;

	for (size_t i = 0; i < c->nkept && !k; i++)
		if (c->kept[i].id == cp->id && strcmp(c->kept[i].topic, cp->topic) == 0)
			k = &c->kept[i];
	if (!k) {
		c->kept = xgrow(c->kept, &c->kept_cap, c->nkept + 1, sizeof(*c->kept));
		k = &c->kept[c->nkept++];
	}
	snprintf(k->topic, sizeof(k->topic), "%s", cp->topic);
	k->id = cp->id;
	k->written = cp->written;
	k->committed = cp->committed;
}

/*
 * Where to go on with tp, given the group's offset: our kept position if
 * the group's offset is still the one we last knew (nobody else committed
 * in between, no reset), else the group's.  The kept position is used up.
 */
static int64_t resume_at(struct consumer *c, const struct gm_tp *tp, int64_t committed)
{
	int64_t at = committed;

	for (size_t i = 0; i < c->nkept; i++) {
		struct kept_pos *k = &c->kept[i];
		if (k->id != tp->partition || strcmp(k->topic, tp->topic) != 0)
			continue;
		if (k->committed == committed && k->written > committed)
			at = k->written;
		*k = c->kept[--c->nkept];
		break;
	}
	return at;
}

/*
 * The partitions of v that the consumer does not read yet, each with the
 * group's committed offset and where to go on (resume_at).
 */
static int added(struct consumer *c, const struct gm_tp *v, size_t n, struct group_diff *d,
		 struct err *e)
{
	int64_t deadline = clock_mono_ms() + c->o->timeout_ms;
	struct gm_tp *tps = xcalloc(n + 1, sizeof(*tps));
	int64_t *committed = xcalloc(n + 1, sizeof(int64_t));
	size_t na = 0;
	int rc;

	for (size_t i = 0; i < n; i++)
		if (!find_part(c, &v[i]))
			tps[na++] = v[i];
	rc = na ? gm_committed(c->gm, tps, na, committed, deadline, e) : 0;
	if (!rc) {
		d->added = xcalloc(na + 1, sizeof(*d->added));
		for (size_t i = 0; i < na; i++)
			d->added[i] = (struct group_added){ tps[i], committed[i],
							    resume_at(c, &tps[i], committed[i]) };
		d->nadded = na;
	}
	free(tps);
	free(committed);
	return rc;
}

int group_follow(struct consumer *c, struct group_diff *d, struct err *e)
{
	struct gm_tp *v;
	size_t n;
	int rc;

	memset(d, 0, sizeof(*d));
	rc = gm_poll(c->gm, &v, &n, &d->lost, &c->settled, e);
	if (rc <= 0)
		return rc;
	c->assigned = 1;
	d->changed = 1;
	d->parts_then = (struct cpart *const *)c->parts;
	d->nparts_then = c->nparts;
	d->revoked = xcalloc(c->nparts + 1, sizeof(*d->revoked));
	for (size_t i = 0; i < c->nparts; i++)
		if (!in_list(v, n, c->parts[i]))
			d->revoked[d->nrevoked++] = i;
	/* What the group took away uncommitted is kept (keep_pos). */
	for (size_t k = 0; d->lost && k < d->nrevoked; k++)
		keep_pos(c, c->parts[d->revoked[k]]);
	rc = added(c, v, n, d, e);
	free(v);
	return rc;
}

void group_commit_revoked(struct consumer *c, const struct group_diff *d)
{
	struct err e;

	if (!d->nrevoked || d->lost || c->sink_failed || c->o->commit != COMMIT_AFTER)
		return;
	if (commit_where(c, want_revoked, (void *)d, pos_written, clock_mono_ms() + c->o->timeout_ms,
			 &e))
		consumer_log(c, LOG_LEVEL_ERROR, "group %s: commit failed: %s", c->o->group, e.msg);
}

void group_diff_free(struct group_diff *d)
{
	free(d->revoked);
	free(d->added);
	memset(d, 0, sizeof(*d));
}

void group_report_owned(struct consumer *c)
{
	struct gm_tp *owned = xcalloc(c->nparts + 1, sizeof(*owned));

	for (size_t i = 0; i < c->nparts; i++) {
		snprintf(owned[i].topic, sizeof(owned[i].topic), "%s", c->parts[i]->topic);
		owned[i].partition = c->parts[i]->id;
	}
	gm_set_owned(c->gm, owned, c->nparts);
	free(owned);
}

int group_finished(struct consumer *c)
{
	if (!c->assigned || !c->settled)
		return 0;
	for (size_t i = 0; i < c->nparts; i++)
		if (!c->parts[i]->done)
			return 0;
	return 1;
}

void group_leave(struct consumer *c)
{
	gm_leave(c->gm);
	c->gm = NULL;
	free(c->kept);
	c->kept = NULL;
	c->nkept = c->kept_cap = 0;
}
