/*
 * checkpoint.c: read and write checkpoint files.  See checkpoint.h.
 */
#include "storage/checkpoint.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "storage/fileio.h"
#include "units.h"
#include "xalloc.h"

#define CHECKPOINT_MAX_BYTES (64u << 20)

/* Take the next space- or newline-ended token from *p. */
static char *token(char **p)
{
	char *s = *p, *t;

	while (*s == ' ')
		s++;
	t = s;
	while (*s && *s != ' ' && *s != '\n')
		s++;
	if (*s == ' ')
		*s++ = '\0';
	*p = s;
	return t;
}

static char *next_line(char **p)
{
	char *s = *p, *nl;

	if (!*s)
		return NULL;
	nl = strchr(s, '\n');
	if (nl) {
		*nl = '\0';
		*p = nl + 1;
	} else {
		*p = s + strlen(s);
	}
	return s;
}

static int parse_entry(char *line, int with_name, struct checkpoint_entry *ce, struct err *e)
{
	char *p = line, *a, *b;
	const char *name = "";

	if (with_name)
		name = token(&p);
	a = token(&p);
	b = token(&p);
	if (*p || !*a || !*b || strlen(name) >= sizeof(ce->name) || (with_name && !*name))
		return -1;
	snprintf(ce->name, sizeof(ce->name), "%s", name);
	if (units_parse_int(a, INT64_MIN, INT64_MAX, &ce->a, e) ||
	    units_parse_int(b, INT64_MIN, INT64_MAX, &ce->b, e))
		return -1;
	return 0;
}

int checkpoint_read(const char *path, int with_name, struct checkpoint_entry **entries,
		    size_t *n, struct err *e)
{
	struct buf data = BUF_INIT;
	char *p, *line;
	int64_t version, count;
	size_t cap = 0;
	int rc;

	*entries = NULL;
	*n = 0;
	if (access(path, F_OK) != 0 && errno == ENOENT)
		return 0;
	rc = fio_read_file(path, CHECKPOINT_MAX_BYTES, &data, e);
	if (rc)
		goto out;
	p = data.data ? data.data : (char *)"";
	line = next_line(&p);
	if (!line || units_parse_int(line, 0, 0, &version, NULL)) {
		rc = err_set(e, SLOG_EIO, "%s:1: unknown checkpoint version", path);
		goto out;
	}
	line = next_line(&p);
	if (!line || units_parse_int(line, 0, 10000000, &count, NULL)) {
		rc = err_set(e, SLOG_EIO, "%s:2: bad entry count", path);
		goto out;
	}
	/*
	 * The count is a claim the lines must back: the array grows with the
	 * lines actually read, so a file that says 10,000,000 and holds two
	 * costs two entries, not 2.7 GB, before it is refused.
	 */
	for (int64_t i = 0; i < count; i++) {
		line = next_line(&p);
		*entries = xgrow(*entries, &cap, (size_t)i + 1, sizeof(**entries));
		if (!line || parse_entry(line, with_name, &(*entries)[i], NULL)) {
			rc = err_set(e, SLOG_EIO, "%s:%lld: bad entry", path, (long long)i + 3);
			goto out;
		}
	}
	*n = (size_t)count;
out:
	if (rc) {
		free(*entries);
		*entries = NULL;
		*n = 0;
	}
	buf_free(&data);
	return rc;
}

int checkpoint_write(const char *path, int with_name, const struct checkpoint_entry *entries,
		     size_t n, struct err *e)
{
	struct buf out = BUF_INIT;
	int rc;

	buf_addf(&out, "0\n%zu\n", n);
	for (size_t i = 0; i < n; i++) {
		if (with_name)
			buf_addf(&out, "%s ", entries[i].name);
		buf_addf(&out, "%lld %lld\n", (long long)entries[i].a, (long long)entries[i].b);
	}
	rc = fio_write_atomic(path, out.data, out.len, e);
	buf_free(&out);
	return rc;
}
