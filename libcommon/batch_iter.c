/*
 * batch_iter.c: record iteration over one batch.  See batch_iter.h.
 *
 * Both ways of reading keep records in one window [p, end).  A batch read
 * whole has its records (decompressed or in place) in one window from the
 * start.  A streamed batch refills the window before each record: what is
 * left of it moves to the front of scratch, and the stream adds enough for
 * the next record, whose length prefix says how much that is.
 */
#include "batch_iter.h"

#include <string.h>

#include "varint.h"

/* The least a streamed read asks of the decompressor at a time. */
#define WINDOW_STEP (64u << 10)

/* Parse and bound the header; point at the body. */
static int iter_start(struct batch_iter *it, const uint8_t *p, size_t len, struct err *e)
{
	int rc = batch_header_parse(p, len, &it->h, e);

	if (rc)
		return rc;
	if (batch_size(&it->h) > len)
		return err_set(e, SLOG_ECORRUPT_MESSAGE, "batch of %zu bytes is cut short at %zu",
			       batch_size(&it->h), len);
	it->p = p + BATCH_HEADER_SIZE;
	it->end = p + batch_size(&it->h);
	it->index = 0;
	it->window = NULL;
	memset(&it->z, 0, sizeof(it->z));
	return 0;
}

int batch_iter_init(struct batch_iter *it, const uint8_t *p, size_t len,
		    struct buf *scratch, struct err *e)
{
	size_t body_len;
	int codec, rc;

	rc = iter_start(it, p, len, e);
	if (rc)
		return rc;
	codec = batch_codec(&it->h);
	if (codec != 0) {
		if (!scratch)
			return err_set(e, SLOG_EUNKNOWN, "compressed batch read without a scratch buffer");
		buf_reset(scratch);
		rc = decompress_append(codec, it->p, (size_t)(it->end - it->p), BATCH_MAX_RECORDS_BYTES,
				       scratch, e);
		if (rc)
			return rc;
		it->p = (const uint8_t *)scratch->data;
		it->end = it->p + scratch->len;
	}
	/* Bound the count by the bytes before trusting it in any loop. */
	body_len = (size_t)(it->end - it->p);
	if ((size_t)it->h.record_count > body_len / RECORD_MIN_SIZE)
		return err_set(e, SLOG_ECORRUPT_MESSAGE, "record count %d cannot fit in %zu bytes",
			       it->h.record_count, body_len);
	return 0;
}

int batch_iter_open(struct batch_iter *it, const uint8_t *p, size_t len,
		    size_t max_records_bytes, struct buf *window, struct err *e)
{
	int rc = iter_start(it, p, len, e);

	if (rc)
		return rc;
	if (batch_codec(&it->h) == 0) {
		if ((size_t)(it->end - it->p) > max_records_bytes)
			return err_set(e, SLOG_EMESSAGE_TOO_LARGE,
				       "records of %zu bytes exceed the limit of %zu",
				       (size_t)(it->end - it->p), max_records_bytes);
		return 0; /* the window is the batch itself */
	}
	rc = decompress_stream_begin(&it->z, batch_codec(&it->h), it->p, (size_t)(it->end - it->p),
				     max_records_bytes, e);
	if (rc) {
		decompress_stream_end(&it->z);
		return rc;
	}
	buf_reset(window);
	it->window = window;
	it->p = it->end = NULL;
	return 0;
}

void batch_iter_close(struct batch_iter *it)
{
	decompress_stream_end(&it->z);
	it->window = NULL;
}

/*
 * Streamed: make the window hold the next whole record, or all that is
 * left.  A malformed length prefix is left for record_decode() to name.
 */
static int fill_window(struct batch_iter *it, struct err *e)
{
	struct buf *w = it->window;

	while (!it->z.done) {
		size_t have = (size_t)(it->end - it->p), need = WINDOW_STEP;
		int32_t rec_len;
		size_t n = varint_get_s32(it->p, it->end, &rec_len);
		int rc;

		if (n && (rec_len < 0 || (size_t)rec_len + n <= have))
			return 0;
		if (n)
			need = (size_t)rec_len + n - have;
		else if (have >= VARINT_MAX32)
			return 0;
		if (have)
			memmove(w->data, it->p, have);
		buf_setlen(w, have);
		rc = decompress_stream_read(&it->z, w, need > WINDOW_STEP ? need : WINDOW_STEP, e);
		if (rc < 0)
			return rc;
		it->p = (const uint8_t *)w->data;
		it->end = it->p + w->len;
	}
	return 0;
}

int batch_iter_next(struct batch_iter *it, struct record *r, struct err *e)
{
	int64_t ts_delta;
	int32_t off_delta;
	int rc;

	if (it->window && (rc = fill_window(it, e)) < 0)
		return rc;
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
