/*
 * segment.c: one segment's files, its indexes and walks over its batches.
 * See segment.h for the layout and the locking rules.
 *
 * Index entries are added as batches are appended (or re-read by
 * recovery): when index.interval.bytes have passed since the last entry,
 * the batch being added gets an offset index entry, and, if the largest
 * timestamp of the batches before it grew since the last time index
 * entry, a time index entry.  The first batch needs no entry: a lookup
 * that finds no entry starts at position 0.
 */
#include "storage/segment.h"
#include "storage/segment_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "batch_check.h"
#include "batch_iter.h"
#include "endian_io.h"
#include "storage/fd_cache.h"
#include "storage/fileio.h"
#include "xalloc.h"

void segment_file_name(char *out, size_t size, const char *dir, int64_t base, const char *ext)
{
	snprintf(out, size, "%s/%020lld%s", dir, (long long)base, ext);
}

static void name_of(const struct segment *s, const char *ext, char *out, size_t size)
{
	snprintf(out, size, "%s%s%s", s->path, ext, s->suffix);
}

static struct segment *seg_new(const char *dir, int64_t base)
{
	struct segment *s = xcalloc(1, sizeof(*s));
	char path[4096];

	snprintf(path, sizeof(path), "%s/%020lld", dir, (long long)base);
	s->path = xstrdup(path);
	s->base = base;
	atomic_init(&s->refs, 1);
	s->next_offset = base;
	s->max_ts = INT64_MIN;
	s->index_interval = 4096;
	return s;
}

static void unmap_indexes(struct segment *s)
{
	if (s->idx_map)
		munmap(s->idx_map, s->idx_map_len);
	if (s->tidx_map)
		munmap(s->tidx_map, s->tidx_map_len);
	s->idx_map = s->tidx_map = NULL;
	s->idx_map_len = s->tidx_map_len = 0;
}

static void seg_free(struct segment *s)
{
	unmap_indexes(s);
	buf_free(&s->idx);
	buf_free(&s->tidx);
	if (s->held)
		fd_cache_release(s->file);
	fd_cache_entry_free(s->file);
	free(s->path);
	free(s);
}

void segment_ref(struct segment *s)
{
	atomic_fetch_add(&s->refs, 1);
}

void segment_unref(struct segment *s)
{
	if (s && atomic_fetch_sub(&s->refs, 1) == 1)
		seg_free(s);
}

int segment_create_suffixed(const char *dir, int64_t base, const char *suffix, int64_t now_ms,
			    struct segment **out, struct err *e)
{
	struct segment *s = seg_new(dir, base);
	char name[4200];
	int flags = O_RDWR | O_CREAT | O_EXCL, fd;

	snprintf(s->suffix, sizeof(s->suffix), "%s", suffix);
	/* Index files of a segment that was deleted at this base may remain. */
	name_of(s, ".index", name, sizeof(name));
	unlink(name);
	name_of(s, ".timeindex", name, sizeof(name));
	unlink(name);
	name_of(s, ".log", name, sizeof(name));
	if (*suffix) {
		unlink(name); /* a leftover of an interrupted compaction */
		flags = O_RDWR | O_CREAT | O_TRUNC;
	}
	fd = fio_open(name, flags, 0644, e);
	if (fd < 0) {
		seg_free(s);
		return fd;
	}
	/* Opened again when written: a partition created and left idle
	 * holds no descriptor. */
	fio_close(fd);
	s->file = fd_cache_entry_new(name, O_RDWR);
	s->created_ms = now_ms;
	*out = s;
	return 0;
}

int segment_create(const char *dir, int64_t base, int64_t now_ms, struct segment **out,
		   struct err *e)
{
	return segment_create_suffixed(dir, base, "", now_ms, out, e);
}

int segment_open(const char *dir, int64_t base, struct segment **out, struct err *e)
{
	struct segment *s = seg_new(dir, base);
	char name[4200];
	int fd, rc;

	name_of(s, ".log", name, sizeof(name));
	s->file = fd_cache_entry_new(name, O_RDWR);
	/* Not through the cache: opening a broker's logs should not fill it. */
	fd = fio_open(name, O_RDWR, 0, e);
	if (fd < 0) {
		seg_free(s);
		return fd;
	}
	rc = fio_size(fd, &s->size, name, e);
	fio_close(fd);
	if (rc) {
		seg_free(s);
		return rc;
	}
	s->synced_size = s->size;
	*out = s;
	return 0;
}

/* ---- index entries ---- */

static void idx_view(const struct segment *s, const uint8_t **p, size_t *n)
{
	if (s->idx_map) {
		*p = s->idx_map;
		*n = s->idx_map_len / SEG_INDEX_ENTRY;
	} else {
		*p = (const uint8_t *)s->idx.data;
		*n = s->idx.len / SEG_INDEX_ENTRY;
	}
}

static void tidx_view(const struct segment *s, const uint8_t **p, size_t *n)
{
	if (s->tidx_map) {
		*p = s->tidx_map;
		*n = s->tidx_map_len / SEG_TIMEINDEX_ENTRY;
	} else {
		*p = (const uint8_t *)s->tidx.data;
		*n = s->tidx.len / SEG_TIMEINDEX_ENTRY;
	}
}

static int64_t tidx_last_ts(const struct segment *s)
{
	const uint8_t *p;
	size_t n;

	tidx_view(s, &p, &n);
	return n ? (int64_t)be64_get(p + (n - 1) * SEG_TIMEINDEX_ENTRY) : INT64_MIN;
}

static void tidx_put(struct buf *b, int64_t ts, uint32_t rel)
{
	buf_add_be64(b, (uint64_t)ts);
	buf_add_be32(b, rel);
}

/* Account for one batch at pos: index entries, max timestamp, end offset. */
void seg_index_note(struct segment *s, const struct batch_header *h, uint64_t pos)
{
	uint32_t rel = (uint32_t)(h->base_offset - s->base);

	if (s->index_bytes >= s->index_interval) {
		buf_add_be32(&s->idx, rel);
		buf_add_be32(&s->idx, (uint32_t)pos);
		if (s->max_ts != INT64_MIN && s->max_ts > tidx_last_ts(s))
			tidx_put(&s->tidx, s->max_ts, rel);
		s->index_bytes = 0;
	}
	s->index_bytes += batch_size(h);
	if (h->max_timestamp > s->max_ts)
		s->max_ts = h->max_timestamp;
	s->next_offset = batch_last_offset(h) + 1;
}

/*
 * How many of the n entries of size esize, sorted on the big-endian field
 * at byte field (8 bytes wide, or 4), hold a value <= key (< key when
 * strict).  The floor lookups below are this count minus one.
 */
static size_t entries_upto(const uint8_t *p, size_t n, size_t esize, size_t field, int wide,
			   int64_t key, int strict)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const uint8_t *f = p + mid * esize + field;
		int64_t v = wide ? (int64_t)be64_get(f) : (int64_t)be32_get(f);

		if (strict ? v < key : v <= key)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

uint64_t segment_index_floor(const struct segment *s, int64_t offset)
{
	const uint8_t *p;
	size_t n, k;

	if (offset <= s->base)
		return 0;
	idx_view(s, &p, &n);
	/* Relative offsets beyond 32 bits are past every entry. */
	k = offset - s->base > UINT32_MAX ? n
		: entries_upto(p, n, SEG_INDEX_ENTRY, 0, 0, offset - s->base, 0);
	return k ? be32_get(p + (k - 1) * SEG_INDEX_ENTRY + 4) : 0;
}

uint64_t segment_index_floor_pos(const struct segment *s, uint64_t pos)
{
	const uint8_t *p;
	size_t n, k;

	idx_view(s, &p, &n);
	k = entries_upto(p, n, SEG_INDEX_ENTRY, 4, 0, pos > UINT32_MAX ? UINT32_MAX : (int64_t)pos, 0);
	return k ? be32_get(p + (k - 1) * SEG_INDEX_ENTRY + 4) : 0;
}

int64_t segment_timeindex_floor(const struct segment *s, int64_t ts)
{
	const uint8_t *p;
	size_t n, k;

	tidx_view(s, &p, &n);
	/* The last entry whose timestamp is < ts: everything before its
	 * offset is older than ts, so the search may start there. */
	k = entries_upto(p, n, SEG_TIMEINDEX_ENTRY, 0, 1, ts, 1);
	return k ? s->base + be32_get(p + (k - 1) * SEG_TIMEINDEX_ENTRY + 8) : s->base;
}

/* ---- buffered region reads ---- */

void seg_reader_init(struct chunk_reader *r, const struct segment *s, const char *what,
		     uint8_t *buf, size_t cap, int owned)
{
	r->seg = s;
	r->what = what;
	r->buf = buf;
	r->cap = cap;
	r->owned = owned;
	r->at = 0;
	r->len = 0;
}

/*
 * Bytes [off, off+n) of the file, or NULL with rc set: 0 when the file
 * ends first, negative on a read error.  limit is where valid data ends.
 */
const uint8_t *seg_reader_get(struct chunk_reader *r, uint64_t off, size_t n, uint64_t limit,
				 int *rc, struct err *e)
{
	size_t want;
	ssize_t got;

	*rc = 0;
	if (off + n > limit)
		return NULL;
	if (off >= r->at && off + n <= r->at + r->len)
		return r->buf + (off - r->at);
	if (n > r->cap) {
		if (!r->owned) {
			*rc = err_set(e, SLOG_EUNKNOWN, "read of %zu bytes exceeds the reader", n);
			return NULL;
		}
		r->buf = xrealloc(r->buf, n);
		r->cap = n;
	}
	want = r->cap;
	if (limit - off < want)
		want = (size_t)(limit - off);
	got = segment_pread(r->seg, r->buf, want, off, e);
	if (got < 0) {
		*rc = (int)got;
		return NULL;
	}
	r->at = off;
	r->len = (size_t)got;
	if ((size_t)got < n)
		return NULL;
	return r->buf;
}

void seg_cursor_init(struct seg_cursor *c, const struct segment *s, uint64_t pos, uint64_t end)
{
	c->seg = s;
	c->pos = pos;
	c->end = end;
	seg_reader_init(&c->rd, s, s->path, c->chunk, sizeof(c->chunk), 0);
}

int seg_cursor_peek(struct seg_cursor *c, struct batch_header *h, struct err *e)
{
	const uint8_t *p;
	int rc;

	if (c->pos >= c->end)
		return 0;
	p = seg_reader_get(&c->rd, c->pos, BATCH_HEADER_SIZE, c->end, &rc, e);
	if (!p)
		return rc ? rc : err_set(e, SLOG_ECORRUPT_MESSAGE, "%s.log: partial batch header at %llu",
					 c->seg->path, (unsigned long long)c->pos);
	rc = batch_header_parse(p, BATCH_HEADER_SIZE, h, e);
	if (rc)
		return err_wrap(e, "%s.log at %llu", c->seg->path, (unsigned long long)c->pos);
	if (batch_size(h) > c->end - c->pos)
		return err_set(e, SLOG_ECORRUPT_MESSAGE, "%s.log: batch at %llu runs past the end",
			       c->seg->path, (unsigned long long)c->pos);
	return 1;
}

int segment_seek(const struct segment *s, int64_t offset, uint64_t floor_pos, uint64_t end,
		 uint64_t *pos, struct batch_header *h, struct err *e)
{
	struct seg_cursor c;
	int rc;

	seg_cursor_init(&c, s, floor_pos, end);
	while ((rc = seg_cursor_peek(&c, h, e)) == 1) {
		if (batch_last_offset(h) >= offset)
			break;
		seg_cursor_skip(&c, h);
	}
	*pos = c.pos;
	return rc;
}

int segment_scan(const struct segment *s, uint64_t from, uint64_t end, seg_scan_fn fn, void *arg,
		 struct err *e)
{
	struct chunk_reader rd;
	uint64_t pos = from;
	int rc = 0;

	seg_reader_init(&rd, s, s->path, xmalloc(RECOVERY_CHUNK), RECOVERY_CHUNK, 1);
	while (pos < end) {
		struct batch_header h;
		const uint8_t *p = seg_reader_get(&rd, pos, BATCH_HEADER_SIZE, end, &rc, e);

		if (p)
			rc = batch_header_parse(p, BATCH_HEADER_SIZE, &h, e);
		else if (!rc)
			rc = err_set(e, SLOG_ECORRUPT_MESSAGE, "%s.log: partial batch at %llu", s->path,
				     (unsigned long long)pos);
		if (rc)
			break;
		p = seg_reader_get(&rd, pos, batch_size(&h), end, &rc, e);
		if (!p) {
			if (!rc)
				rc = err_set(e, SLOG_ECORRUPT_MESSAGE, "%s.log: batch at %llu runs past the end",
					     s->path, (unsigned long long)pos);
			break;
		}
		/* Whoever rewrites these bytes would give them a fresh CRC. */
		rc = batch_validate(p, batch_size(&h), BATCH_CHECK_CRC, NULL, NULL, e);
		if (rc) {
			err_wrap(e, "%s.log: batch at %llu", s->path, (unsigned long long)pos);
			break;
		}
		rc = fn(arg, p, batch_size(&h), pos);
		if (rc)
			break;
		pos += batch_size(&h);
	}
	free(rd.buf);
	return rc;
}

/* ---- loading, recovery ---- */

static int map_file(const char *name, void **map, size_t *len, struct err *e)
{
	uint64_t size;
	int fd = fio_open(name, O_RDONLY, 0, e), rc;

	*map = NULL;
	*len = 0;
	if (fd < 0)
		return fd;
	rc = fio_size(fd, &size, name, e);
	if (!rc && size > 0) {
		void *m = mmap(NULL, (size_t)size, PROT_READ, MAP_SHARED, fd, 0);
		if (m == MAP_FAILED)
			rc = err_set(e, SLOG_EIO, "mmap %s: %s", name, strerror(errno));
		else {
			*map = m;
			*len = (size_t)size;
		}
	}
	fio_close(fd);
	return rc;
}

static int check_indexes(const struct segment *s, struct err *e)
{
	const uint8_t *p;
	size_t n;
	uint32_t prev_rel = 0, prev_pos = 0;
	int64_t prev_ts = INT64_MIN;

	if (s->idx.len % SEG_INDEX_ENTRY || s->idx_map_len % SEG_INDEX_ENTRY ||
	    s->tidx.len % SEG_TIMEINDEX_ENTRY || s->tidx_map_len % SEG_TIMEINDEX_ENTRY)
		return err_set(e, SLOG_ECORRUPT_MESSAGE, "%s: index size is not whole entries", s->path);
	idx_view(s, &p, &n);
	for (size_t i = 0; i < n; i++) {
		uint32_t rel = be32_get(p + i * SEG_INDEX_ENTRY);
		uint32_t pos = be32_get(p + i * SEG_INDEX_ENTRY + 4);
		if ((i && (rel <= prev_rel || pos <= prev_pos)) || pos == 0 ||
		    (uint64_t)pos + BATCH_HEADER_SIZE > s->size)
			return err_set(e, SLOG_ECORRUPT_MESSAGE, "%s.index: entry %zu is out of order",
				       s->path, i);
		prev_rel = rel;
		prev_pos = pos;
	}
	tidx_view(s, &p, &n);
	prev_rel = 0;
	for (size_t i = 0; i < n; i++) {
		int64_t ts = (int64_t)be64_get(p + i * SEG_TIMEINDEX_ENTRY);
		uint32_t rel = be32_get(p + i * SEG_TIMEINDEX_ENTRY + 8);
		if (i && (ts <= prev_ts || rel <= prev_rel))
			return err_set(e, SLOG_ECORRUPT_MESSAGE, "%s.timeindex: entry %zu is out of order",
				       s->path, i);
		prev_ts = ts;
		prev_rel = rel;
	}
	return 0;
}

void seg_drop_indexes(struct segment *s)
{
	unmap_indexes(s);
	buf_reset(&s->idx);
	buf_reset(&s->tidx);
}

/* Where the index ends: the last entry's position and relative offset. */
static uint64_t last_entry(const struct segment *s, uint32_t *rel)
{
	const uint8_t *p;
	size_t n;

	idx_view(s, &p, &n);
	*rel = n ? be32_get(p + (n - 1) * SEG_INDEX_ENTRY) : 0;
	return n ? be32_get(p + (n - 1) * SEG_INDEX_ENTRY + 4) : 0;
}

/*
 * Walk the batches after the last index entry to the end of the file,
 * CRC-checking each: that part was never indexed, so nothing vouches for
 * it.  Learns next_offset, max_ts and index_bytes.
 */
static int walk_tail(struct segment *s, struct err *e)
{
	struct chunk_reader rd;
	struct batch_header h;
	uint32_t rel;
	uint64_t first = last_entry(s, &rel), pos = first;
	int rc = 0;

	s->next_offset = s->base;
	s->max_ts = tidx_last_ts(s);
	s->index_bytes = 0;
	seg_reader_init(&rd, s, s->path, xmalloc(64 << 10), 64 << 10, 1);
	while (pos < s->size) {
		struct err why;
		rc = seg_read_batch(&rd, pos, s->size, &h, &why, e);
		if (rc < 0)
			break;
		if (rc == 1 && pos == first && first && h.base_offset - s->base != rel)
			rc = err_set(&why, SLOG_ECORRUPT_MESSAGE, "the last index entry does not match");
		else if (rc == 1 && h.base_offset < s->next_offset)
			rc = err_set(&why, SLOG_ECORRUPT_MESSAGE, "offsets go back");
		if (rc != 1) {
			rc = err_set(e, SLOG_ECORRUPT_MESSAGE, "%s.log at %llu: %s", s->path,
				     (unsigned long long)pos, why.msg);
			break;
		}
		if (h.max_timestamp > s->max_ts)
			s->max_ts = h.max_timestamp;
		s->next_offset = batch_last_offset(&h) + 1;
		s->index_bytes += batch_size(&h);
		pos += batch_size(&h);
		rc = 0;
	}
	free(rd.buf);
	return rc;
}

int segment_load_indexes(struct segment *s, int writable, struct err *e)
{
	char iname[4200], tname[4200];
	int rc;

	seg_drop_indexes(s);
	name_of(s, ".index", iname, sizeof(iname));
	name_of(s, ".timeindex", tname, sizeof(tname));
	if (access(iname, F_OK) != 0 || access(tname, F_OK) != 0)
		return err_set(e, SLOG_ECORRUPT_MESSAGE, "%s: index files missing", s->path);
	if (writable) {
		rc = fio_read_file(iname, INDEX_MAX_BYTES, &s->idx, e);
		if (!rc)
			rc = fio_read_file(tname, INDEX_MAX_BYTES, &s->tidx, e);
	} else {
		rc = map_file(iname, &s->idx_map, &s->idx_map_len, e);
		if (!rc)
			rc = map_file(tname, &s->tidx_map, &s->tidx_map_len, e);
	}
	if (!rc)
		rc = check_indexes(s, e);
	if (!rc)
		rc = walk_tail(s, e);
	if (rc) {
		seg_drop_indexes(s);
		s->max_ts = INT64_MIN;
		s->next_offset = s->base;
		return rc;
	}
	s->sealed = !writable;
	return 0;
}

/* ---- appending, syncing, sealing ---- */

int segment_append(struct segment *s, const uint8_t *data, size_t len, int64_t now_ms,
		   struct err *e)
{
	char name[4200];
	size_t off = 0;
	int fd = segment_fd_acquire(s, e), rc;

	if (fd < 0)
		return fd;
	name_of(s, ".log", name, sizeof(name));
	rc = fio_pwrite(fd, data, len, (off_t)s->size, name, e);
	if (rc) {
		struct err ignored;
		/* Cut off whatever part did land, so the file ends on a batch. */
		fio_ftruncate(fd, (off_t)s->size, name, &ignored);
	}
	segment_fd_release(s);
	if (rc)
		return rc;
	if (s->size == 0)
		s->created_ms = now_ms;
	while (off < len) {
		struct batch_header h;
		batch_header_parse(data + off, len - off, &h, NULL); /* validated by the caller */
		seg_index_note(s, &h, s->size + off);
		off += batch_size(&h);
	}
	s->size += len;
	return 0;
}

int segment_sync(struct segment *s, uint64_t size_at_start, struct err *e)
{
	int rc = segment_datasync(s, e);

	if (!rc && size_at_start > s->synced_size)
		s->synced_size = size_at_start;
	return rc;
}

int segment_write_indexes(struct segment *s, struct err *e)
{
	char name[4200];
	struct buf t = BUF_INIT;
	const uint8_t *p;
	size_t n;
	int rc;

	idx_view(s, &p, &n);
	name_of(s, ".index", name, sizeof(name));
	rc = fio_write_atomic(name, p, n * SEG_INDEX_ENTRY, e);
	if (rc)
		return rc;
	/* The time index ends with the segment's largest timestamp, at its
	 * end offset: a reopened segment learns max_ts from it. */
	tidx_view(s, &p, &n);
	buf_add(&t, p, n * SEG_TIMEINDEX_ENTRY);
	if (s->max_ts != INT64_MIN && s->max_ts > tidx_last_ts(s))
		tidx_put(&t, s->max_ts, (uint32_t)(s->next_offset - s->base));
	name_of(s, ".timeindex", name, sizeof(name));
	rc = fio_write_atomic(name, t.data, t.len, e);
	buf_free(&t);
	return rc;
}

int segment_seal(struct segment *s, struct err *e)
{
	char iname[4200], tname[4200];
	void *im, *tm;
	size_t il, tl;
	int rc;

	if (s->sealed)
		return 0;
	rc = segment_write_indexes(s, e);
	if (rc)
		return rc;
	s->sealed = 1;
	name_of(s, ".index", iname, sizeof(iname));
	name_of(s, ".timeindex", tname, sizeof(tname));
	/* Trade the heap copies for mappings of the files just written; if
	 * mapping fails the heap copies serve just as well. */
	if (map_file(iname, &im, &il, NULL) == 0) {
		if (map_file(tname, &tm, &tl, NULL) == 0) {
			s->idx_map = im;
			s->idx_map_len = il;
			s->tidx_map = tm;
			s->tidx_map_len = tl;
			buf_free(&s->idx);
			buf_free(&s->tidx);
		} else if (im) {
			munmap(im, il);
		}
	}
	return 0;
}

/*
 * Keep, in memory, only the index entries of batches before pos, and the
 * time index entries up to the last of those (each one was added at an
 * offset index entry).
 */
static void trim_indexes(struct segment *s, uint64_t pos)
{
	struct buf idx = BUF_INIT, tidx = BUF_INIT;
	const uint8_t *p;
	size_t n, k;
	uint32_t rel = 0;

	idx_view(s, &p, &n);
	k = entries_upto(p, n, SEG_INDEX_ENTRY, 4, 0, pos > UINT32_MAX ? UINT32_MAX : (int64_t)pos, 1);
	buf_add(&idx, p, k * SEG_INDEX_ENTRY);
	if (k)
		rel = be32_get(p + (k - 1) * SEG_INDEX_ENTRY);
	tidx_view(s, &p, &n);
	k = k ? entries_upto(p, n, SEG_TIMEINDEX_ENTRY, 8, 0, rel, 0) : 0;
	buf_add(&tidx, p, k * SEG_TIMEINDEX_ENTRY);
	seg_drop_indexes(s);
	buf_free(&s->idx);
	buf_free(&s->tidx);
	s->idx = idx;
	s->tidx = tidx;
}

int segment_truncate(struct segment *s, int64_t offset, struct err *e)
{
	char name[4200];
	struct batch_header h;
	uint64_t cut = 0;
	int rc;

	if (offset >= s->next_offset) {
		/* Cut at its end: the segment becomes the active one again, so
		 * its index returns to memory to take appends.  The files on
		 * disk still describe it exactly. */
		if (s->sealed) {
			trim_indexes(s, s->size);
			s->sealed = 0;
		}
		return 0;
	}
	if (offset > s->base) {
		rc = segment_seek(s, offset, segment_index_floor(s, offset), s->size, &cut, &h, e);
		if (rc < 0)
			return rc;
	}
	/* Durable before anything is written past the cut: otherwise the old
	 * bytes could come back after a power loss, behind new ones. */
	rc = segment_cut(s, cut, e);
	if (rc)
		return rc;
	/* Stale index files must never be trusted again. */
	name_of(s, ".index", name, sizeof(name));
	rc = fio_unlink(name, e);
	name_of(s, ".timeindex", name, sizeof(name));
	if (!rc)
		rc = fio_unlink(name, e);
	if (rc)
		return rc;
	trim_indexes(s, cut);
	s->sealed = 0;
	return walk_tail(s, e);
}

int segment_remove_files(struct segment *s, struct err *e)
{
	static const char *const exts[] = { ".log", ".index", ".timeindex" };
	char name[4200];
	int rc = 0;

	/* Readers still holding the segment read it after the unlink: give
	 * them a descriptor the cache will not close until the last unref. */
	if (atomic_load(&s->refs) > 1 && !s->held) {
		rc = segment_fd_acquire(s, e);
		if (rc < 0)
			return rc;
		s->held = 1;
		rc = 0;
	}
	for (size_t i = 0; i < sizeof(exts) / sizeof(exts[0]); i++) {
		name_of(s, exts[i], name, sizeof(name));
		if (fio_unlink(name, e) && !rc)
			rc = e ? e->code : SLOG_EIO;
		/* An atomic index write cut short leaves name.tmp. */
		snprintf(name + strlen(name), sizeof(name) - strlen(name), ".tmp");
		fio_unlink(name, NULL);
	}
	return rc;
}

/* ---- timestamp search ---- */

int segment_find_timestamp(const struct segment *s, int64_t ts, uint64_t floor_pos,
			   uint64_t end, int64_t *offset, int64_t *found_ts, struct err *e)
{
	struct seg_cursor c;
	struct batch_header h;
	struct buf batch = BUF_INIT, scratch = BUF_INIT;
	int rc;

	seg_cursor_init(&c, s, floor_pos, end);
	while ((rc = seg_cursor_peek(&c, &h, e)) == 1) {
		struct batch_iter it;
		struct record r;
		ssize_t got;

		if (h.max_timestamp < ts) {
			seg_cursor_skip(&c, &h);
			continue;
		}
		buf_reset(&batch);
		got = segment_pread(s, buf_reserve(&batch, batch_size(&h)), batch_size(&h), c.pos, e);
		if (got < 0 || (size_t)got != batch_size(&h)) {
			rc = got < 0 ? (int)got : err_set(e, SLOG_ECORRUPT_MESSAGE, "%s: short read", s->path);
			break;
		}
		rc = batch_iter_init(&it, (const uint8_t *)batch.data, batch_size(&h), &scratch, e);
		if (rc < 0)
			break;
		while ((rc = batch_iter_next(&it, &r, e)) == 1) {
			if (r.timestamp >= ts) {
				*offset = r.offset;
				*found_ts = r.timestamp;
				goto out;
			}
		}
		if (rc < 0)
			break;
		seg_cursor_skip(&c, &h);
	}
out:
	buf_free(&batch);
	buf_free(&scratch);
	return rc;
}
