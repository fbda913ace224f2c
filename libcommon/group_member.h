/*
 * group_member.h: the consumer engine (consumer.h) as a member of a
 * consumer group.
 *
 * A thread heartbeats with the group's coordinator: it joins with the
 * subscribed topics, reports the partitions the consumer owns, and
 * receives the assignment (the partitions the consumer may own now).
 * When nothing is to be done it long-polls, so a change in the group
 * reaches it at once.  When the assignment changes it wakes the
 * consumer's curl multi handle; the consumer takes the change with
 * gm_poll(), gives up and takes partitions, and reports what it owns
 * with gm_set_owned(), which the thread sends on.  Heartbeats go on while
 * the consumer is busy (a slow reader of stdout does not lose its
 * partitions), for as long as the consumer has not reconciled.
 *
 * If the broker forgets the member (its session expired, the broker
 * restarted), the thread reports the partitions lost (their offsets may
 * no longer be committed) and joins again.
 *
 * Commits and offset lookups are made from the consumer's thread, with
 * the member id and epoch the thread last received.
 */
#ifndef SLOG_GROUP_MEMBER_H
#define SLOG_GROUP_MEMBER_H

#include <curl/curl.h>
#include <jansson.h>
#include <stdint.h>

#include "cluster_client.h"
#include "err.h"

struct gm_tp {
	char topic[256];
	int32_t partition;
};

struct gm_offset {
	struct gm_tp tp;
	int64_t offset;
};

struct gm_opts {
	const char *broker;          /* base URL of the broker first asked */
	struct cluster *cl;          /* for calls from the consumer's thread */
	const char *group;
	const char *const *topics;   /* copied by gm_start */
	size_t ntopics;
	const char *client_id;
	int64_t session_ms;          /* 0: the broker's default */
	int64_t timeout_ms;          /* fail when the coordinator is unreachable this long */
	CURLM *wake;                 /* woken (curl_multi_wakeup) on every change */
	/* The thread's notices (log.h levels); NULL: stderr, as cli_error. */
	void (*log)(void *arg, int level, const char *msg);
	void *log_arg;
};

struct group_member;

struct group_member *gm_start(const struct gm_opts *o);

/*
 * Has the assignment changed since the last call?  1 with the new one in
 * *v (the caller frees it) and *lost set when the partitions owned before
 * were taken away without a release (their positions must not be
 * committed); 0 when unchanged; a negative SLOG_E* once the member has
 * failed for good (e says why).  *settled says whether the broker has
 * given the member its whole target (nothing more is coming).
 */
int gm_poll(struct group_member *gm, struct gm_tp **v, size_t *n, int *lost, int *settled,
	    struct err *e);

/* Subscribe to these topics from the next heartbeat on (copied; n > 0). */
void gm_set_topics(struct group_member *gm, const char *const *topics, size_t n);

/* What the consumer owns now (sorted or not). */
void gm_set_owned(struct group_member *gm, const struct gm_tp *v, size_t n);

/* Commit offsets with the member's epoch.  0 or SLOG_E*. */
int gm_commit(struct group_member *gm, const struct gm_offset *v, size_t n, int64_t deadline_ms,
	      struct err *e);

/* The group's committed offsets of these partitions: out[i] = offset or -1. */
int gm_committed(struct group_member *gm, const struct gm_tp *v, size_t n, int64_t *out,
		 int64_t deadline_ms, struct err *e);

/* Stop heartbeating, leave the group (best effort), free. */
void gm_leave(struct group_member *gm);

#endif
