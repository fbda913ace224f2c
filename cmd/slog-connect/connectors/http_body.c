/*
 * http_body.c: cutting an http-source body into records (http_body.h).
 *
 * Records are built into a scratch list and kept only when the whole
 * body parsed, so that a request is all or nothing: a client told 400
 * knows none of its records went anywhere.  Values are kept as the
 * client wrote them where the format has them as text (record, ndjson);
 * a json-array element has no text of its own, so it is written compact.
 */
#include "connectors/http_body.h"

#include <stdlib.h>
#include <string.h>

#include "transforms/json_field.h"
#include "xalloc.h"

int http_body_format_parse(const char *name)
{
	if (strcmp(name, "record") == 0)
		return HTTP_BODY_RECORD;
	if (strcmp(name, "ndjson") == 0)
		return HTTP_BODY_NDJSON;
	if (strcmp(name, "json-array") == 0)
		return HTTP_BODY_JSON_ARRAY;
	return -1;
}

static struct crec *next_rec(struct http_body *b)
{
	if (b->n == b->cap) {
		b->cap = b->cap ? b->cap * 2 : 16;
		b->recs = xrealloc(b->recs, b->cap * sizeof(*b->recs));
	}
	crec_init(&b->recs[b->n]);
	return &b->recs[b->n++];
}

/* The key of a value (parsed as v, or parsed here when v is NULL). */
static int set_key(struct crec *r, json_t *v, const struct json_field *pointer, struct err *e)
{
	json_t *own = NULL, *k;

	if (!v) {
		json_error_t je;
		own = v = json_loadb(r->value.data ? r->value.data : "", r->value.len, 0, &je);
		if (!v)
			return err_set(e, SLOG_EINVALID_RECORD, "key.pointer is set but the value is "
				       "not JSON: %s", je.text);
	}
	k = json_field_get(v, pointer);
	if (!k || json_is_null(k)) {
		crec_set_key(r, NULL, -1);
	} else if (json_is_string(k)) {
		crec_set_key(r, json_string_value(k), (int32_t)json_string_length(k));
	} else {
		char *s = json_dumps(k, JSON_COMPACT | JSON_ENCODE_ANY);
		crec_set_key(r, s, (int32_t)strlen(s));
		free(s);
	}
	json_decref(own);
	return 0;
}

static int cut_lines(struct http_body *b, const char *body, size_t len, const char *topic,
		     const struct json_field *pointer, struct err *e)
{
	size_t line = 0;

	for (size_t at = 0; at < len;) {
		const char *p = body + at, *nl = memchr(p, '\n', len - at);
		size_t n = nl ? (size_t)(nl - p) : len - at;
		json_error_t je;
		json_t *v;

		at += n + (nl != NULL);
		line++;
		if (n && p[n - 1] == '\r')
			n--;
		if (n == 0 || strspn(p, " \t") >= n)
			continue;
		v = json_loadb(p, n, 0, &je);
		if (!v)
			return err_set(e, SLOG_EINVALID_RECORD, "line %zu is not JSON: %s", line, je.text);
		struct crec *r = next_rec(b);
		crec_set_topic(r, topic);
		crec_set_value(r, p, (int32_t)n);
		int rc = pointer ? set_key(r, v, pointer, e) : 0;
		json_decref(v);
		if (rc)
			return rc;
	}
	return 0;
}

static int cut_array(struct http_body *b, const char *body, size_t len, const char *topic,
		     const struct json_field *pointer, struct err *e)
{
	json_error_t je;
	json_t *a = json_loadb(body, len, 0, &je), *v;
	size_t i;
	int rc = 0;

	if (!json_is_array(a)) {
		json_decref(a);
		return err_set(e, SLOG_EINVALID_RECORD, "the body is not a JSON array%s%s",
			       a ? "" : ": ", a ? "" : je.text);
	}
	json_array_foreach(a, i, v) {
		char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
		struct crec *r = next_rec(b);
		crec_set_topic(r, topic);
		crec_set_value(r, s, (int32_t)strlen(s));
		free(s);
		if (pointer && (rc = set_key(r, v, pointer, e)) != 0)
			break;
	}
	json_decref(a);
	return rc;
}

int http_body_cut(struct http_body *b, enum http_body_format fmt, const char *body, size_t len,
		  const char *topic, const char *key_pointer, struct err *e)
{
	size_t first = b->n;
	struct json_field field, *ptr = NULL;
	int rc = 0;

	if (key_pointer && *key_pointer) {
		if (json_field_parse(&field, key_pointer, e))
			return err_set(e, SLOG_EINVALID_CONFIG, "key.pointer '%s': %s", key_pointer,
				       e->msg);
		ptr = &field;
	}
	if (!body)
		body = "";
	if (fmt == HTTP_BODY_NDJSON) {
		rc = cut_lines(b, body, len, topic, ptr, e);
	} else if (fmt == HTTP_BODY_JSON_ARRAY) {
		rc = cut_array(b, body, len, topic, ptr, e);
	} else {
		struct crec *r = next_rec(b);
		crec_set_topic(r, topic);
		crec_set_value(r, body, (int32_t)len);
		if (ptr)
			rc = set_key(r, NULL, ptr, e);
	}
	for (size_t i = first; i < b->n; i++) {
		if (rc)
			crec_free(&b->recs[i]);
		else
			b->bytes += b->recs[i].key.len + b->recs[i].value.len;
	}
	if (rc)
		b->n = first;
	if (ptr)
		json_field_free(ptr);
	return rc;
}

void http_body_free(struct http_body *b)
{
	for (size_t i = 0; i < b->n; i++)
		crec_free(&b->recs[i]);
	free(b->recs);
	memset(b, 0, sizeof(*b));
}
