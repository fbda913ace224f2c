/*
 * log_reader.c: read a partition log's records in order, in the broker
 * itself (the metadata log and __consumer_offsets are replayed this way
 * at start).  See plog_replay() in partition_log.h.
 */
#include "batch.h"
#include "batch_check.h"
#include "batch_iter.h"
#include "storage/fileio.h"
#include "storage/partition_log.h"

/* Every record of the batches in data[0, len). */
static int each_record(const uint8_t *data, size_t len, int64_t from, struct buf *scratch,
		       plog_record_fn fn, void *arg, struct err *e)
{
	size_t pos = 0;

	while (pos < len) {
		struct batch_header h;
		struct batch_iter it;
		struct record r;
		int rc, got;

		rc = batch_next_in(data + pos, len - pos, &h, e);
		if (!rc)
			rc = batch_validate(data + pos, batch_size(&h), BATCH_CHECK_CRC, NULL, NULL, e);
		if (!rc)
			rc = batch_iter_init(&it, data + pos, batch_size(&h), scratch, e);
		if (rc)
			return rc;
		while ((got = batch_iter_next(&it, &r, e)) == 1)
			if (r.offset >= from && (rc = fn(arg, &r, e)))
				return rc;
		if (got < 0)
			return got;
		pos += batch_size(&h);
	}
	return 0;
}

int plog_replay(struct plog *l, int64_t from, plog_record_fn fn, void *arg, struct err *e)
{
	struct buf data = BUF_INIT, scratch = BUF_INIT;
	int64_t start, end, off;
	int rc = 0;

	plog_offsets(l, &start, &end);
	off = from > start ? from : start;
	while (!rc && off < end) {
		struct plog_region r;
		ssize_t got;

		rc = plog_read(l, off, end, 1 << 20, &r, e);
		if (rc)
			break;
		if (r.length == 0) {
			plog_region_release(&r);
			break;
		}
		buf_reset(&data);
		got = segment_pread(r.seg, buf_reserve(&data, r.length), r.length, r.position, e);
		if (got >= 0 && (uint64_t)got != r.length)
			got = err_set(e, SLOG_EIO, "%s: short read", r.seg->path);
		if (got < 0)
			rc = (int)got;
		else
			rc = each_record((const uint8_t *)data.data, r.length, from, &scratch, fn, arg, e);
		off = r.next_offset;
		plog_region_release(&r);
	}
	buf_free(&data);
	buf_free(&scratch);
	return rc;
}
