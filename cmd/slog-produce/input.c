/*
 * input.c: reading and splitting slog-produce's input.  See input.h.
 */
#include "input.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#define CHUNK (1u << 20)

int input_open(struct input *in, const struct input_opts *o, char **files, int nfiles,
	       struct err *e)
{
	memset(in, 0, sizeof(in[0]));
	in->o = *o;
	in->files = nfiles ? files : NULL;
	in->nfiles = nfiles;
	in->fd = nfiles ? -1 : 0;
	ndjson_record_init(&in->nr);
	(void)e;
	return 0;
}

void input_close(struct input *in)
{
	if (in->fd > 0)
		close(in->fd);
	buf_free(&in->buf);
	ndjson_record_free(&in->nr);
}

/* Open the next file when the current one is finished. */
static int advance(struct input *in, struct err *e)
{
	while (in->fd < 0) {
		const char *f;
		if (!in->files || in->next_file >= in->nfiles) {
			in->done = 1;
			return 0;
		}
		f = in->files[in->next_file++];
		in->fd = strcmp(f, "-") == 0 ? 0 : open(f, O_RDONLY | O_CLOEXEC);
		if (in->fd < 0)
			return err_set(e, SLOG_EIO, "cannot open '%s': %s", f, strerror(errno));
		in->eof = 0;
	}
	return 0;
}

int input_fd(struct input *in)
{
	if (in->done || in->eof)
		return -1;
	return in->fd;
}

int input_fill(struct input *in, struct err *e)
{
	ssize_t n;
	int rc = advance(in, e);

	if (rc || in->done || in->eof)
		return rc;
	/* Keep the unread tail; drop what was consumed. */
	if (in->pos) {
		memmove(in->buf.data, in->buf.data + in->pos, in->buf.len - in->pos);
		buf_setlen(&in->buf, in->buf.len - in->pos);
		in->pos = 0;
	}
	if ((int64_t)in->buf.len > in->o.max_record + (int64_t)in->o.delim_len)
		return err_set(e, SLOG_EMESSAGE_TOO_LARGE,
			       "line %lld: a record longer than %lld bytes (max.message.bytes)",
			       (long long)in->line + 1, (long long)in->o.max_record);
	do
		n = read(in->fd, buf_reserve(&in->buf, CHUNK), CHUNK);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return err_set(e, SLOG_EIO, "read: %s", strerror(errno));
	buf_commit(&in->buf, (size_t)n);
	if (n == 0)
		in->eof = 1;
	return 0;
}

/* Split a plain record into key and value. */
static void plain_record(struct input *in, const char *p, size_t len, struct input_record *r)
{
	const char *kd = NULL;

	memset(r, 0, sizeof(*r));
	r->partition = -1;
	r->rec.key_len = -1;
	if (in->o.key_delim_len)
		kd = memmem(p, len, in->o.key_delim, in->o.key_delim_len);
	if (kd) {
		r->rec.key = (const uint8_t *)p;
		r->rec.key_len = (int32_t)(kd - p);
		p = kd + in->o.key_delim_len;
		len -= (size_t)r->rec.key_len + in->o.key_delim_len;
	}
	r->rec.value = (const uint8_t *)p;
	r->rec.value_len = (int32_t)len;
}

int input_next(struct input *in, struct input_record *r, struct err *e)
{
	for (;;) {
		const char *p = in->buf.data + in->pos, *end = in->buf.data + in->buf.len, *d;
		size_t len, skip;

		if (in->pos >= in->buf.len && in->eof) {
			/* This input is finished; move on. */
			if (in->fd > 0)
				close(in->fd);
			in->fd = -1;
			buf_reset(&in->buf);
			in->pos = 0;
			if (!in->files)
				in->done = 1;
			return 0;
		}
		if (in->o.delim_len == 0) {
			/* The whole input is one record: wait for its end. */
			if (!in->eof)
				return 0;
			d = end;
			skip = 0;
		} else {
			d = in->buf.len ? memmem(p, (size_t)(end - p), in->o.delim, in->o.delim_len) : NULL;
			skip = in->o.delim_len;
			if (!d) {
				if (!in->eof)
					return 0;
				if (p == end)
					continue;
				d = end; /* the last record needs no delimiter */
				skip = 0;
			}
		}
		len = (size_t)(d - p);
		in->pos = (size_t)(d - in->buf.data) + skip;
		in->line++;
		if ((int64_t)len > in->o.max_record)
			return err_set(e, SLOG_EMESSAGE_TOO_LARGE,
				       "line %lld: a record of %zu bytes exceeds max.message.bytes (%lld)",
				       (long long)in->line, len, (long long)in->o.max_record);
		if (!in->o.json) {
			plain_record(in, p, len, r);
			r->line = in->line;
			r->raw = p;
			r->raw_len = len;
			return 1;
		}
		/* NDJSON: blank lines are not records. */
		{
			size_t k = 0;
			while (k < len && (p[k] == ' ' || p[k] == '\t' || p[k] == '\r'))
				k++;
			if (k == len)
				continue; /* still a line: numbers match what an editor shows */
		}
		if (ndjson_parse(&in->nr, p, len, e))
			return err_wrap(e, "line %lld", (long long)in->line);
		memset(r, 0, sizeof(*r));
		r->rec = in->nr.rec;
		r->topic = in->nr.topic;
		r->partition = in->nr.partition;
		r->has_timestamp = in->nr.has_timestamp;
		r->line = in->line;
		r->raw = p;
		r->raw_len = len;
		return 1;
	}
}

void input_copy(const struct input *in, const struct input_record *r, struct buf *out)
{
	buf_add(out, r->raw, r->raw_len);
	buf_add(out, in->o.delim, in->o.delim_len);
}
