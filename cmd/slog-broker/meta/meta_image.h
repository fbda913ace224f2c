/*
 * meta_image.h: one node's copy of the committed metadata.
 *
 * The image holds the state that the committed metadata records built
 * (meta_state.h), the metadata offset (how many records were committed
 * before: the offset of the next), and the last entries in a ring, which
 * brokers that follow the log fetch (GET /v1/meta/records).  A voter's
 * image is fed by the quorum (quorum.h: meta_image_fsm() gives it the
 * state machine's calls); an observer's by what it fetched from a voter
 * (meta_image_apply_fetched), through the same code, so both end in the
 * same state.
 *
 * An entry is the unit the quorum commits: the records of one change,
 * applied together, as JSON text {"v":1,"records":[{...},...]}.  Each
 * record takes one offset, whether it applies or, having lost a race,
 * is skipped (logged) alike on every node.
 *
 * Thread-safe: lock guards everything but offset, which readers may load
 * without it to decide whether to wait.
 */
#ifndef SLOG_META_IMAGE_H
#define SLOG_META_IMAGE_H

#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "meta/meta_state.h"

struct quorum_fsm;

struct meta_image_entry {
	int64_t offset; /* of its first record */
	int32_t count;  /* records */
	char *text;     /* the entry, as committed; owned */
	size_t len;
};

struct meta_image {
	pthread_mutex_t lock;
	struct meta_state state;
	_Atomic int64_t offset;        /* records committed */
	struct meta_image_entry *ring; /* the last cap entries, oldest at head */
	size_t cap, head, n;
	int64_t ring_start;            /* offset of the oldest entry the ring holds */
	/* Called after each apply or restore, without lock (may be NULL). */
	void (*on_change)(void *arg);
	void *change_arg;
};

/* An empty image keeping the last ring_entries entries; v0_node as
 * meta_state's. */
void meta_image_init(struct meta_image *img, size_t ring_entries, int32_t v0_node);
void meta_image_free(struct meta_image *img);

/* records (a JSON array, borrowed) as an entry: malloc()ed text, *len;
 * NULL if records is not an array. */
char *meta_entry_encode(json_t *records, size_t *len);

/*
 * Apply one committed entry.  0 with *status 0 when every record
 * applied, or the code of the first that did not fit (those are logged
 * and skipped, the same on every node).  SLOG_ECORRUPT_MESSAGE, image
 * unchanged, for bytes that are not an entry this node can read.
 */
int meta_image_apply(struct meta_image *img, const void *data, size_t len, int *status,
		     struct err *e);

/* The image as one buffer (malloc()ed): {"v":1,"offset":N,"state":...}. */
int meta_image_snapshot(struct meta_image *img, void **data, size_t *len, struct err *e);

/* Replace the image by a snapshot's: the ring starts empty at its offset. */
int meta_image_restore(struct meta_image *img, const void *data, size_t len, struct err *e);

/*
 * What a follower at offset after (the next record it needs) is sent
 * (new reference): {"offset":N,"entries":[{"offset":o,"records":[...]},...]}
 * with at most max_entries entries from after on (none when it is
 * current), or {"offset":N,"snapshot":{...}} when no entry of the ring
 * starts at after (it is behind the ring, or between the records of one
 * entry: an entry is never split).  SLOG_EOFFSET_OUT_OF_RANGE when after
 * is negative or past offset.
 */
int meta_image_since(struct meta_image *img, int64_t after, size_t max_entries, json_t **out,
		     struct err *e);

/*
 * Apply such an answer (borrowed) fetched from another node: its
 * entries that are new here, or its snapshot.  Entries that do not start
 * where this image ends, unreadable records, or a snapshot behind this
 * image are SLOG_ECORRUPT_MESSAGE, image unchanged.
 */
int meta_image_apply_fetched(struct meta_image *img, json_t *answer, struct err *e);

/* A deep copy of the state (uninitialised out), and the offset it is at. */
int meta_image_copy_state(struct meta_image *img, struct meta_state *out, int64_t *offset,
			  struct err *e);

/* The quorum's state machine calls, applying to img. */
void meta_image_fsm(struct meta_image *img, struct quorum_fsm *fsm);

#endif
