/*
 * group_coordinator.h: consumer groups, coordinated by the broker in the
 * manner of Kafka's KIP-848.
 *
 * Members heartbeat with the topics they subscribe to and the partitions
 * they own.  The coordinator keeps each member's target (group_assignor)
 * and answers with what the member may own now: its target, less any
 * partition another member still owns.  A partition moves only after its
 * old owner has said it released it, or its session expired, so two
 * members never own one partition at once.  A member's epoch grows each
 * time its answer changes; commits carry it and a stale one is fenced.
 *
 * A heartbeat with nothing new for its member may wait (a long poll):
 * the coordinator wakes it as soon as the group changes, so a rebalance
 * reaches every member in one round trip, not at its next interval.
 *
 * Committed offsets live in memory and in __consumer_offsets
 * (offsets_store.h), which rebuilds them at start.
 *
 * Locking: one mutex guards every group.  Callers that give topic names
 * hold the broker's meta_lock for reading (partition counts come from the
 * registry); the lock order is meta_lock, then the coordinator's.
 */
#ifndef SLOG_GROUP_COORDINATOR_H
#define SLOG_GROUP_COORDINATOR_H

#include <jansson.h>
#include <stdint.h>

#include "err.h"

struct broker;
struct group_coordinator;

struct gc_tp {
	char topic[256];
	int32_t partition;
};

struct gc_heartbeat {
	const char *group;
	const char *member_id;   /* "" to join */
	int32_t member_epoch;    /* 0 to join, -1 to leave, else the member's */
	const char *client_id, *host;
	const char *const *topics; /* subscription; NULL: unchanged */
	size_t ntopics;
	const struct gc_tp *owned; /* what the member owns now; NULL: unchanged */
	size_t nowned;
	int64_t session_ms;      /* 0: the broker's default */
};

struct gc_answer {
	char member_id[40];
	int32_t member_epoch;
	int64_t interval_ms;     /* heartbeat again within this (long-poll bound) */
	json_t *assignment;      /* [{"topic":..,"partitions":[..]}], caller owns */
	int settled;             /* the member owns exactly its answer: it may wait */
};

/* A heartbeat waiting for its group to change (see gc_wait). */
struct gc_waiter {
	void (*wake)(struct gc_waiter *w);
	void *arg;
	char group[256];
	char member_id[40];
	int64_t deadline_ms;
	struct gc_waiter *next; /* owned by the coordinator */
};

struct group_coordinator *gc_start(struct broker *b);
void gc_stop(struct group_coordinator *gc);

/* Join, heartbeat or leave.  meta_lock held for reading. */
int gc_heartbeat(struct group_coordinator *gc, const struct gc_heartbeat *hb,
		 struct gc_answer *a, struct err *e);

/* The member's current answer (after a wait).  meta_lock held for reading. */
int gc_answer(struct group_coordinator *gc, const char *group, const char *member_id,
	      struct gc_answer *a, struct err *e);

/* Park w until the group changes or w->deadline_ms; wake runs once. */
void gc_wait(struct group_coordinator *gc, struct gc_waiter *w);

/* Leave at once (the member's partitions are free). */
int gc_leave(struct group_coordinator *gc, const char *group, const char *member_id,
	     struct err *e);

/* ---- offsets ---- */

struct gc_offset {
	char topic[256];
	int32_t partition;
	int64_t offset;
	char *metadata;          /* may be NULL */
	int64_t commit_ms;
};

/*
 * May this commit go ahead?  A member commits with its current epoch for
 * partitions it was given; with member_id "" and epoch -1, an
 * administrator commits, only while the group has no members.
 */
int gc_commit_check(struct group_coordinator *gc, const char *group, const char *member_id,
		    int32_t member_epoch, const struct gc_offset *v, size_t n, struct err *e);

/* Record committed offsets (durable in __consumer_offsets already). */
void gc_commit_apply(struct group_coordinator *gc, const char *group, const struct gc_offset *v,
		     size_t n);

/* Forget a group's offset for a partition (replayed tombstones). */
void gc_offset_forget(struct group_coordinator *gc, const char *group, const char *topic,
		      int32_t partition);

/* The group's committed offsets: [{"topic","partition","offset","metadata"}]. */
json_t *gc_offsets(struct group_coordinator *gc, const char *group, const char *const *topics,
		   size_t ntopics);

/* ---- administration ---- */

/* [{"group","state","members"}] */
json_t *gc_list(struct group_coordinator *gc);

/* The group described (members, assignment, offsets and lag), or NULL.
 * meta_lock held for reading. */
json_t *gc_describe(struct group_coordinator *gc, const char *group);

/*
 * Delete an empty group: its offsets go (the caller writes their
 * tombstones from *gone, an array of {"topic","partition"}).  Returns
 * SLOG_ENON_EMPTY_GROUP or SLOG_EGROUP_ID_NOT_FOUND otherwise.
 */
int gc_delete(struct group_coordinator *gc, const char *group, json_t **gone, struct err *e);

/* Groups empty for longer than retention_ms, with their offsets: for expiry. */
json_t *gc_expired(struct group_coordinator *gc, int64_t retention_ms);

/* Kafka's coordinator partition for a group: abs(Java hashCode) % count. */
int32_t gc_partition_for(const char *group, int32_t count);

#endif
