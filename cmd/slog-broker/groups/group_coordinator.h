/*
 * group_coordinator.h: consumer groups, coordinated by the broker in the
 * manner of Kafka's KIP-848.
 *
 * Members heartbeat with the topics they subscribe to and the partitions
 * they own.  The coordinator computes each member's target
 * (group_assignor.h) and answers with what the member may own now: its
 * target, less any partition another member still owns or was told to
 * own.  A partition moves only after its old owner has said it released
 * it, or its session expired, so two members never own one partition at
 * once.  A member's epoch grows each time its answer changes; commits
 * carry it, and one made with a stale epoch is refused.
 *
 * A heartbeat that finds nothing new for its member may wait (a long
 * poll, gc_wait): it is woken as soon as its group changes, so a
 * rebalance reaches every member in one round trip rather than at its
 * next heartbeat.
 *
 * Committed offsets live here in memory, one offset_table per group
 * (offset_table.h), and durably in the __consumer_offsets topic
 * (offsets_store.h), which rebuilds them when the broker starts.
 * Membership is not persisted: after a restart, members are told they
 * are unknown and join again.
 *
 * The coordinator knows the broker only through struct gc_config (its
 * settings, meta_lock, a partition count per topic) and, for describe,
 * the caller's gc_log_range_fn.  Its answers are C structs, the caller's
 * to free; http/group_json.h renders them.
 *
 * Locking: one mutex guards every group.  Calls that need partition
 * counts or high watermarks (marked) are made with meta_lock held for
 * reading; the lock order is meta_lock, then the coordinator's.
 */
#ifndef SLOG_GROUP_COORDINATOR_H
#define SLOG_GROUP_COORDINATOR_H

#include <pthread.h>
#include <stdint.h>

#include "err.h"
#include "group_id.h"
#include "groups/offset_table.h"

#define GC_GROUP_MAX GROUP_ID_MAX
#define GC_MEMBER_ID_MAX 39
#define GC_METADATA_MAX 4096

struct group_coordinator;

/* A list of partitions, sorted by topic then partition; the caller's. */
struct gc_tp_list {
	struct gc_tp *v;
	size_t n;
};

void gc_tp_list_free(struct gc_tp_list *l);

/* What the coordinator needs of the broker. */
struct gc_config {
	int64_t default_session_ms, min_session_ms, max_session_ms; /* group.*session.timeout.ms */
	int64_t interval_ms;       /* group.consumer.heartbeat.interval.ms */
	/* Held for reading around the calls marked (meta_lock held) and by
	 * the expiry thread, before the coordinator's own lock. */
	pthread_rwlock_t *meta_lock;
	/* A topic's partition count, 0 if there is no such topic (meta_lock
	 * held). */
	int32_t (*partitions)(void *arg, const char *topic);
	void *arg;
};

struct gc_heartbeat {
	const char *group;
	const char *member_id;     /* "" to join */
	int32_t member_epoch;      /* 0 to join, else the member's latest */
	const char *client_id, *host;
	const char *const *topics; /* subscription (required to join) */
	size_t ntopics;
	int has_topics;            /* 0: subscription unchanged */
	const struct gc_tp *owned; /* the partitions the member owns now */
	size_t nowned;
	int has_owned;             /* 0: unchanged */
	int64_t session_ms;        /* 0: the broker's default */
};

struct gc_answer {
	char member_id[GC_MEMBER_ID_MAX + 1];
	int32_t member_epoch;
	int64_t interval_ms;       /* heartbeat at least this often */
	int64_t session_ms;
	struct gc_tp_list assignment; /* the caller's: gc_answer_free */
	int32_t pending;           /* partitions of its target it must still wait for */
	uint64_t version;          /* the group's, for gc_wait */
	int settled;               /* the member owns exactly its answer */
};

/* A heartbeat waiting for its group to change. */
struct gc_waiter {
	void (*wake)(struct gc_waiter *w); /* runs once, coordinator lock held */
	void *arg;
	char group[GC_GROUP_MAX + 1];
	uint64_t version;          /* wake when the group's differs */
	int64_t deadline_ms;       /* monotonic */
	struct gc_waiter *next;    /* the coordinator's */
};

void gc_answer_free(struct gc_answer *a);

struct group_coordinator *gc_start(const struct gc_config *cfg);
/* Shutting down: answer every waiting heartbeat now, and later ones at once. */
void gc_quiesce(struct group_coordinator *gc);
/* Stop the expiry thread and free everything (no request may be running). */
void gc_stop(struct group_coordinator *gc);

/* Whether name can name a group (non-empty, at most GC_GROUP_MAX bytes,
 * no control characters). */
int gc_group_name_valid(const char *name, struct err *e);

/* Join or heartbeat (meta_lock held). */
int gc_heartbeat(struct group_coordinator *gc, const struct gc_heartbeat *hb,
		 struct gc_answer *a, struct err *e);

/* The member's answer now, after a wait (meta_lock held). */
int gc_answer(struct group_coordinator *gc, const char *group, const char *member_id,
	      struct gc_answer *a, struct err *e);

/* Park w until its group's version moves past w->version or the deadline
 * passes; if it already has, wake at once. */
void gc_wait(struct group_coordinator *gc, struct gc_waiter *w);

/* Leave at once: the member's partitions are free (meta_lock held). */
int gc_leave(struct group_coordinator *gc, const char *group, const char *member_id,
	     struct err *e);

/* Topics were created, deleted or grew: every waiting member looks again. */
void gc_topics_changed(struct group_coordinator *gc);

/* ---- committed offsets (group_offsets.c) ---- */

/*
 * May this commit go ahead?  A member commits with its current epoch for
 * partitions it was given or still owns.  With member_id "" and epoch -1
 * an administrator commits, which only a group without members allows.
 */
int gc_commit_check(struct group_coordinator *gc, const char *group, const char *member_id,
		    int32_t member_epoch, const struct gc_offset *v, size_t n, struct err *e);

/* Record offsets made durable at log offsets first_log_offset + i. */
void gc_commit_apply(struct group_coordinator *gc, const char *group, const struct gc_offset *v,
		     size_t n, int64_t first_log_offset);

/* Forget a group's offset for a partition; a group left with neither
 * offsets nor members goes. */
void gc_offset_forget(struct group_coordinator *gc, const char *group, const struct gc_tp *tp);

/* A group's committed offsets; each metadata is the list's own copy. */
struct gc_offset_list {
	struct gc_offset *v;
	size_t n;
};

/* The group's offsets, of the given topics (NULL: all), sorted. */
void gc_offsets(struct group_coordinator *gc, const char *group, const char *const *topics,
		size_t ntopics, struct gc_offset_list *out);
void gc_offset_list_free(struct gc_offset_list *l);

/* ---- administration (group_admin.c) ---- */

struct gc_summary {
	char group[GC_GROUP_MAX + 1];
	const char *state;         /* "Empty", "Reconciling" or "Stable" */
	size_t members;
};

/* Every group, sorted by name; free *v. */
void gc_list(struct group_coordinator *gc, struct gc_summary **v, size_t *n);

struct gc_member_view {
	char member_id[GC_MEMBER_ID_MAX + 1];
	int32_t member_epoch;
	char client_id[128], host[64];
	int64_t session_ms;
	char **subscription;       /* sorted */
	size_t nsubscription;
	struct gc_tp_list assignment, target;
};

/* One partition of a group: committed offset, log, lag, holder.  A
 * negative field is unknown (no offset, no log). */
struct gc_partition_view {
	struct gc_tp tp;
	int has_offset;
	int64_t offset;
	char *metadata;            /* NULL: none */
	int has_log;
	int64_t log_start, log_end; /* the high watermark */
	int has_lag;
	int64_t lag;
	const struct gc_member_view *holder; /* told it may own tp; NULL: nobody */
};

struct gc_group_view {
	char group[GC_GROUP_MAX + 1];
	const char *state;
	int32_t group_epoch;
	struct gc_member_view *members;
	size_t nmembers;
	struct gc_partition_view *partitions;
	size_t npartitions;
	int64_t known_lag;         /* the sum over the partitions with a lag */
	int unknown_lag_partitions;
};

/* Where a partition's log starts and ends (its high watermark): 0, or
 * nonzero when there is no such log (meta_lock held). */
typedef int (*gc_log_range_fn)(void *arg, const struct gc_tp *tp, int64_t *start, int64_t *end);

/* The group with members, assignments, offsets and lag; SLOG_EGROUP_ID_NOT_FOUND
 * if the broker knows no such group (meta_lock held). */
int gc_describe(struct group_coordinator *gc, const char *group, gc_log_range_fn log_range,
		void *arg, struct gc_group_view *out, struct err *e);
void gc_group_view_free(struct gc_group_view *v);

/*
 * What deleting the group removes: its offsets' partitions.
 * SLOG_ENON_EMPTY_GROUP while it has members, SLOG_EGROUP_ID_NOT_FOUND if
 * there is no such group.  The caller writes the tombstones, then forgets
 * each offset (gc_offset_forget), which removes the group.
 */
int gc_delete_plan(struct group_coordinator *gc, const char *group, struct gc_tp_list *gone,
		   struct err *e);

/*
 * What deleting the group's offsets of topic removes (of the given
 * partitions only, unless partitions is NULL), maybe nothing.
 * SLOG_EGROUP_SUBSCRIBED_TO_TOPIC while a member subscribes to the topic,
 * SLOG_EGROUP_ID_NOT_FOUND if there is no such group.  The caller writes
 * the tombstones, then forgets each offset.
 */
int gc_delete_offsets_plan(struct group_coordinator *gc, const char *group, const char *topic,
			   const int32_t *partitions, size_t npartitions, struct gc_tp_list *gone,
			   struct err *e);

/* A group past its retention, with the partitions of its offsets. */
struct gc_expired_group {
	char group[GC_GROUP_MAX + 1];
	struct gc_tp_list offsets;
};

/* Groups without members whose last commit and last member are older
 * than retention_ms; free with gc_expired_free. */
void gc_expired(struct group_coordinator *gc, int64_t retention_ms, int64_t now_ms,
		struct gc_expired_group **v, size_t *n);
void gc_expired_free(struct gc_expired_group *v, size_t n);

/* ---- loading a partition's groups (group_load.c) ---- */

/*
 * A broker coordinates the groups of the __consumer_offsets partitions
 * it leads.  When it becomes the leader of one in a new leader epoch,
 * what it holds in memory of that partition's groups may be stale (it
 * coordinated them before, and another broker since), so it reads them
 * back from the partition's log before it serves any of them, as Kafka's
 * coordinator loads a partition when it becomes its leader.
 */
enum gc_load_state {
	GC_LOADED,   /* loaded in this epoch: serve */
	GC_LOAD_NOW, /* the caller reads the log back now, then gc_load_end() */
	GC_LOADING,  /* another caller is reading it back: not yet */
};

/*
 * Is partition (of count) of __consumer_offsets loaded in leader epoch
 * epoch?  GC_LOAD_NOW has forgotten every group of the partition (their
 * members too, who join again) and marked it loading: the caller
 * replays the log (gc_commit_apply, gc_offset_forget) and ends with
 * gc_load_end().
 */
enum gc_load_state gc_load_begin(struct group_coordinator *gc, int32_t partition, int32_t count,
				 int32_t epoch);
/* The load gc_load_begin() asked for ended: loaded in epoch when ok. */
void gc_load_end(struct group_coordinator *gc, int32_t partition, int32_t epoch, int ok);

/* Kafka's coordinator partition for a group: abs(Java hashCode) % count. */
int32_t gc_partition_for(const char *group, int32_t count);

#endif
