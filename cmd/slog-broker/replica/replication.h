/*
 * replication.h: a partition's part in replication, on the leader and on
 * a follower (docs/replication.md is the protocol, rule by rule).
 *
 * Every partition has a replica_set (replica_set.h) under its
 * replication lock (repl_lock, taken after the log's locks are released:
 * never held across disk or network I/O), and two published offsets that
 * waiters read without it: p->hw, which consumers and acks=all producers
 * wait on, and p->leo, which followers' long polls wait on.
 *
 * Leader side (replication.c):
 *   - the metadata publisher calls replication_apply() with each local
 *     partition's committed record; becoming leader in a new epoch writes
 *     (epoch, LEO) to the epoch cache durably before any append of it;
 *   - an append publishes the LEO, wakes followers, and queues a
 *     background flush (when log.flush.on.ack): the leader's own DO then
 *     moves the HW as a follower's fetch does (D1);
 *   - a follower's fetch (ops_fetch with a replica id) reports its
 *     positions; the HW and the ISR follow (replica_set.h).
 *   - with log.flush.on.ack=false, LEOs count as durable offsets
 *     (Kafka's page-cache behaviour), on the leader and on followers.
 *
 * Follower side (replication_follower.c), for the replica fetcher
 * (cluster/replica_fetcher.h): the state to put in a fetch, appending
 * what came back, truncation, and the follower's HW.
 *
 * The high watermark is checkpointed per log dir in
 * replication-offset-checkpoint (replication_checkpoint()); on open a
 * partition starts from min(checkpoint, LEO).
 */
#ifndef SLOG_REPLICATION_H
#define SLOG_REPLICATION_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "replica/replica_set.h"

struct broker;
struct partition;

/* ---- both sides (replication.c) ---- */

/* Set up p's replication state when its log opens: role NONE, the HW
 * from the checkpoint (-1: none) bounded by the LEO. */
void replication_init(struct broker *b, struct partition *p, int64_t hw_checkpoint);
void replication_destroy(struct partition *p);

/*
 * Follow p's committed placement (the publisher, without meta_lock,
 * holding a reference to p; also at start for every local partition).
 * min_isr is the topic's min.insync.replicas.  A new epoch led here:
 * assign it in the epoch cache durably, reset the followers, role
 * LEADER.  Led elsewhere: role FOLLOWER of mp->leader (the fetcher is
 * poked).  No leader, or not a replica: role NONE.  Fails only when the
 * epoch cannot be written: the partition then serves nothing.
 */
int replication_apply(struct broker *b, struct partition *p, const struct meta_partition *mp,
		      int64_t min_isr, struct err *e);

/* The role p has now (and, may be NULL, its leader and leader epoch). */
enum replica_role replication_role(struct partition *p, int32_t *leader, int32_t *leader_epoch);

/* Followers' eligibility changed (broker states published). */
void replication_brokers_changed(struct broker *b, struct partition *p);

/* ---- leader side (replication.c) ---- */

/*
 * An append on the leader ended at log_end: publish it, wake followers'
 * long polls, queue the background flush that moves the leader's DO,
 * and move the HW when the rules allow (a single replica with
 * log.flush.on.ack=false at once).
 */
void replication_appended(struct broker *b, struct partition *p, int64_t log_end);

/* The leader's log is durable further: move the HW, wake its waiters. */
void replication_durable(struct broker *b, struct partition *p);

/* What a follower's fetch says of it. */
struct replica_fetch_state {
	int32_t replica_id;
	const char *broker_epoch; /* its incarnation */
	int64_t offset;           /* its LEO: where it fetches */
	int64_t durable;          /* below this it has fsynced */
	int64_t log_start;
};

/*
 * A follower fetched p (leader side, from ops_fetch, for a fetch that did
 * not diverge): check that it is a replica of p (UNKNOWN_LEADER_EPOCH
 * otherwise: it may be joining in a reassignment) and that its broker
 * epoch is the published one (NOT_LEADER otherwise: a stale
 * incarnation); record its positions, move the HW.
 */
int replication_follower_fetched(struct broker *b, struct partition *p,
				 const struct replica_fetch_state *st, struct err *e);

/* acks=all at append: NOT_ENOUGH_REPLICAS when the committed ISR is below
 * min.insync.replicas; 0 otherwise. */
int replication_check_append(struct partition *p, struct err *e);
/* acks=all once the HW passed it: NOT_ENOUGH_REPLICAS_AFTER_APPEND when
 * the maximal ISR fell below min.insync.replicas meanwhile. */
int replication_check_acked(struct partition *p, struct err *e);

/* The epoch's start offset while this node leads p (for KIP-207's
 * OFFSET_NOT_AVAILABLE), else -1. */
int64_t replication_epoch_start(struct partition *p);

/*
 * The ISR change the leader wants now (replica_set.h), for the ISR
 * sender: 1 with the new ISR and the epochs to send, marked pending;
 * else 0 (always 0 while its log is offline: D7).  replication_isr_done() ends it: ok 0 reverts to the committed
 * ISR (the published record ends it otherwise).
 */
int replication_isr_wanted(struct broker *b, struct partition *p, int64_t lag_ms, int32_t *isr,
			   int32_t *n, int32_t *leader_epoch, int32_t *partition_epoch);
void replication_isr_done(struct partition *p, int ok);

/* ---- follower side (replication_follower.c) ---- */

/* What the follower puts in its next fetch of p: 0, or -1 when p is not
 * followed here now (another role, no leader, or its log offline: D7). */
struct replica_position {
	int32_t leader;
	int32_t leader_epoch;
	int64_t offset;             /* its LEO */
	int32_t last_fetched_epoch; /* the epoch of its last batch, -1 none */
	int64_t durable;
	int64_t log_start;
};
int replication_position(struct partition *p, struct replica_position *pos);

/*
 * Append what the leader sent (whole batches, each CRC-checked here:
 * a bad one is CORRUPT_MESSAGE and nothing from it on is appended).
 * Then the caller flushes (plog_flush) and calls replication_follower_hw.
 */
int replication_follower_append(struct broker *b, struct partition *p, const uint8_t *data,
				size_t len, struct err *e);

/* The leader's HW and log start from an answer that did not diverge:
 * HW = min(leader's HW, own LEO), never back; the log start follows. */
void replication_follower_hw(struct broker *b, struct partition *p, int64_t leader_hw,
			     int64_t leader_log_start);

/*
 * The leader answered DivergingEpoch(epoch, end): truncate by the
 * walk-back of KIP-279 (the follower's own end for the largest epoch <=
 * epoch), durably, before anything else is reported.  Or the leader said
 * OFFSET_OUT_OF_RANGE with its log start and end: truncate or restart
 * the log as replication.md section 2 says.
 */
int replication_truncate_diverging(struct broker *b, struct partition *p, int32_t epoch,
				   int64_t end, struct err *e);
int replication_out_of_range(struct broker *b, struct partition *p, int64_t leader_log_start,
			     int64_t leader_log_end, struct err *e);

/* ---- checkpoint (replication.c) ---- */

/* Write every partition's HW to its log dir's replication-offset-checkpoint
 * (the scheduler, and at shutdown). */
int replication_checkpoint(struct broker *b, struct err *e);

#endif
