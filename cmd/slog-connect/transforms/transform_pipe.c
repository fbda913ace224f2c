/*
 * transform_pipe.c: a chain of transforms over NDJSON lines
 * (transform_pipe.h).
 */
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "ndjson.h"
#include "runtime/connect_record.h"
#include "runtime/connector_conf.h"
#include "transforms/transform.h"
#include "transforms/transform_pipe.h"

/*
 * The line's offset, which slog-produce's shape (what crec_parse_ndjson
 * reads) ignores but a sink's record has: insert-header and insert-field
 * can use it.  -1 when the line has none.
 */
static int64_t line_offset(const char *line, size_t len)
{
	if (!memmem(line, len, "\"offset\"", 8))
		return -1;
	json_t *j = json_loadb(line, len, 0, NULL);
	json_t *o = json_object_get(j, "offset");
	int64_t off = json_is_integer(o) ? (int64_t)json_integer_value(o) : -1;
	json_decref(j);
	return off;
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

static int pipe_lines(struct pipe_run *p, FILE *in, FILE *out, struct err *e)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int rc = 0;
	while ((n = getline(&line, &cap, in)) >= 0) {
		p->lines++;
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			n--;
		if (n == 0)
			continue;
		struct err le;
		buf_reset(&p->out);
		if (pipe_line(p, line, (size_t)n, &le) < 0) {
			fprintf(stderr, "slog-connect: line %zu: %s\n", p->lines, le.msg);
			p->failed++;
			continue;
		}
		/* Each record as it comes, so that a pipe sees it at once. */
		if (p->out.len && (fwrite(p->out.data, 1, p->out.len, out) != p->out.len ||
				   fflush(out) != 0)) {
			rc = err_set(e, SLOG_EIO, "write to standard output: %s", strerror(errno));
			break;
		}
	}
	if (rc == 0 && ferror(in))
		rc = err_set(e, SLOG_EIO, "read from standard input: %s", strerror(errno));
	free(line);
	return rc;
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
