/*
 * partition_change.h: the controller's rules for a partition's record.
 *
 * Pure functions from a partition's committed placement and the brokers'
 * states to its next placement (docs/replication.md sections 3 and 4):
 *
 *   elect       keep a valid leader; else the first ISR member in
 *               replica order that is alive; else (ISR empty of alive
 *               members) an alive ELR member, ISR := {it}; else the last
 *               leader when alive; else, if the topic allows unclean
 *               election, any alive replica, ISR := {it}; else leader
 *               -1, and the ISR keeps its last member.  Each new leader
 *               bumps the leader epoch; every change bumps the partition
 *               epoch.
 *   fence       a broker fenced or shutting down leaves every ISR (never
 *               the last member), then elect.
 *   offline     a replica whose log dir failed (its broker said so,
 *               replication spec D7) is marked offline: out of the ISR
 *               (never the last member, as for a fenced broker), out of
 *               the ELR, not eligible to lead or join the ISR; then
 *               elect.  An offline leader is replaced at once by any
 *               replica that may lead; when none may, it keeps leading
 *               while alive (it refuses writes, but serves what it
 *               fsynced).
 *   restarted   a broker registers a new incarnation: it leaves every
 *               ISR as a fenced one does, and its replicas are online
 *               again (its log dirs were opened and recovered anew).
 *   alter       a leader's AlterPartition: validated (stale epochs,
 *               sender not leader, ISR not a subset of the replicas or
 *               without the leader, an ineligible new member), then the
 *               ISR replaced; members that leave while the ISR is below
 *               min.insync.replicas go to the ELR; the ELR empties once
 *               the ISR is back at min.insync.replicas.
 *   clear_elr   the ELR empties when min.insync.replicas changes.
 *   preferred   replicas[0] leads when it is alive and in the ISR.
 *   reassign    replicas become old + new (adding, removing); once the
 *               ISR holds every new replica, the old ones leave, leader
 *               moves if it was removed, epoch bumped.
 *
 * Brokers are seen through a function that says whether one is alive
 * (registered, unfenced, not shutting down); a replica may lead or join
 * the ISR when its broker is alive and it is not offline.
 */
#ifndef SLOG_PARTITION_CHANGE_H
#define SLOG_PARTITION_CHANGE_H

#include <stdint.h>

#include "err.h"
#include "meta/meta_state.h"

typedef int (*pc_alive_fn)(void *arg, int32_t broker);

struct pc_ctx {
	pc_alive_fn alive;
	void *arg;
	int32_t min_isr;      /* the topic's min.insync.replicas */
	int unclean;          /* the topic's unclean.leader.election.enable */
};

/* Copy of a placement (to: uninitialised), and freeing one. */
void pc_copy(struct meta_partition *to, const struct meta_partition *from);
void pc_free(struct meta_partition *p);

/* Whether two placements differ in anything a record carries. */
int pc_changed(const struct meta_partition *a, const struct meta_partition *b);

/* Elect in p (in place).  Returns 1 when it changed p. */
int pc_elect(struct meta_partition *p, const struct pc_ctx *c);

/* Take broker out of p's ISR (keeping the last member) and elect. */
int pc_fence(struct meta_partition *p, int32_t broker, const struct pc_ctx *c);

/* Mark broker's replica of p offline and elect (see "offline" above).
 * Returns 1 when it changed p (0: not a replica, or offline already). */
int pc_replica_offline(struct meta_partition *p, int32_t broker, const struct pc_ctx *c);

/* broker registered a new incarnation (see "restarted").  1 when p changed. */
int pc_restarted(struct meta_partition *p, int32_t broker, const struct pc_ctx *c);

/* Empty p's ELR (min.insync.replicas changed, KIP-966).  1 when it did. */
int pc_clear_elr(struct meta_partition *p);

/* Make replicas[0] leader when it may be.  Returns 1 when it changed p. */
int pc_preferred(struct meta_partition *p, const struct pc_ctx *c);

/* An AlterPartition from broker (a leader) at its epochs, asking for isr. */
struct pc_alter {
	int32_t broker;
	int32_t leader_epoch;
	int32_t partition_epoch;
	const int32_t *isr;
	int32_t nisr;
};
/* 0 with p changed (an ISR equal to p's changes nothing; an ISR that
 * holds every new replica of a move also completes it, in the same
 * change), or the error Kafka's controller would give (see
 * replication.md section 3) with p untouched: FENCED_LEADER_EPOCH,
 * NOT_CONTROLLER (a leader epoch newer than p's), INVALID_REQUEST,
 * INVALID_UPDATE_VERSION, INELIGIBLE_REPLICA (a new member not alive). */
int pc_alter(struct meta_partition *p, const struct pc_alter *a, const struct pc_ctx *c,
	     struct err *e);

/* Start moving p to target (n replicas): REASSIGNMENT_IN_PROGRESS when a
 * move is under way, INVALID_REQUEST for a repeated or bad id,
 * INVALID_REPLICATION_FACTOR for none; a target
 * equal to the replicas is a no-op (0), the same set in another order
 * only reorders them.  A move that adds no replica out of sync completes
 * at once. */
int pc_reassign(struct meta_partition *p, const int32_t *target, int32_t n,
		const struct pc_ctx *c, struct err *e);
/* Finish a move whose new replicas are all in the ISR: 1 when it did. */
int pc_reassign_complete(struct meta_partition *p, const struct pc_ctx *c);

#endif
