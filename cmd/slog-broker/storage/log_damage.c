/*
 * log_damage.c: damaged offset ranges of a partition log.  See
 * log_damage.h.
 */
#include "storage/log_damage.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "storage/fileio.h"
#include "xalloc.h"

#define DAMAGE_FILE "damaged-offsets"
#define DAMAGE_MAX_BYTES (1 << 20)

void log_damage_free(struct log_damage *d)
{
	free(d->v);
	memset(d, 0, sizeof(*d));
}

void log_damage_add(struct log_damage *d, const struct log_damage_range *r)
{
	size_t i = d->n;

	for (size_t k = 0; k < d->n; k++)
		if (d->v[k].seg_base == r->seg_base && d->v[k].pos == r->pos)
			return; /* known already (saved, then found again) */
	d->v = xgrow(d->v, &d->cap, d->n + 1, sizeof(*d->v));
	while (i > 0 && d->v[i - 1].first > r->first) {
		d->v[i] = d->v[i - 1];
		i--;
	}
	d->v[i] = *r;
	d->n++;
}

static void keep_if(struct log_damage *d, int64_t offset, int keep_above)
{
	size_t k = 0;

	for (size_t i = 0; i < d->n; i++) {
		int above = keep_above ? d->v[i].last >= offset : d->v[i].first < offset;
		if (above)
			d->v[k++] = d->v[i];
	}
	d->n = k;
}

void log_damage_drop_from(struct log_damage *d, int64_t offset)
{
	keep_if(d, offset, 0);
}

void log_damage_drop_before(struct log_damage *d, int64_t offset)
{
	keep_if(d, offset, 1);
}

static int damaged(struct err *e, int64_t first, int64_t last)
{
	return err_set(e, SLOG_ECORRUPT_MESSAGE,
		       "offsets %lld-%lld are damaged on this broker (a batch failed its CRC check)",
		       (long long)first, (long long)last);
}

int log_damage_plan(const struct log_damage *d, int64_t seg_base, int64_t offset,
		    uint64_t *start_hint, struct log_damage_clip *clip, struct err *e)
{
	memset(clip, 0, sizeof(*clip));
	clip->pos = UINT64_MAX;
	for (size_t i = 0; i < d->n; i++) {
		const struct log_damage_range *r = &d->v[i];
		if (offset >= r->first && offset <= r->last)
			return damaged(e, r->first, r->last);
		if (r->seg_base != seg_base || r->end <= *start_hint)
			continue;
		if (r->last < offset && r->first <= offset) {
			*start_hint = r->end; /* a batch start: the walk resumes there */
		} else if (r->pos < clip->pos) {
			clip->pos = r->pos;
			clip->end = r->end;
			clip->first = r->first;
			clip->last = r->last;
		}
	}
	return 0;
}

int log_damage_clip_region(const struct log_damage_clip *c, uint64_t pos, uint64_t *length,
			   int64_t *next_offset, struct err *e)
{
	if (c->pos == UINT64_MAX || pos + *length <= c->pos)
		return 0;
	if (pos >= c->pos)
		return damaged(e, c->first, c->last);
	*length = c->pos - pos;
	*next_offset = c->first;
	return 0;
}

int log_damage_save(const struct log_damage *d, const char *dir, struct err *e)
{
	char path[4200];
	struct buf b = BUF_INIT;
	int rc;

	snprintf(path, sizeof(path), "%s/" DAMAGE_FILE, dir);
	if (d->n == 0)
		return access(path, F_OK) == 0 ? fio_unlink(path, e) : 0;
	for (size_t i = 0; i < d->n; i++)
		buf_addf(&b, "%lld %lld %lld %llu %llu\n", (long long)d->v[i].first,
			 (long long)d->v[i].last, (long long)d->v[i].seg_base,
			 (unsigned long long)d->v[i].pos, (unsigned long long)d->v[i].end);
	rc = fio_write_atomic(path, b.data, b.len, e);
	buf_free(&b);
	return rc;
}

int log_damage_load(struct log_damage *d, const char *dir, struct err *e)
{
	char path[4200];
	struct buf b = BUF_INIT;
	const char *p, *end;
	int rc;

	snprintf(path, sizeof(path), "%s/" DAMAGE_FILE, dir);
	if (access(path, F_OK) != 0)
		return 0;
	rc = fio_read_file(path, DAMAGE_MAX_BYTES, &b, e);
	buf_add(&b, "", 1);
	for (p = b.data, end = b.data + b.len - 1; !rc && p < end;) {
		struct log_damage_range r;
		long long first, last, base;
		unsigned long long pos, stop;
		const char *nl = memchr(p, '\n', (size_t)(end - p));

		if (!nl || sscanf(p, "%lld %lld %lld %llu %llu", &first, &last, &base, &pos, &stop) != 5 ||
		    pos > stop)
			rc = err_set(e, SLOG_ECORRUPT_MESSAGE, "%s: line %.40s does not parse", path, p);
		if (rc)
			break;
		r = (struct log_damage_range){ first, last, base, pos, stop };
		log_damage_add(d, &r);
		p = nl + 1;
	}
	buf_free(&b);
	return rc;
}
