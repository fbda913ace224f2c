/*
 * broker.h: the broker's runtime state, shared by its modules.
 *
 *   struct broker         one per process: configuration, log dirs,
 *                         metadata (state + log), the topic registry, and
 *                         the background services
 *   struct topic          a topic's runtime: resolved config, partitions
 *   struct partition      a partition's log, high watermark, fetch
 *                         waiters and traffic counters
 *
 * Locking.  meta_lock (a writer-preferring rwlock) guards the metadata
 * state and the topic registry: which topics and partitions exist, and
 * a topic's config.  Request handlers hold it for reading to look up a
 * topic and take what they need of it: a produce or a group commit
 * copies the config and takes references to the partitions it writes,
 * then checks, appends (a write that blocks on a stalled disk) and
 * flushes without it; a fetch takes a reference and reads without it.  The controller changes the registry under it for
 * writing, but only to swap in what it prepared without it: nobody does
 * disk I/O that can wait (an append, an fsync, opening logs, a metadata
 * record) while holding meta_lock, because one queued writer parks every
 * request thread behind the lock's holder.  Partition logs
 * have their own locks (partition_log.h).  Lock order: meta_lock, then a
 * partition log's locks, then the fetch waiters' lock.
 *
 * Partition lifetime.  A partition is reference counted.  The registry
 * holds one reference from topics_add()/topics_grow() until the topic is
 * deleted; anyone who keeps a partition past meta_lock takes their own
 * with partition_get() while holding the lock, and gives it back with
 * partition_put() from any thread: a produce for each partition it
 * writes and a group commit for its partition (dropped when the request
 * is freed; a flush request borrows it), a fetch while it reads, the
 * checkpoint and retention jobs, and the cleaner for the compaction it
 * runs.  A produce that finds
 * its partition deleted when it appends appends nothing.  Deleting a topic removes it from the registry,
 * marks its partitions deleted, cancels their compaction, wakes their
 * fetch waiters (who look the topic up again), and drops the registry's
 * references; the last partition_put() then closes the log and removes
 * its files (renamed to <topic>-<n>.<id>-delete first, so that a
 * half-removed directory is never adopted by a topic of the same name).
 * A partition holds its topic: the topic is freed with its last partition.
 */
#ifndef SLOG_BROKER_H
#define SLOG_BROKER_H

#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "broker_config.h"
#include "clock.h"
#include "conf.h"
#include "log_dirs.h"
#include "meta_log.h"
#include "meta_state.h"
#include "partition_log.h"

struct fetch_wait;
struct flusher;
struct fetch_waits;
struct scheduler;
struct log_cleaner;
struct group_coordinator;
struct metrics;
struct http_server;

struct partition {
	struct topic *topic;
	int32_t id;
	struct plog *log;
	int dir;                 /* index of its log directory */
	int32_t leader_epoch;
	_Atomic int64_t hw;      /* high watermark: readers see offsets below it */
	struct fetch_wait *waiters; /* guarded by the fetch waiters' lock */
	_Atomic int nwaiters;
	_Atomic uint64_t bytes_in, records_in, bytes_out, records_out;
	/* compaction (log_cleaner.c) */
	_Atomic int64_t first_dirty;  /* offsets below are compacted */
	atomic_int clean_cancel;
	/* lifetime: see the top of this file */
	atomic_int refs;
	atomic_int deleted;         /* its topic is gone: the last put removes its files */
	_Atomic uint64_t cleaner_bytes_read, cleaner_bytes_written;
};

struct topic {
	char name[TOPIC_NAME_MAX + 1];
	char id[24];
	int32_t npart;
	struct partition **parts;
	int32_t replication_factor;
	struct topic_config cfg;
	int internal;            /* the broker's own topic (__consumer_offsets) */
	_Atomic uint32_t sticky; /* rotates keyless records of topic-level produce */
	atomic_int refs;         /* the registry's, and one per partition */
};

struct broker {
	struct conf conf;
	int32_t node_id;
	char host[256];          /* advertised */
	int port;
	char listen_host[256];
	int listen_port;
	int flush_on_ack;
	int64_t fetch_max_wait_ms;
	int64_t request_max_bytes;

	struct log_dirs dirs;

	pthread_rwlock_t meta_lock;
	struct meta_state meta;
	struct meta_log mlog;
	struct topic **topics;   /* sorted by name, as meta.topics */
	size_t ntopics, topics_cap;

	struct flusher *flusher;
	struct dir_gate *gate;   /* request threads inside each log dir */
	struct fetch_waits *waits;
	struct scheduler *sched;
	struct log_cleaner *cleaner;
	struct group_coordinator *groups;
	struct metrics *metrics;
	struct http_server *http;
	_Atomic int ready;
	_Atomic int stopping;
	int64_t started_ms;
};

/* ---- topics.c: the registry (callers hold meta_lock as stated) ---- */

/* Open the logs of every topic in the metadata state (startup). */
int topics_open_all(struct broker *b, struct err *e);

/*
 * A topic's runtime, its logs opened, not yet in the registry: the
 * controller builds it without meta_lock, then either inserts it
 * (meta_lock held for writing) or discards it, removing its files.
 */
struct topic *topics_prepare(struct broker *b, const struct meta_topic *mt, struct err *e);
void topics_insert(struct broker *b, struct topic *t);
void topics_discard(struct broker *b, struct topic *t);

/* Runtime for a topic of the state (startup: prepare and insert). */
int topics_add(struct broker *b, const struct meta_topic *mt, struct err *e);

/*
 * More partitions for t, in two steps like a new topic: open the logs of
 * partitions [t->npart, count) into *parts (without meta_lock), then
 * either topics_grow_commit() (meta_lock held for writing) or
 * topics_grow_discard().
 */
int topics_grow_prepare(struct broker *b, struct topic *t, int32_t count,
			struct partition ***parts, struct err *e);
void topics_grow_commit(struct topic *t, int32_t count, struct partition **parts);
void topics_grow_discard(struct broker *b, struct topic *t, int32_t count,
			 struct partition **parts);

/* Resolve the topic's configuration again and hand it to its logs. */
int topics_reconfigure(struct broker *b, struct topic *t, json_t *overrides, struct err *e);

/*
 * Take a topic out of the registry (meta_lock held for writing): its
 * partitions are marked deleted, their compaction cancelled and their
 * waiters woken.  Returns it, or NULL; hand it to topics_release().
 */
struct topic *topics_detach(struct broker *b, const char *name);

/* Drop the registry's references to a detached topic (without meta_lock). */
void topics_release(struct topic *t);

/* Close every log (shutdown).  Returns the first error. */
int topics_close_all(struct broker *b, struct err *e);

/* Lookup (meta_lock held, for reading or writing). */
struct topic *broker_topic(struct broker *b, const char *name);
struct partition *topic_partition(struct topic *t, int32_t p);

/* Take a reference (meta_lock held, or holding one already); returns p. */
struct partition *partition_get(struct partition *p);
/* Give one back (any thread, no lock needed).  The last closes the log,
 * removing its files if the topic was deleted. */
void partition_put(struct partition *p);

/* The same for a topic's struct alone (its name, config, sticky counter;
 * not its partitions array, which grows under meta_lock). */
struct topic *topic_get(struct topic *t);
void topic_put(struct topic *t);

/* The node that leads p (with one broker, this one). */
int32_t partition_leader(struct broker *b, const struct partition *p);

/* {"node_id","host","port"} of a broker of the cluster, for redirects. */
json_t *broker_address(struct broker *b, int32_t node);

/* After an append: advance the high watermark and wake fetchers. */
void partition_appended(struct broker *b, struct partition *p, int64_t log_end);

#endif
