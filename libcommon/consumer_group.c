/*
 * consumer_group.c: slog-consume -g.  The partitions read are the ones
 * the group assigns (group_member.h); each starts at the group's
 * committed offset; positions are committed every --commit-interval-ms,
 * before a partition is given up, and on exit.
 *
 * --commit after (at least once) commits a position only once the
 * records before it were written to stdout; a crash re-reads at most what
 * came after the last commit.  --commit before (at most once) commits
 * each answer's positions before writing its records; a crash loses at
 * most what was committed and not yet written.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "consumer_internal.h"
#include "xalloc.h"

void group_setup(struct consumer *c)
{
	struct gm_opts go = { 0 };

	go.broker = c->cl->boot_url;
	go.cl = c->cl;
	go.group = c->o->group;
	go.topics = c->o->topics;
	go.ntopics = (size_t)c->o->ntopics;
	go.client_id = c->o->client_id;
	go.session_ms = c->o->session_ms;
	go.timeout_ms = c->o->timeout_ms;
	go.wake = c->multi;
	c->gm = gm_start(&go);
	c->next_commit = clock_mono_ms() + c->o->commit_interval_ms;
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
		if (!want(cp, arg) || pos(cp) <= cp->committed)
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

/* Partitions the new assignment no longer holds. */
struct assignment {
	const struct gm_tp *v;
	size_t n;
};

static int want_revoked(const struct cpart *cp, void *arg)
{
	const struct assignment *a = arg;

	return !in_list(a->v, a->n, cp);
}

int group_commit_written(struct consumer *c, int64_t deadline)
{
	struct err e;

	c->next_commit = clock_mono_ms() + c->o->commit_interval_ms;
	if (!commit_where(c, want_all, NULL, pos_written, deadline, &e))
		return 0;
	cli_error("group %s: commit failed: %s", c->o->group, e.msg);
	return e.code ? e.code : SLOG_EUNKNOWN;
}

int group_commit_before_write(struct consumer *c)
{
	struct err e;

	if (!commit_where(c, want_all, NULL, pos_next, clock_mono_ms() + c->o->timeout_ms, &e))
		return 0;
	/* Nothing is written that was not committed: read it again later. */
	cli_error("group %s: commit failed, not writing those records: %s", c->o->group, e.msg);
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
	struct assignment a;
	struct gm_tp *v;
	size_t n;
	int rc;

	memset(d, 0, sizeof(*d));
	rc = gm_poll(c->gm, &v, &n, &d->lost, &c->settled, e);
	if (rc <= 0)
		return rc;
	c->assigned = 1;
	d->changed = 1;
	a.v = v;
	a.n = n;
	/* What left the assignment is given up with its positions committed
	 * first (unless the group took it away already), or kept when lost. */
	if (!d->lost && c->o->commit == COMMIT_AFTER &&
	    commit_where(c, want_revoked, &a, pos_written, clock_mono_ms() + c->o->timeout_ms, e))
		cli_error("group %s: commit failed: %s", c->o->group, e->msg);
	d->revoked = xcalloc(c->nparts + 1, sizeof(*d->revoked));
	for (size_t i = 0; i < c->nparts; i++) {
		if (in_list(v, n, c->parts[i]))
			continue;
		if (d->lost)
			keep_pos(c, c->parts[i]);
		d->revoked[d->nrevoked++] = i;
	}
	rc = added(c, v, n, d, e);
	free(v);
	return rc;
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
