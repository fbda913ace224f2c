/*
 * sink_path.c: file.path templates (sink_path.h).
 *
 * Two passes: ours first (%t %p %i, with %% kept for strftime), then
 * strftime over the result.  A topic name cannot hold a '%' (topic names
 * are [A-Za-z0-9._-]), but it is escaped anyway so that no byte of a
 * record's routing can ever become a strftime token.
 */
#include <limits.h>
#include <string.h>
#include <time.h>

#include "connectors/sink_path.h"

/* Append s with each '%' doubled, so that strftime prints it as it is. */
static void add_literal(struct buf *b, const char *s)
{
	for (; *s; s++) {
		if (*s == '%')
			buf_addc(b, '%');
		buf_addc(b, *s);
	}
}

/* First pass: the template with our tokens replaced; 1 when it had %i. */
static int expand_ours(const char *tmpl, const char *topic, int32_t partition, int idx,
		       struct buf *b)
{
	int has_idx = 0;

	for (const char *p = tmpl; *p; p++) {
		if (*p != '%' || !p[1]) {
			buf_addc(b, *p);
			continue;
		}
		p++;
		if (*p == 't') {
			add_literal(b, topic);
		} else if (*p == 'p') {
			buf_addf(b, "%d", (int)partition);
		} else if (*p == 'i') {
			buf_addf(b, "%d", idx);
			has_idx = 1;
		} else {
			buf_addc(b, '%');
			buf_addc(b, *p);
		}
	}
	return has_idx;
}

int sink_path_check(const char *tmpl, struct err *e)
{
	struct buf out = BUF_INIT;
	int rc;

	if (!*tmpl)
		return err_set(e, SLOG_EINVALID_CONFIG, "empty file path");
	if (tmpl[strlen(tmpl) - 1] == '/')
		return err_set(e, SLOG_EINVALID_CONFIG, "file path '%s' names a directory", tmpl);
	rc = sink_path_expand(tmpl, "topic", 0, 0, 0, &out, e);
	buf_free(&out);
	return rc;
}

int sink_path_expand(const char *tmpl, const char *topic, int32_t partition, int idx,
		     int64_t wall_ms, struct buf *out, struct err *e)
{
	struct buf pass = BUF_INIT;
	time_t secs = (time_t)(wall_ms / 1000);
	struct tm tm;
	size_t n = 0;

	int has_idx = expand_ours(tmpl, topic, partition, idx, &pass);
	localtime_r(&secs, &tm);
	buf_reset(out);
	/* strftime says 0 both for "no room" and for an empty result: grow
	 * until a path's maximum, then call it empty. */
	for (size_t room = pass.len + 64; room <= PATH_MAX && n == 0; room *= 2) {
		buf_grow(out, room);
		/* The user's strftime template is the feature; strftime never
		 * writes past room. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
		n = strftime(out->data, room, buf_cstr(&pass), &tm);
#pragma GCC diagnostic pop
	}
	buf_free(&pass);
	if (n == 0)
		return err_set(e, SLOG_EINVALID_CONFIG, "file path '%s' expands to nothing or too long",
			       tmpl);
	buf_setlen(out, n);
	if (!has_idx && idx > 0)
		buf_addf(out, ".%d", idx);
	return 0;
}

int sink_path_has_time(const char *tmpl)
{
	for (const char *p = tmpl; *p; p++) {
		if (*p != '%' || !p[1])
			continue;
		p++;
		if (!strchr("tpi%", *p))
			return 1;
	}
	return 0;
}
