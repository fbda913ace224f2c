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
 * state and the topic registry, including every topic and partition
 * pointer.  Request handlers hold it for reading while they use a topic
 * (an append or a read takes microseconds); admin operations (create,
 * delete, alter) hold it for writing.  A request that waits (a long poll,
 * an acks=all flush) does not hold it while suspended: the waiter lists
 * are cleared of a topic's partitions before the topic is freed, under
 * the write lock.  Partition logs have their own locks (partition_log.h).
 * Lock order: meta_lock, then a partition log's locks, then the fetch
 * waiters' lock.
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
	volatile int clean_cancel;
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

/* Runtime for a topic just added to the state (meta_lock held for writing). */
int topics_add(struct broker *b, const struct meta_topic *mt, struct err *e);

/* Open logs for partitions [from, count) of a topic whose count grew. */
int topics_grow(struct broker *b, struct topic *t, int32_t count, struct err *e);

/* Resolve the topic's configuration again and hand it to its logs. */
int topics_reconfigure(struct broker *b, struct topic *t, json_t *overrides, struct err *e);

/* Remove a topic: wake its waiters, close and delete its logs. */
int topics_remove(struct broker *b, const char *name, struct err *e);

/* Close every log (shutdown).  Returns the first error. */
int topics_close_all(struct broker *b, struct err *e);

/* Lookup (meta_lock held, for reading or writing). */
struct topic *broker_topic(struct broker *b, const char *name);
struct partition *topic_partition(struct topic *t, int32_t p);

/* The node that leads p (with one broker, this one). */
int32_t partition_leader(struct broker *b, const struct partition *p);

/* {"node_id","host","port"} of a broker of the cluster, for redirects. */
json_t *broker_address(struct broker *b, int32_t node);

/* After an append: advance the high watermark and wake fetchers. */
void partition_appended(struct broker *b, struct partition *p, int64_t log_end);

#endif
