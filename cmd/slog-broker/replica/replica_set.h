/*
 * replica_set.h: a partition's replicas as its leader sees them.
 *
 * The leader of a partition keeps, for each follower, where its log ends
 * (LEO), how far it has fsynced (its durable offset, DO), when it last
 * fetched and when it was last caught up; from them it moves the high
 * watermark and decides which replicas belong in the ISR.  The rules are
 * Kafka's (docs/replication.md), with one change: every position that
 * commits a record is a durable offset, so the high watermark counts only
 * fsynced offsets on every in-sync replica.
 *
 *   high watermark  the lowest DO of the leader and of every member of
 *                   the maximal ISR (the committed ISR plus an expansion
 *                   in flight), and of any eligible non-member already at
 *                   the HW (so that it can reach it and join); never
 *                   moves back, never passes the leader's LEO, and stands
 *                   still while the committed ISR is below the effective
 *                   min.insync.replicas (min(min.insync.replicas, RF)).
 *   caught up       a follower whose fetch offset reached the leader's
 *                   LEO (measured on DO when durable_catch_up is set);
 *                   frequent small appends cannot keep a slow one in.
 *   shrink          a maximal-ISR member not caught up for lag_ms.
 *   expand          an eligible replica (registered, alive, its fetch's
 *                   broker epoch the current one, not offline) whose DO
 *                   reached the HW and the leader epoch's start offset.
 *
 * Pure: no locks, no clocks, no I/O; the caller passes the time and holds
 * the partition's replication lock (replication.h).  Sizes are bounded by
 * REPLICA_SET_MAX, which the controller enforces on replication factors.
 */
#ifndef SLOG_REPLICA_SET_H
#define SLOG_REPLICA_SET_H

#include <stddef.h>
#include <stdint.h>

struct meta_partition; /* meta/meta_state.h: the committed partition record */

#define REPLICA_SET_MAX 32

enum replica_role {
	REPLICA_NONE,     /* not a replica here, or no leader: serves nothing */
	REPLICA_LEADER,
	REPLICA_FOLLOWER,
};

/* A follower as the leader sees it; positions -1 until it fetched in
 * this leader epoch. */
struct replica_follower {
	int32_t id;
	char broker_epoch[24];     /* the incarnation its last fetch named */
	int eligible;              /* registered, alive, not shutting down */
	int64_t leo, durable, log_start;
	int64_t last_fetch_ms;
	int64_t leader_leo_at_fetch; /* the leader's LEO at its last fetch */
	int64_t last_caught_up_ms;
	char published_epoch[24];  /* its incarnation in the published metadata */
	int offline;               /* its log dir failed (the record's offline_replicas):
				    * it neither joins the ISR nor holds the HW */
};

struct replica_set {
	enum replica_role role;
	int32_t self;
	int32_t leader;           /* -1: none */
	int32_t leader_epoch;
	int32_t partition_epoch;
	int64_t epoch_start;      /* this node's LEO when it became leader */
	int32_t replicas[REPLICA_SET_MAX];
	int32_t nreplicas;
	int32_t isr[REPLICA_SET_MAX];      /* committed */
	int32_t nisr;
	int32_t max_isr[REPLICA_SET_MAX];  /* committed + an expansion in flight */
	int32_t nmax_isr;
	int change_pending;       /* an ISR change was sent, not yet committed */
	int32_t min_isr;          /* effective min.insync.replicas */
	struct replica_follower f[REPLICA_SET_MAX]; /* the other replicas */
	int32_t nf;
};

/* Empty: role NONE. */
void rset_init(struct replica_set *rs, int32_t self);

/*
 * Follow a committed partition record.  A new leader epoch that names
 * this node leader resets every follower (positions unknown; last caught
 * up now for ISR members, 0 for others) and sets epoch_start = leo; the
 * same epoch keeps the followers' positions and takes the committed ISR
 * (ending a pending change: the maximal ISR becomes the committed one).
 * min_isr is min(min.insync.replicas, RF).  Returns the role it now has.
 */
enum replica_role rset_apply(struct replica_set *rs, const struct meta_partition *mp,
			     int64_t min_insync_replicas, int64_t leo, int64_t now_ms);

/* Whether follower id may join the ISR (from the published broker states). */
void rset_set_eligible(struct replica_set *rs, int32_t id, int eligible);

/*
 * A follower fetched at offset (its LEO) having fsynced below durable,
 * naming broker_epoch; leader_leo is the leader's LEO now.  Updates its
 * position and caught-up time (Kafka's rule, on DO).  0, or -1 when id is
 * not a follower of this partition.  Call it only for a fetch that did
 * not diverge.
 */
int rset_fetched(struct replica_set *rs, int32_t id, const char *broker_epoch, int64_t offset,
		 int64_t durable, int64_t log_start, int64_t leader_leo, int64_t now_ms);

/*
 * The high watermark the rules above give, from the current one (hw),
 * the leader's DO and LEO: >= hw always.  An eligible non-member holds
 * it only while caught up (within lag_ms of now), as Kafka's isCaughtUp:
 * one that stops fetching must not pin the HW.
 */
int64_t rset_high_watermark(const struct replica_set *rs, int64_t hw, int64_t leader_durable,
			    int64_t leader_leo, int64_t lag_ms, int64_t now_ms);

/* Whether an acks=all append may go in: |committed ISR| >= min_isr. */
int rset_enough_replicas(const struct replica_set *rs);
/* Whether an acks=all append the HW passed may be answered: |maximal ISR| >= min_isr. */
int rset_enough_after_append(const struct replica_set *rs);

/*
 * The ISR this leader wants now, into isr (*n), when it differs from the
 * maximal ISR and no change is pending: 1, else 0.  An expansion adds
 * every eligible follower that qualifies; a shrink removes every member
 * out of sync for lag_ms (both at once when both apply).  hw and
 * broker_epochs (the published incarnation of each follower, by index in
 * f; NULL skips that check) as the caller has them.
 */
int rset_isr_wanted(const struct replica_set *rs, int64_t hw, int64_t lag_ms, int64_t now_ms,
		    const char *const *broker_epochs, int32_t *isr, int32_t *n);

/*
 * A change to isr was sent to the controller: pending; an expansion
 * counts at once (the maximal ISR is the union), a shrink only when it
 * commits.  rset_change_failed() reverts to the committed ISR.
 */
void rset_change_sent(struct replica_set *rs, const int32_t *isr, int32_t n);
void rset_change_failed(struct replica_set *rs);

/* Whether id is in the maximal / committed ISR. */
int rset_in_max_isr(const struct replica_set *rs, int32_t id);
int rset_in_isr(const struct replica_set *rs, int32_t id);

/* The follower entry of id, or NULL. */
struct replica_follower *rset_follower(struct replica_set *rs, int32_t id);

#endif
