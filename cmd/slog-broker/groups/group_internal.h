/*
 * group_internal.h: the coordinator's state, shared by its two files:
 * group_coordinator.c (membership, assignment, waiting, expiry) and
 * group_offsets.c (committed offsets, listing and describing groups).
 * Everything here is guarded by group_coordinator.lock.
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

struct offset_entry {
	struct gc_tp tp;
	int64_t offset;
	int64_t commit_ms;       /* wall clock */
	int64_t log_offset;      /* of its record in __consumer_offsets: the later wins */
	char *metadata;          /* NULL: none */
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
	struct offset_entry *offs; /* sorted by partition */
	size_t noffs, offs_cap;
	int64_t empty_since_ms;  /* wall clock: when it last had no member */
	uint64_t version;        /* grows on every change a waiting member may care about */
};

struct group_coordinator {
	struct broker *b;
	pthread_mutex_t lock;
	pthread_cond_t cond;     /* the expiry thread's */
	struct group **groups;   /* sorted by name */
	size_t ngroups, groups_cap;
	struct gc_waiter *waiters;
	int stop;
	pthread_t thread;
	int64_t default_session_ms, min_session_ms, max_session_ms, interval_ms;
};

/* ---- partition sets (group_coordinator.c) ---- */

int tp_cmp(const struct gc_tp *a, const struct gc_tp *b);
int tpl_has(const struct tpl *l, const struct gc_tp *tp);
void tpl_add(struct tpl *l, const struct gc_tp *tp); /* keeps it sorted */
void tpl_free(struct tpl *l);

/* ---- groups (group_coordinator.c) ---- */

struct group *group_find(struct group_coordinator *gc, const char *name);
struct group *group_get(struct group_coordinator *gc, const char *name); /* creates */
/* Remove a group with neither members nor offsets. */
void group_drop_if_unused(struct group_coordinator *gc, struct group *g);
struct member *member_find(struct group *g, const char *id);
/* "Empty", "Reconciling" or "Stable". */
const char *group_state(const struct group *g);
/* The partitions of a member's answer as [{"topic","partitions":[..]}]. */
json_t *tpl_json(const struct tpl *l);

/* ---- offsets (group_offsets.c) ---- */

void group_offsets_free(struct group *g);

#endif
