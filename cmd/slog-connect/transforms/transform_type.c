/*
 * transform_type.c: what the chain gives every step (transform_type.h):
 * the parsed value of a JSON run, the record's topic, and the fields a
 * step's keys name.
 */
#include <string.h>

#include "transforms/json_compact.h"
#include "transforms/json_field.h"
#include "transforms/transform_type.h"
#include "utf8.h"
#include "xalloc.h"

int tjson_load(struct tjson *j, const struct crec *r, int key, int text_ok, struct err *e)
{
	if (j->doc)
		return 0;
	json_error_t je;
	const struct buf *b = key ? &r->key : &r->value;
	const char *p = buf_cstr(b);
	size_t n = b->len;
	j->dirty = 0;
	j->parses++;
	j->doc = json_loadb(p, n, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
	if (j->doc)
		return 0;
	if (text_ok && utf8_valid(p, n)) {
		j->doc = json_stringn(p, n);
		/* The bytes are not this JSON text: writing it back changes them. */
		j->dirty = 1;
		return 0;
	}
	return err_set(e, SLOG_EINVALID_RECORD, "%s is not JSON: %s at byte %d", key ? "key" : "value",
		       je.text, je.position);
}

void tjson_store(struct tjson *j, struct crec *r, int key)
{
	if (!j->doc || !j->dirty)
		return;
	struct buf *b = key ? &r->key : &r->value;
	buf_reset(b);
	*(key ? &r->null_key : &r->null_value) = 0;
	json_compact_bytes(b, j->doc);
	j->dirty = 0;
}

void tjson_drop(struct tjson *j)
{
	json_decref(j->doc);
	j->doc = NULL;
	j->dirty = 0;
}

const char *tstep_topic(const struct tstep *s, const struct crec *r)
{
	return r->topic.len ? buf_cstr(&r->topic) : s->env->topic;
}

const char *tstep_part(const struct tstep *s)
{
	return s->on_key ? "key" : "value";
}

int tstep_not_object(const struct tstep *s, const json_t *doc, struct err *e)
{
	static const char *const names[] = { "an object", "an array", "a string", "an integer",
					     "a number", "true", "false", "null" };
	return err_set(e, SLOG_EINVALID_RECORD, "%s is %s, not a JSON object", tstep_part(s),
		       names[json_typeof(doc)]);
}

int tstep_fields(const struct tstep *s, const char *key, struct json_field **fields, size_t *n,
		 struct err *e)
{
	char **list;
	int rc = tconf_list(&s->conf, key, &list, n, e);
	if (rc < 0)
		return rc;
	*fields = xcalloc(*n ? *n : 1, sizeof(**fields));
	for (size_t i = 0; i < *n && rc == 0; i++) {
		struct err fe;
		if (json_field_parse(&(*fields)[i], list[i], &fe) < 0)
			rc = tconf_error(&s->conf, key, e, "'%s': %s", list[i], fe.msg);
	}
	tconf_list_free(list);
	if (rc < 0) {
		tstep_fields_free(*fields, *n);
		*fields = NULL;
	}
	return rc;
}

void tstep_fields_free(struct json_field *fields, size_t n)
{
	for (size_t i = 0; fields && i < n; i++)
		json_field_free(&fields[i]);
	free(fields);
}
