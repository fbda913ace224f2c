/*
 * batch_iter.c: record iteration over one batch.  See batch_iter.h.
 */
#include "batch_iter.h"

#include "compress.h"

int batch_iter_init(struct batch_iter *it, const uint8_t *p, size_t len,
		    struct buf *scratch, struct err *e)
{
	const uint8_t *body;
	size_t body_len;
	int codec, rc;

	rc = batch_header_parse(p, len, &it->h, e);
	if (rc)
		return rc;
	if (batch_size(&it->h) > len)
		return err_set(e, SLOG_ECORRUPT_MESSAGE, "batch of %zu bytes is cut short at %zu",
			       batch_size(&it->h), len);
	body = p + BATCH_HEADER_SIZE;
	body_len = batch_size(&it->h) - BATCH_HEADER_SIZE;
	codec = batch_codec(&it->h);
	if (codec != 0) {
		if (!scratch)
			return err_set(e, SLOG_EUNKNOWN, "compressed batch read without a scratch buffer");
		buf_reset(scratch);
		rc = decompress_append(codec, body, body_len, BATCH_MAX_RECORDS_BYTES, scratch, e);
		if (rc)
			return rc;
		body = (const uint8_t *)scratch->data;
		body_len = scratch->len;
	}
	/* Bound the count by the bytes before trusting it in any loop. */
	if ((size_t)it->h.record_count > body_len / RECORD_MIN_SIZE)
		return err_set(e, SLOG_ECORRUPT_MESSAGE, "record count %d cannot fit in %zu bytes",
			       it->h.record_count, body_len);
	it->p = body;
	it->end = body + body_len;
	it->index = 0;
	return 0;
}

int batch_iter_next(struct batch_iter *it, struct record *r, struct err *e)
{
	int64_t ts_delta;
	int32_t off_delta;
	int rc;

	if (it->index >= it->h.record_count) {
		if (it->p != it->end)
			return err_set(e, SLOG_ECORRUPT_MESSAGE,
				       "%zu stray bytes after the batch's %d records",
				       (size_t)(it->end - it->p), it->h.record_count);
		return 0;
	}
	if (it->p == it->end)
		return err_set(e, SLOG_ECORRUPT_MESSAGE, "batch says %d records, its bytes end after %d",
			       it->h.record_count, it->index);
	rc = record_decode(&it->p, it->end, r, &ts_delta, &off_delta, e);
	if (rc)
		return err_wrap(e, "record %d", it->index);
	if (off_delta < 0)
		return err_set(e, SLOG_ECORRUPT_MESSAGE, "record %d has negative offset delta %d",
			       it->index, off_delta);
	r->offset = it->h.base_offset + off_delta;
	if (it->h.attributes & BATCH_ATTR_LOG_APPEND_TIME)
		r->timestamp = it->h.max_timestamp;
	else if (__builtin_add_overflow(it->h.base_timestamp, ts_delta, &r->timestamp))
		return err_set(e, SLOG_ECORRUPT_MESSAGE, "record %d timestamp overflows", it->index);
	it->index++;
	return 1;
}
