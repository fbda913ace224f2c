/*
 * replica_set.c: a partition's replicas as its leader sees them.  See
 * replica_set.h.
 *
 * Kafka's rules (Partition.scala, Replica.scala) on durable offsets:
 * every position that can commit a record, or let a replica into the
 * ISR, is what the replica has fsynced, so an acks=all record the HW
 * passed is on the disk of every member of the maximal ISR.
 *
 * The ISR is kept in three views: the committed one (the partition
 * record's), the maximal one (the committed one plus an expansion sent
 * and not yet committed: stricter, so an expansion counts at once), and,
 * while a change is in flight, nothing else moves it: one change at a
 * time, as Kafka's AlterPartition manager keeps.
 */
#include "replica/replica_set.h"

#include <stdio.h>
#include <string.h>

#include "meta/meta_state.h"

static int has(const int32_t *v, int32_t n, int32_t id)
{
	for (int32_t i = 0; i < n; i++)
		if (v[i] == id)
			return 1;
	return 0;
}

static int32_t copy_ids(int32_t *to, const int32_t *from, int32_t n)
{
	if (n > REPLICA_SET_MAX)
		n = REPLICA_SET_MAX;
	if (n > 0)
		memcpy(to, from, (size_t)n * sizeof(*to));
	return n < 0 ? 0 : n;
}

void rset_init(struct replica_set *rs, int32_t self)
{
	memset(rs, 0, sizeof(*rs));
	rs->role = REPLICA_NONE;
	rs->self = self;
	rs->leader = -1;
	rs->leader_epoch = -1;
	rs->partition_epoch = -1;
	rs->epoch_start = -1;
	rs->min_isr = 1;
}

struct replica_follower *rset_follower(struct replica_set *rs, int32_t id)
{
	for (int32_t i = 0; i < rs->nf; i++)
		if (rs->f[i].id == id)
			return &rs->f[i];
	return NULL;
}

/* A follower whose positions are unknown in this leader epoch. */
static void follower_reset(struct replica_follower *f, int in_isr, int64_t now_ms)
{
	f->broker_epoch[0] = '\0';
	f->leo = f->durable = f->log_start = -1;
	f->last_fetch_ms = 0;
	f->leader_leo_at_fetch = -1;
	/* Kafka's resetReplicaState: ISR members get the lag time to fetch
	 * in the new epoch before they count as out of sync. */
	f->last_caught_up_ms = in_isr ? now_ms : 0;
}

/*
 * The followers of the new replica list: kept (same epoch) or reset (a
 * new one) by id; eligibility and published incarnations carry over,
 * a replica new to the list starts ineligible until the broker states
 * say otherwise (replication_brokers_changed).
 */
static void take_followers(struct replica_set *rs, int new_epoch, int64_t now_ms)
{
	struct replica_follower old[REPLICA_SET_MAX];
	int32_t nold = rs->nf;

	memcpy(old, rs->f, sizeof(old));
	rs->nf = 0;
	for (int32_t i = 0; i < rs->nreplicas; i++) {
		struct replica_follower *f = &rs->f[rs->nf];
		int32_t id = rs->replicas[i], j;

		if (id == rs->self)
			continue;
		for (j = 0; j < nold && old[j].id != id; j++)
			;
		if (j < nold) {
			*f = old[j];
		} else {
			memset(f, 0, sizeof(*f));
			f->id = id;
		}
		if (new_epoch || j == nold)
			follower_reset(f, has(rs->isr, rs->nisr, id), now_ms);
		rs->nf++;
	}
}

static enum replica_role role_of(const struct meta_partition *mp, int32_t self)
{
	if (mp->leader < 0 || !has(mp->replicas, mp->nreplicas, self))
		return REPLICA_NONE;
	return mp->leader == self ? REPLICA_LEADER : REPLICA_FOLLOWER;
}

enum replica_role rset_apply(struct replica_set *rs, const struct meta_partition *mp,
			     int64_t min_insync_replicas, int64_t leo, int64_t now_ms)
{
	enum replica_role role = role_of(mp, rs->self);
	int new_epoch = role == REPLICA_LEADER &&
			(rs->role != REPLICA_LEADER || rs->leader_epoch != mp->leader_epoch);
	int changed = new_epoch || mp->partition_epoch != rs->partition_epoch;

	rs->role = role;
	rs->leader = mp->leader;
	rs->leader_epoch = mp->leader_epoch;
	rs->partition_epoch = mp->partition_epoch;
	rs->nreplicas = copy_ids(rs->replicas, mp->replicas, mp->nreplicas);
	rs->nisr = copy_ids(rs->isr, mp->isr, mp->nisr);
	rs->min_isr = (int32_t)(min_insync_replicas < rs->nreplicas ? min_insync_replicas
								    : rs->nreplicas);
	if (rs->min_isr < 1)
		rs->min_isr = 1;
	/* A new record ends a change in flight: it committed, or another
	 * change won and the controller refuses ours by partition epoch. */
	if (changed || !rs->change_pending) {
		rs->change_pending = 0;
		rs->nmax_isr = copy_ids(rs->max_isr, rs->isr, rs->nisr);
	}
	if (role != REPLICA_LEADER) {
		rs->nf = 0;
		rs->epoch_start = -1;
		rs->change_pending = 0;
		return role;
	}
	if (new_epoch)
		rs->epoch_start = leo;
	take_followers(rs, new_epoch, now_ms);
	for (int32_t i = 0; i < rs->nf; i++)
		rs->f[i].offline = has(mp->offline, mp->noffline, rs->f[i].id);
	return role;
}

void rset_set_eligible(struct replica_set *rs, int32_t id, int eligible)
{
	struct replica_follower *f = rset_follower(rs, id);

	if (f)
		f->eligible = eligible;
}

/*
 * Kafka's caught-up time (Replica.updateFetchState), on durable offsets:
 * a fetch whose DO reached the leader's LEO now is caught up now; one
 * that reached the leader's LEO at the previous fetch was caught up then;
 * otherwise nothing changes, so a stream of small appends that keeps a
 * slow follower always a little behind lets its caught-up time age.
 */
static void note_caught_up(struct replica_follower *f, int64_t durable, int64_t leader_leo,
			   int64_t now_ms)
{
	if (durable >= leader_leo)
		f->last_caught_up_ms = now_ms;
	else if (f->leader_leo_at_fetch >= 0 && durable >= f->leader_leo_at_fetch &&
		 f->last_fetch_ms > f->last_caught_up_ms)
		f->last_caught_up_ms = f->last_fetch_ms;
}

int rset_fetched(struct replica_set *rs, int32_t id, const char *broker_epoch, int64_t offset,
		 int64_t durable, int64_t log_start, int64_t leader_leo, int64_t now_ms)
{
	struct replica_follower *f = rset_follower(rs, id);

	if (!f || rs->role != REPLICA_LEADER)
		return -1;
	/* A replica has fsynced no further than its log goes. */
	if (durable > offset)
		durable = offset;
	note_caught_up(f, durable, leader_leo, now_ms);
	snprintf(f->broker_epoch, sizeof(f->broker_epoch), "%s", broker_epoch ? broker_epoch : "");
	f->leo = offset;
	f->durable = durable;
	f->log_start = log_start;
	f->last_fetch_ms = now_ms;
	f->leader_leo_at_fetch = leader_leo;
	return 0;
}

static int caught_up(const struct replica_follower *f, int64_t lag_ms, int64_t now_ms)
{
	return f->durable >= 0 && now_ms - f->last_caught_up_ms <= lag_ms;
}

int64_t rset_high_watermark(const struct replica_set *rs, int64_t hw, int64_t leader_durable,
			    int64_t leader_leo, int64_t lag_ms, int64_t now_ms)
{
	int64_t cand = leader_durable < leader_leo ? leader_durable : leader_leo;

	/* KIP-966: below the effective min.insync.replicas nothing commits. */
	if (rs->role != REPLICA_LEADER || rs->nisr < rs->min_isr)
		return hw;
	for (int32_t i = 0; i < rs->nf; i++) {
		const struct replica_follower *f = &rs->f[i];

		if (has(rs->max_isr, rs->nmax_isr, f->id)) {
			/* A member that has not fetched in this epoch holds it. */
			if (f->durable < cand)
				cand = f->durable;
		} else if (f->eligible && !f->offline && f->durable >= hw &&
			   caught_up(f, lag_ms, now_ms)) {
			/* Let it reach the HW, so that it can join (Kafka). */
			if (f->durable < cand)
				cand = f->durable;
		}
	}
	return cand > hw ? cand : hw;
}

int rset_enough_replicas(const struct replica_set *rs)
{
	return rs->nisr >= rs->min_isr;
}

int rset_enough_after_append(const struct replica_set *rs)
{
	return rs->nmax_isr >= rs->min_isr;
}

int rset_in_max_isr(const struct replica_set *rs, int32_t id)
{
	return has(rs->max_isr, rs->nmax_isr, id);
}

int rset_in_isr(const struct replica_set *rs, int32_t id)
{
	return has(rs->isr, rs->nisr, id);
}

/*
 * Whether follower i may join (KAFKA-7128, KIP-841, KIP-903): it fsynced
 * up to the HW and the epoch's start, is eligible, and fetched naming
 * the incarnation the metadata has.  While the committed ISR is below
 * min.insync.replicas the HW stands still, so it must also be caught up
 * (KAFKA-19996): a join at a stale HW would let it in without the records
 * acknowledged since.
 */
static int may_join(const struct replica_set *rs, int32_t i, int64_t hw, int64_t lag_ms,
		    int64_t now_ms, const char *const *broker_epochs)
{
	const struct replica_follower *f = &rs->f[i];

	if (!f->eligible || f->offline || f->durable < 0 || f->durable < hw ||
	    f->durable < rs->epoch_start)
		return 0;
	if (broker_epochs && (!broker_epochs[i] || strcmp(broker_epochs[i], f->broker_epoch) != 0))
		return 0;
	return rs->nisr >= rs->min_isr || caught_up(f, lag_ms, now_ms);
}

/* Whether id belongs in the ISR the leader wants. */
static int wanted(const struct replica_set *rs, int32_t id, int64_t hw, int64_t lag_ms,
		  int64_t now_ms, const char *const *broker_epochs)
{
	int32_t i;

	if (id == rs->self)
		return 1;
	for (i = 0; i < rs->nf && rs->f[i].id != id; i++)
		;
	if (i == rs->nf)
		return 0;
	if (has(rs->max_isr, rs->nmax_isr, id))
		return now_ms - rs->f[i].last_caught_up_ms <= lag_ms;
	return may_join(rs, i, hw, lag_ms, now_ms, broker_epochs);
}

int rset_isr_wanted(const struct replica_set *rs, int64_t hw, int64_t lag_ms, int64_t now_ms,
		    const char *const *broker_epochs, int32_t *isr, int32_t *n)
{
	int32_t k = 0;
	int differs = 0;

	if (rs->role != REPLICA_LEADER || rs->change_pending)
		return 0;
	/* In replica order, so that equal sets compare equal on the wire. */
	for (int32_t i = 0; i < rs->nreplicas; i++) {
		int32_t id = rs->replicas[i];
		int in = wanted(rs, id, hw, lag_ms, now_ms, broker_epochs);

		if (in)
			isr[k++] = id;
		if (in != has(rs->max_isr, rs->nmax_isr, id))
			differs = 1;
	}
	*n = k;
	return differs;
}

void rset_change_sent(struct replica_set *rs, const int32_t *isr, int32_t n)
{
	rs->change_pending = 1;
	rs->nmax_isr = copy_ids(rs->max_isr, rs->isr, rs->nisr);
	for (int32_t i = 0; i < n; i++)
		if (!has(rs->max_isr, rs->nmax_isr, isr[i]) && rs->nmax_isr < REPLICA_SET_MAX)
			rs->max_isr[rs->nmax_isr++] = isr[i];
}

void rset_change_failed(struct replica_set *rs)
{
	rs->change_pending = 0;
	rs->nmax_isr = copy_ids(rs->max_isr, rs->isr, rs->nisr);
}
