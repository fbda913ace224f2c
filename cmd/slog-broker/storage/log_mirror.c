/*
 * log_mirror.c: a mirror topic's append (plog_append_mirror, see
 * partition_log.h): another cluster's batches at their own offsets.
 *
 * It is the follower's write (plog_append_at_offsets_locked) with what a
 * copy of another cluster needs besides: the batches the log holds are
 * skipped, so that the mirror may send again whatever it is unsure of,
 * and an empty log restarts where the source's first batch is
 * (plog_restart_empty_locked), so that the copy's log start follows the
 * source's.  Both under the log's lock, so that two mirrors appending
 * at once cannot both see the log empty.  It lives apart from
 * partition_log.c because it needs the truncation's restart, and
 * log_truncate.c already calls into partition_log.c.
 */
#include <pthread.h>

#include "storage/log_internal.h"
#include "storage/partition_log.h"

/*
 * The leading batches of data the log already holds (a mirror's re-send
 * after a crash): *skip gets their length.  A batch that straddles the
 * log end cannot be half kept, and is refused.  lock held.
 */
static int mirrored_prefix(struct plog *l, const uint8_t *data, size_t len, size_t *skip,
			   struct err *e)
{
	struct batch_header h;
	size_t off = 0;

	for (; off < len; off += batch_size(&h)) {
		batch_header_parse(data + off, len - off, &h, NULL);
		if (h.base_offset >= l->log_end)
			break;
		if (batch_last_offset(&h) >= l->log_end)
			return err_set(e, SLOG_EUNEXPECTED_APPEND_OFFSET,
				       "%s: a mirrored batch at offsets %lld..%lld straddles the log "
				       "end %lld", l->dir, (long long)h.base_offset,
				       (long long)batch_last_offset(&h), (long long)l->log_end);
	}
	*skip = off;
	return 0;
}

/* Stamp epoch on every batch (outside the CRC); the span of offsets in
 * *first and *last. */
static void stamp_epoch(uint8_t *data, size_t len, int32_t epoch, int64_t *first, int64_t *last)
{
	struct batch_header h;

	*first = *last = -1;
	for (size_t off = 0; off < len; off += batch_size(&h)) {
		batch_header_parse(data + off, len - off, &h, NULL);
		batch_set_leader_epoch(data + off, epoch);
		if (*first < 0)
			*first = h.base_offset;
		*last = batch_last_offset(&h);
	}
}

int plog_append_mirror(struct plog *l, uint8_t *data, size_t len, int32_t leader_epoch,
		       int64_t now_ms, struct plog_append_result *res, struct err *e)
{
	struct plog_append_result wrote = { 0 };
	struct batch_header h;
	int64_t offsets, first, last;
	size_t skip = 0;
	int rc;

	if (plog_count_offsets(data, len, &offsets, e))
		return SLOG_ECORRUPT_MESSAGE;
	stamp_epoch(data, len, leader_epoch, &first, &last);
	pthread_mutex_lock(&l->lock);
	rc = mirrored_prefix(l, data, len, &skip, e);
	if (!rc && skip < len) {
		batch_header_parse(data + skip, len - skip, &h, NULL);
		/* An empty log starts where the source's does, not at a gap. */
		if (h.base_offset > l->log_end && l->log_start == l->log_end)
			rc = plog_restart_empty_locked(l, h.base_offset, now_ms, e);
		if (!rc)
			rc = plog_append_at_offsets_locked(l, data + skip, len - skip, 1, now_ms,
							   &wrote, e);
	}
	pthread_mutex_unlock(&l->lock);
	if (res) {
		res->base_offset = first;
		res->last_offset = last;
		res->bytes = wrote.bytes;
		res->skipped_bytes = skip;
	}
	return rc;
}
