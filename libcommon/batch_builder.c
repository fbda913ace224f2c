/*
 * batch_builder.c: encode records into v2 batches.  See batch_builder.h.
 */
#include "batch_builder.h"

#include "batch.h"
#include "compress.h"
#include "endian_io.h"

void batch_builder_reset(struct batch_builder *bb)
{
	buf_reset(&bb->records);
	bb->count = 0;
	bb->last_offset_delta = -1;
	bb->base_offset = 0;
	bb->base_timestamp = 0;
	bb->max_timestamp = INT64_MIN;
}

void batch_builder_init(struct batch_builder *bb, int codec, int level)
{
	struct buf empty = BUF_INIT;

	bb->codec = codec;
	bb->level = level;
	bb->attributes_extra = 0;
	bb->records = empty;
	bb->producer_id = -1;
	bb->producer_epoch = -1;
	bb->base_sequence = -1;
	batch_builder_reset(bb);
}

void batch_builder_free(struct batch_builder *bb)
{
	buf_free(&bb->records);
}

void batch_builder_set_producer(struct batch_builder *bb, int64_t producer_id,
				int16_t epoch, int32_t base_sequence)
{
	bb->producer_id = producer_id;
	bb->producer_epoch = epoch;
	bb->base_sequence = base_sequence;
}

static int add_with_delta(struct batch_builder *bb, const struct record *r, int32_t off_delta)
{
	int64_t ts_delta;
	size_t n;

	if (bb->count == 0)
		bb->base_timestamp = r->timestamp;
	if (__builtin_sub_overflow(r->timestamp, bb->base_timestamp, &ts_delta))
		return SLOG_EINVALID_TIMESTAMP;
	n = record_encoded_size(r, ts_delta, off_delta);
	record_encode((uint8_t *)buf_reserve(&bb->records, n), r, ts_delta, off_delta);
	buf_commit(&bb->records, n);
	if (r->timestamp > bb->max_timestamp)
		bb->max_timestamp = r->timestamp;
	bb->count++;
	bb->last_offset_delta = off_delta;
	return 0;
}

int batch_builder_add(struct batch_builder *bb, const struct record *r)
{
	return add_with_delta(bb, r, bb->count);
}

int batch_builder_add_at(struct batch_builder *bb, const struct record *r)
{
	int64_t delta;

	if (bb->count == 0)
		bb->base_offset = r->offset;
	delta = r->offset - bb->base_offset;
	if (delta <= bb->last_offset_delta || delta > INT32_MAX)
		return SLOG_EINVALID_RECORD;
	return add_with_delta(bb, r, (int32_t)delta);
}

void batch_builder_set_last_offset_delta(struct batch_builder *bb, int32_t delta)
{
	if (delta > bb->last_offset_delta)
		bb->last_offset_delta = delta;
}

size_t batch_builder_size_with(const struct batch_builder *bb, const struct record *r)
{
	int64_t base = bb->count ? bb->base_timestamp : r->timestamp;
	int64_t ts_delta = 0;

	/* An overflowing delta fails on add; size it as the largest. */
	if (__builtin_sub_overflow(r->timestamp, base, &ts_delta))
		ts_delta = INT64_MAX;
	return batch_builder_size(bb) + record_encoded_size(r, ts_delta, bb->count);
}

int batch_builder_finish(struct batch_builder *bb, struct buf *out, struct err *e)
{
	size_t start = out->len;
	uint8_t *h;
	int rc;

	if (bb->count == 0 && bb->last_offset_delta < 0)
		return 0;
	buf_reserve(out, BATCH_HEADER_SIZE);
	buf_commit(out, BATCH_HEADER_SIZE);
	rc = compress_append(bb->codec, bb->level, bb->records.data, bb->records.len, out, e);
	if (rc) {
		buf_setlen(out, start);
		return rc;
	}
	h = (uint8_t *)out->data + start; /* after the append: it may have moved */
	be64_put(h + BATCH_OFF_BASE_OFFSET, (uint64_t)bb->base_offset);
	be32_put(h + BATCH_OFF_LENGTH, (uint32_t)(out->len - start - BATCH_LOG_OVERHEAD));
	be32_put(h + BATCH_OFF_LEADER_EPOCH, (uint32_t)-1);
	h[BATCH_OFF_MAGIC] = BATCH_MAGIC;
	be16_put(h + BATCH_OFF_ATTRIBUTES,
		 (uint16_t)((bb->codec & BATCH_ATTR_CODEC_MASK) | bb->attributes_extra));
	be32_put(h + BATCH_OFF_LAST_OFFSET_DELTA, (uint32_t)bb->last_offset_delta);
	be64_put(h + BATCH_OFF_BASE_TIMESTAMP, (uint64_t)bb->base_timestamp);
	be64_put(h + BATCH_OFF_MAX_TIMESTAMP,
		 (uint64_t)(bb->count ? bb->max_timestamp : bb->base_timestamp));
	be64_put(h + BATCH_OFF_PRODUCER_ID, (uint64_t)bb->producer_id);
	be16_put(h + BATCH_OFF_PRODUCER_EPOCH, (uint16_t)bb->producer_epoch);
	be32_put(h + BATCH_OFF_BASE_SEQUENCE, (uint32_t)bb->base_sequence);
	be32_put(h + BATCH_OFF_RECORD_COUNT, (uint32_t)bb->count);
	be32_put(h + BATCH_OFF_CRC, batch_crc_compute(h, out->len - start));
	batch_builder_reset(bb);
	return 0;
}
