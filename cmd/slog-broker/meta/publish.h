/*
 * publish.h: committed metadata records, applied on this broker.
 *
 * Every broker runs a publisher (meta_publisher.h): it applies what the
 * metadata quorum committed to the broker's metadata state and brings the local replicas
 * in line with it: it opens the logs of the partitions the new state
 * places on this node (a new topic, more partitions), closes and deletes
 * those of a removed topic, and hands changed configs to the logs.  It
 * diffs the state before the records against the state after, so it
 * serves the start-up replay (nothing before, the replayed state after)
 * as it serves one change.
 *
 * Publishing runs in two steps so that no disk work happens under
 * meta_lock: publish_prepare() applies the records to a copy of the state
 * and opens the new logs (without meta_lock); publish_commit() takes
 * meta_lock for writing only to swap in the new state and registry
 * entries, then deletes what was removed, and hands each local
 * partition whose placement changed to replication (replication_apply;
 * every one at the start-up replay), tells the others when brokers
 * changed, and pokes the replica fetcher and the ISR sender.  publish_abort() drops a
 * prepared plan, removing the logs it opened; a plan that cannot open
 * every log it needs is dropped so, and the broker's state is as before
 * (meta_publisher.h tries the same records again).
 *
 * One publisher at a time (the meta_publisher thread): a plan is made
 * against the state it will replace.
 */
#ifndef SLOG_PUBLISH_H
#define SLOG_PUBLISH_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "meta/meta_state.h"

struct broker;
struct partition;
struct topic;

/* What one set of records changes on this broker. */
struct publish_plan {
	struct meta_state next; /* the state after the records */
	struct topic **opened;  /* new topics here, logs open, not yet in the registry */
	size_t nopened;
	struct publish_grow {
		struct topic *t;
		int32_t count;
		struct partition **parts;
	} *grown;               /* more partitions of topics here */
	size_t ngrown;
	char **removed;         /* topics to close and delete here */
	size_t nremoved;
	char **reconfigured;    /* topics whose config overrides changed */
	size_t nreconfigured;
	int topics_changed;     /* groups must assign again */
};

/*
 * Apply recs (a JSON array of committed or proposed records, borrowed) to
 * a copy of the broker's state and open the logs it places here.  A
 * record that does not apply is logged and skipped; an unreadable one
 * fails.
 */
int publish_prepare(struct broker *b, json_t *recs, struct publish_plan *pl, struct err *e);

/* Plan the change from the broker's state (empty at start) to next,
 * which pl takes over (the start-up replay). */
int publish_prepare_state(struct broker *b, struct meta_state *next, struct publish_plan *pl,
			  struct err *e);

/* Make a prepared plan the broker's state and registry (no lock held). */
void publish_commit(struct broker *b, struct publish_plan *pl);

/* Drop a prepared plan, removing the logs it opened. */
void publish_abort(struct broker *b, struct publish_plan *pl);

/* Both steps, for records the log committed. */
int publish_records(struct broker *b, json_t *recs, struct err *e);

#endif
