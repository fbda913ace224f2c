/*
 * group_internal.h: the coordinator's state, shared by
 * group_coordinator.c (membership, assignment, waiting, expiry), which
 * owns it, and the files built on it: group_offsets.c (commits) and
 * group_admin.c (list, describe, delete, expiry).  They call
 * group_coordinator.c; it calls neither of them, and keeps each group's
 * offsets in an offset_table (offset_table.h), which knows nothing of
 * members.  Everything here is guarded by group_coordinator.lock.
 */
#ifndef SLOG_GROUP_INTERNAL_H
#define SLOG_GROUP_INTERNAL_H

#include <pthread.h>
#include <stdint.h>

#include "groups/group_coordinator.h"

/* A set of partitions, sorted by topic then partition. */
struct tpl {
	struct gc_tp *v;
	size_t n, cap;
};

struct member {
	char id[GC_MEMBER_ID_MAX + 1];
	int32_t epoch;           /* the epoch of the last answer it was given */
	char client_id[128], host[64];
	char **topics;           /* subscription, sorted, no duplicates */
	size_t ntopics;
	struct tpl target;       /* what the assignor wants it to own */
	struct tpl answer;       /* what it was last told it may own */
	struct tpl owned;        /* what it last said it owns */
	int64_t session_ms, interval_ms;
	int64_t expires_ms;      /* monotonic */
};

/* A topic's partition count, as the current targets were computed. */
struct topic_count {
	char topic[GC_TOPIC_MAX + 1];
	int32_t partitions;
};

struct group {
	char name[GC_GROUP_MAX + 1];
	struct member **members; /* sorted by id */
	size_t nmembers, members_cap;
	int32_t epoch;           /* grows each time the targets are computed */
	struct topic_count *counts;
	size_t ncounts;
	struct offset_table offsets;
	int64_t empty_since_ms;  /* wall clock: when it last had no member */
	uint64_t version;        /* grows on every change a waiting member may care about */
};

/* How far the groups of one __consumer_offsets partition are loaded. */
struct gc_load {
	int32_t epoch;           /* the leader epoch they were read back in; -1: never */
	int loading;             /* a request reads them back now */
};

struct group_coordinator {
	struct gc_config cfg;
	pthread_mutex_t lock;
	pthread_cond_t cond;     /* the expiry thread's */
	struct group **groups;   /* sorted by name */
	size_t ngroups, groups_cap;
	struct gc_load *loads;   /* per offsets partition (group_load.c) */
	size_t nloads;
	struct gc_waiter *waiters;
	int stop;
	pthread_t thread;
};

/* ---- partition sets (group_coordinator.c) ---- */

int tpl_has(const struct tpl *l, const struct gc_tp *tp);
void tpl_add(struct tpl *l, const struct gc_tp *tp); /* keeps it sorted */
void tpl_free(struct tpl *l);
/* A copy of l, for a view. */
void tpl_copy(const struct tpl *l, struct gc_tp_list *out);

/* ---- groups (group_coordinator.c) ---- */

struct group *group_find(struct group_coordinator *gc, const char *name);
struct group *group_get(struct group_coordinator *gc, const char *name); /* creates */
/* Remove gc->groups[at], its members and offsets; its waiting
 * heartbeats are woken. */
void group_remove(struct group_coordinator *gc, size_t at);
/* Remove a group with neither members nor offsets. */
void group_drop_if_unused(struct group_coordinator *gc, struct group *g);
struct member *member_find(struct group *g, const char *id);
/* "Empty", "Reconciling" or "Stable". */
const char *group_state(const struct group *g);

#endif
