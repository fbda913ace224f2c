/*
 * mirror_internal.h: the mirror connector's state, shared by its parts.
 *
 *   mirror.c            the class: keys, checks, the task's loop
 *   mirror_topics.c     which source topics to copy; their copies made,
 *                       grown and configured on the target
 *   mirror_groups.c     consumer groups' committed offsets, copied 1:1
 *   mirror_exact.c      exact mode: raw batches appended at their offsets
 *   mirror_translate.c  translate mode: records re-produced, renamed
 *
 * A task runs two threads: its own, which runs the consumer engine
 * (consumer.h) as group connect-<name> on the source cluster, and a
 * housekeeping thread that looks for topics every
 * refresh.topics.interval.seconds and copies group offsets.  Each has its
 * own connections to both clusters (a struct cluster is not shared).
 * `lock` guards the fields marked so; nothing holds it across I/O.
 */
#ifndef SLOG_MIRROR_INTERNAL_H
#define SLOG_MIRROR_INTERNAL_H

#include <pthread.h>
#include <regex.h>
#include <signal.h>
#include <stdint.h>

#include "cluster_client.h"
#include "connectors/mirror_names.h"
#include "err.h"
#include "runtime/connector.h"

struct mirror_conf {
	const char *source_brokers;
	struct mirror_filter topics, groups;
	int exact;                  /* mirror.mode = exact */
	int has_rename;
	regex_t rename;             /* topic.rename.regex, whole name */
	const char *replacement;    /* topic.rename.replacement */
	int64_t refresh_ms;         /* refresh.topics.interval.seconds */
	int64_t group_sync_ms;      /* sync.group.offsets.interval.seconds */
	int sync_configs, sync_groups;
	char group[300];            /* connect-<name>, on the source cluster */
};

struct mirror {
	struct connect_task *t;
	struct mirror_conf conf;
	char source_id[64], target_id[64]; /* the clusters' ids */
	pthread_mutex_t lock;
	pthread_cond_t changed;     /* topics changed, or the task stops */
	char **topics;              /* lock: the source topics copied, sorted */
	size_t ntopics;
	char **skipped;             /* lock: topics said to be skipped (logged once) */
	size_t nskipped;
	int done;                   /* lock: the housekeeping thread stops */
	/* Set to stop the engine: the task stops, or topics changed. */
	volatile sig_atomic_t engine_stop;
};

/* Parse the connector's keys into c (mirror.c). */
int mirror_conf_init(struct mirror_conf *c, const struct connect_task *t, struct err *e);
void mirror_conf_free(struct mirror_conf *c);

/* The id of the cluster cl is connected to (GET /v1/cluster). */
int mirror_cluster_id(struct cluster *cl, char *out, size_t size, struct err *e);

/* A deadline for one round of admin calls. */
int64_t mirror_deadline(void);

/* ---- mirror_topics.c ---- */

/*
 * Look at the source's topics: pick those the filters take (in exact
 * mode, not those that are mirrors themselves), make or grow and
 * configure their copies on dst (when admin, the task that does it), and
 * publish the list.  A topic whose copy cannot be made is logged and
 * left out, and so is, in exact mode, a copy that is no mirror of it (a
 * promoted one).  1 when the list changed, 0 when not, or an error of
 * the source's listing.
 */
int mirror_topics_refresh(struct mirror *m, struct cluster *src, struct cluster *dst, int admin,
			  struct err *e);

/* Make sure topic's copy on dst exists with the source's partitions (an
 * append found it or its partition missing). */
int mirror_topic_ensure(struct mirror *m, struct cluster *src, struct cluster *dst,
			const char *topic, struct err *e);

/* The copy's name of a source topic (translate mode renames). */
int mirror_target_name(const struct mirror *m, const char *topic, char *out, size_t size,
		       struct err *e);

/* "<source cluster id>/<topic>": the copy's mirror.source. */
void mirror_source_of(const struct mirror *m, const char *topic, char *out, size_t size);

/* Log once that topic is skipped, and why (lock not held). */
void mirror_skip_once(struct mirror *m, const char *topic, const char *why);

/* 1 when topic is among the topics copied now. */
int mirror_copies(struct mirror *m, const char *topic);

/* ---- mirror_groups.c ---- */

/* Copy the committed offsets of the source's groups the filters take to
 * dst, for groups with no member there, never moving one back. */
int mirror_groups_sync(struct mirror *m, struct cluster *src, struct cluster *dst,
		       struct err *e);

/* Exact mode, before the engine starts: move the source group's offsets
 * of topics back to their copy's end where they are past it.  A group
 * with members (another copy of the connector runs) is left as it is. */
int mirror_resume_at_copy(struct mirror *m, struct cluster *src, struct cluster *dst,
			  char *const *topics, size_t n, struct err *e);

/* ---- the engine's sinks ---- */

/* mirror_lag_records{topic,partition}: hw - next, as the engine reports
 * them; dropped when the partition is given up. */
void mirror_lag_set(struct mirror *m, const char *topic, int32_t partition, int64_t next,
		    int64_t hw);
void mirror_lag_drop(struct mirror *m, const char *topic, int32_t partition);

struct consumer_sink;

/* Exact mode's sink on dst; mirror_exact_free after the engine stops. */
void *mirror_exact_new(struct mirror *m, struct cluster *src, struct cluster *dst,
		       struct consumer_sink *sink);
void mirror_exact_free(void *x);

/* Translate mode's sink; NULL with e when the writer cannot start. */
void *mirror_translate_new(struct mirror *m, struct cluster *src, struct cluster *dst,
			   struct consumer_sink *sink, struct err *e);
void mirror_translate_free(void *x);

#endif
