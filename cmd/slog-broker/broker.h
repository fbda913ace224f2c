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
 * flushes without it; a fetch takes a reference and reads without it.  The metadata publisher (meta/publish.h) changes the state and the registry under it for
 * writing, but only to swap in what it prepared without it: nobody does
 * disk I/O that can wait (an append, an fsync, opening logs, a metadata
 * record) while holding meta_lock, because one queued writer parks every
 * request thread behind the lock's holder.  Partition logs
 * have their own locks (partition_log.h).  Lock order: meta_lock, then a
 * partition log's locks, then the fetch waiters' lock; a partition's
 * repl_lock comes after meta_lock and the log's locks, and no other lock
 * is taken while it is held (replication.h).
 *
 * Partition lifetime.  A partition is reference counted.  The registry
 * holds one reference from registry_insert()/registry_grow_commit() until the topic is
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
#include "cluster/quorum.h"
#include "meta/meta_image.h"
#include "meta/meta_log.h"
#include "meta/meta_state.h"
#include "replica/fetch_wait.h"
#include "replica/replica_set.h"
#include "storage/flusher.h"
#include "storage/log_dirs.h"
#include "storage/partition_log.h"

struct flusher;
struct scheduler;
struct log_cleaner;
struct group_coordinator;
struct metrics;
struct http_server;
struct meta_publisher;
struct meta_follower;
struct broker_heartbeat;
struct broker_lifecycle;
struct forwarder;
struct http_defer;
struct replica_fetcher;
struct isr_sender;

#define BROKER_ROLE_BROKER BROKER_CONFIG_ROLE_BROKER
#define BROKER_ROLE_CONTROLLER BROKER_CONFIG_ROLE_CONTROLLER

struct partition {
	struct topic *topic;
	int32_t id;
	struct plog *log;
	int dir;                 /* index of its log directory */
	_Atomic int32_t leader_epoch; /* as this node last applied it (replication.h) */
	_Atomic int64_t hw;      /* high watermark: readers see offsets below it */
	_Atomic int64_t leo;     /* log end as published: followers' long polls wait on it */
	struct fetch_wait_list waiters;
	/* replication (replica/replication.h): repl_lock guards rs and the
	 * background flush's state; it is taken after a log's locks, never
	 * across I/O. */
	pthread_mutex_t repl_lock;
	struct replica_set rs;
	int hw_flush_queued;     /* hw_flush is with the flusher (repl_lock) */
	int64_t hw_flush_again;  /* appended past it meanwhile: flush again (repl_lock) */
	struct flush_req hw_flush;
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

	/* The cluster (cluster/, docs/cluster.md). */
	int roles;               /* BROKER_ROLE_* of process.roles */
	char incarnation[24];    /* new at each start */
	struct quorum_voter voters[QUORUM_MAX_VOTERS]; /* controller.quorum.voters */
	size_t nvoters;
	struct quorum *quorum;   /* this node's vote; NULL when not a controller */
	struct meta_image image; /* the committed metadata, as this node has it */
	struct meta_publisher *publisher;   /* image -> meta + replicas */
	struct meta_follower *follower;     /* an observer's fetch of the image */
	struct broker_heartbeat *heartbeat; /* this broker's, to the controller */
	struct broker_lifecycle *lifecycle; /* the controller's view of brokers */
	struct fetch_wait_list meta_waiters; /* polls of GET /v1/meta/records */
	struct forwarder *forward;          /* admin requests to the controller */
	struct http_defer *defer;           /* admin requests waiting for the quorum */
	struct replica_fetcher *fetcher;    /* partitions followed here */
	struct isr_sender *isr_sender;      /* ISR changes of partitions led here */

	pthread_rwlock_t meta_lock;
	struct meta_state meta;  /* the published state: what the registry holds */
	struct meta_log mlog;    /* the quorum (mlog.quorum is quorum) */
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
	_Atomic int metadata_failed; /* the metadata log's dir went offline: stop */
	int64_t started_ms;
};

#endif
