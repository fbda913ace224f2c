/*
 * batch_builder.h: build record batches.
 *
 *   struct batch_builder bb;
 *   batch_builder_init(&bb, CODEC_ZSTD, 0);
 *   batch_builder_add(&bb, &rec);          // as many as fit
 *   batch_builder_finish(&bb, &out, &e);   // appends one batch to out
 *   ... add more, finish again: the builder resets itself on finish ...
 *   batch_builder_free(&bb);
 *
 * Records are encoded as they are added, into one buffer the builder owns
 * and reuses; finish compresses that buffer (if the codec says so) straight
 * behind the header in out, then fills the header and CRC in place.  So a
 * record's bytes are copied once on the way in and once (or compressed
 * once) on the way out, and nothing is allocated per record.
 *
 * Offsets: by default the n-th record added gets offset delta n (what a
 * producer sends; the broker assigns the real offsets).  A builder that
 * rewrites stored records (compaction) uses batch_builder_add_at() to keep
 * each record's offset, gaps and all.
 */
#ifndef SLOG_BATCH_BUILDER_H
#define SLOG_BATCH_BUILDER_H

#include <stddef.h>
#include <stdint.h>

#include "batch.h"
#include "buf.h"
#include "err.h"
#include "record.h"

struct batch_builder {
	int codec;
	int level;
	int16_t attributes_extra; /* bits besides the codec, e.g. log-append time */
	struct buf records;       /* encoded, uncompressed records */
	int32_t count;
	int32_t last_offset_delta;
	int64_t base_offset;
	int64_t base_timestamp;
	int64_t max_timestamp;
	int64_t producer_id;
	int16_t producer_epoch;
	int32_t base_sequence;
};

void batch_builder_init(struct batch_builder *bb, int codec, int level);
void batch_builder_free(struct batch_builder *bb);

/* Drop the records added since the last finish. */
void batch_builder_reset(struct batch_builder *bb);

/* Set the producer fields of the batches that follow (idempotence). */
void batch_builder_set_producer(struct batch_builder *bb, int64_t producer_id,
				int16_t epoch, int32_t base_sequence);

/*
 * Add r as the next record (offset delta = records so far).  r->offset is
 * ignored.  Returns 0, or SLOG_EINVALID_TIMESTAMP if r's timestamp is so
 * far from the batch's first that the delta overflows.
 */
int batch_builder_add(struct batch_builder *bb, const struct record *r);

/*
 * Add r keeping r->offset: the first record added sets the batch's base
 * offset; later ones must have larger offsets.  Returns 0 or
 * SLOG_EINVALID_RECORD / SLOG_EINVALID_TIMESTAMP.
 */
int batch_builder_add_at(struct batch_builder *bb, const struct record *r);

/* Make the batch end at this offset delta even if its last record is gone. */
void batch_builder_set_last_offset_delta(struct batch_builder *bb, int32_t delta);

/* Records added since the last finish. */
static inline int32_t batch_builder_count(const struct batch_builder *bb)
{
	return bb->count;
}

/* The size the batch would have uncompressed: header plus records. */
static inline size_t batch_builder_size(const struct batch_builder *bb)
{
	return BATCH_HEADER_SIZE + bb->records.len;
}

/*
 * The uncompressed size of the batch after adding r: what a producer
 * compares with its batch size before deciding to add or finish first.
 */
size_t batch_builder_size_with(const struct batch_builder *bb, const struct record *r);

/*
 * Append the batch to out and reset the builder for the next one.  A
 * builder with no records appends nothing.  Returns 0 or an error from the
 * codec.
 */
int batch_builder_finish(struct batch_builder *bb, struct buf *out, struct err *e);

#endif
