/*
 * conf_reader.c: connector files read into key, value and place.
 *
 * Values are resolved as they are read, so that every later message
 * (an unknown key, a bad number) shows the file's place, and `check`
 * prints what the connector will really use.  A reference that cannot
 * be resolved is an error, never an empty string: a missing secret must
 * not become a blank password.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "conf.h"
#include "runtime/conf_reader.h"
#include "xalloc.h"

/* A secret file is small; a larger one is a mistake (a log, a binary). */
#define FILE_REF_MAX (64 * 1024)

void conf_entries_add(struct conf_entries *es, const char *key, const char *value,
		      const char *origin)
{
	struct conf_entry *en;

	es->v = xgrow(es->v, &es->cap, es->n + 1, sizeof(*es->v));
	en = &es->v[es->n++];
	en->key = xstrdup(key);
	en->value = xstrdup(value);
	en->origin = xstrdup(origin);
}

const struct conf_entry *conf_entries_last(const struct conf_entries *es, const char *key)
{
	for (size_t i = es->n; i > 0; i--)
		if (strcmp(es->v[i - 1].key, key) == 0)
			return &es->v[i - 1];
	return NULL;
}

void conf_entries_free(struct conf_entries *es)
{
	for (size_t i = 0; i < es->n; i++) {
		free(es->v[i].key);
		free(es->v[i].value);
		free(es->v[i].origin);
	}
	free(es->v);
	memset(es, 0, sizeof(*es));
}

/* ${file:PATH}: its bytes, one trailing newline dropped. */
static int read_file_ref(const char *path, struct buf *out, struct err *e)
{
	FILE *f = fopen(path, "r");
	char chunk[4096];
	size_t n, total = 0, start = out->len;

	if (!f)
		return err_set(e, SLOG_EINVALID_CONFIG, "${file:%s}: %s", path, strerror(errno));
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		total += n;
		if (total > FILE_REF_MAX) {
			fclose(f);
			return err_set(e, SLOG_EINVALID_CONFIG, "${file:%s}: larger than %d bytes",
				       path, FILE_REF_MAX);
		}
		buf_add(out, chunk, n);
	}
	fclose(f);
	if (out->len > start && out->data[out->len - 1] == '\n')
		buf_setlen(out, out->len - 1);
	if (out->len > start && out->data[out->len - 1] == '\r')
		buf_setlen(out, out->len - 1);
	return 0;
}

static int is_router_placeholder(const char *name)
{
	return strcmp(name, "topic") == 0 || strcmp(name, "timestamp") == 0;
}

/* One reference, the text between ${ and }. */
static int expand_ref(const char *ref, struct buf *out, struct err *e)
{
	const char *dflt = strstr(ref, ":-"), *v;
	char name[256];
	size_t n = dflt ? (size_t)(dflt - ref) : strlen(ref);

	if (strncmp(ref, "file:", 5) == 0)
		return read_file_ref(ref + 5, out, e);
	if (n == 0 || n >= sizeof(name))
		return err_set(e, SLOG_EINVALID_CONFIG, "'${%s}' names no variable", ref);
	memcpy(name, ref, n);
	name[n] = '\0';
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)name[i]) && name[i] != '_')
			return err_set(e, SLOG_EINVALID_CONFIG,
				       "'${%s}' is not ${NAME}, ${NAME:-default} or ${file:PATH}", ref);
	v = getenv(name);
	if (dflt && (!v || !*v))
		v = dflt + 2;
	if (!v && is_router_placeholder(name)) {
		/* Kafka's TimestampRouter writes topic.format = ${topic}-${timestamp}:
		 * those two stay for the transform, so Connect's configs run as
		 * they are. */
		buf_addf(out, "${%s}", name);
		return 0;
	}
	if (!v)
		return err_set(e, SLOG_EINVALID_CONFIG,
			       "${%s}: the environment variable %s is not set", name, name);
	buf_adds(out, v);
	return 0;
}

int conf_expand(const char *value, char **out, struct err *e)
{
	struct buf b = { 0 };
	const char *p = value;

	buf_adds(&b, "");
	while (*p) {
		const char *close;
		char *ref;
		int rc;

		if (p[0] == '$' && p[1] == '$' && p[2] == '{') {
			buf_adds(&b, "${");
			p += 3;
			continue;
		}
		if (p[0] != '$' || p[1] != '{') {
			buf_addc(&b, *p++);
			continue;
		}
		close = strchr(p + 2, '}');
		if (!close) {
			buf_free(&b);
			return err_set(e, SLOG_EINVALID_CONFIG, "'%s': '${' without '}'", p);
		}
		ref = xstrndup(p + 2, (size_t)(close - p - 2));
		rc = expand_ref(ref, &b, e);
		free(ref);
		if (rc) {
			buf_free(&b);
			return rc;
		}
		p = close + 1;
	}
	*out = buf_detach(&b, NULL);
	return 0;
}

/* "[prefix]": 1 with the new prefix set (empty for "[]"), 0 if not a section. */
static int section_line(char *line, char *prefix, size_t size)
{
	char *s = line, *end;

	while (isspace((unsigned char)*s))
		s++;
	if (*s != '[')
		return 0;
	end = strchr(s, ']');
	if (!end)
		return 0;
	for (char *q = end + 1; *q; q++)
		if (!isspace((unsigned char)*q))
			return *q == '#' ? 1 : 0;
	*end = '\0';
	snprintf(prefix, size, "%s", s + 1);
	return 1;
}

static int read_line(char *line, const char *where, char *prefix, size_t psize,
		     struct conf_entries *out, struct err *e)
{
	char *key, *value, *resolved, full[512];
	int rc;

	if (section_line(line, prefix, psize))
		return 0;
	rc = conf_split_line(line, &key, &value);
	if (rc > 0)
		return 0;
	if (rc)
		return err_set(e, SLOG_EINVALID_CONFIG, "%s: expected 'key = value' or '[section]'",
			       where);
	if (prefix[0])
		snprintf(full, sizeof(full), "%s.%s", prefix, key);
	else
		snprintf(full, sizeof(full), "%s", key);
	if (conf_expand(value, &resolved, e))
		return err_wrap(e, "%s: %s", where, full);
	conf_entries_add(out, full, resolved, where);
	free(resolved);
	return 0;
}

int conf_read(const char *path, FILE *f, struct conf_entries *out, struct err *e)
{
	char *line = NULL, where[4200], prefix[256] = "";
	size_t cap = 0;
	int lineno = 0, rc = 0, own = f == NULL;

	if (own && !(f = fopen(path, "r")))
		return err_set(e, SLOG_EINVALID_CONFIG, "cannot open '%s': %s", path,
			       strerror(errno));
	while (getline(&line, &cap, f) >= 0) {
		snprintf(where, sizeof(where), "%s:%d", path, ++lineno);
		rc = read_line(line, where, prefix, sizeof(prefix), out, e);
		if (rc)
			break;
	}
	if (!rc && ferror(f))
		rc = err_set(e, SLOG_EIO, "cannot read '%s': %s", path, strerror(errno));
	free(line);
	if (own)
		fclose(f);
	return rc;
}
