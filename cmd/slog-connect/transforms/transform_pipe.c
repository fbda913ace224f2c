/*
 * transform_pipe.c: a chain of transforms over NDJSON lines
 * (transform_pipe.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ndjson.h"
#include "runtime/connect_record.h"
#include "runtime/connector_conf.h"
#include "transforms/transform.h"
#include "transforms/transform_pipe.h"

/*
 * The line's offset, which slog-produce's shape (what crec_parse_ndjson
 * reads) ignores but a sink's record has: insert-header, insert-field and
 * exec see it.  -1 when the line has none.  The line already parsed as a
 * JSON object, so a walk that skips strings and nested values finds the
 * top-level "offset" without parsing it a second time.
 */
static int64_t line_offset(const char *p, size_t len)
{
	const char *end = p + len;
	int depth = 0;
	for (; p < end; p++) {
		if (*p == '{' || *p == '[') {
			depth++;
		} else if (*p == '}' || *p == ']') {
			depth--;
		} else if (*p == '"') {
			const char *s = ++p;
			while (p < end && *p != '"')
				p += *p == '\\' ? 2 : 1;
			if (p >= end)
				break;
			if (depth != 1 || p - s != 6 || memcmp(s, "offset", 6) != 0)
				continue;
			const char *colon = p + 1;
			while (colon < end && (*colon == ' ' || *colon == '\t'))
				colon++;
			if (colon < end && *colon == ':')
				return strtoll(colon + 1, NULL, 10);
		}
	}
	return -1;
}

struct pipe_run {
	struct transform_chain *chain;
	struct crec rec;
	struct ndjson_record scratch;
	struct buf out;
	size_t lines, failed;
};

/* One line: 0, or <0 when it failed (e says why). */
static int pipe_line(struct pipe_run *p, const char *line, size_t len, struct err *e)
{
	crec_reset(&p->rec);
	int rc = crec_parse_ndjson(&p->rec, &p->scratch, line, len, e);
	if (rc < 0)
		return rc;
	p->rec.offset = line_offset(line, len);
	rc = transform_chain_apply(p->chain, &p->rec, e);
	if (rc < 0)
		return rc;
	if (rc == 1)
		crec_write_ndjson(&p->rec, &p->out);
	return 0;
}

/*
 * Lines read from a descriptor a block at a time.  The output is flushed
 * before a read that may wait, so a pipe sees each record as soon as the
 * input that made it has been read, without a write per record.
 */
struct line_in {
	int fd;
	struct buf b;
	size_t at;     /* where the next line starts in b */
	int eof;
};

/* The next line (without its newline): 1, 0 at the end, <0 when reading or flushing failed. */
static int next_line(struct line_in *li, FILE *out, const char **line, size_t *len,
		     struct err *e)
{
	for (;;) {
		char *start = li->b.data ? li->b.data + li->at : NULL;
		size_t avail = li->b.len - li->at;
		char *nl = avail ? memchr(start, '\n', avail) : NULL;
		if (nl || (li->eof && avail)) {
			*line = start;
			*len = nl ? (size_t)(nl - start) : avail;
			li->at += *len + (nl != NULL);
			return 1;
		}
		if (li->eof)
			return 0;
		if (li->at) {
			memmove(li->b.data, start, avail);
			buf_setlen(&li->b, avail);
			li->at = 0;
		}
		if (fflush(out) != 0)
			return err_set(e, SLOG_EIO, "write to standard output: %s", strerror(errno));
		char *p = buf_reserve(&li->b, 65536);
		ssize_t n = read(li->fd, p, 65536);
		if (n < 0 && errno != EINTR)
			return err_set(e, SLOG_EIO, "read from standard input: %s", strerror(errno));
		if (n == 0)
			li->eof = 1;
		else if (n > 0)
			buf_commit(&li->b, (size_t)n);
	}
}

static int pipe_lines(struct pipe_run *p, FILE *in, FILE *out, struct err *e)
{
	struct line_in li = { .fd = fileno(in) };
	const char *line = NULL;
	size_t n = 0;
	int rc;
	if (li.fd < 0)
		return err_set(e, SLOG_EIO, "standard input has no file descriptor");
	while ((rc = next_line(&li, out, &line, &n, e)) == 1) {
		p->lines++;
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			n--;
		if (n == 0)
			continue;
		struct err le;
		buf_reset(&p->out);
		if (pipe_line(p, line, n, &le) < 0) {
			fprintf(stderr, "slog-connect: line %zu: %s\n", p->lines, le.msg);
			p->failed++;
			continue;
		}
		if (p->out.len && fwrite(p->out.data, 1, p->out.len, out) != p->out.len) {
			rc = err_set(e, SLOG_EIO, "write to standard output: %s", strerror(errno));
			break;
		}
	}
	if (rc == 0 && fflush(out) != 0)
		rc = err_set(e, SLOG_EIO, "write to standard output: %s", strerror(errno));
	buf_free(&li.b);
	return rc < 0 ? rc : 0;
}

int transform_pipe(const struct connector_conf *cc, FILE *in, FILE *out, struct err *e)
{
	struct pipe_run p;
	memset(&p, 0, sizeof(p));
	int rc = transform_chain_new(cc, 0, &p.chain, e);
	if (rc < 0)
		return rc;
	crec_init(&p.rec);
	ndjson_record_init(&p.scratch);
	rc = pipe_lines(&p, in, out, e);
	transform_chain_free(p.chain);
	crec_free(&p.rec);
	ndjson_record_free(&p.scratch);
	buf_free(&p.out);
	if (rc == 0 && p.failed)
		rc = err_set(e, SLOG_EINVALID_RECORD, "transform '%s': %zu of %zu lines failed",
			     cc->path ? cc->path : "-", p.failed, p.lines);
	return rc;
}
