/*
 * batch.c: the batch header and its CRC.  See batch.h; the full check of
 * a batch, which walks its records, is batch_check.c.
 */
#include "batch.h"

#include "crc32c.h"
#include "endian_io.h"

int batch_header_parse(const uint8_t *p, size_t avail, struct batch_header *h, struct err *e)
{
	if (avail < BATCH_HEADER_SIZE)
		return err_set(e, SLOG_ECORRUPT_MESSAGE, "batch header needs %d bytes, %zu present",
			       BATCH_HEADER_SIZE, avail);
	h->base_offset = (int64_t)be64_get(p + BATCH_OFF_BASE_OFFSET);
	h->length = (int32_t)be32_get(p + BATCH_OFF_LENGTH);
	h->leader_epoch = (int32_t)be32_get(p + BATCH_OFF_LEADER_EPOCH);
	h->magic = (int8_t)p[BATCH_OFF_MAGIC];
	h->crc = be32_get(p + BATCH_OFF_CRC);
	h->attributes = (int16_t)be16_get(p + BATCH_OFF_ATTRIBUTES);
	h->last_offset_delta = (int32_t)be32_get(p + BATCH_OFF_LAST_OFFSET_DELTA);
	h->base_timestamp = (int64_t)be64_get(p + BATCH_OFF_BASE_TIMESTAMP);
	h->max_timestamp = (int64_t)be64_get(p + BATCH_OFF_MAX_TIMESTAMP);
	h->producer_id = (int64_t)be64_get(p + BATCH_OFF_PRODUCER_ID);
	h->producer_epoch = (int16_t)be16_get(p + BATCH_OFF_PRODUCER_EPOCH);
	h->base_sequence = (int32_t)be32_get(p + BATCH_OFF_BASE_SEQUENCE);
	h->record_count = (int32_t)be32_get(p + BATCH_OFF_RECORD_COUNT);

	if (h->magic != BATCH_MAGIC)
		return err_set(e, SLOG_ECORRUPT_MESSAGE, "batch magic is %d, only 2 is supported", h->magic);
	if (h->length < BATCH_HEADER_SIZE - BATCH_LOG_OVERHEAD ||
	    (uint32_t)h->length > BATCH_MAX_SIZE - BATCH_LOG_OVERHEAD)
		return err_set(e, SLOG_ECORRUPT_MESSAGE, "batch length %d is out of range", h->length);
	if (h->base_offset < 0 || h->base_offset > INT64_MAX - INT32_MAX)
		return err_set(e, SLOG_ECORRUPT_MESSAGE, "batch base offset %lld is out of range",
			       (long long)h->base_offset);
	if (h->last_offset_delta < 0)
		return err_set(e, SLOG_ECORRUPT_MESSAGE, "batch last offset delta %d is negative",
			       h->last_offset_delta);
	if (h->record_count < 0)
		return err_set(e, SLOG_ECORRUPT_MESSAGE, "batch record count %d is negative",
			       h->record_count);
	if (h->attributes & ~BATCH_ATTR_KNOWN)
		return err_set(e, SLOG_ECORRUPT_MESSAGE, "batch attributes 0x%x have unknown bits",
			       (unsigned)(uint16_t)h->attributes);
	return 0;
}

uint32_t batch_crc_compute(const uint8_t *p, size_t len)
{
	return crc32c(0, p + BATCH_OFF_ATTRIBUTES, len - BATCH_OFF_ATTRIBUTES);
}

void batch_set_base_offset(uint8_t *p, int64_t base_offset)
{
	be64_put(p + BATCH_OFF_BASE_OFFSET, (uint64_t)base_offset);
}

void batch_set_leader_epoch(uint8_t *p, int32_t epoch)
{
	be32_put(p + BATCH_OFF_LEADER_EPOCH, (uint32_t)epoch);
}

int batch_next_in(const uint8_t *p, size_t avail, struct batch_header *h, struct err *e)
{
	int rc = batch_header_parse(p, avail, h, e);

	if (rc)
		return rc;
	if (batch_size(h) > avail)
		return err_set(e, SLOG_ECORRUPT_MESSAGE, "batch of %zu bytes is cut short at %zu",
			       batch_size(h), avail);
	return 0;
}
