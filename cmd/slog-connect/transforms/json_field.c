/*
 * json_field.c: fields of JSON values by name or JSON pointer
 * (json_field.h).
 */
#include <stdlib.h>
#include <string.h>

#include "transforms/json_field.h"
#include "xalloc.h"

/* Decode one pointer step in place: ~1 is '/', ~0 is '~'. */
static int unescape(char *s, struct err *e)
{
	char *w = s;
	for (const char *r = s; *r; r++) {
		if (*r != '~') {
			*w++ = *r;
			continue;
		}
		if (r[1] != '0' && r[1] != '1')
			return err_set(e, SLOG_EINVALID_CONFIG, "'~' not followed by 0 or 1");
		*w++ = r[1] == '1' ? '/' : '~';
		r++;
	}
	*w = '\0';
	return 0;
}

int json_field_parse(struct json_field *f, const char *text, struct err *e)
{
	memset(f, 0, sizeof(*f));
	if (!*text)
		return err_set(e, SLOG_EINVALID_CONFIG, "an empty field");
	f->text = xstrdup(text);
	if (text[0] != '/') {
		f->seg = xcalloc(1, sizeof(char *));
		f->seg[f->n++] = xstrdup(text);
		return 0;
	}
	size_t cap = 0;
	for (const char *s = text + 1;;) {
		const char *slash = strchr(s, '/');
		size_t len = slash ? (size_t)(slash - s) : strlen(s);
		f->seg = xgrow(f->seg, &cap, f->n + 1, sizeof(char *));
		f->seg[f->n] = xstrndup(s, len);
		if (unescape(f->seg[f->n++], e) < 0)
			return SLOG_EINVALID_CONFIG; /* e says why */
		if (!slash)
			return 0;
		s = slash + 1;
	}
}

void json_field_free(struct json_field *f)
{
	for (size_t i = 0; i < f->n; i++)
		free(f->seg[i]);
	free(f->seg);
	free(f->text);
	memset(f, 0, sizeof(*f));
}

const char *json_field_name(const struct json_field *f)
{
	return f->seg[f->n - 1];
}

/* An array index: decimal digits, no leading zero; -1 otherwise. */
static long index_of(const char *s)
{
	if (!*s || (s[0] == '0' && s[1]) || strlen(s) > 9)
		return -1;
	for (const char *p = s; *p; p++)
		if (*p < '0' || *p > '9')
			return -1;
	return strtol(s, NULL, 10);
}

static json_t *step(json_t *v, const char *seg)
{
	if (json_is_object(v))
		return json_object_get(v, seg);
	if (json_is_array(v)) {
		long i = index_of(seg);
		return i < 0 ? NULL : json_array_get(v, (size_t)i);
	}
	return NULL;
}

/* The container holding f's last step, or NULL. */
static json_t *parent_of(json_t *doc, const struct json_field *f)
{
	json_t *v = doc;
	for (size_t i = 0; v && i + 1 < f->n; i++)
		v = step(v, f->seg[i]);
	return v;
}

json_t *json_field_get(json_t *doc, const struct json_field *f)
{
	json_t *p = parent_of(doc, f);
	return p ? step(p, json_field_name(f)) : NULL;
}

static int put(json_t *c, const char *seg, json_t *v, const struct json_field *f, struct err *e)
{
	if (json_is_object(c))
		return json_object_set_new(c, seg, v) == 0
			       ? 0
			       : err_set(e, SLOG_EINVALID_RECORD, "field %s: cannot set", f->text);
	if (json_is_array(c)) {
		long i = strcmp(seg, "-") == 0 ? (long)json_array_size(c) : index_of(seg);
		if (i >= 0 && (size_t)i == json_array_size(c) && json_array_append_new(c, v) == 0)
			return 0;
		if (i >= 0 && (size_t)i < json_array_size(c) && json_array_set_new(c, (size_t)i, v) == 0)
			return 0;
		json_decref(v);
		return err_set(e, SLOG_EINVALID_RECORD, "field %s: no index '%s' in an array of %zu",
			       f->text, seg, json_array_size(c));
	}
	json_decref(v);
	return err_set(e, SLOG_EINVALID_RECORD, "field %s: '%s' is in a %s, not an object",
		       f->text, seg, c ? "scalar" : "missing value");
}

int json_field_set(json_t *doc, const struct json_field *f, json_t *v, struct err *e)
{
	json_t *c = doc;
	for (size_t i = 0; i + 1 < f->n; i++) {
		json_t *next = step(c, f->seg[i]);
		if (!next && json_is_object(c)) {
			next = json_object();
			json_object_set_new(c, f->seg[i], next);
		}
		if (!next || !(json_is_object(next) || json_is_array(next))) {
			json_decref(v);
			return err_set(e, SLOG_EINVALID_RECORD, "field %s: '%s' is not an object",
				       f->text, f->seg[i]);
		}
		c = next;
	}
	return put(c, json_field_name(f), v, f, e);
}

int json_field_del(json_t *doc, const struct json_field *f)
{
	json_t *p = parent_of(doc, f);
	const char *seg = json_field_name(f);
	if (json_is_object(p))
		return json_object_del(p, seg) == 0;
	if (json_is_array(p)) {
		long i = index_of(seg);
		return i >= 0 && json_array_remove(p, (size_t)i) == 0;
	}
	return 0;
}
