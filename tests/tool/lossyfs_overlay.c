/* tests/tool/lossyfs_overlay.c: unsynced bytes of one file, in memory.
 *
 * The extents are kept sorted and disjoint.  A write merges with every
 * extent it overlaps or touches, so the common case of a log (each write
 * right after the last) grows one buffer in place, amortised O(1), and
 * the number of extents stays small between two fsyncs.
 */
#include "lossyfs_overlay.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Files larger than this are refused (EFBIG): every end offset then fits
 * an off_t and no sum below overflows. */
#define OVERLAY_MAX_SIZE ((uint64_t)INT64_MAX / 2)

void overlay_init(struct overlay *o, uint64_t backing)
{
	memset(o, 0, sizeof(*o));
	o->size = backing;
	o->backing = backing;
	o->floor = UINT64_MAX;
}

int overlay_pending(const struct overlay *o)
{
	return o->n > 0 || o->size != o->backing || o->floor != UINT64_MAX;
}

static uint64_t ext_end(const struct extent *e)
{
	return e->off + e->len;
}

/* Grow e's buffer to hold at least need bytes, doubling. */
static int ext_reserve(struct extent *e, size_t need)
{
	size_t cap = e->cap ? e->cap : 4096;
	unsigned char *p;

	if (need <= e->cap)
		return 0;
	while (cap < need) {
		if (cap > SIZE_MAX / 2)
			return -ENOMEM;
		cap *= 2;
	}
	p = realloc(e->data, cap);
	if (!p)
		return -ENOMEM;
	e->data = p;
	e->cap = cap;
	return 0;
}

static int ext_array_reserve(struct overlay *o, size_t need)
{
	size_t cap = o->cap ? o->cap * 2 : 8;
	struct extent *p;

	if (need <= o->cap)
		return 0;
	if (cap < need)
		cap = need;
	if (cap > SIZE_MAX / sizeof(*p))
		return -ENOMEM;
	p = realloc(o->ext, cap * sizeof(*p));
	if (!p)
		return -ENOMEM;
	o->ext = p;
	o->cap = cap;
	return 0;
}

/* Remove extents [from, to) (their buffers freed by the caller). */
static void ext_remove(struct overlay *o, size_t from, size_t to)
{
	memmove(&o->ext[from], &o->ext[to], (o->n - to) * sizeof(o->ext[0]));
	o->n -= to - from;
}

/* Merge the new bytes with extents [i, j) (all overlapping or touching
 * [off, end)) into one extent at index i: the first one's buffer grows
 * when it starts at or before off, else a new buffer is made. */
static int ext_merge(struct overlay *o, size_t i, size_t j, const void *buf, size_t len,
		     uint64_t off)
{
	uint64_t end = off + len, start = off, last = end;
	struct extent m = { 0 };
	int grow = o->ext[i].off <= off;
	size_t k;

	if (o->ext[i].off < start)
		start = o->ext[i].off;
	if (ext_end(&o->ext[j - 1]) > last)
		last = ext_end(&o->ext[j - 1]);
	if (last - start > SIZE_MAX)
		return -ENOMEM;
	if (grow)
		m = o->ext[i];
	if (ext_reserve(&m, (size_t)(last - start)) != 0) {
		if (!grow)
			free(m.data);
		return -ENOMEM;
	}
	m.off = start;
	if (grow)
		o->dirty -= m.len;
	for (k = grow ? i + 1 : i; k < j; k++) {
		memcpy(m.data + (o->ext[k].off - start), o->ext[k].data, o->ext[k].len);
		o->dirty -= o->ext[k].len;
		free(o->ext[k].data);
	}
	memcpy(m.data + (off - start), buf, len);
	m.len = (size_t)(last - start);
	o->dirty += m.len;
	o->ext[i] = m;
	ext_remove(o, i + 1, j);
	return 0;
}

int overlay_write(struct overlay *o, const void *buf, size_t len, uint64_t off)
{
	uint64_t end;
	size_t i, j;
	struct extent e = { 0 };

	if (len == 0)
		return 0;
	if (off > OVERLAY_MAX_SIZE || len > OVERLAY_MAX_SIZE - off)
		return -EFBIG;
	end = off + len;
	for (i = 0; i < o->n && ext_end(&o->ext[i]) < off; i++)
		;
	for (j = i; j < o->n && o->ext[j].off <= end; j++)
		;
	if (j > i) {
		if (ext_merge(o, i, j, buf, len, off) != 0)
			return -ENOMEM;
	} else {
		if (ext_array_reserve(o, o->n + 1) != 0 || ext_reserve(&e, len) != 0)
			return -ENOMEM;
		e.off = off;
		e.len = len;
		memcpy(e.data, buf, len);
		memmove(&o->ext[i + 1], &o->ext[i], (o->n - i) * sizeof(e));
		o->ext[i] = e;
		o->n++;
		o->dirty += len;
	}
	if (end > o->size)
		o->size = end;
	return 0;
}

void overlay_truncate(struct overlay *o, uint64_t size)
{
	size_t i;

	if (size > OVERLAY_MAX_SIZE)
		size = OVERLAY_MAX_SIZE;
	if (size < o->backing && size < o->floor)
		o->floor = size;
	for (i = o->n; i > 0 && ext_end(&o->ext[i - 1]) > size; i--) {
		struct extent *e = &o->ext[i - 1];

		if (e->off >= size) {
			o->dirty -= e->len;
			free(e->data);
			o->n--;
			continue;
		}
		o->dirty -= e->len - (size_t)(size - e->off);
		e->len = (size_t)(size - e->off);
		break;
	}
	o->size = size;
}

/* pread all of [off, off + len) from fd; bytes past its end read as 0. */
static ssize_t read_backing(int fd, unsigned char *buf, size_t len, uint64_t off)
{
	size_t got = 0;

	while (got < len) {
		ssize_t r = pread(fd, buf + got, len - got, (off_t)(off + got));

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			break;
		got += (size_t)r;
	}
	memset(buf + got, 0, len - got);
	return (ssize_t)len;
}

ssize_t overlay_read(const struct overlay *o, int fd, void *buf, size_t len, uint64_t off)
{
	uint64_t end, lim = o->floor < o->backing ? o->floor : o->backing;
	unsigned char *out = buf;
	size_t i;

	if (off >= o->size)
		return 0;
	if (len > o->size - off)
		len = (size_t)(o->size - off);
	if (len > SSIZE_MAX)
		len = SSIZE_MAX;
	end = off + len;
	memset(out, 0, len);
	if (off < lim) {
		ssize_t r = read_backing(fd, out, (size_t)((end < lim ? end : lim) - off), off);

		if (r < 0)
			return r;
	}
	for (i = 0; i < o->n && o->ext[i].off < end; i++) {
		const struct extent *e = &o->ext[i];
		uint64_t a = e->off > off ? e->off : off;
		uint64_t b = ext_end(e) < end ? ext_end(e) : end;

		if (a < b)
			memcpy(out + (a - off), e->data + (a - e->off), (size_t)(b - a));
	}
	return (ssize_t)len;
}

static int write_all(int fd, const unsigned char *p, size_t len, uint64_t off)
{
	while (len > 0) {
		ssize_t w = pwrite(fd, p, len, (off_t)off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		p += w;
		off += (uint64_t)w;
		len -= (size_t)w;
	}
	return 0;
}

int overlay_sync(struct overlay *o, int fd)
{
	size_t i;
	int rc;

	/* The cut first: bytes past floor must not show through a later
	 * extension of the file. */
	if (o->floor < o->backing) {
		if (ftruncate(fd, (off_t)o->floor) != 0)
			return -errno;
		o->backing = o->floor;
	}
	o->floor = UINT64_MAX;
	if (o->size != o->backing) {
		if (ftruncate(fd, (off_t)o->size) != 0)
			return -errno;
		o->backing = o->size;
	}
	for (i = 0; i < o->n; i++) {
		rc = write_all(fd, o->ext[i].data, o->ext[i].len, o->ext[i].off);
		if (rc)
			return rc;
	}
	for (i = 0; i < o->n; i++)
		free(o->ext[i].data);
	o->n = 0;
	o->dirty = 0;
	return 0;
}

void overlay_drop(struct overlay *o, uint64_t backing)
{
	size_t i;

	for (i = 0; i < o->n; i++)
		free(o->ext[i].data);
	free(o->ext);
	overlay_init(o, backing);
}
