/*
 * ndjson.c: read and write records as JSON lines.  See ndjson.h.
 *
 * Writing is hand-rolled (no JSON tree per record): this is the hot path
 * of `slog-consume -J` and of NDJSON fetches.  Reading uses jansson,
 * which is strict about the JSON grammar; the field rules are ours.
 */
#include "ndjson.h"

#include <jansson.h>
#include <string.h>

#include "base64.h"
#include "utf8.h"
#include "xalloc.h"

void json_write_string(struct buf *out, const void *p, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const uint8_t *s = p;
	size_t run = 0;

	buf_addc(out, '"');
	for (size_t i = 0; i < n; i++) {
		uint8_t c = s[i];
		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		/* Flush the plain run before this byte, then escape it. */
		buf_add(out, s + run, i - run);
		run = i + 1;
		switch (c) {
		case '"': buf_add(out, "\\\"", 2); break;
		case '\\': buf_add(out, "\\\\", 2); break;
		case '\n': buf_add(out, "\\n", 2); break;
		case '\r': buf_add(out, "\\r", 2); break;
		case '\t': buf_add(out, "\\t", 2); break;
		case '\b': buf_add(out, "\\b", 2); break;
		case '\f': buf_add(out, "\\f", 2); break;
		default: {
			char u[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };
			buf_add(out, u, 6);
		}
		}
	}
	buf_add(out, s + run, n - run);
	buf_addc(out, '"');
}

/* sep"name":"text", sep"name_b64":"...", or sep"name":null */
static void write_bytes_field(struct buf *out, const char *sep, const char *name,
			      const uint8_t *p, int32_t len)
{
	if (len < 0) {
		buf_addf(out, "%s\"%s\":null", sep, name);
	} else if (utf8_valid(p, (size_t)len)) {
		buf_addf(out, "%s\"%s\":", sep, name);
		json_write_string(out, p, (size_t)len);
	} else {
		buf_addf(out, "%s\"%s_b64\":\"", sep, name);
		base64_encode(out, p, (size_t)len);
		buf_addc(out, '"');
	}
}

/* ,"name":n, or null for -1: the partition, offset and time of a record
 * not yet placed or stamped (slog-connect's records on their way to a
 * transform's coprocess), which reading back takes as "none".  Any other
 * value is written as it is, so that it reads back the same. */
static void write_place(struct buf *out, const char *name, long long n)
{
	if (n == -1)
		buf_addf(out, ",\"%s\":null", name);
	else
		buf_addf(out, ",\"%s\":%lld", name, n);
}

/* {"topic":…,"partition":…,"offset":…,"timestamp":…,"key":… with no closing brace. */
static void write_head(struct buf *out, const char *topic, int32_t partition, const struct record *r)
{
	buf_adds(out, "{\"topic\":");
	json_write_string(out, topic, strlen(topic));
	write_place(out, "partition", partition);
	write_place(out, "offset", (long long)r->offset);
	write_place(out, "timestamp", (long long)r->timestamp);
	write_bytes_field(out, ",", "key", r->key, r->key_len);
}

void ndjson_write_head(struct buf *out, const char *topic, int32_t partition, const struct record *r)
{
	write_head(out, topic, partition, r);
	buf_adds(out, "}\n");
}

void ndjson_write(struct buf *out, const char *topic, int32_t partition, const struct record *r)
{
	struct header_iter it;
	struct record_header h;
	const char *sep = "";

	write_head(out, topic, partition, r);
	write_bytes_field(out, ",", "value", r->value, r->value_len);
	buf_adds(out, ",\"headers\":[");
	record_headers_begin(r, &it);
	while (record_headers_next(&it, &h)) {
		buf_adds(out, sep);
		sep = ",";
		write_bytes_field(out, "{", "key", h.key, h.key_len);
		write_bytes_field(out, ",", "value", h.value, h.value_len);
		buf_addc(out, '}');
	}
	buf_adds(out, "]}\n");
}

void ndjson_record_init(struct ndjson_record *nr)
{
	memset(nr, 0, sizeof(*nr));
	nr->partition = -1;
}

void ndjson_record_free(struct ndjson_record *nr)
{
	buf_free(&nr->bytes);
	buf_free(&nr->topic_buf);
	free(nr->hdrs);
	memset(nr, 0, sizeof(*nr));
}

/*
 * Byte fields are decoded into nr->bytes, which may move as it grows, so
 * they are first recorded as offsets into it and turned into pointers
 * once every field is in.  A length of -1 is null.
 */
struct span {
	size_t off;
	int32_t len;
};

static int field_err(struct err *e, const char *field, const char *what)
{
	return err_set(e, SLOG_EINVALID_RECORD, "field \"%s\": %s", field, what);
}

/* A string (text), null, or absent for name; name_b64 for base64. */
static int take_bytes(struct ndjson_record *nr, json_t *obj, const char *name, struct span *sp,
		      int allow_null, struct err *e)
{
	char b64name[32];
	json_t *v = json_object_get(obj, name), *b;

	snprintf(b64name, sizeof(b64name), "%s_b64", name);
	b = json_object_get(obj, b64name);
	sp->off = nr->bytes.len;
	sp->len = -1;
	if (v && b)
		return err_set(e, SLOG_EINVALID_RECORD, "fields \"%s\" and \"%s\" both given", name,
			       b64name);
	if (b) {
		if (!json_is_string(b))
			return field_err(e, b64name, "must be a base64 string");
		if (base64_decode(&nr->bytes, json_string_value(b), json_string_length(b)))
			return field_err(e, b64name, "is not valid base64");
	} else if (v && json_is_string(v)) {
		buf_add(&nr->bytes, json_string_value(v), json_string_length(v));
	} else if (v && !json_is_null(v)) {
		return field_err(e, name, "must be a string or null");
	} else if (!allow_null) {
		return field_err(e, name, "is required");
	} else {
		return 0;
	}
	if (nr->bytes.len - sp->off > INT32_MAX)
		return field_err(e, name, "is too long");
	sp->len = (int32_t)(nr->bytes.len - sp->off);
	return 0;
}

static const uint8_t *span_ptr(const struct ndjson_record *nr, const struct span *sp)
{
	return sp->len < 0 ? NULL : (const uint8_t *)nr->bytes.data + sp->off;
}

static int check_fields(json_t *obj, const char *const *known, const char *where, struct err *e)
{
	const char *k;
	json_t *v;

	json_object_foreach(obj, k, v) {
		int ok = 0;
		for (const char *const *p = known; *p && !ok; p++)
			ok = strcmp(k, *p) == 0;
		if (!ok)
			return err_set(e, SLOG_EINVALID_RECORD, "unknown field \"%s\"%s", k, where);
	}
	return 0;
}

static int parse_headers(struct ndjson_record *nr, json_t *h, struct span *spans, size_t *n,
			 struct err *e)
{
	static const char *const known[] = { "key", "key_b64", "value", "value_b64", NULL };
	size_t count = json_is_array(h) ? json_array_size(h) : json_object_size(h);
	size_t i = 0;
	int rc;

	(void)spans;
	nr->hdrs = xgrow(nr->hdrs, &nr->hdrs_cap, count + 1, sizeof(*nr->hdrs));
	*n = 0;
	if (json_is_object(h)) {
		const char *name;
		json_t *v;
		json_object_foreach(h, name, v) {
			struct span ks = { nr->bytes.len, (int32_t)strlen(name) }, vs;
			buf_adds(&nr->bytes, name);
			vs.off = nr->bytes.len;
			vs.len = -1;
			if (json_is_string(v)) {
				buf_add(&nr->bytes, json_string_value(v), json_string_length(v));
				vs.len = (int32_t)json_string_length(v);
			} else if (!json_is_null(v)) {
				return field_err(e, "headers", "values must be strings or null");
			}
			spans[2 * i] = ks;
			spans[2 * i + 1] = vs;
			i++;
		}
	} else {
		for (; i < count; i++) {
			json_t *o = json_array_get(h, i);
			if (!json_is_object(o))
				return field_err(e, "headers", "must be a list of {\"key\",\"value\"} objects");
			rc = check_fields(o, known, " in a header", e);
			if (!rc)
				rc = take_bytes(nr, o, "key", &spans[2 * i], 0, e);
			if (!rc)
				rc = take_bytes(nr, o, "value", &spans[2 * i + 1], 1, e);
			if (rc)
				return err_wrap(e, "header %zu", i);
		}
	}
	*n = i;
	return 0;
}

/* The fields that say where and when: topic, partition, timestamp, offset. */
static int parse_place(struct ndjson_record *nr, json_t *root, struct err *e)
{
	json_t *v;

	if ((v = json_object_get(root, "topic"))) {
		if (!json_is_string(v) || json_string_length(v) == 0)
			return field_err(e, "topic", "must be a non-empty string");
		/* The name is used as a C string: "a\u0000b" would write to "a". */
		if (memchr(json_string_value(v), '\0', json_string_length(v)))
			return field_err(e, "topic", "must not contain a NUL character");
		buf_reset(&nr->topic_buf);
		buf_add(&nr->topic_buf, json_string_value(v), json_string_length(v));
		nr->topic = nr->topic_buf.data;
	}
	if ((v = json_object_get(root, "partition")) && !json_is_null(v)) {
		if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > INT32_MAX)
			return field_err(e, "partition", "must be a partition number");
		nr->partition = (int32_t)json_integer_value(v);
	}
	if ((v = json_object_get(root, "timestamp")) && !json_is_null(v)) {
		if (!json_is_integer(v))
			return field_err(e, "timestamp", "must be milliseconds since the epoch");
		nr->rec.timestamp = json_integer_value(v);
		nr->has_timestamp = 1;
	}
	if ((v = json_object_get(root, "offset")) && !json_is_null(v) && !json_is_integer(v))
		return field_err(e, "offset", "must be an integer");
	return 0;
}

int ndjson_parse(struct ndjson_record *nr, const char *line, size_t len, struct err *e)
{
	static const char *const known[] = { "topic", "partition", "offset", "timestamp", "key",
					     "key_b64", "value", "value_b64", "headers", NULL };
	struct span key, value, *hspans = NULL;
	size_t nh = 0;
	json_error_t je;
	json_t *root, *v;
	int rc;

	buf_reset(&nr->bytes);
	nr->topic = NULL;
	nr->partition = -1;
	nr->has_timestamp = 0;
	memset(&nr->rec, 0, sizeof(nr->rec));
	root = json_loadb(line, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &je);
	if (!root)
		return err_set(e, SLOG_EINVALID_RECORD, "not JSON: %s (column %d)", je.text, je.column);
	if (!json_is_object(root)) {
		rc = err_set(e, SLOG_EINVALID_RECORD, "a record must be a JSON object");
		goto out;
	}
	rc = check_fields(root, known, "", e);
	if (rc)
		goto out;
	rc = parse_place(nr, root, e);
	if (rc)
		goto out;
	rc = take_bytes(nr, root, "key", &key, 1, e);
	if (!rc)
		rc = take_bytes(nr, root, "value", &value, 1, e);
	if (rc)
		goto out;
	if ((v = json_object_get(root, "headers")) && !json_is_null(v)) {
		size_t count;
		if (!json_is_array(v) && !json_is_object(v)) {
			rc = field_err(e, "headers", "must be a list or an object");
			goto out;
		}
		count = json_is_array(v) ? json_array_size(v) : json_object_size(v);
		hspans = xcalloc(2 * count + 2, sizeof(*hspans));
		rc = parse_headers(nr, v, hspans, &nh, e);
		if (rc)
			goto out;
	}
	/* Every byte is in: turn offsets into pointers. */
	nr->rec.key = span_ptr(nr, &key);
	nr->rec.key_len = key.len;
	nr->rec.value = span_ptr(nr, &value);
	nr->rec.value_len = value.len;
	for (size_t i = 0; i < nh; i++) {
		nr->hdrs[i].key = span_ptr(nr, &hspans[2 * i]);
		nr->hdrs[i].key_len = hspans[2 * i].len;
		nr->hdrs[i].value = span_ptr(nr, &hspans[2 * i + 1]);
		nr->hdrs[i].value_len = hspans[2 * i + 1].len;
	}
	nr->rec.header_count = (uint32_t)nh;
	nr->rec.headers = nh ? nr->hdrs : NULL;
out:
	free(hspans);
	json_decref(root);
	return rc;
}
