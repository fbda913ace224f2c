/*
 * partition_log.c: the partition log.  See partition_log.h for what it
 * does and how it locks.  Recovery on open lives in log_recovery.c.
 */
#include "storage/partition_log.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "storage/dir_claim.h"
#include "storage/fileio.h"
#include "storage/log_internal.h"
#include "xalloc.h"

void plog_config_default(struct plog_config *c)
{
	c->segment_bytes = 1LL << 30;
	c->segment_ms = 7LL * 24 * 3600 * 1000;
	c->index_interval_bytes = 4096;
	c->retention_ms = 7LL * 24 * 3600 * 1000;
	c->retention_bytes = -1;
}

const char *plog_dir(const struct plog *l)
{
	return l->dir;
}

void plog_set_config(struct plog *l, const struct plog_config *cfg)
{
	pthread_mutex_lock(&l->lock);
	l->cfg = *cfg;
	for (size_t i = 0; i < l->nsegs; i++)
		l->segs[i]->index_interval = (uint64_t)cfg->index_interval_bytes;
	pthread_mutex_unlock(&l->lock);
}

void plog_free(struct plog *l)
{
	dir_claim_release(l);
	for (size_t i = 0; i < l->nsegs; i++)
		segment_unref(l->segs[i]);
	free(l->segs);
	leader_epochs_close(&l->epochs);
	log_damage_free(&l->damage);
	pthread_mutex_destroy(&l->lock);
	pthread_mutex_destroy(&l->flush_lock);
	pthread_cond_destroy(&l->flush_cond);
	free(l->dir);
	free(l);
}

void plog_push_segment(struct plog *l, struct segment *s)
{
	l->segs = xgrow(l->segs, &l->segs_cap, l->nsegs + 1, sizeof(*l->segs));
	l->segs[l->nsegs++] = s;
	s->index_interval = (uint64_t)l->cfg.index_interval_bytes;
}

static struct segment *active(struct plog *l)
{
	return l->segs[l->nsegs - 1];
}

int plog_durability_failed(struct plog *l, int rc, struct err *e)
{
	if (rc && fio_last_error_was_sync())
		dir_health_fail(l->health, e, e);
	return rc;
}

/* Lock-free: /metrics and /readyz ask while an append may hold the
 * log lock on a stalled disk. */
int plog_offline(struct plog *l)
{
	return atomic_load(&l->failed) || dir_health_offline(l->health);
}

int plog_refuse_writes(struct plog *l, struct err *e)
{
	if (dir_health_offline(l->health))
		return dir_health_error(l->health, e);
	if (l->failed)
		return err_set(e, SLOG_ESTORAGE, "%s: the log lost its active segment", l->dir);
	return 0;
}

/*
 * A new leader epoch's entry is durable before any record of that epoch
 * is written (replication spec D6), as Kafka assigns it when leadership
 * changes.  An entry that could not be written is not kept, and the
 * append fails with it.  lock held.
 */
static int record_epoch(struct plog *l, int32_t epoch, int64_t start, struct err *e)
{
	if (epoch <= leader_epochs_latest(&l->epochs))
		return 0;
	return plog_durability_failed(l, leader_epochs_assign(&l->epochs, epoch, start, e), e);
}

/* Seal the active segment and start a new one at the log end.  lock held. */
static int roll_locked(struct plog *l, int64_t now_ms, struct err *e)
{
	struct segment *s;
	int rc;

	/* The seal writes the index files with an fsync each. */
	rc = plog_durability_failed(l, segment_seal(active(l), e), e);
	if (rc)
		return rc;
	rc = segment_create(l->dir, l->log_end, now_ms, &s, e);
	if (rc)
		return rc;
	plog_push_segment(l, s);
	l->dir_dirty = 1; /* the next flush makes the new name durable */
	return 0;
}

static int needs_roll(const struct plog *l, const struct segment *s, size_t len,
		      int64_t offsets, int64_t now_ms)
{
	if (s->size == 0)
		return 0;
	return s->size + len > (uint64_t)l->cfg.segment_bytes ||
	       s->size + len > UINT32_MAX ||
	       (l->cfg.segment_ms > 0 && now_ms - s->created_ms >= l->cfg.segment_ms) ||
	       l->log_end + offsets - s->base > (int64_t)UINT32_MAX;
}

/* Offsets in data, validated batches; SLOG_ECORRUPT_MESSAGE if they do not parse. */
int plog_count_offsets(const uint8_t *data, size_t len, int64_t *offsets, struct err *e)
{
	struct batch_header h;

	*offsets = 0;
	for (size_t off = 0; off < len; off += batch_size(&h)) {
		if (batch_next_in(data + off, len - off, &h, e))
			return SLOG_ECORRUPT_MESSAGE;
		*offsets += (int64_t)h.last_offset_delta + 1;
	}
	return 0;
}

/* Refuse, or roll when due, before writing len bytes that span offsets.  lock held. */
static int prepare_write(struct plog *l, size_t len, int64_t offsets, int64_t now_ms,
			 struct err *e)
{
	int rc = plog_refuse_writes(l, e);

	if (!rc && needs_roll(l, active(l), len, offsets, now_ms))
		rc = roll_locked(l, now_ms, e);
	return rc;
}

/* Write data at the log end; the log then ends at next.  lock held. */
static int write_locked(struct plog *l, const uint8_t *data, size_t len, int64_t next,
			int64_t now_ms, struct plog_append_result *res, struct err *e)
{
	int rc = segment_append(active(l), data, len, now_ms, e);

	if (rc)
		return rc;
	if (res) {
		res->base_offset = l->log_end;
		res->last_offset = next - 1;
		res->bytes = len;
	}
	l->log_end = next;
	return 0;
}

int plog_assign_epoch(struct plog *l, int32_t epoch, int64_t *start, struct err *e)
{
	int rc;

	pthread_mutex_lock(&l->lock);
	rc = plog_refuse_writes(l, e);
	if (!rc)
		rc = record_epoch(l, epoch, l->log_end, e);
	*start = l->log_end;
	pthread_mutex_unlock(&l->lock);
	return rc;
}

int plog_append(struct plog *l, uint8_t *data, size_t len, int32_t leader_epoch, int64_t now_ms,
		struct plog_append_result *res, struct err *e)
{
	struct batch_header h;
	int64_t offsets, next;
	int rc;

	/* Count offsets first: the roll decision needs them. */
	if (plog_count_offsets(data, len, &offsets, e))
		return SLOG_ECORRUPT_MESSAGE;
	pthread_mutex_lock(&l->lock);
	rc = prepare_write(l, len, offsets, now_ms, e);
	if (!rc)
		rc = record_epoch(l, leader_epoch, l->log_end, e);
	if (rc)
		goto out;
	next = l->log_end;
	for (size_t off = 0; off < len; off += batch_size(&h)) {
		batch_header_parse(data + off, len - off, &h, NULL);
		batch_set_base_offset(data + off, next);
		batch_set_leader_epoch(data + off, leader_epoch);
		next += (int64_t)h.last_offset_delta + 1;
	}
	rc = write_locked(l, data, len, next, now_ms, res, e);
out:
	pthread_mutex_unlock(&l->lock);
	return rc;
}

/*
 * A replica's batches continue the log: the first starts at the log end
 * (or, with gap, at or after it: a mirror's source may have left offsets
 * out), each later one after the one before (compaction on the leader may
 * have left gaps between them), and leader epochs never go back.  *next
 * gets the offset after the last.  lock held.
 */
static int check_replica_batches(struct plog *l, const uint8_t *data, size_t len, int gap,
				 int64_t *next, struct err *e)
{
	struct batch_header h;
	int64_t expect = l->log_end;
	int32_t epoch = leader_epochs_latest(&l->epochs);

	for (size_t off = 0; off < len; off += batch_size(&h)) {
		batch_header_parse(data + off, len - off, &h, NULL);
		if (off == 0 && !gap ? h.base_offset != expect : h.base_offset < expect)
			return err_set(e, SLOG_EUNEXPECTED_APPEND_OFFSET,
				       "%s: a replica's batch at offset %lld, expected %s%lld",
				       l->dir, (long long)h.base_offset, off || gap ? ">= " : "",
				       (long long)expect);
		/* A segment's index holds offsets relative to its base in 32 bits. */
		if (gap && h.base_offset - expect > (int64_t)UINT32_MAX / 2)
			return err_set(e, SLOG_EUNEXPECTED_APPEND_OFFSET,
				       "%s: a batch at offset %lld leaves a gap of more than 2^31 "
				       "offsets after %lld", l->dir, (long long)h.base_offset,
				       (long long)expect);
		if (h.leader_epoch < epoch)
			return err_set(e, SLOG_EINVALID_RECORD,
				       "%s: a replica's batch at offset %lld has leader epoch %d, "
				       "older than %d", l->dir, (long long)h.base_offset,
				       h.leader_epoch, epoch);
		epoch = h.leader_epoch;
		expect = batch_last_offset(&h) + 1;
	}
	*next = expect;
	return 0;
}

/* The epoch cache learns each new epoch of data before it is written.  lock held. */
static int record_replica_epochs(struct plog *l, const uint8_t *data, size_t len, struct err *e)
{
	struct batch_header h;
	int rc = 0;

	for (size_t off = 0; off < len && !rc; off += batch_size(&h)) {
		batch_header_parse(data + off, len - off, &h, NULL);
		rc = record_epoch(l, h.leader_epoch, h.base_offset, e);
	}
	return rc;
}

int plog_append_at_offsets_locked(struct plog *l, const uint8_t *data, size_t len, int gap,
				  int64_t now_ms, struct plog_append_result *res, struct err *e)
{
	int64_t next = 0;
	int rc = check_replica_batches(l, data, len, gap, &next, e);

	if (!rc)
		rc = prepare_write(l, len, next - l->log_end, now_ms, e);
	if (!rc)
		rc = record_replica_epochs(l, data, len, e);
	if (!rc)
		rc = write_locked(l, data, len, next, now_ms, res, e);
	return rc;
}

int plog_append_replica(struct plog *l, const uint8_t *data, size_t len, int64_t now_ms,
			struct plog_append_result *res, struct err *e)
{
	int64_t offsets;
	int rc;

	if (plog_count_offsets(data, len, &offsets, e))
		return SLOG_ECORRUPT_MESSAGE;
	pthread_mutex_lock(&l->lock);
	/* A fetch asks from the log end: an answer that starts past it means
	 * the leader has nothing in between (Kafka's follower refuses only a
	 * first offset below its log end). */
	rc = plog_append_at_offsets_locked(l, data, len, 1, now_ms, res, e);
	pthread_mutex_unlock(&l->lock);
	return rc;
}

/*
 * One group-commit round: fsync what was appended up to now.  Returns
 * the offset it made durable in *target.  Called with neither lock held.
 */
static int flush_round(struct plog *l, int64_t *target, struct err *e)
{
	struct segment **dirty = NULL;
	uint64_t *sizes = NULL;
	size_t n = 0, cap = 0, capz = 0;
	int dir_dirty, rc = 0;

	pthread_mutex_lock(&l->lock);
	*target = l->log_end;
	/* Unsynced data sits in a suffix of the segment list, which may end
	 * in an empty segment: a roll whose first write then failed (disk
	 * full), or one made by age with nothing written since.  An empty
	 * segment has nothing to sync and says nothing about the sealed one
	 * before it, so the walk goes on to the first segment that holds
	 * data and is wholly synced. */
	for (size_t i = l->nsegs; i-- > 0;) {
		struct segment *s = l->segs[i];
		if (s->size == 0)
			continue;
		if (s->synced_size >= s->size)
			break;
		dirty = xgrow(dirty, &cap, n + 1, sizeof(*dirty));
		sizes = xgrow(sizes, &capz, n + 1, sizeof(*sizes));
		segment_ref(s);
		dirty[n] = s;
		sizes[n++] = s->size;
	}
	dir_dirty = l->dir_dirty;
	l->dir_dirty = 0;
	pthread_mutex_unlock(&l->lock);

	if (dir_dirty) {
		rc = plog_durability_failed(l, fio_fsync_dir(l->dir, e), e);
		if (rc) {
			/* Not synced (no descriptor to open the directory with):
			 * the next round tries again. */
			pthread_mutex_lock(&l->lock);
			l->dir_dirty = 1;
			pthread_mutex_unlock(&l->lock);
		}
	}
	for (size_t i = n; i-- > 0 && !rc;) {
		rc = plog_durability_failed(l, segment_datasync(dirty[i], e), e);
		if (!rc) {
			pthread_mutex_lock(&l->lock);
			if (sizes[i] > dirty[i]->synced_size)
				dirty[i]->synced_size = sizes[i];
			pthread_mutex_unlock(&l->lock);
		}
	}
	for (size_t i = 0; i < n; i++)
		segment_unref(dirty[i]);
	free(dirty);
	free(sizes);
	return rc;
}

int plog_flush(struct plog *l, int64_t upto, struct err *e)
{
	int64_t target;
	int rc = 0;

	/* Asking for more than was appended means "everything". */
	pthread_mutex_lock(&l->lock);
	if (upto > l->log_end)
		upto = l->log_end;
	pthread_mutex_unlock(&l->lock);
	pthread_mutex_lock(&l->flush_lock);
	for (;;) {
		/* Once the directory is offline nothing is acknowledged, not
		 * even what an earlier round covered: the answer must not
		 * depend on which request's round came first. */
		if (dir_health_offline(l->health)) {
			rc = dir_health_error(l->health, e);
			break;
		}
		if (l->flushed >= upto)
			break;
		if (l->flushing) {
			/* Someone is in fsync; their round may cover us. */
			pthread_cond_wait(&l->flush_cond, &l->flush_lock);
			continue;
		}
		l->flushing = 1;
		pthread_mutex_unlock(&l->flush_lock);
		rc = flush_round(l, &target, e);
		pthread_mutex_lock(&l->flush_lock);
		l->flushing = 0;
		if (!rc && target > l->flushed)
			l->flushed = target;
		pthread_cond_broadcast(&l->flush_cond);
		if (rc)
			break;
	}
	pthread_mutex_unlock(&l->flush_lock);
	return rc;
}

/* The index of the last segment whose base is <= offset (0 if none).  lock held. */
static size_t find_segment(const struct plog *l, int64_t offset)
{
	size_t lo = 0, hi = l->nsegs;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (l->segs[mid]->base <= offset)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo ? lo - 1 : 0;
}

/* What plog_read learns about one segment under the lock. */
struct read_plan {
	struct segment *seg;
	uint64_t size;       /* bytes of the segment readers may use */
	int64_t seg_next;    /* offset after its last batch */
	int64_t next_base;   /* base of the following segment, or -1 */
	uint64_t start_hint; /* an indexed batch start at or before offset */
	uint64_t end_hint;   /* an indexed batch start the region may extend to */
	struct log_damage_clip clip; /* damaged bytes the region must stop before */
};

static int plan_read(struct plog *l, int64_t offset, int64_t max_offset, size_t max_bytes,
		     struct read_plan *p, struct err *e)
{
	size_t i;
	uint64_t jump;

	if (offset < l->log_start || offset > l->log_end)
		return err_set(e, SLOG_EOFFSET_OUT_OF_RANGE,
			       "offset %lld is outside the log's range [%lld, %lld]", (long long)offset,
			       (long long)l->log_start, (long long)l->log_end);
	i = find_segment(l, offset);
	p->seg = l->segs[i];
	p->size = p->seg->size;
	p->seg_next = p->seg->next_offset;
	p->next_base = i + 1 < l->nsegs ? l->segs[i + 1]->base : -1;
	p->start_hint = segment_index_floor(p->seg, offset);
	if (log_damage_plan(&l->damage, p->seg->base, offset, &p->start_hint, &p->clip, e))
		return SLOG_ECORRUPT_MESSAGE;
	/* Indexed positions are batch starts the region may jump to without
	 * reading every header on the way: within max_bytes of the start,
	 * and before max_offset. */
	jump = segment_index_floor_pos(p->seg, p->start_hint + max_bytes);
	if (max_offset < p->seg_next) {
		uint64_t m = segment_index_floor(p->seg, max_offset);
		if (m < jump)
			jump = m;
	}
	p->end_hint = jump;
	segment_ref(p->seg);
	return 0;
}

/* Extend the region from its first batch (at r->position, ending at cur). */
static int extend_region(struct plog_region *r, const struct read_plan *p, uint64_t cur,
			 int64_t max_offset, size_t max_bytes, struct err *e)
{
	struct batch_header h;
	struct seg_cursor c;
	int rc;

	if (p->end_hint > cur && p->end_hint <= r->position + max_bytes)
		cur = p->end_hint;
	seg_cursor_init(&c, p->seg, cur, p->size);
	while ((rc = seg_cursor_peek(&c, &h, e)) == 1) {
		if (h.base_offset >= max_offset || c.pos + batch_size(&h) - r->position > max_bytes)
			break;
		seg_cursor_skip(&c, &h);
	}
	if (rc < 0)
		return rc;
	/* Continue at the first batch left out, or after the segment's end. */
	r->next_offset = rc == 1 ? h.base_offset : p->seg_next;
	r->length = c.pos - r->position;
	return 0;
}

/*
 * An offline log serves only what a fsync vouched for: above the
 * recovery point the page cache may hold what the disk never took.
 */
static int clamp_offline(struct plog *l, int64_t offset, int64_t *max_offset, struct err *e)
{
	int64_t rp;

	if (!dir_health_offline(l->health))
		return 0;
	rp = plog_recovery_point(l);
	if (offset >= rp)
		return dir_health_error(l->health, e);
	if (*max_offset > rp)
		*max_offset = rp;
	return 0;
}

int plog_read(struct plog *l, int64_t offset, int64_t max_offset, size_t max_bytes,
	      struct plog_region *r, struct err *e)
{
	struct read_plan p;
	struct batch_header h;
	uint64_t pos;
	int64_t log_end;
	int rc;

	memset(r, 0, sizeof(*r));
	rc = clamp_offline(l, offset, &max_offset, e);
	if (rc)
		return rc;
	for (;;) {
		pthread_mutex_lock(&l->lock);
		log_end = l->log_end;
		rc = plan_read(l, offset, max_offset, max_bytes, &p, e);
		pthread_mutex_unlock(&l->lock);
		if (rc)
			return rc;
		if (max_offset > log_end)
			max_offset = log_end;
		rc = segment_seek(p.seg, offset, p.start_hint, p.size, &pos, &h, e);
		if (rc != 0)
			break;
		/* Nothing at or after offset in this segment: go to the next. */
		segment_unref(p.seg);
		if (p.next_base < 0 || p.next_base >= max_offset) {
			r->first_offset = r->next_offset = offset;
			return 0;
		}
		offset = p.next_base;
	}
	if (rc < 0) {
		segment_unref(p.seg);
		return rc;
	}
	r->seg = p.seg;
	r->position = pos;
	r->first_offset = h.base_offset;
	if (h.base_offset >= max_offset) {
		/* The batch exists but readers may not see it yet. */
		r->next_offset = offset;
		return 0;
	}
	rc = extend_region(r, &p, pos + batch_size(&h), max_offset, max_bytes, e);
	if (!rc)
		rc = log_damage_clip_region(&p.clip, r->position, &r->length, &r->next_offset, e);
	if (rc)
		plog_region_release(r);
	return rc;
}

void plog_region_release(struct plog_region *r)
{
	segment_unref(r->seg);
	r->seg = NULL;
}

int plog_find_timestamp(struct plog *l, int64_t ts, int64_t *offset, int64_t *found_ts,
			struct err *e)
{
	int64_t after = INT64_MIN, start;
	int rc;

	for (;;) {
		struct segment *s = NULL;
		uint64_t size = 0, floor = 0;

		pthread_mutex_lock(&l->lock);
		start = l->log_start;
		for (size_t i = 0; i < l->nsegs; i++) {
			struct segment *c = l->segs[i];
			if (c->base <= after || c->max_ts < ts)
				continue;
			if (i + 1 < l->nsegs && l->segs[i + 1]->base <= start)
				continue; /* wholly before the log start */
			s = c;
			size = c->size;
			floor = segment_index_floor(c, segment_timeindex_floor(c, ts));
			segment_ref(s);
			break;
		}
		pthread_mutex_unlock(&l->lock);
		if (!s)
			return 0;
		rc = segment_find_timestamp(s, ts, floor, size, offset, found_ts, e);
		after = s->base;
		segment_unref(s);
		if (rc < 0)
			return rc;
		if (rc == 1) {
			if (*offset < start)
				*offset = start;
			return 1;
		}
	}
}

int64_t plog_epoch_end_offset(struct plog *l, int32_t epoch, int32_t *found_epoch)
{
	int64_t end;

	pthread_mutex_lock(&l->lock);
	end = leader_epochs_end_offset(&l->epochs, epoch, l->log_end, found_epoch);
	pthread_mutex_unlock(&l->lock);
	return end;
}

void plog_offsets(struct plog *l, int64_t *log_start, int64_t *log_end)
{
	if (log_start)
		*log_start = l->log_start;
	if (log_end)
		*log_end = l->log_end;
}

int64_t plog_recovery_point(struct plog *l)
{
	int64_t v;

	pthread_mutex_lock(&l->flush_lock);
	v = l->flushed;
	pthread_mutex_unlock(&l->flush_lock);
	return v;
}

/* The deadline is on the monotonic clock: a step of the wall clock must
 * not turn 50 ms into an hour. */
int plog_lock_briefly(struct plog *l)
{
	struct timespec until;

	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_nsec += 50 * 1000000;
	if (until.tv_nsec >= 1000000000) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000;
	}
	return pthread_mutex_clocklock(&l->lock, CLOCK_MONOTONIC, &until) == 0;
}

uint64_t plog_size(struct plog *l)
{
	uint64_t n = 0;

	/* An append blocked on a stalled disk holds the lock: after a short
	 * wait, the size last seen is good enough for a gauge. */
	if (!plog_lock_briefly(l))
		return l->size_seen;
	for (size_t i = 0; i < l->nsegs; i++)
		n += l->segs[i]->size;
	pthread_mutex_unlock(&l->lock);
	l->size_seen = n;
	return n;
}

size_t plog_segment_count(struct plog *l)
{
	size_t n;

	pthread_mutex_lock(&l->lock);
	n = l->nsegs;
	pthread_mutex_unlock(&l->lock);
	return n;
}

int32_t plog_latest_epoch(struct plog *l)
{
	int32_t v;

	pthread_mutex_lock(&l->lock);
	v = leader_epochs_latest(&l->epochs);
	pthread_mutex_unlock(&l->lock);
	return v;
}

/* Remove segs[0..n) from the list; return them for deletion.  lock held. */
static struct segment **take_oldest(struct plog *l, size_t n)
{
	struct segment **v = xmalloc((n ? n : 1) * sizeof(*v));

	memcpy(v, l->segs, n * sizeof(*v));
	memmove(l->segs, l->segs + n, (l->nsegs - n) * sizeof(*v));
	l->nsegs -= n;
	if (l->segs[0]->base > l->log_start)
		l->log_start = l->segs[0]->base;
	return v;
}

static int remove_segments(struct plog *l, struct segment **v, size_t n, struct err *e)
{
	int rc = 0;

	for (size_t i = 0; i < n; i++) {
		int rc_i = segment_remove_files(v[i], e);
		if (rc_i && !rc)
			rc = rc_i;
		segment_unref(v[i]);
	}
	free(v);
	if (n && !rc)
		rc = plog_durability_failed(l, fio_fsync_dir(l->dir, e), e);
	return rc;
}

/* How many of the oldest segments retention removes: only segments
 * wholly below max_offset.  lock held. */
static size_t count_expired(struct plog *l, int64_t now_ms, int use_rules, int64_t max_offset)
{
	uint64_t total = 0;
	size_t n = 0;

	for (size_t i = 0; i < l->nsegs; i++)
		total += l->segs[i]->size;
	for (; n + 1 < l->nsegs && l->segs[n + 1]->base <= max_offset; n++) {
		struct segment *s = l->segs[n];
		int before_start = l->segs[n + 1]->base <= l->log_start;
		int by_time = use_rules && l->cfg.retention_ms >= 0 &&
			      s->max_ts < now_ms - l->cfg.retention_ms;
		int by_size = use_rules && l->cfg.retention_bytes >= 0 &&
			      total - s->size >= (uint64_t)l->cfg.retention_bytes;

		if (!before_start && !by_time && !by_size)
			break;
		total -= s->size;
	}
	return n;
}

static int expire(struct plog *l, int64_t now_ms, int use_rules, int64_t max_offset, int *deleted,
		  struct err *e)
{
	struct segment **v;
	size_t n;
	int rc = 0;

	pthread_mutex_lock(&l->lock);
	if (deleted)
		*deleted = 0;
	if (dir_health_offline(l->health)) {
		/* Nothing more is written to a failed disk, deletions included;
		 * the failure was reported when it happened. */
		pthread_mutex_unlock(&l->lock);
		return 0;
	}
	n = count_expired(l, now_ms, use_rules, max_offset);
	/* An idle partition whose only data is past retention.ms: roll, so
	 * that the old active segment can go too (once all of it is below
	 * the bound). */
	if (use_rules && n + 1 == l->nsegs && l->cfg.retention_ms >= 0 && active(l)->size > 0 &&
	    active(l)->max_ts < now_ms - l->cfg.retention_ms && !l->failed &&
	    l->log_end <= max_offset) {
		rc = roll_locked(l, now_ms, e);
		if (!rc)
			n = count_expired(l, now_ms, use_rules, max_offset);
	}
	v = take_oldest(l, n);
	if (n) {
		struct err ee;
		if (leader_epochs_truncate_before(&l->epochs, l->log_start, &ee))
			log_warn("%s: %s", l->dir, ee.msg);
	}
	pthread_mutex_unlock(&l->lock);
	if (deleted)
		*deleted = (int)n;
	if (rc) {
		remove_segments(l, v, n, NULL);
		return rc;
	}
	return remove_segments(l, v, n, e);
}

int plog_apply_retention(struct plog *l, int64_t now_ms, int64_t max_offset, int *deleted,
			 struct err *e)
{
	return expire(l, now_ms, 1, max_offset, deleted, e);
}

int plog_delete_before(struct plog *l, int64_t offset, struct err *e)
{
	pthread_mutex_lock(&l->lock);
	if (dir_health_offline(l->health)) {
		int rc = dir_health_error(l->health, e);
		pthread_mutex_unlock(&l->lock);
		return rc;
	}
	if (offset > l->log_end) {
		int64_t end = l->log_end;
		pthread_mutex_unlock(&l->lock);
		return err_set(e, SLOG_EOFFSET_OUT_OF_RANGE, "offset %lld is past the log end %lld",
			       (long long)offset, (long long)end);
	}
	if (offset > l->log_start)
		l->log_start = offset;
	pthread_mutex_unlock(&l->lock);
	return expire(l, 0, 0, INT64_MAX, NULL, e);
}
