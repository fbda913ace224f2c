/*
 * segment_recovery.c: the recovery scan of a segment.  It reads every
 * batch and checks its CRC, rebuilds the indexes from the valid ones,
 * steps over damage to the next valid batch, and tells bit rot from what
 * a crash leaves, so that the caller (log_recovery.c) cuts only a torn
 * tail.  See segment_recover() in segment.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batch_check.h"
#include "crc32c.h"
#include "endian_io.h"
#include "storage/segment.h"
#include "storage/segment_internal.h"
#include "xalloc.h"

/*
 * The batch at pos, read whole through rd: 1 when it parses and its CRC
 * matches, 2 when it parses but the CRC does not, 0 when it does not
 * parse or runs past end (why says which), or a negative read error.
 */
int seg_read_batch(struct chunk_reader *rd, uint64_t pos, uint64_t end, struct batch_header *h,
		   struct err *why, struct err *e)
{
	const uint8_t *p;
	int rc;

	p = seg_reader_get(rd, pos, BATCH_HEADER_SIZE, end, &rc, e);
	if (!p) {
		if (!rc)
			err_set(why, SLOG_ECORRUPT_MESSAGE, "partial batch header");
		return rc;
	}
	if (batch_header_parse(p, BATCH_HEADER_SIZE, h, why))
		return 0;
	if (batch_size(h) > end - pos) {
		err_set(why, SLOG_ECORRUPT_MESSAGE, "batch of %zu bytes cut short at %llu",
			batch_size(h), (unsigned long long)(end - pos));
		return 0;
	}
	p = seg_reader_get(rd, pos, batch_size(h), end, &rc, e);
	if (!p) {
		if (!rc)
			err_set(why, SLOG_ECORRUPT_MESSAGE, "batch cut short");
		return rc;
	}
	return batch_validate(p, batch_size(h), BATCH_CHECK_CRC, NULL, NULL, why) ? 2 : 1;
}

/*
 * The first position after pos where a valid batch starting at or after
 * offset expect lies, or end: how a scan steps over bytes that do not
 * parse (a flipped length or magic byte) to the batches after them.  A
 * CRC-32C that matches by chance in damaged bytes is not a concern.
 */
static uint64_t resync(struct chunk_reader *rd, uint64_t pos, uint64_t end, int64_t expect,
		       int *rc, struct err *e)
{
	for (uint64_t q = pos + 1; q + BATCH_HEADER_SIZE <= end; q++) {
		const uint8_t *p = seg_reader_get(rd, q, BATCH_HEADER_SIZE, end, rc, e);
		struct batch_header h;
		struct err why;

		if (!p)
			break;
		if (p[BATCH_OFF_MAGIC] != BATCH_MAGIC ||
		    batch_header_parse(p, BATCH_HEADER_SIZE, &h, NULL) || h.base_offset < expect)
			continue;
		*rc = seg_read_batch(rd, q, end, &h, &why, e);
		if (*rc < 0 || *rc == 1)
			return q;
	}
	return end;
}

/*
 * Are the bytes from pos to end one batch whose contents match its CRC,
 * whatever its length field says?  Then what ends the segment there is a
 * damaged header (bit rot), not a write a crash cut short.
 */
static int intact_to_end(struct chunk_reader *rd, uint64_t pos, uint64_t end, struct err *e)
{
	const uint8_t *p;
	int rc;

	if (end - pos <= BATCH_OFF_ATTRIBUTES || end - pos > INDEX_MAX_BYTES)
		return 0;
	p = seg_reader_get(rd, pos, (size_t)(end - pos), end, &rc, e);
	return p && crc32c(0, p + BATCH_OFF_ATTRIBUTES, (size_t)(end - pos) - BATCH_OFF_ATTRIBUTES) ==
			    be32_get(p + BATCH_OFF_CRC);
}

/* Note a run of damaged batches [pos, end) standing for offsets [first, last]. */
static void note_damage(struct seg_recovery *r, int64_t first, int64_t last, uint64_t pos,
			uint64_t end)
{
	struct seg_damage *d;

	if (r->ndamage == SEG_DAMAGE_MAX) {
		d = &r->damage[SEG_DAMAGE_MAX - 1];
		d->last = last;
		d->end = end;
		return;
	}
	d = &r->damage[r->ndamage++];
	d->first = first;
	d->last = last;
	d->pos = pos;
	d->end = end;
}

/* Offsets a valid batch at pos may not take (why says so), or 0. */
static int out_of_place(const struct segment *s, const struct batch_header *h, uint64_t pos,
			int64_t expect, struct err *why)
{
	if (h->base_offset < expect)
		return err_set(why, SLOG_ECORRUPT_MESSAGE, "offset %lld goes back (expected >= %lld)",
			       (long long)h->base_offset, (long long)expect);
	if (batch_last_offset(h) - s->base > UINT32_MAX || pos > UINT32_MAX)
		return err_set(why, SLOG_ECORRUPT_MESSAGE, "offset %lld cannot be indexed in this segment",
			       (long long)h->base_offset);
	return 0;
}

/* Account for the valid batch at pos. */
static void keep_batch(struct segment *s, const struct batch_header *h, uint64_t pos,
		       seg_batch_fn fn, void *arg, struct seg_recovery *r)
{
	seg_index_note(s, h, pos);
	if (fn)
		fn(arg, h);
	r->batches++;
	r->valid_end = pos + batch_size(h);
}

int segment_recover(struct segment *s, int64_t min_base, seg_batch_fn fn, void *arg,
		    struct seg_recovery *r, struct err *e)
{
	struct chunk_reader rd;
	struct batch_header h;
	int64_t expect = min_base > s->base ? min_base : s->base;
	uint64_t pos = 0, run = UINT64_MAX; /* where the current run of bad bytes began */
	int rc = 0;

	memset(r, 0, sizeof(*r));
	seg_drop_indexes(s);
	s->sealed = 0;
	s->index_bytes = 0;
	s->max_ts = INT64_MIN;
	s->next_offset = s->base;
	seg_reader_init(&rd, s, s->path, xmalloc(RECOVERY_CHUNK), RECOVERY_CHUNK, 1);
	while (pos < s->size) {
		struct err why;
		uint64_t next;

		rc = seg_read_batch(&rd, pos, s->size, &h, &why, e);
		if (rc == 1 && out_of_place(s, &h, pos, expect, &why))
			rc = 0;
		if (rc < 0)
			goto out;
		if (rc != 1 && !r->reason[0])
			snprintf(r->reason, sizeof(r->reason), "at %llu: %.200s", (unsigned long long)pos,
				 why.msg);
		if (rc != 1 && run == UINT64_MAX)
			run = pos;
		if (rc == 2) {
			pos += batch_size(&h);
			continue;
		}
		if (rc == 0) {
			/* Step over what does not parse to the next valid batch. */
			next = resync(&rd, pos, s->size, expect, &rc, e);
			if (rc < 0)
				goto out;
			if (next == s->size)
				break;
			pos = next;
			continue;
		}
		if (run != UINT64_MAX) {
			note_damage(r, expect, h.base_offset - 1, run, pos);
			run = UINT64_MAX;
		}
		keep_batch(s, &h, pos, fn, arg, r);
		expect = batch_last_offset(&h) + 1;
		pos += batch_size(&h);
	}
	rc = 0;
	r->scan_end = pos;
	/* Bytes at the end that are neither valid batches nor one intact
	 * batch with a damaged header: what a crash leaves of a write. */
	r->torn = pos < s->size && !intact_to_end(&rd, r->valid_end, s->size, e);
out:
	free(rd.buf);
	return rc;
}
