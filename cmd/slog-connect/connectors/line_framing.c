/*
 * line_framing.c: bytes to frames (line_framing.h).
 *
 * The framer keeps one buffer per stream and reads into it in place; a
 * frame points into it, so the data path copies a line once (into the
 * record).  The buffer is compacted lazily, when the consumed head
 * passes half of it or the room asked for is missing, so a stream of
 * short lines moves each byte at most about once more.  `scanned`
 * remembers how far a long partial line was searched, so a line that
 * arrives in many small reads is not searched from its start each time.
 */
#include <string.h>

#include "connectors/line_framing.h"
#include "escape.h"
#include "log.h"
#include "runtime/connector_conf.h"

int framing_parse_delimiter(const char *s, struct framing_opts *o, struct err *e)
{
	size_t n = 0;
	for (const char *p = s; *p;) {
		char c = *p++;
		if (c == '\\') {
			int used = 0;
			if (escape_decode(p, &c, &used) != ESCAPE_OK)
				return err_set(e, SLOG_EINVALID_CONFIG, "delimiter '%s': bad escape at '\\%.4s'",
					       s, p);
			p += used;
		}
		if (n == sizeof(o->delim))
			return err_set(e, SLOG_EINVALID_CONFIG, "delimiter '%s': longer than %zu bytes", s,
				       sizeof(o->delim));
		o->delim[n++] = c;
	}
	if (n == 0)
		return err_set(e, SLOG_EINVALID_CONFIG, "delimiter: empty");
	o->delim_len = n;
	return 0;
}

int framing_opts_from_conf(const struct connector_conf *cc, const char *prefix,
			   struct framing_opts *o, struct err *e)
{
	char key[64];
	memset(o, 0, sizeof(*o));
	snprintf(key, sizeof(key), "%sformat", prefix);
	o->format = (enum frame_format)conf_get_num(&cc->conf, key);
	o->max_bytes = (size_t)conf_get_num(&cc->conf, "max.line.bytes");
	o->on_long = (enum long_line)conf_get_num(&cc->conf, "on.long.line");
	snprintf(key, sizeof(key), "%sdelimiter", prefix);
	const char *d = conf_get_str(&cc->conf, key);
	int rc = framing_parse_delimiter(d ? d : "\\n", o, e);
	if (rc < 0)
		return err_wrap(e, "%s", key);
	return 0;
}

void framer_init(struct framer *fr, const struct framing_opts *o, int64_t pos)
{
	memset(fr, 0, sizeof(*fr));
	fr->o = *o;
	fr->base = pos;
}

void framer_free(struct framer *fr)
{
	buf_free(&fr->buf);
}

void framer_reset(struct framer *fr, int64_t pos)
{
	buf_reset(&fr->buf);
	fr->head = fr->scanned = 0;
	fr->base = pos;
	fr->discarding = 0;
}

char *framer_space(struct framer *fr, size_t want)
{
	size_t avail = fr->buf.len - fr->head;
	if (fr->head && (fr->head > fr->buf.len / 2 || fr->buf.cap - fr->buf.len < want + 1)) {
		memmove(fr->buf.data, fr->buf.data + fr->head, avail);
		buf_setlen(&fr->buf, avail);
		fr->head = 0;
	}
	return buf_reserve(&fr->buf, want);
}

void framer_commit(struct framer *fr, size_t n)
{
	buf_commit(&fr->buf, n);
}

size_t framer_pending(const struct framer *fr)
{
	return fr->buf.len - fr->head;
}

static void consume(struct framer *fr, size_t n)
{
	fr->head += n;
	fr->base += (int64_t)n;
	fr->scanned = 0;
}

/* Inside a long line being dropped: drop up to its delimiter.  1 when the
 * line ended (framing resumes), 0 when more must come. */
static int discard(struct framer *fr)
{
	const char *data = fr->buf.data + fr->head;
	size_t avail = framer_pending(fr), dl = fr->o.delim_len;
	if (fr->o.format != FRAME_BYTES) {
		const char *hit = memmem(data, avail, fr->o.delim, dl);
		if (hit) {
			consume(fr, (size_t)(hit - data) + dl);
			fr->discarding = 0;
			return 1;
		}
		/* Keep what may be the start of a delimiter. */
		if (avail >= dl)
			consume(fr, avail - (dl - 1));
		return 0;
	}
	consume(fr, avail);
	return 0;
}

/* A line (or a bytes record) longer than max.line.bytes: by on.long.line. */
static int too_long(struct framer *fr, struct frame *out, size_t len, size_t used, int ended,
		    struct err *e)
{
	const char *data = fr->buf.data + fr->head;
	if (fr->o.on_long == LONG_FAIL)
		return err_set(e, SLOG_EMESSAGE_TOO_LARGE,
			       "a record at position %lld is longer than max.line.bytes %zu",
			       (long long)fr->base, fr->o.max_bytes);
	if (fr->o.on_long == LONG_SKIP) {
		fr->skipped++;
		log_warn("skipping a record of %s%zu bytes at position %lld (max.line.bytes %zu)",
			 ended ? "" : "over ", len, (long long)fr->base, fr->o.max_bytes);
		consume(fr, used);
		fr->discarding = !ended;
		return 0;
	}
	fr->cut++;
	out->p = data;
	out->len = fr->o.max_bytes;
	out->start = fr->base;
	out->end = fr->base + (int64_t)used;
	out->truncated = 1;
	consume(fr, used);
	fr->discarding = !ended;
	return 1;
}

int framer_next(struct framer *fr, struct frame *out, struct err *e)
{
	for (;;) {
		if (fr->discarding && !discard(fr))
			return 0;
		const char *data = fr->buf.data + fr->head;
		size_t avail = framer_pending(fr), dl = fr->o.delim_len;
		if (fr->o.format == FRAME_BYTES) {
			if (avail <= fr->o.max_bytes)
				return 0;
			int rc = too_long(fr, out, avail, avail, 0, e);
			if (rc != 0)
				return rc;
			continue;
		}
		size_t from = fr->scanned >= dl ? fr->scanned - (dl - 1) : 0;
		const char *hit = avail > from ? memmem(data + from, avail - from, fr->o.delim, dl) : NULL;
		if (!hit) {
			fr->scanned = avail;
			if (avail <= fr->o.max_bytes + dl)
				return 0;
			int keep = dl - 1; /* may be the start of the delimiter */
			int rc = too_long(fr, out, avail, avail - (size_t)keep, 0, e);
			if (rc != 0)
				return rc;
			continue;
		}
		size_t len = (size_t)(hit - data);
		if (len > fr->o.max_bytes) {
			int rc = too_long(fr, out, len, len + dl, 1, e);
			if (rc != 0)
				return rc;
			continue;
		}
		out->p = data;
		out->len = len;
		out->start = fr->base;
		out->end = fr->base + (int64_t)(len + dl);
		out->truncated = 0;
		consume(fr, len + dl);
		return 1;
	}
}

int framer_flush(struct framer *fr, struct frame *out)
{
	size_t avail = framer_pending(fr);
	if (fr->discarding) {
		consume(fr, avail);
		fr->discarding = 0;
		return 0;
	}
	if (avail == 0)
		return 0;
	out->p = fr->buf.data + fr->head;
	out->len = avail > fr->o.max_bytes ? fr->o.max_bytes : avail;
	out->truncated = avail > fr->o.max_bytes;
	out->start = fr->base;
	out->end = fr->base + (int64_t)avail;
	consume(fr, avail);
	return 1;
}

int framer_to_record(const struct framer *fr, const struct frame *f, struct crec *r,
		     struct ndjson_record *scratch, struct err *e)
{
	if (fr->o.format != FRAME_NDJSON) {
		crec_set_value(r, f->p, (int32_t)f->len);
		return 1;
	}
	size_t n = f->len;
	while (n && (f->p[n - 1] == '\r' || f->p[n - 1] == ' ' || f->p[n - 1] == '\t'))
		n--;
	size_t i = 0;
	while (i < n && (f->p[i] == ' ' || f->p[i] == '\t'))
		i++;
	if (i == n)
		return 0;
	int rc = crec_parse_ndjson(r, scratch, f->p + i, n - i, e);
	return rc < 0 ? rc : 1;
}
