/*
 * ops.h: the broker's operations, whatever protocol asked for them.
 *
 * A front end (http/ today, a Kafka listener later) parses a request,
 * calls one of these, and renders what it returns: produce, fetch, list
 * offsets, offsets for a leader epoch, metadata.  Nothing here knows a
 * connection, a header or a JSON body; every call takes a struct ops_ctx
 * naming who asks and until when, so that authorization and a second
 * listener plug in here once for all front ends.
 *
 * Waiting costs no thread.  An operation that must wait (for a log dir's
 * slot, an fsync, records to arrive) returns OPS_PENDING after calling the
 * front end's park hook, and later calls its wake hook (or, for a
 * produce, done) from another thread, exactly once per park; the front
 * end then calls the same operation again on its own thread, which goes
 * on where it stopped.  park runs before anything is queued that could
 * wake it, so a wake never comes before its park.
 *
 * Record bytes are never copied here: a produce appends the caller's
 * batches in place (or the re-encoded ones), a fetch returns regions of
 * segment files (struct plog_region) for the front end to send.
 *
 * Ownership: the request structs are the caller's and must stay put while
 * an operation is pending; what the operation takes into them (partition
 * references, regions, batches) is given back by the matching _free or
 * _release call.  Every function may be called from any request thread
 * and returns with no lock held; storage calls that can block on a
 * stalled disk run inside the log dir's slots (dir_gate.h), except where
 * a function says otherwise.
 */
#ifndef SLOG_OPS_H
#define SLOG_OPS_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "batch_builder.h"
#include "broker_config.h"
#include "buf.h"
#include "err.h"
#include "record.h"
#include "replica/fetch_wait.h"
#include "storage/dir_gate.h"
#include "storage/flusher.h"
#include "storage/partition_log.h"
#include "topic_name.h"

struct broker;
struct partition;
struct topic;

/* Who asks, and until when. */
struct ops_ctx {
	const char *principal;  /* the authenticated caller; "" when anonymous */
	const char *client_id;  /* as the client named itself; "" when it did not */
	int64_t deadline_ms;    /* monotonic clock: no wait outlasts it */
};

/*
 * The broker a client should ask instead: a partition's leader, named by
 * NOT_LEADER (docs/http-api.md), from this node's published metadata.
 */
struct ops_leader {
	int32_t id;     /* -1: none */
	char url[300];  /* "http://host:port" of its "http" endpoint; "" when unknown */
};

/*
 * Whether this node leads topic's partition in its published metadata
 * (meta_lock held): 0; SLOG_EUNKNOWN_TOPIC_OR_PARTITION when the
 * metadata has neither; SLOG_ENOT_LEADER with *leader (may be NULL)
 * naming the leader; SLOG_ELEADER_NOT_AVAILABLE when it has none.
 */
int ops_check_leader(struct broker *b, const char *topic, int32_t partition,
		     struct ops_leader *leader, struct err *e);

/*
 * The URL of broker id's "http" endpoint as its registration has it
 * (meta_lock held): 0, or -1 with url "" when it is not registered.
 * This node is known before its registration is published.
 */
int ops_broker_url(struct broker *b, int32_t id, char *url, size_t size);

/* The operation waits; the front end hears of it through its hooks. */
#define OPS_PENDING 1

/* The front end's hooks for an operation that waits (see the top). */
struct ops_resume {
	void (*park)(void *arg); /* on the calling thread, before queueing */
	void (*wake)(void *arg); /* any thread: call the operation again */
	void *arg;
};

/* ---- produce ---- */

struct ops_produce;

/* One partition written by a produce, and its outcome. */
struct ops_produce_part {
	int32_t partition;
	struct partition *p;     /* a reference, given back by ops_produce_free */
	struct batch_builder bb; /* records a front end encodes, for this topic */
	struct buf data;         /* finished batches, unless the request's body */
	int32_t records;
	int64_t base, last;      /* the offsets assigned */
	int rc;                  /* 0 or SLOG_E*, with err */
	struct err err;
	struct ops_leader leader; /* with SLOG_ENOT_LEADER */
	struct flush_req flush;
	struct fetch_wait wait;  /* acks=all: until the high watermark passes last */
	struct ops_produce *req;
};

struct ops_produce {
	/* The caller's. */
	char topic[TOPIC_NAME_MAX + 1];
	int32_t fixed;           /* the partition asked for; -1: records choose */
	int acks;                /* 0, 1, or -1 for all */
	uint8_t *body;           /* batches for fixed, appended in place, or NULL */
	size_t body_len;
	int mirror;              /* a mirror's append: body's batches keep their
				  * source offsets (plog_append_mirror); only a
				  * topic with mirror.source takes it, and only it */
	struct ops_resume resume;
	/* Called once, from a flusher or waiting thread, when ops_produce was
	 * pending on fsyncs or on the high watermark: call ops_produce again
	 * for the outcome (rc is 0 then). */
	void (*done)(void *arg, int rc, const struct ops_produce_part *results, size_t n);
	/* The topic as ops_produce_open found it. */
	struct topic_config cfg;
	int32_t npart;           /* 0 when the topic does not exist */
	char topic_id[24];
	struct topic *t;         /* a reference until ops_produce_take; NULL when
				  * the topic has no replica here */
	int32_t *led;            /* the partitions this node leads (owned) */
	int32_t nled;
	struct ops_leader leader; /* fixed's, when ops_produce_open says NOT_LEADER */
	struct ops_produce_part *parts;
	size_t nparts;
	/* The operation's own. */
	int phase;
	uint64_t dirs;
	struct dir_gate_wait gate;
	_Atomic int pending;     /* fsyncs not yet done */
	struct broker *b;
	int64_t deadline_ms;     /* acks=all: the high watermark's wait ends here */
	_Atomic int waiting;     /* high watermark waits not yet woken, + 1 */
};

/* Set up req for topic; fixed >= 0 for one partition, -1 for the topic. */
void ops_produce_init(struct ops_produce *req, const char *topic, int32_t fixed, int acks);
/* Give back everything req holds (not req itself). */
void ops_produce_free(struct ops_produce *req);

/*
 * Check every batch of body: CRC, structure, records, bounded by
 * message.max.uncompressed.bytes.  Needs no topic (runs before any lock):
 * the costly part of a batch produce.  A mirror's batches (mirror) are
 * checked as a replica's are, not as a producer's: a compacted source
 * leaves gaps in their offset deltas.
 */
int ops_produce_validate(struct broker *b, const uint8_t *body, size_t len, int mirror,
			 struct err *e);

/*
 * Find the topic and copy what the produce needs of it (its config and
 * partition count), and take a reference to fixed's partition, or to the
 * topic until ops_produce_take.  A topic that does not exist leaves
 * npart 0 (the front end may create it and call again).  A topic with
 * mirror.source refuses a produce (SLOG_EREAD_ONLY_TOPIC); one without
 * refuses a mirror's append (SLOG_EINVALID_REQUEST).
 */
int ops_produce_open(struct broker *b, const struct ops_ctx *ctx, struct ops_produce *req,
		     struct err *e);

/* The part for partition, added empty when new. */
struct ops_produce_part *ops_produce_part(struct ops_produce *req, int32_t partition);

/* The next partition for keyless records of the topic: it rotates over
 * the partitions this node leads, or over all when it leads none. */
int32_t ops_produce_sticky(struct ops_produce *req);

/*
 * The topic's rules for one record a front end encodes: its timestamp
 * (refused, or replaced with now under LogAppendTime) and its key (a
 * compacted topic needs one).  line > 0 names the record in messages.
 */
int ops_produce_check_record(const struct ops_produce *req, struct record *rec, int64_t now,
			     int64_t line, struct err *e);

/*
 * The topic's rules for req->body's validated batches (size, timestamps,
 * keys), LogAppendTime stamped in place, and a re-encoding for the
 * topic's compression.type when it asks for one.  A mirror's batches are
 * the source's as they are: none of this applies to them.
 */
int ops_produce_check(struct broker *b, struct ops_produce *req, struct err *e);

/*
 * A reference to each partition the records chose (topic produce).  A
 * part whose partition another broker leads gets SLOG_ENOT_LEADER (with
 * its leader) or SLOG_ELEADER_NOT_AVAILABLE and is not appended; the
 * others are.
 */
int ops_produce_take(struct broker *b, struct ops_produce *req, struct err *e);

/*
 * Append every part, then, for acks=all, wait for the records to commit
 * (docs/replication.md): with log.flush.on.ack the leader's own fsync
 * first, then for the high watermark to pass each part's last offset,
 * which takes every member of the ISR having fsynced it.  acks=all checks
 * min.insync.replicas before appending (NOT_ENOUGH_REPLICAS: nothing
 * appended) and again once committed (NOT_ENOUGH_REPLICAS_AFTER_APPEND);
 * a wait past the request's deadline (or OPS_ACK_TIMEOUT_MS without
 * one) is REQUEST_TIMED_OUT, and a leadership lost meanwhile NOT_LEADER:
 * both leave the outcome unknown.  0: done, each part's outcome in
 * req->parts.  OPS_PENDING: parked; either resume.wake comes (a log
 * dir's slot: call again) or done does (call again to read 0).
 * Negative: nothing was appended, the broker stopped with a log dir
 * still full; every part holds the error.
 */
#define OPS_ACK_TIMEOUT_MS 30000
int ops_produce(struct broker *b, const struct ops_ctx *ctx, struct ops_produce *req);

/* ---- fetch ---- */

struct ops_fetch;

/* One partition of a fetch: what is asked, then what it gets. */
struct ops_fetch_part {
	const char *topic;       /* borrowed from the caller */
	int32_t partition;
	int64_t offset;          /* -1: the log start (then set to it) */
	int32_t current_leader_epoch; /* -1: not checked */
	int32_t last_fetched_epoch;   /* -1: none (a consumer) */
	int64_t max_bytes;
	/* A follower's (ops_fetch.replica_id >= 0): replication.h */
	int64_t durable_offset;  /* below this it has fsynced */
	int64_t log_start_offset;
	/* The answer: rc 0 with a region (maybe empty), or an error. */
	int rc;
	struct err err;
	struct ops_leader leader; /* with SLOG_ENOT_LEADER */
	struct partition *p;     /* a reference until ops_fetch_release */
	struct plog_region reg;
	int64_t log_start, hw;
	int64_t log_end;         /* the leader's LEO (for followers) */
	int32_t leader_epoch;    /* the partition's, as this node has it */
	int32_t diverging_epoch; /* last_fetched_epoch's log diverged: the */
	int64_t diverging_end;   /* epoch and end to truncate to; else -1 */
	/* The operation's own. */
	struct fetch_wait wait;
	struct ops_fetch *req;
};

struct ops_fetch {
	int32_t replica_id;      /* -1: a consumer; a broker id: a follower */
	const char *broker_epoch; /* a follower's incarnation (borrowed) */
	int64_t min_bytes;       /* wait until this much is there, */
	int64_t max_wait_ms;     /* or this long (and not past the deadline) */
	int64_t max_bytes;       /* for all partitions together */
	struct ops_fetch_part *parts;
	size_t nparts;
	struct ops_resume resume;
	/* The operation's own. */
	int waited;
	atomic_int woken;
	struct dir_gate_wait gate;
};

/* A part asking for offset with epochs unchecked. */
void ops_fetch_part_init(struct ops_fetch_part *fp, const char *topic, int32_t partition,
			 int64_t offset, int64_t max_bytes);

/*
 * Read every part.  0: done; each part has its rc, region, log start and
 * high watermark (ops_fetch_release gives them back).  OPS_PENDING:
 * parked for a log dir's slot, or for min_bytes to arrive until the wait
 * runs out; resume.wake comes, then call again.
 */
int ops_fetch(struct broker *b, const struct ops_ctx *ctx, struct ops_fetch *req);

/* Drop the regions and references of a done fetch. */
void ops_fetch_release(struct ops_fetch *req);
/* The same for one part, once its answer is rendered. */
void ops_fetch_part_release(struct ops_fetch_part *fp);

/* ---- offsets ---- */

#define OPS_AT_LATEST (-1)
#define OPS_AT_EARLIEST (-2)

struct ops_list_offsets {
	const char *topic;
	int32_t partition;
	int64_t at;              /* OPS_AT_*, or a time in ms since the epoch */
	int64_t offset;          /* the answer */
	int64_t timestamp;       /* the record's at a time, else -1 */
	struct ops_leader leader; /* with SLOG_ENOT_LEADER */
	struct ops_resume resume;
	struct dir_gate_wait gate;
};

/*
 * The offset of the first record at or after req->at (the high watermark
 * when none), or of the log start or end.  0, OPS_PENDING (parked for a
 * log dir's slot: call again on wake) or an error.
 */
int ops_list_offsets(struct broker *b, const struct ops_ctx *ctx, struct ops_list_offsets *req,
		     struct err *e);

/*
 * Where epoch ends in the partition's log (Kafka's OffsetsForLeaderEpoch):
 * *end_offset and *found_epoch (the largest epoch <= epoch), both -1 when
 * epoch is older than the log.  current_leader_epoch >= 0 is checked
 * against the partition's.  Takes the log's lock: it waits behind an
 * append on a stalled disk.
 */
int ops_offsets_for_leader_epoch(struct broker *b, const struct ops_ctx *ctx, const char *topic,
				 int32_t partition, int32_t current_leader_epoch, int32_t epoch,
				 int64_t *end_offset, int32_t *found_epoch, struct err *e);

/* ---- metadata ---- */

struct ops_partition_view {
	int32_t partition;
	int32_t leader;
	int32_t leader_epoch;
	int32_t partition_epoch;
	int32_t *replicas, *isr; /* owned by the view */
	size_t nreplicas, nisr;
	/* Eligible leader replicas, and a move in progress: the replicas
	 * being added and removed (owned by the view). */
	int32_t *elr, *adding, *removing;
	size_t nelr, nadding, nremoving;
	/* Replicas whose log dir is offline (owned by the view). */
	int32_t *offline_replicas;
	size_t noffline_replicas;
	/* With offsets, of a partition this node leads (else has_offsets 0:
	 * its leader knows them). */
	int has_offsets;
	int64_t log_start, hw, log_end;
	uint64_t size_bytes;
	int offline;
};

struct ops_topic_view {
	char name[TOPIC_NAME_MAX + 1];
	int rc;                  /* SLOG_EUNKNOWN_TOPIC_OR_PARTITION: absent */
	char id[24];
	int internal;
	int32_t replication_factor;
	int64_t max_message_bytes;
	struct ops_partition_view *parts;
	int32_t npart;
};

struct ops_broker_view {
	int32_t node_id;
	char host[256];          /* of its "http" endpoint */
	int port;
	char url[300];           /* http://host:port */
	const char *state;       /* "alive", "fenced", "shutting_down" (static) */
};

struct ops_metadata {
	char cluster_id[64];
	struct ops_broker_view *brokers; /* by id */
	size_t nbrokers;
	struct ops_topic_view *topics;
	size_t ntopics;
};

/*
 * The topics named (every topic when names is NULL), their partitions'
 * placement and, with_offsets, the offsets and sizes of those this node
 * leads; and the registered brokers (this node too, before its
 * registration is published).  All from this node's published metadata,
 * so every node of a cluster answers alike once it has caught up, whether
 * or not it holds a replica.  One consistent view, read under meta_lock.
 * ops_metadata_free gives it back.
 */
void ops_metadata(struct broker *b, const struct ops_ctx *ctx, const char *const *names,
		  size_t nnames, int with_offsets, struct ops_metadata *out);
void ops_metadata_free(struct ops_metadata *m);

#endif
