/*
 * offsets_file.c: reading the "topic,partition,offset" file of
 * reset-offsets --from-file.  Everything in it is checked here, before
 * any request, so that a typo is a usage error and not half a reset.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "offsets_file.h"
#include "topic_name.h"
#include "units.h"
#include "xalloc.h"

/* One line, without its newline, into *o (topic borrowed from line). */
static int parse_line(char *line, const char *path, size_t no, struct file_offset *o,
		      struct err *e)
{
	char *c1 = strchr(line, ','), *c2 = c1 ? strchr(c1 + 1, ',') : NULL;
	int64_t p, off;
	struct err why;

	if (!c2 || strchr(c2 + 1, ','))
		return err_set(e, SLOG_EINVALID_REQUEST, "%s:%zu: a line is topic,partition,offset",
			       path, no);
	*c1 = *c2 = '\0';
	if (topic_name_check(line, &why))
		return err_set(e, SLOG_EINVALID_REQUEST, "%s:%zu: '%s': %s", path, no, line, why.msg);
	if (units_parse_int(c1 + 1, 0, INT32_MAX, &p, NULL))
		return err_set(e, SLOG_EINVALID_REQUEST, "%s:%zu: '%s' is not a partition number",
			       path, no, c1 + 1);
	if (units_parse_int(c2 + 1, 0, INT64_MAX, &off, NULL))
		return err_set(e, SLOG_EINVALID_REQUEST, "%s:%zu: '%s' is not an offset", path, no,
			       c2 + 1);
	o->topic = line;
	o->partition = (int32_t)p;
	o->offset = off;
	return 0;
}

/* The line is kept: not blank, not a comment, not the header. */
static int is_data(const char *line)
{
	return line[0] != '\0' && line[0] != '#' && strcmp(line, "topic,partition,offset") != 0;
}

static int read_lines(FILE *f, const char *path, struct file_offset **out, size_t *n,
		      struct err *e)
{
	char *line = NULL;
	size_t size = 0, cap = 0, no = 0;
	ssize_t len;
	int rc = 0;

	while (!rc && (len = getline(&line, &size, f)) >= 0) {
		struct file_offset o;
		no++;
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		if (!is_data(line))
			continue;
		rc = parse_line(line, path, no, &o, e);
		for (size_t i = 0; !rc && i < *n; i++)
			if ((*out)[i].partition == o.partition && strcmp((*out)[i].topic, o.topic) == 0)
				rc = err_set(e, SLOG_EINVALID_REQUEST, "%s:%zu: %s-%d is named twice",
					     path, no, o.topic, o.partition);
		if (rc)
			break;
		*out = xgrow(*out, &cap, *n + 1, sizeof(**out));
		o.topic = xstrdup(o.topic);
		(*out)[(*n)++] = o;
	}
	free(line);
	if (!rc && ferror(f))
		rc = err_set(e, SLOG_EIO, "cannot read '%s': %s", path, strerror(errno));
	if (!rc && *n == 0)
		rc = err_set(e, SLOG_EINVALID_REQUEST, "%s: no topic,partition,offset line", path);
	return rc;
}

int offsets_file_read(const char *path, struct file_offset **out, size_t *n, struct err *e)
{
	int is_stdin = strcmp(path, "-") == 0;
	FILE *f = is_stdin ? stdin : fopen(path, "r");
	int rc;

	*out = NULL;
	*n = 0;
	if (!f)
		return err_set(e, SLOG_EIO, "cannot open '%s': %s", path, strerror(errno));
	rc = read_lines(f, is_stdin ? "stdin" : path, out, n, e);
	if (!is_stdin)
		fclose(f);
	if (rc) {
		offsets_file_free(*out, *n);
		*out = NULL;
		*n = 0;
	}
	return rc;
}

void offsets_file_free(struct file_offset *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i].topic);
	free(v);
}
