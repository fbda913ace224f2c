/*
 * batcher.h: records into one open batch per partition, sealed and
 * queued on a sender (sender.h).
 *
 * What slog-produce and slog-connect's record writer both do between a
 * record and a request: look a topic up once (and create it, if asked and
 * the broker allows), choose a record's partition (Kafka's murmur2 of the
 * key, else the topic's sticky partition, which moves on whenever its
 * batch is sent: KIP-480), encode the record into that partition's open
 * batch, and seal the batch when it reaches the batch size (never more
 * than the topic's max.message.bytes) or when its first record has
 * waited linger_ms.  A sealed batch's deadline is its first record's
 * arrival plus timeout_ms (Kafka's delivery.timeout.ms).
 *
 * The owner keeps its own meaning of a record: each record is added with
 * a tag (slog-produce: its input line; the record writer: its sequence
 * number).  A batch carries its first record's tag in first_line and,
 * with keep_tags, every record's tag in tags[], so that an
 * acknowledgement or a failure can be traced back to each record.
 *
 * done (sender.h) gets each batch's outcome once, as the sender reports
 * it; a batch that could not even be sealed (the codec failed) is
 * reported there too, never sent.  The owner frees each batch it is given
 * with batcher_batch_free().  The leader moves the sender reports are
 * handled here: the partition's leader is asked again before the retry.
 *
 * Single-threaded; batcher_topic() blocks on the metadata lookup, the
 * rest never blocks (the owner polls the sender).
 */
#ifndef SLOG_BATCHER_H
#define SLOG_BATCHER_H

#include <stdint.h>

#include "batch_builder.h"
#include "cluster_client.h"
#include "err.h"
#include "record.h"
#include "sender.h"

enum partitioner { PART_MURMUR2, PART_RANDOM, PART_ROUNDROBIN };

struct batcher_opts {
	const char *acks;     /* "0", "1", "all": the produce request's acks */
	int codec;            /* compress.h */
	int64_t linger_ms;
	int64_t batch_bytes;
	int64_t timeout_ms;   /* delivery timeout of a batch, from its first record */
	int max_in_flight;    /* requests across partitions */
	int auto_create;      /* ask the broker to create a missing topic */
	int keep_tags;        /* keep every record's tag in its batch */
};

struct btopic;

struct bpart {
	struct btopic *t;
	int32_t id;
	struct send_part sp;  /* sp.owner is this bpart */
	struct batch_builder bb;
	int64_t opened_ms;    /* when its open batch got its first record */
	int64_t first_tag;
	int64_t payload_bytes; /* the open batch's keys and values */
	int64_t *tags;        /* of the open batch's records, with keep_tags */
	size_t ntags, tags_cap;
};

struct btopic {
	char name[256];
	struct topic_meta meta;
	struct bpart *parts;
	int32_t sticky;
	uint32_t rr;
	int64_t batch_limit;  /* min(batch_bytes, max.message.bytes) */
	int64_t refreshed_ms; /* when its leaders were last asked again */
	struct err missing;   /* code set: the topic does not exist (asked once) */
	struct btopic *next;
};

struct batcher {
	struct batcher_opts o;
	struct cluster *cl;   /* borrowed */
	struct sender *sender;
	struct btopic *topics;
	int64_t buffered;     /* bytes sealed or open, not yet reported done */
	int64_t sealed_bytes; /* every batch sealed, as sent */
	unsigned seed;
	sender_done_fn done;
	void *arg;
};

void batcher_init(struct batcher *b, struct cluster *cl, const struct batcher_opts *o,
		  sender_done_fn done, void *arg);
/* Free every topic and the sender; batches still open are dropped. */
void batcher_free(struct batcher *b);

/*
 * The topic called name, looked up (and created, with auto_create) on
 * first use, its partitions registered with the sender; NULL with e when
 * it does not exist (SLOG_EUNKNOWN_TOPIC_OR_PARTITION, and e says how to
 * create it: asked once, later calls fail alike) or the lookup failed.
 */
struct btopic *batcher_topic(struct batcher *b, const char *name, struct err *e);

/* The partition of t a record with this key goes to (key NULL: none). */
int32_t batcher_choose(struct batcher *b, struct btopic *t, enum partitioner how,
		       const uint8_t *key, int32_t key_len);

/*
 * Add r to pp's open batch (sealing the batch first when r would take it
 * past the batch size, and after when it is full).  0, or
 * SLOG_EMESSAGE_TOO_LARGE when r alone is over the topic's
 * max.message.bytes, or SLOG_EINVALID_TIMESTAMP; e says why, and r was
 * not added.
 */
int batcher_add(struct batcher *b, struct bpart *pp, const struct record *r, int64_t tag,
		int64_t now_ms, struct err *e);

/* Seal pp's open batch now, if it has records. */
void batcher_seal(struct batcher *b, struct bpart *pp);

/* Seal the batches whose linger is up (all of them when force); returns
 * when the next one will be (INT64_MAX: none open). */
int64_t batcher_seal_due(struct batcher *b, int64_t now_ms, int force);

/*
 * sb was refused as too large (MESSAGE_TOO_LARGE): each of its records
 * goes again as a batch of its own, sent alone, ahead of what waits in
 * its partition (so the partition keeps its order), with its tag and
 * sb's deadline; a record the broker refuses alone is then reported on
 * its own.  sb is left to the caller.  0, or the error reading sb back.
 */
int batcher_split(struct batcher *b, const struct send_batch *sb, struct err *e);

/* Look t's max.message.bytes up again (it may have been lowered since):
 * records over it are refused before they are sent.  Blocks. */
void batcher_refresh_limit(struct batcher *b, struct btopic *t, int64_t deadline_ms);

/*
 * Give up on everything not on the wire: open batches are dropped
 * (returns how many records they held) and waiting ones reported to done
 * as failed with SLOG_ENETWORK and why.
 */
int64_t batcher_abandon(struct batcher *b, const char *why);

/* Free a batch done handed over. */
void batcher_batch_free(struct send_batch *sb);

#endif
