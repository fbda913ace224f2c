/*
 * log_compact.c: log compaction of a partition log.  See plog_compact()
 * in partition_log.h.
 *
 * A pass has three steps:
 *
 *   map    read the dirty part (offsets from first_dirty to the first
 *          segment that is active or too young) and record each key's
 *          newest offset (offset_map.h);
 *   clean  rewrite the closed segments from the log start, in groups no
 *          larger than segment.bytes, keeping a record unless a newer one
 *          of its key exists or it is a tombstone past
 *          delete.retention.ms; batches keep their offsets (gaps appear,
 *          nothing is renumbered), and a batch that loses nothing is
 *          copied as it is;
 *   swap   for each group: the new segment was written as *.cleaned,
 *          synced, and renamed *.swap; under the log's lock the old
 *          segments' files are renamed *.deleted, the new one's to its
 *          final names, and the segment list changes; then the old files
 *          are removed.
 *
 * Recovery on open (log_recovery.c) removes *.cleaned and *.deleted and
 * completes a *.swap, so a crash leaves the old segments or the new one.
 * The log's lock is never held while segment data is read or written.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "batch_builder.h"
#include "batch_iter.h"
#include "clock.h"
#include "endian_io.h"
#include "log.h"
#include "storage/fileio.h"
#include "storage/log_internal.h"
#include "storage/offset_map.h"
#include "xalloc.h"

struct cseg {
	struct segment *seg;
	uint64_t size;
	int64_t next_base; /* base of the following segment */
};

struct throttle {
	int64_t rate, start_ns;
	uint64_t bytes;
};

/* Sleep as long as the bytes so far are ahead of the rate. */
static void throttle(struct throttle *t, uint64_t bytes)
{
	int64_t due_ns, ahead;

	t->bytes += bytes;
	if (t->rate <= 0)
		return;
	due_ns = (int64_t)((double)t->bytes / (double)t->rate * 1e9);
	ahead = due_ns - (clock_mono_ns() - t->start_ns);
	if (ahead > 1000000)
		usleep((useconds_t)(ahead / 1000));
}

static void release(struct cseg *v, int n)
{
	for (int i = 0; i < n; i++)
		segment_unref(v[i].seg);
	free(v);
}

/*
 * The closed segments that may be cleaned, with references; their bytes
 * below and above first_dirty.  Stops at the active segment, at the first
 * segment reaching max_offset (records at or above the high watermark may
 * still be truncated away, and a follower must see them as written), and
 * at the first segment holding records younger than min_lag_ms.
 */
static int snapshot(struct plog *l, const struct plog_compact_opts *o, struct cseg **out,
		    uint64_t *clean, uint64_t *dirty)
{
	struct cseg *v;
	int n = 0;

	*clean = *dirty = 0;
	pthread_mutex_lock(&l->lock);
	v = xcalloc(l->nsegs + 1, sizeof(*v));
	for (size_t i = 0; i + 1 < l->nsegs && l->segs[i + 1]->base <= o->max_offset; i++) {
		struct segment *s = l->segs[i];
		if (o->min_lag_ms > 0 && s->max_ts != INT64_MIN && s->max_ts > o->now_ms - o->min_lag_ms)
			break;
		segment_ref(s);
		v[n].seg = s;
		v[n].size = s->size;
		v[n].next_base = l->segs[i + 1]->base;
		if (v[n].next_base <= o->first_dirty)
			*clean += s->size;
		else
			*dirty += s->size;
		n++;
	}
	pthread_mutex_unlock(&l->lock);
	*out = v;
	return n;
}

/* What both passes, map and clean, share: one runs after the other. */
struct pass {
	struct buf scratch;
	struct plog_compact_result *r;
	struct throttle *t;
	const atomic_int *cancel;
	struct err *e;
};

/*
 * Every batch either pass reads: cancelled yet? (deleting a topic or
 * stopping the broker must not wait for a whole pass over a large log),
 * throttled, counted, and opened.
 */
static int pass_batch(struct pass *ps, const uint8_t *p, size_t len, struct batch_iter *it)
{
	if (ps->cancel && atomic_load(ps->cancel))
		return err_set(ps->e, SLOG_EREQUEST_TIMED_OUT, "compaction cancelled");
	throttle(ps->t, len);
	ps->r->bytes_read += len;
	return batch_iter_init(it, p, len, &ps->scratch, ps->e);
}

/* ---- map ---- */

struct map_ctx {
	struct offset_map *m;
	int64_t from;
	int64_t full_at; /* the first offset not recorded, INT64_MAX if all were */
	struct pass *ps;
};

static int map_batch(void *arg, const uint8_t *p, size_t len, uint64_t pos)
{
	struct map_ctx *c = arg;
	struct batch_iter it;
	struct record rec;
	int rc;

	(void)pos;
	rc = pass_batch(c->ps, p, len, &it);
	if (rc)
		return rc;
	if (batch_last_offset(&it.h) < c->from)
		return 0;
	while ((rc = batch_iter_next(&it, &rec, c->ps->e)) == 1) {
		if (rec.offset < c->from || !rec.key)
			continue;
		if (offset_map_put(c->m, rec.key, (size_t)rec.key_len, rec.offset)) {
			c->full_at = rec.offset;
			return 1;
		}
	}
	return rc;
}

/* ---- clean ---- */

struct clean_ctx {
	const struct offset_map *m;
	struct segment *out;
	const struct segment *last_seg; /* the group's last segment and its end: */
	uint64_t last_end;              /* its last batch is never dropped whole */
	const struct segment *cur;
	int64_t tombstones_before; /* tombstones stamped earlier are removed */
	struct buf rebuilt;
	struct pass *ps;
	struct plog_compact_result *r;
	struct err *e;
	int64_t now_ms;
};

static int keep(const struct clean_ctx *c, const struct record *rec)
{
	if (!rec->key)
		return 1;
	if (offset_map_get(c->m, rec->key, (size_t)rec->key_len) > rec->offset)
		return 0; /* a newer record of the key exists */
	if (!rec->value && rec->timestamp < c->tombstones_before)
		return 0; /* a tombstone everyone has had time to see */
	return 1;
}

static int clean_batch(void *arg, const uint8_t *p, size_t len, uint64_t pos)
{
	struct clean_ctx *c = arg;
	struct batch_iter it;
	struct batch_builder bb;
	struct record rec;
	int32_t total = 0, kept = 0;
	int rc;

	(void)pos;
	rc = pass_batch(c->ps, p, len, &it);
	if (rc)
		return rc;
	while ((rc = batch_iter_next(&it, &rec, c->e)) == 1) {
		total++;
		if (keep(c, &rec))
			kept++;
		else if (!rec.value && offset_map_get(c->m, rec.key, (size_t)rec.key_len) <= rec.offset)
			c->r->tombstones_removed++;
	}
	if (rc < 0)
		return rc;
	c->r->records_read += total;
	c->r->records_kept += kept;
	if (kept == 0 && !(c->cur == c->last_seg && pos + len == c->last_end))
		return 0;
	if (kept == 0) {
		/* The group's last batch stays as an empty batch: the new segment
		 * then still says where the group ends (recovery relies on it),
		 * as Kafka keeps empty batches to the same end. */
		uint8_t h[BATCH_HEADER_SIZE];
		memcpy(h, p, sizeof(h));
		be32_put(h + BATCH_OFF_LENGTH, BATCH_HEADER_SIZE - BATCH_LOG_OVERHEAD);
		be16_put(h + BATCH_OFF_ATTRIBUTES,
			 (uint16_t)(it.h.attributes & ~BATCH_ATTR_CODEC_MASK));
		be32_put(h + BATCH_OFF_RECORD_COUNT, 0);
		be32_put(h + BATCH_OFF_CRC, batch_crc_compute(h, sizeof(h)));
		c->r->bytes_written += sizeof(h);
		return segment_append(c->out, h, sizeof(h), c->now_ms, c->e);
	}
	if (kept == total) {
		/* Nothing to take out: the batch goes over as it is, CRC and all. */
		c->r->bytes_written += len;
		return segment_append(c->out, p, len, c->now_ms, c->e);
	}
	batch_builder_init(&bb, batch_codec(&it.h), 0);
	bb.attributes_extra = (int16_t)(it.h.attributes & ~BATCH_ATTR_CODEC_MASK);
	batch_builder_set_producer(&bb, it.h.producer_id, it.h.producer_epoch, it.h.base_sequence);
	batch_iter_init(&it, p, len, &c->ps->scratch, NULL);
	while (!rc && batch_iter_next(&it, &rec, NULL) == 1)
		if (keep(c, &rec))
			rc = batch_builder_add_at(&bb, &rec);
	/* The batch still ends where it did (Kafka keeps lastOffset). */
	batch_builder_set_last_offset_delta(&bb, (int32_t)(batch_last_offset(&it.h) - bb.base_offset));
	buf_reset(&c->rebuilt);
	if (!rc)
		rc = batch_builder_finish(&bb, &c->rebuilt, c->e);
	batch_builder_free(&bb);
	if (rc)
		return rc;
	batch_set_leader_epoch((uint8_t *)c->rebuilt.data, it.h.leader_epoch);
	c->r->bytes_written += c->rebuilt.len;
	return segment_append(c->out, (const uint8_t *)c->rebuilt.data, c->rebuilt.len, c->now_ms, c->e);
}

/* Write the group's kept records into a new segment named *.swap. */
static int write_group(struct plog *l, struct cseg *g, int n, struct clean_ctx *c,
		       struct segment **out, struct err *e)
{
	int rc = segment_create_suffixed(l->dir, g[0].seg->base, ".cleaned", c->now_ms, out, e);

	if (rc)
		return rc;
	(*out)->index_interval = (uint64_t)l->cfg.index_interval_bytes;
	c->out = *out;
	c->last_seg = g[n - 1].seg;
	c->last_end = g[n - 1].size;
	for (int i = 0; i < n && !rc; i++) {
		c->cur = g[i].seg;
		rc = segment_scan(g[i].seg, 0, g[i].size, clean_batch, c, e);
	}
	if (!rc)
		rc = plog_durability_failed(l, segment_sync(*out, (*out)->size, e), e);
	if (!rc)
		rc = plog_durability_failed(l, segment_seal(*out, e), e);
	if (!rc)
		rc = segment_rename(*out, ".swap", e);
	if (!rc)
		rc = plog_durability_failed(l, fio_fsync_dir(l->dir, e), e);
	if (rc) {
		segment_remove_files(*out, NULL);
		segment_unref(*out);
		*out = NULL;
	}
	return rc;
}

/*
 * Put the new segment in the group's place.  Returns 1 when the log
 * changed meanwhile (retention, truncation) and the swap was given up.
 */
static int swap_in(struct plog *l, struct cseg *g, int n, struct segment *neu, struct err *e)
{
	size_t at = 0;
	int rc = 0;

	pthread_mutex_lock(&l->lock);
	while (at < l->nsegs && l->segs[at] != g[0].seg)
		at++;
	if (at + (size_t)n >= l->nsegs)
		rc = 1;
	for (int k = 0; !rc && k < n; k++)
		if (l->segs[at + (size_t)k] != g[k].seg)
			rc = 1;
	/* Renames only, under the lock: the old files become *.deleted, the
	 * new ones take the final names.  Readers keep their descriptors. */
	for (int k = 0; !rc && k < n; k++)
		rc = segment_rename(g[k].seg, ".deleted", e);
	if (!rc)
		rc = segment_rename(neu, "", e);
	if (!rc) {
		l->segs[at] = neu;
		memmove(l->segs + at + 1, l->segs + at + (size_t)n,
			(l->nsegs - at - (size_t)n) * sizeof(*l->segs));
		l->nsegs -= (size_t)n - 1;
	}
	pthread_mutex_unlock(&l->lock);
	if (rc == 1) {
		segment_remove_files(neu, NULL);
		segment_unref(neu);
		return 1;
	}
	if (rc) {
		/* A rename failed half way: the files say how far the swap got,
		 * and the next open finishes it (log_recovery.c). */
		segment_unref(neu);
		return rc;
	}
	rc = plog_durability_failed(l, fio_fsync_dir(l->dir, e), e);
	if (rc) {
		/* The swap stands but may not be durable: the next flush syncs
		 * the directory (or finds it offline), and the *.deleted files
		 * stay for the next open to remove. */
		pthread_mutex_lock(&l->lock);
		l->dir_dirty = 1;
		pthread_mutex_unlock(&l->lock);
		for (int k = 0; k < n; k++)
			segment_unref(g[k].seg);
		return rc;
	}
	for (int k = 0; k < n; k++) {
		segment_remove_files(g[k].seg, NULL); /* the *.deleted files */
		segment_unref(g[k].seg);             /* the list's reference */
	}
	return 0;
}

/* Split the segments below end into groups of at most segment.bytes. */
static int next_group(const struct plog *l, const struct cseg *v, int from, int limit)
{
	uint64_t total = v[from].size;
	int to = from + 1;

	while (to < limit && total + v[to].size <= (uint64_t)l->cfg.segment_bytes &&
	       v[to].next_base - v[from].seg->base <= (int64_t)UINT32_MAX) {
		total += v[to].size;
		to++;
	}
	return to;
}

int plog_compact(struct plog *l, const struct plog_compact_opts *o,
		 struct plog_compact_result *r, struct err *e)
{
	struct offset_map m;
	struct throttle t = { .rate = o->max_bytes_per_sec, .start_ns = clock_mono_ns() };
	struct pass ps = { .r = r, .t = &t, .cancel = o->cancel, .e = e };
	struct map_ctx mc = { .ps = &ps };
	struct clean_ctx cc = { .ps = &ps, .r = r, .e = e };
	uint64_t clean, dirty;
	struct cseg *v;
	int n, limit, rc = 0;

	memset(r, 0, sizeof(*r));
	r->first_dirty = o->first_dirty;
	if (dir_health_offline(l->health))
		return 0; /* nothing more is written there: nothing is due */
	n = snapshot(l, o, &v, &clean, &dirty);
	r->dirty_ratio = clean + dirty ? (double)dirty / (double)(clean + dirty) : 0;
	if (n == 0 || dirty == 0 || r->dirty_ratio < o->min_dirty_ratio) {
		release(v, n);
		return 0;
	}
	r->segments_before = n;

	/* Map the dirty part. */
	offset_map_init(&m, o->map_bytes);
	mc.m = &m;
	mc.from = o->first_dirty;
	mc.full_at = INT64_MAX;
	for (int i = 0; i < n && !rc && mc.full_at == INT64_MAX; i++)
		if (v[i].next_base > o->first_dirty)
			rc = segment_scan(v[i].seg, 0, v[i].size, map_batch, &mc, e);
	if (rc < 0)
		goto out;
	rc = 0;
	/* Clean only whole segments the map covers. */
	limit = n;
	if (mc.full_at != INT64_MAX) {
		limit = 0;
		while (limit < n && v[limit].next_base <= mc.full_at)
			limit++;
		log_warn("%s: the compaction map is full at offset %lld (log.cleaner.dedupe.buffer.size); "
			 "cleaning below it", l->dir, (long long)mc.full_at);
	}
	if (limit == 0)
		goto out;

	cc.m = &m;
	cc.tombstones_before = o->now_ms - o->delete_retention_ms;
	cc.now_ms = o->now_ms;
	for (int from = 0; from < limit && !rc;) {
		int to = next_group(l, v, from, limit);
		struct segment *neu;

		rc = write_group(l, v + from, to - from, &cc, &neu, e);
		if (!rc)
			rc = swap_in(l, v + from, to - from, neu, e);
		if (rc == 1) {
			/* The log moved on under us: the rest waits for the next pass,
			 * which starts from where this one did. */
			rc = 0;
			limit = 0;
			break;
		}
		r->segments_after++;
		from = to;
	}
	if (!rc) {
		r->cleaned = r->segments_after > 0;
		if (limit > 0)
			r->first_dirty = v[limit - 1].next_base;
	}
out:
	buf_free(&ps.scratch);
	buf_free(&cc.rebuilt);
	offset_map_free(&m);
	release(v, n);
	return rc;
}
