/*
 * replication.c: a partition's replication on its leader, and the state
 * both sides keep (replication.h; the follower's half is in
 * replication_follower.c).
 *
 * The leader's high watermark moves on three events, each of which
 * recomputes it under repl_lock from the replica set (replica_set.h):
 * its own log becoming durable further (the background flush an append
 * queues, one in flight per partition), a follower's fetch reporting
 * its positions, and a change of the placement or of the brokers'
 * states.  The leader's durable offset (DO) is read before repl_lock is
 * taken: the log's own locks are never taken under it, and nothing under
 * it waits on a disk.  The HW and the LEO are published in the partition
 * (p->hw, p->leo) and only move forward there; whoever moves one wakes
 * the waiters of the partition (fetch_wait.h), never holding repl_lock.
 */
#include "replica/replication.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker.h"
#include "clock.h"
#include "cluster/isr_sender.h"
#include "log.h"
#include "replica/registry.h"
#include "xalloc.h"

static int64_t lag_ms(struct broker *b)
{
	return conf_get_num(&b->conf, "replica.lag.time.max.ms");
}

/* Move a published offset forward only (appends and flushes finish out
 * of order across threads): 1 when it moved. */
static int advance(_Atomic int64_t *v, int64_t to)
{
	int64_t cur = atomic_load(v);

	while (to > cur)
		if (atomic_compare_exchange_weak(v, &cur, to))
			return 1;
	return 0;
}

/* The leader's DO: what it fsynced, or with log.flush.on.ack=false its
 * LEO (Kafka's page-cache durability).  No lock held. */
static int64_t leader_durable(struct broker *b, struct partition *p)
{
	return b->flush_on_ack ? plog_recovery_point(p->log) : atomic_load(&p->leo);
}

/* The HW the rules give now; repl_lock held. */
static int64_t hw_locked(struct partition *p, int64_t durable, int64_t lag, int64_t now)
{
	return rset_high_watermark(&p->rs, atomic_load(&p->hw), durable, atomic_load(&p->leo), lag,
				   now);
}

/* Publish hw and wake whoever it satisfies; no lock held. */
static void publish_hw(struct broker *b, struct partition *p, int64_t hw)
{
	if (advance(&p->hw, hw) && b->waits)
		fetch_waits_notify(b->waits, &p->waiters);
}

/* ---- both sides ---- */

void replication_init(struct broker *b, struct partition *p, int64_t hw_checkpoint)
{
	int64_t start, end, hw;

	pthread_mutex_init(&p->repl_lock, NULL);
	rset_init(&p->rs, b->node_id);
	plog_offsets(p->log, &start, &end);
	/* Kafka's load: the checkpoint bounded by the log, and by its start. */
	hw = hw_checkpoint < end ? hw_checkpoint : end;
	if (hw < start)
		hw = start;
	atomic_store(&p->leo, end);
	atomic_store(&p->hw, hw);
	p->hw_flush_queued = 0;
	p->hw_flush_again = -1;
}

void replication_destroy(struct partition *p)
{
	pthread_mutex_destroy(&p->repl_lock);
}

enum replica_role replication_role(struct partition *p, int32_t *leader, int32_t *leader_epoch)
{
	enum replica_role role;

	pthread_mutex_lock(&p->repl_lock);
	role = p->rs.role;
	if (leader)
		*leader = p->rs.leader;
	if (leader_epoch)
		*leader_epoch = p->rs.leader_epoch;
	pthread_mutex_unlock(&p->repl_lock);
	return role;
}

/* What the published metadata says of some brokers, read under meta_lock
 * and applied under repl_lock (never both at once). */
struct broker_states {
	int32_t n;
	int32_t id[REPLICA_SET_MAX];
	int eligible[REPLICA_SET_MAX];
	char incarnation[REPLICA_SET_MAX][24];
};

/* Eligible: registered, alive (not fenced, not shutting down: KIP-841,
 * KAFKA-15021). */
static void read_states(struct broker *b, const int32_t *ids, int32_t n,
			struct broker_states *st)
{
	st->n = n < REPLICA_SET_MAX ? n : REPLICA_SET_MAX;
	pthread_rwlock_rdlock(&b->meta_lock);
	for (int32_t i = 0; i < st->n; i++) {
		const struct meta_broker *mb = meta_find_broker(&b->meta, ids[i]);

		st->id[i] = ids[i];
		st->eligible[i] = mb && mb->state == META_BROKER_ALIVE;
		snprintf(st->incarnation[i], sizeof(st->incarnation[i]), "%s",
			 mb ? mb->incarnation : "");
	}
	pthread_rwlock_unlock(&b->meta_lock);
}

static void apply_states(struct replica_set *rs, const struct broker_states *st)
{
	for (int32_t i = 0; i < st->n; i++) {
		struct replica_follower *f = rset_follower(rs, st->id[i]);

		if (!f)
			continue;
		f->eligible = st->eligible[i];
		memcpy(f->published_epoch, st->incarnation[i], sizeof(f->published_epoch));
	}
}

/*
 * Becoming leader in a new epoch: (epoch, LEO) into the epoch cache,
 * durably, before the role is taken (D6, KAFKA-7415).  *start gets the
 * epoch's start offset.  On failure the partition serves nothing.
 */
static int take_epoch(struct partition *p, const struct meta_partition *mp, int64_t *start,
		      struct err *e)
{
	int rc = plog_assign_epoch(p->log, mp->leader_epoch, start, e);

	if (!rc) {
		atomic_store(&p->leo, *start);
		return 0;
	}
	pthread_mutex_lock(&p->repl_lock);
	p->rs.role = REPLICA_NONE;
	p->rs.leader = mp->leader;
	pthread_mutex_unlock(&p->repl_lock);
	return err_wrap(e, "%s-%d: cannot take leader epoch %d", p->topic->name, p->id,
			mp->leader_epoch);
}

static int leads_new_epoch(struct partition *p, const struct meta_partition *mp, int32_t self)
{
	int32_t leader, epoch;
	enum replica_role role = replication_role(p, &leader, &epoch);

	if (mp->leader != self || !meta_partition_on(mp, self))
		return 0;
	return role != REPLICA_LEADER || epoch != mp->leader_epoch;
}

int replication_apply(struct broker *b, struct partition *p, const struct meta_partition *mp,
		      int64_t min_isr, struct err *e)
{
	struct broker_states st;
	int64_t start, durable, hw, lag = lag_ms(b);
	enum replica_role was, now_role;
	int32_t was_epoch;
	int fresh = leads_new_epoch(p, mp, b->node_id);

	if (fresh && take_epoch(p, mp, &start, e)) {
		if (b->waits)
			fetch_waits_drop_partition(b->waits, &p->waiters);
		return e->code;
	}
	if (!fresh)
		plog_offsets(p->log, NULL, &start);
	read_states(b, mp->replicas, mp->nreplicas, &st);
	durable = leader_durable(b, p);
	pthread_mutex_lock(&p->repl_lock);
	was = p->rs.role;
	was_epoch = p->rs.leader_epoch;
	now_role = rset_apply(&p->rs, mp, min_isr, start, clock_mono_ms());
	apply_states(&p->rs, &st);
	atomic_store(&p->leader_epoch, mp->leader_epoch);
	hw = hw_locked(p, durable, lag, clock_mono_ms());
	pthread_mutex_unlock(&p->repl_lock);
	publish_hw(b, p, hw);
	/* Long polls and acks=all waits of another role or epoch answer now
	 * (a follower's NOT_LEADER, a producer's outcome unknown). */
	if ((was != now_role || was_epoch != mp->leader_epoch) && b->waits)
		fetch_waits_drop_partition(b->waits, &p->waiters);
	return 0;
}

void replication_brokers_changed(struct broker *b, struct partition *p)
{
	struct broker_states st;
	int32_t ids[REPLICA_SET_MAX], n;
	int64_t durable, hw, lag = lag_ms(b);

	pthread_mutex_lock(&p->repl_lock);
	n = p->rs.nreplicas;
	memcpy(ids, p->rs.replicas, (size_t)n * sizeof(*ids));
	pthread_mutex_unlock(&p->repl_lock);
	read_states(b, ids, n, &st);
	durable = leader_durable(b, p);
	pthread_mutex_lock(&p->repl_lock);
	apply_states(&p->rs, &st);
	hw = hw_locked(p, durable, lag, clock_mono_ms());
	pthread_mutex_unlock(&p->repl_lock);
	/* A replica shutting down no longer holds the HW (KAFKA-15021). */
	publish_hw(b, p, hw);
}

/* ---- leader side: appends and the leader's durability ---- */

void replication_durable(struct broker *b, struct partition *p)
{
	int64_t durable = leader_durable(b, p), hw, lag = lag_ms(b);

	pthread_mutex_lock(&p->repl_lock);
	hw = hw_locked(p, durable, lag, clock_mono_ms());
	pthread_mutex_unlock(&p->repl_lock);
	publish_hw(b, p, hw);
}

/*
 * The background flush is done (a flusher thread).  Appends that came
 * meanwhile get one more round; the HW follows what is durable now.  The
 * flush holds a reference to p, given back when no round follows.
 */
static void hw_flushed(struct flush_req *fr, int rc, const struct err *e)
{
	struct partition *p = (struct partition *)((char *)fr - offsetof(struct partition, hw_flush));
	struct broker *b = fr->arg;
	int again = 0;

	/* A failed fsync took the log dir offline (dir_health.h) and said so
	 * once; the HW stays where it is. */
	if (rc)
		log_debug("%s-%d: background flush: %s", p->topic->name, p->id, e->msg);
	pthread_mutex_lock(&p->repl_lock);
	if (!rc && p->hw_flush_again > fr->upto) {
		fr->upto = p->hw_flush_again;
		again = 1;
	} else {
		p->hw_flush_queued = 0;
	}
	p->hw_flush_again = -1;
	pthread_mutex_unlock(&p->repl_lock);
	replication_durable(b, p);
	if (again)
		flusher_submit(b->flusher, fr);
	else
		partition_put(p);
}

/* Queue the flush that moves the leader's DO to upto, or note that the
 * one in flight must go on there.  Without a flusher (start, stop) the
 * scheduler's checkpoint flush moves it. */
static void queue_flush(struct broker *b, struct partition *p, int64_t upto)
{
	struct flusher *f = b->flusher;

	pthread_mutex_lock(&p->repl_lock);
	if (p->hw_flush_queued || !f) {
		if (upto > p->hw_flush_again)
			p->hw_flush_again = upto;
		pthread_mutex_unlock(&p->repl_lock);
		return;
	}
	p->hw_flush_queued = 1;
	p->hw_flush = (struct flush_req){ .log = p->log, .dir = p->dir, .upto = upto,
					  .done = hw_flushed, .arg = b };
	pthread_mutex_unlock(&p->repl_lock);
	partition_get(p);
	flusher_submit(f, &p->hw_flush);
}

void replication_appended(struct broker *b, struct partition *p, int64_t log_end)
{
	if (advance(&p->leo, log_end) && b->waits)
		fetch_waits_notify(b->waits, &p->waiters);
	if (b->flush_on_ack)
		queue_flush(b, p, log_end);
	else
		replication_durable(b, p);
}

/* ---- leader side: followers ---- */

/* The published incarnation of each follower, by index; NULL unknown. */
static void published_epochs(const struct replica_set *rs, const char **v)
{
	for (int32_t i = 0; i < rs->nf; i++)
		v[i] = rs->f[i].published_epoch[0] ? rs->f[i].published_epoch : NULL;
}

/* Whether st may report positions here; repl_lock held. */
static int check_follower(struct partition *p, const struct replica_fetch_state *st,
			  struct err *e)
{
	struct replica_follower *f = rset_follower(&p->rs, st->replica_id);

	if (p->rs.role != REPLICA_LEADER)
		return err_set(e, SLOG_ENOT_LEADER, "this broker does not lead %s-%d", p->topic->name,
			       p->id);
	if (!f)
		return err_set(e, SLOG_EUNKNOWN_LEADER_EPOCH,
			       "broker %d is not a replica of %s-%d in leader epoch %d", st->replica_id,
			       p->topic->name, p->id, p->rs.leader_epoch);
	/* KIP-903: a fetch of an older incarnation of the broker. */
	if (f->published_epoch[0] && st->broker_epoch &&
	    strcmp(f->published_epoch, st->broker_epoch) != 0)
		return err_set(e, SLOG_ENOT_LEADER,
			       "broker %d fetched %s-%d as incarnation %s; the metadata has %s",
			       st->replica_id, p->topic->name, p->id, st->broker_epoch,
			       f->published_epoch);
	return 0;
}

int replication_follower_fetched(struct broker *b, struct partition *p,
				 const struct replica_fetch_state *st, struct err *e)
{
	int64_t durable = leader_durable(b, p), lag = lag_ms(b), now = clock_mono_ms(), hw = 0;
	/* Without log.flush.on.ack a follower's LEO counts as its DO too. */
	int64_t fdurable = b->flush_on_ack ? st->durable : st->offset;
	const char *epochs[REPLICA_SET_MAX];
	int32_t isr[REPLICA_SET_MAX], n;
	int rc, wants = 0;

	pthread_mutex_lock(&p->repl_lock);
	rc = check_follower(p, st, e);
	if (!rc) {
		rset_fetched(&p->rs, st->replica_id, st->broker_epoch, st->offset, fdurable,
			     st->log_start, atomic_load(&p->leo), now);
		hw = hw_locked(p, durable, lag, now);
		published_epochs(&p->rs, epochs);
		wants = rset_isr_wanted(&p->rs, hw, lag, now, epochs, isr, &n);
	}
	pthread_mutex_unlock(&p->repl_lock);
	if (rc)
		return rc;
	publish_hw(b, p, hw);
	if (wants && b->isr_sender)
		isr_sender_poke(b->isr_sender);
	return 0;
}

/* min.insync.replicas against the committed (at append) or the maximal
 * (at ack) ISR. */
static int check_isr(struct partition *p, int after_append, struct err *e)
{
	enum replica_role role;
	int32_t have, min;
	int enough;

	pthread_mutex_lock(&p->repl_lock);
	role = p->rs.role;
	enough = after_append ? rset_enough_after_append(&p->rs) : rset_enough_replicas(&p->rs);
	have = after_append ? p->rs.nmax_isr : p->rs.nisr;
	min = p->rs.min_isr;
	pthread_mutex_unlock(&p->repl_lock);
	if (role != REPLICA_LEADER)
		return err_set(e, SLOG_ENOT_LEADER, "this broker no longer leads %s-%d",
			       p->topic->name, p->id);
	if (enough)
		return 0;
	if (after_append)
		return err_set(e, SLOG_ENOT_ENOUGH_REPLICAS_AFTER_APPEND,
			       "%s-%d: the records are in the log, but only %d replicas are in sync "
			       "(min.insync.replicas is %d)", p->topic->name, p->id, have, min);
	return err_set(e, SLOG_ENOT_ENOUGH_REPLICAS,
		       "%s-%d has %d in-sync replicas, fewer than min.insync.replicas (%d): "
		       "nothing was appended", p->topic->name, p->id, have, min);
}

int replication_check_append(struct partition *p, struct err *e)
{
	return check_isr(p, 0, e);
}

int replication_check_acked(struct partition *p, struct err *e)
{
	return check_isr(p, 1, e);
}

int64_t replication_epoch_start(struct partition *p)
{
	int64_t v;

	pthread_mutex_lock(&p->repl_lock);
	v = p->rs.role == REPLICA_LEADER ? p->rs.epoch_start : -1;
	pthread_mutex_unlock(&p->repl_lock);
	return v;
}

int replication_isr_wanted(struct broker *b, struct partition *p, int64_t lag, int32_t *isr,
			   int32_t *n, int32_t *leader_epoch, int32_t *partition_epoch)
{
	const char *epochs[REPLICA_SET_MAX];
	int wants;

	(void)b;
	/* A leader on an offline log dir changes no ISR (D7): its followers
	 * cannot fetch past its last good fsync, and dropping them would
	 * leave it the last member, whom the controller can never replace. */
	if (plog_offline(p->log))
		return 0;
	pthread_mutex_lock(&p->repl_lock);
	published_epochs(&p->rs, epochs);
	wants = rset_isr_wanted(&p->rs, atomic_load(&p->hw), lag, clock_mono_ms(), epochs, isr, n);
	if (wants) {
		rset_change_sent(&p->rs, isr, *n);
		*leader_epoch = p->rs.leader_epoch;
		*partition_epoch = p->rs.partition_epoch;
	}
	pthread_mutex_unlock(&p->repl_lock);
	return wants;
}

void replication_isr_done(struct partition *p, int ok)
{
	if (ok)
		return; /* the published record ends the change (rset_apply) */
	pthread_mutex_lock(&p->repl_lock);
	rset_change_failed(&p->rs);
	pthread_mutex_unlock(&p->repl_lock);
}

/* ---- checkpoint ---- */

int replication_checkpoint(struct broker *b, struct err *e)
{
	size_t n, k = 0;
	struct partition **v = registry_hold_all(b, &n);
	struct log_dirs_entry *ent = xcalloc(n + 1, sizeof(*ent));
	int rc;

	for (size_t i = 0; i < n; i++) {
		struct partition *p = v[i];

		if (atomic_load(&p->deleted))
			continue;
		ent[k++] = (struct log_dirs_entry){ p->dir, p->topic->name, p->id, p->log, -1,
						    atomic_load(&p->hw) };
	}
	rc = log_dirs_checkpoint_hw(&b->dirs, ent, k, e);
	free(ent);
	registry_put_all(v, n);
	return rc;
}
