/*
 * batch_check.c: the full check of a batch from outside.  See
 * batch_check.h.
 */
#include "batch_check.h"

#include "batch_iter.h"
#include "compress.h"

static int check_produce_header(const struct batch_header *h, struct err *e)
{
	if (h->record_count < 1)
		return err_set(e, SLOG_EINVALID_RECORD, "a produced batch must hold at least one record");
	if (h->last_offset_delta != h->record_count - 1)
		return err_set(e, SLOG_EINVALID_RECORD,
			       "last offset delta %d does not match %d records",
			       h->last_offset_delta, h->record_count);
	if (h->attributes & (BATCH_ATTR_CONTROL | BATCH_ATTR_TRANSACTIONAL))
		return err_set(e, SLOG_EINVALID_RECORD,
			       "transactional and control batches are not accepted");
	return 0;
}

/*
 * Walk every record, streamed (a record's worth of scratch at a time);
 * check deltas, timestamps and the batch's max timestamp.
 */
static int check_records(const uint8_t *p, size_t len, enum batch_check level,
			 size_t max_records_bytes, struct buf *scratch, struct err *e)
{
	struct buf own = BUF_INIT;
	struct batch_iter it;
	struct record r;
	int64_t max_ts = INT64_MIN;
	int32_t prev_delta = -1;
	int rc;

	rc = batch_iter_open(&it, p, len, max_records_bytes, scratch ? scratch : &own, e);
	if (rc)
		goto out;
	while ((rc = batch_iter_next(&it, &r, e)) > 0) {
		int32_t delta = (int32_t)(r.offset - it.h.base_offset);

		if (level == BATCH_CHECK_PRODUCE ? delta != prev_delta + 1 : delta <= prev_delta) {
			rc = err_set(e, SLOG_ECORRUPT_MESSAGE, "record %d has offset delta %d after %d",
				     it.index - 1, delta, prev_delta);
			break;
		}
		/* One rule with NDJSON input: a producer's timestamps are >= 0
		 * (Kafka's clients refuse negative ones; -1 means "none" only
		 * where a format can say so, and a batch cannot). */
		if (level == BATCH_CHECK_PRODUCE && r.timestamp < 0) {
			rc = err_set(e, SLOG_EINVALID_TIMESTAMP, "record %d: timestamp %lld is negative",
				     it.index - 1, (long long)r.timestamp);
			break;
		}
		prev_delta = delta;
		if (r.timestamp > max_ts)
			max_ts = r.timestamp;
	}
	batch_iter_close(&it);
	if (rc < 0)
		goto out;
	if (prev_delta > it.h.last_offset_delta)
		rc = err_set(e, SLOG_ECORRUPT_MESSAGE,
			     "record offset delta %d is past the last offset delta %d",
			     prev_delta, it.h.last_offset_delta);
	else if (it.h.record_count > 0 && !(it.h.attributes & BATCH_ATTR_LOG_APPEND_TIME) &&
		 max_ts != it.h.max_timestamp)
		rc = err_set(e, SLOG_ECORRUPT_MESSAGE,
			     "batch max timestamp %lld but its records reach %lld",
			     (long long)it.h.max_timestamp, (long long)max_ts);
out:
	buf_free(&own);
	return rc;
}

int batch_validate(const uint8_t *p, size_t len, enum batch_check level,
		   struct batch_header *out, struct buf *scratch, struct err *e)
{
	return batch_validate_within(p, len, level, BATCH_MAX_RECORDS_BYTES, out, scratch, e);
}

int batch_validate_within(const uint8_t *p, size_t len, enum batch_check level,
			  size_t max_records_bytes, struct batch_header *out, struct buf *scratch,
			  struct err *e)
{
	struct batch_header h;
	uint32_t crc;
	int rc;

	rc = batch_header_parse(p, len, &h, e);
	if (rc)
		return rc;
	if (batch_size(&h) != len)
		return err_set(e, SLOG_ECORRUPT_MESSAGE, "batch length says %zu bytes, %zu present",
			       batch_size(&h), len);
	crc = batch_crc_compute(p, len);
	if (crc != h.crc)
		return err_set(e, SLOG_ECORRUPT_MESSAGE, "batch CRC is %08x, contents give %08x",
			       h.crc, crc);
	if (!codec_supported(batch_codec(&h)))
		return err_set(e, SLOG_EUNSUPPORTED_COMPRESSION_TYPE,
			       "batch compressed with %s; slog reads none and zstd",
			       codec_name(batch_codec(&h)));
	if (level == BATCH_CHECK_PRODUCE) {
		rc = check_produce_header(&h, e);
		if (rc)
			return rc;
	}
	if (level >= BATCH_CHECK_FULL) {
		rc = check_records(p, len, level, max_records_bytes, scratch, e);
		if (rc)
			return rc;
	}
	if (out)
		*out = h;
	return 0;
}
