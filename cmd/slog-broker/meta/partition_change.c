/*
 * partition_change.c: the next placement of a partition.  See
 * partition_change.h.
 *
 * Every public function works the same way: keep a copy of the placement
 * it was given, change the placement by the rule it implements, and let
 * finish() settle the epochs against the copy, so that no rule can forget
 * them: a record that differs in anything gets partition epoch + 1, one
 * whose leader differs (or that removed replicas under a leader, which
 * must stop serving them at once) gets leader epoch + 1 too.  Each epoch
 * moves by one per change however many rules it took.
 *
 * The ISR never empties here: KIP-966 lets Kafka's ISR empty once the
 * ELR holds the members, but a record whose ISR keeps its last member
 * says the same thing more simply, and every reader of the ISR (leaders,
 * describe, the HW) can count on at least one.
 */
#include "meta/partition_change.h"

#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

/* ---- small sets of broker ids, in a placement's arrays ---- */

static int has(const int32_t *v, int32_t n, int32_t x)
{
	for (int32_t i = 0; i < n; i++)
		if (v[i] == x)
			return 1;
	return 0;
}

static int32_t *ids_dup(const int32_t *v, int32_t n)
{
	return n > 0 ? xmemdup(v, (size_t)n * sizeof(*v)) : NULL;
}

/* Replace *v (owned) by the n ids of w (copied). */
static void ids_set(int32_t **v, int32_t *nv, const int32_t *w, int32_t n)
{
	int32_t *copy = ids_dup(w, n);

	free(*v);
	*v = copy;
	*nv = n;
}

static void ids_add(int32_t **v, int32_t *n, int32_t x)
{
	if (has(*v, *n, x))
		return;
	*v = xrealloc(*v, (size_t)(*n + 1) * sizeof(**v));
	(*v)[(*n)++] = x;
}

static void ids_remove(int32_t **v, int32_t *n, int32_t x)
{
	int32_t k = 0;

	for (int32_t i = 0; i < *n; i++)
		if ((*v)[i] != x)
			(*v)[k++] = (*v)[i];
	*n = k;
	if (!k) {
		free(*v);
		*v = NULL;
	}
}

static void ids_clear(int32_t **v, int32_t *n)
{
	free(*v);
	*v = NULL;
	*n = 0;
}

static int ids_equal(const int32_t *a, int32_t na, const int32_t *b, int32_t nb)
{
	return na == nb && (na == 0 || memcmp(a, b, (size_t)na * sizeof(*a)) == 0);
}

/* Whether a and b hold the same ids, in any order (each without repeats). */
static int ids_same_set(const int32_t *a, int32_t na, const int32_t *b, int32_t nb)
{
	if (na != nb)
		return 0;
	for (int32_t i = 0; i < na; i++)
		if (!has(b, nb, a[i]))
			return 0;
	return 1;
}

/* ---- copies and comparison ---- */

void pc_copy(struct meta_partition *to, const struct meta_partition *from)
{
	*to = *from;
	to->replicas = ids_dup(from->replicas, from->nreplicas);
	to->isr = ids_dup(from->isr, from->nisr);
	to->elr = ids_dup(from->elr, from->nelr);
	to->adding = ids_dup(from->adding, from->nadding);
	to->removing = ids_dup(from->removing, from->nremoving);
	to->offline = ids_dup(from->offline, from->noffline);
}

void pc_free(struct meta_partition *p)
{
	meta_partition_clear(p);
}

int pc_changed(const struct meta_partition *a, const struct meta_partition *b)
{
	return !ids_equal(a->replicas, a->nreplicas, b->replicas, b->nreplicas) ||
	       !ids_equal(a->isr, a->nisr, b->isr, b->nisr) ||
	       !ids_equal(a->elr, a->nelr, b->elr, b->nelr) ||
	       !ids_equal(a->adding, a->nadding, b->adding, b->nadding) ||
	       !ids_equal(a->removing, a->nremoving, b->removing, b->nremoving) ||
	       !ids_equal(a->offline, a->noffline, b->offline, b->noffline) ||
	       a->leader != b->leader || a->last_leader != b->last_leader ||
	       a->leader_epoch != b->leader_epoch || a->partition_epoch != b->partition_epoch;
}

/* Settle p's epochs against old (p's state before the rule), free old;
 * 1 when p changed.  bump: the leader epoch moves even with the leader
 * unchanged. */
static int finish(struct meta_partition *p, struct meta_partition *old, int bump)
{
	int changed = pc_changed(p, old);

	if (changed) {
		p->partition_epoch = old->partition_epoch + 1;
		if (p->leader != old->leader || bump)
			p->leader_epoch = old->leader_epoch + 1;
	}
	pc_free(old);
	return changed;
}

/* ---- the rules, without epochs ---- */

static int alive(const struct pc_ctx *c, int32_t broker)
{
	return broker >= 0 && c->alive(c->arg, broker);
}

/* A replica that may lead or join the ISR: its broker alive and its log
 * dir online (Kafka's isAcceptableLeader with the replica's directory). */
static int eligible(const struct meta_partition *p, const struct pc_ctx *c, int32_t broker)
{
	return alive(c, broker) && !has(p->offline, p->noffline, broker);
}

/* The ISR size below which the HW stops: min.insync.replicas, at most
 * the replicas the partition keeps (those not being removed). */
static int32_t effective_min_isr(const struct meta_partition *p, const struct pc_ctx *c)
{
	int32_t keep = p->nreplicas - p->nremoving;

	return c->min_isr < keep ? c->min_isr : keep;
}

/*
 * The ISR becomes isr (n members, never 0).  Members that leave while it
 * is below min.insync.replicas join the ELR: they hold everything below
 * the frozen HW (KIP-966).  At or above it the ELR empties.
 */
static void set_isr(struct meta_partition *p, const int32_t *isr, int32_t n,
		    const struct pc_ctx *c)
{
	int32_t *old = p->isr, nold = p->nisr;

	p->isr = ids_dup(isr, n);
	p->nisr = n;
	if (n >= effective_min_isr(p, c))
		ids_clear(&p->elr, &p->nelr);
	else
		for (int32_t i = 0; i < nold; i++)
			ids_add(&p->elr, &p->nelr, old[i]);
	for (int32_t i = 0; i < n; i++)
		ids_remove(&p->elr, &p->nelr, isr[i]);
	free(old);
}

/* A replica that may lead: alive and in want (nwant -1: any replica).
 * Replicas being moved away come last, as Kafka prefers the target. */
static int32_t first_alive(const struct meta_partition *p, const int32_t *want, int32_t nwant,
			   const struct pc_ctx *c)
{
	for (int pass = 0; pass < 2; pass++)
		for (int32_t i = 0; i < p->nreplicas; i++) {
			int32_t r = p->replicas[i];

			if (has(p->removing, p->nremoving, r) != pass)
				continue;
			if ((nwant < 0 || has(want, nwant, r)) && eligible(p, c, r))
				return r;
		}
	return -1;
}

/* Lead with r (-1: none).  A leader from outside the ISR makes it {r}. */
static void lead(struct meta_partition *p, int32_t r, const struct pc_ctx *c)
{
	if (r < 0) {
		if (p->leader >= 0)
			p->last_leader = p->leader;
		p->leader = -1;
		return;
	}
	if (!has(p->isr, p->nisr, r))
		set_isr(p, &r, 1, c);
	p->leader = r;
	p->last_leader = -1;
}

/* Elect without epochs: the order of replication.md section 4. */
static void elect(struct meta_partition *p, const struct pc_ctx *c)
{
	int32_t r;

	if (p->leader >= 0 && has(p->isr, p->nisr, p->leader) && eligible(p, c, p->leader))
		return;
	r = first_alive(p, p->isr, p->nisr, c);
	if (r < 0)
		r = first_alive(p, p->elr, p->nelr, c);
	if (r < 0 && p->last_leader >= 0 && has(p->replicas, p->nreplicas, p->last_leader) &&
	    eligible(p, c, p->last_leader))
		r = p->last_leader;
	if (r < 0 && c->unclean) {
		r = first_alive(p, NULL, -1, c);
		lead(p, r, c);
		/* Whatever the others hold is no longer known to be safe. */
		if (r >= 0)
			ids_clear(&p->elr, &p->nelr);
		return;
	}
	/* Nobody else may lead: an alive leader on an offline dir keeps the
	 * partition, as its last ISR member.  It takes no writes, but still
	 * serves what it fsynced, which a leaderless partition would not. */
	if (r < 0 && p->leader >= 0 && has(p->isr, p->nisr, p->leader) && alive(c, p->leader))
		return;
	lead(p, r, c);
}

/* Take broker out of the ISR, keeping its last member. */
static void isr_drop(struct meta_partition *p, int32_t broker, const struct pc_ctx *c)
{
	int32_t *isr, n = 0;

	if (!has(p->isr, p->nisr, broker) || p->nisr <= 1)
		return;
	isr = xcalloc((size_t)p->nisr, sizeof(*isr));
	for (int32_t i = 0; i < p->nisr; i++)
		if (p->isr[i] != broker)
			isr[n++] = p->isr[i];
	set_isr(p, isr, n, c);
	free(isr);
}

/* Finish a move (see pc_reassign_complete); 1 when it did. */
static int complete(struct meta_partition *p, const struct pc_ctx *c)
{
	int32_t *keep, nkeep = 0;

	if (!p->nadding && !p->nremoving)
		return 0;
	/* Every new replica in sync, so that acked data is on each. */
	for (int32_t i = 0; i < p->nreplicas; i++)
		if (!has(p->removing, p->nremoving, p->replicas[i]) &&
		    !has(p->isr, p->nisr, p->replicas[i]))
			return 0;
	keep = xcalloc((size_t)p->nreplicas, sizeof(*keep));
	for (int32_t i = 0; i < p->nreplicas; i++)
		if (!has(p->removing, p->nremoving, p->replicas[i]))
			keep[nkeep++] = p->replicas[i];
	for (int32_t i = 0; i < p->nremoving; i++) {
		ids_remove(&p->elr, &p->nelr, p->removing[i]);
		ids_remove(&p->offline, &p->noffline, p->removing[i]);
		if (p->last_leader == p->removing[i])
			p->last_leader = -1;
	}
	/* The ISR is the new replicas, all in sync, in their order. */
	ids_set(&p->replicas, &p->nreplicas, keep, nkeep);
	ids_set(&p->isr, &p->nisr, keep, nkeep);
	free(keep);
	ids_clear(&p->adding, &p->nadding);
	ids_clear(&p->removing, &p->nremoving);
	elect(p, c);
	return 1;
}

/* ---- the public rules ---- */

int pc_elect(struct meta_partition *p, const struct pc_ctx *c)
{
	struct meta_partition old;

	pc_copy(&old, p);
	elect(p, c);
	return finish(p, &old, 0);
}

int pc_fence(struct meta_partition *p, int32_t broker, const struct pc_ctx *c)
{
	struct meta_partition old;

	pc_copy(&old, p);
	isr_drop(p, broker, c);
	elect(p, c);
	return finish(p, &old, 0);
}

int pc_replica_offline(struct meta_partition *p, int32_t broker, const struct pc_ctx *c)
{
	struct meta_partition old;

	if (!has(p->replicas, p->nreplicas, broker) || has(p->offline, p->noffline, broker))
		return 0;
	pc_copy(&old, p);
	ids_add(&p->offline, &p->noffline, broker);
	isr_drop(p, broker, c);
	/* What it holds can no longer be read or trusted: no ELR either
	 * (set_isr put it there if the ISR fell below the minimum). */
	ids_remove(&p->elr, &p->nelr, broker);
	elect(p, c);
	return finish(p, &old, 0);
}

int pc_restarted(struct meta_partition *p, int32_t broker, const struct pc_ctx *c)
{
	struct meta_partition old;

	pc_copy(&old, p);
	/* Its new incarnation opened and recovered its log dirs: its replica
	 * is eligible again once it is alive, as any restarted replica. */
	ids_remove(&p->offline, &p->noffline, broker);
	isr_drop(p, broker, c);
	elect(p, c);
	return finish(p, &old, 0);
}

int pc_clear_elr(struct meta_partition *p)
{
	struct meta_partition old;

	pc_copy(&old, p);
	ids_clear(&p->elr, &p->nelr);
	return finish(p, &old, 0);
}

int pc_preferred(struct meta_partition *p, const struct pc_ctx *c)
{
	struct meta_partition old;
	int32_t pref = p->nreplicas > 0 ? p->replicas[0] : -1;

	pc_copy(&old, p);
	if (pref >= 0 && pref != p->leader && has(p->isr, p->nisr, pref) && eligible(p, c, pref) &&
	    !has(p->removing, p->nremoving, pref))
		lead(p, pref, c);
	return finish(p, &old, 0);
}

int pc_reassign_complete(struct meta_partition *p, const struct pc_ctx *c)
{
	struct meta_partition old;
	int removed = p->nremoving > 0;

	pc_copy(&old, p);
	if (!complete(p, c)) {
		pc_free(&old);
		return 0;
	}
	return finish(p, &old, removed);
}

/* The ISR of an AlterPartition, checked against p: 0, or why it is
 * refused (replication.md section 3, in Kafka's order). */
static int alter_check(const struct meta_partition *p, const struct pc_alter *a,
		       const struct pc_ctx *c, struct err *e)
{
	if (a->leader_epoch < p->leader_epoch)
		return err_set(e, SLOG_EFENCED_LEADER_EPOCH,
			       "leader epoch %d is older than the partition's %d", a->leader_epoch,
			       p->leader_epoch);
	if (a->leader_epoch > p->leader_epoch)
		/* The controller has not applied what the sender saw. */
		return err_set(e, SLOG_ENOT_CONTROLLER,
			       "leader epoch %d is newer than this controller's %d", a->leader_epoch,
			       p->leader_epoch);
	if (a->broker != p->leader)
		return err_set(e, SLOG_EINVALID_REQUEST, "broker %d does not lead the partition (%d does)",
			       a->broker, p->leader);
	if (a->partition_epoch != p->partition_epoch)
		return err_set(e, SLOG_EINVALID_UPDATE_VERSION,
			       "partition epoch %d is not the partition's %d", a->partition_epoch,
			       p->partition_epoch);
	if (a->nisr < 1 || !has(a->isr, a->nisr, a->broker))
		return err_set(e, SLOG_EINVALID_REQUEST, "the ISR must hold its leader %d", a->broker);
	for (int32_t i = 0; i < a->nisr; i++) {
		if (!has(p->replicas, p->nreplicas, a->isr[i]))
			return err_set(e, SLOG_EINVALID_REQUEST, "broker %d is not a replica",
				       a->isr[i]);
		if (has(a->isr, i, a->isr[i]))
			return err_set(e, SLOG_EINVALID_REQUEST, "broker %d is in the ISR twice",
				       a->isr[i]);
		if (has(p->offline, p->noffline, a->isr[i]))
			return err_set(e, SLOG_EINELIGIBLE_REPLICA,
				       "broker %d may not be in the ISR: its log dir is offline",
				       a->isr[i]);
		if (!has(p->isr, p->nisr, a->isr[i]) && !alive(c, a->isr[i]))
			return err_set(e, SLOG_EINELIGIBLE_REPLICA,
				       "broker %d may not join the ISR: it is fenced, shutting down "
				       "or not registered", a->isr[i]);
	}
	return 0;
}

int pc_alter(struct meta_partition *p, const struct pc_alter *a, const struct pc_ctx *c,
	     struct err *e)
{
	struct meta_partition old;
	int32_t *isr, n = 0;
	int removed = p->nremoving > 0;
	int rc = alter_check(p, a, c, e);

	if (rc)
		return rc;
	/* Kept in replica order, whatever order the leader sent. */
	isr = xcalloc((size_t)p->nreplicas, sizeof(*isr));
	for (int32_t i = 0; i < p->nreplicas; i++)
		if (has(a->isr, a->nisr, p->replicas[i]))
			isr[n++] = p->replicas[i];
	pc_copy(&old, p);
	if (!ids_equal(isr, n, p->isr, p->nisr))
		set_isr(p, isr, n, c);
	free(isr);
	/* The ISR that holds every new replica ends their move. */
	removed = complete(p, c) && removed;
	finish(p, &old, removed);
	return 0;
}

/* A move's target: distinct broker ids. */
static int target_check(const int32_t *target, int32_t n, struct err *e)
{
	if (n < 1)
		return err_set(e, SLOG_EINVALID_REPLICATION_FACTOR, "a partition needs at least one replica");
	for (int32_t i = 0; i < n; i++) {
		if (target[i] <= 0)
			return err_set(e, SLOG_EINVALID_REQUEST, "%d is not a broker id", target[i]);
		if (has(target, i, target[i]))
			return err_set(e, SLOG_EINVALID_REQUEST, "broker %d is named twice",
				       target[i]);
	}
	return 0;
}

int pc_reassign(struct meta_partition *p, const int32_t *target, int32_t n,
		const struct pc_ctx *c, struct err *e)
{
	struct meta_partition old;
	int32_t *all, removing;
	int rc = target_check(target, n, e);

	if (rc)
		return rc;
	if (p->nadding || p->nremoving)
		return err_set(e, SLOG_EREASSIGNMENT_IN_PROGRESS,
			       "the partition is being moved already");
	pc_copy(&old, p);
	if (ids_same_set(target, n, p->replicas, p->nreplicas)) {
		/* Only the order changes: the preferred leader. */
		ids_set(&p->replicas, &p->nreplicas, target, n);
		finish(p, &old, 0);
		return 0;
	}
	/* Replicas: the target first (replicas[0] is its preferred leader),
	 * then the old ones it drops. */
	all = xcalloc((size_t)(n + p->nreplicas), sizeof(*all));
	memcpy(all, target, (size_t)n * sizeof(*all));
	for (int32_t i = 0; i < n; i++)
		if (!has(p->replicas, p->nreplicas, target[i]))
			ids_add(&p->adding, &p->nadding, target[i]);
	for (int32_t i = 0, k = n; i < p->nreplicas; i++)
		if (!has(target, n, p->replicas[i])) {
			ids_add(&p->removing, &p->nremoving, p->replicas[i]);
			all[k++] = p->replicas[i];
		}
	ids_set(&p->replicas, &p->nreplicas, all, n + p->nremoving);
	free(all);
	removing = p->nremoving;
	/* A move that only drops replicas, or adds ones in sync, ends at once. */
	finish(p, &old, complete(p, c) && removing > 0);
	return 0;
}
