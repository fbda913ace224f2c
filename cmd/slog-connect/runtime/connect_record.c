/*
 * connect_record.c: the owned, mutable record of slog-connect
 * (connect_record.h).
 *
 * Header slots past nheaders keep their buffers, so a record that
 * gains and loses headers record after record stops allocating once
 * its buffers have grown to the largest seen.
 */
#include <string.h>

#include "ndjson.h"
#include "runtime/connect_record.h"
#include "xalloc.h"

void crec_init(struct crec *r)
{
	memset(r, 0, sizeof(*r));
	r->partition = -1;
	r->offset = -1;
	r->timestamp = -1;
}

void crec_free(struct crec *r)
{
	for (size_t i = 0; i < r->headers_cap; i++) {
		buf_free(&r->headers[i].key);
		buf_free(&r->headers[i].value);
	}
	free(r->headers);
	buf_free(&r->topic);
	buf_free(&r->key);
	buf_free(&r->value);
	crec_init(r);
}

void crec_reset(struct crec *r)
{
	buf_reset(&r->topic);
	buf_reset(&r->key);
	buf_reset(&r->value);
	r->nheaders = 0;
	r->partition = -1;
	r->offset = -1;
	r->timestamp = -1;
	r->null_key = r->null_value = 0;
}

void crec_set_topic(struct crec *r, const char *topic)
{
	buf_reset(&r->topic);
	buf_adds(&r->topic, topic);
}

static void set_bytes(struct buf *b, int *null, const void *p, int32_t len)
{
	buf_reset(b);
	*null = len < 0;
	if (len > 0)
		buf_add(b, p, (size_t)len);
}

void crec_set_key(struct crec *r, const void *p, int32_t len)
{
	set_bytes(&r->key, &r->null_key, p, len);
}

void crec_set_value(struct crec *r, const void *p, int32_t len)
{
	set_bytes(&r->value, &r->null_value, p, len);
}

static struct crec_header *next_header(struct crec *r)
{
	if (r->nheaders == r->headers_cap) {
		size_t old = r->headers_cap;
		r->headers = xgrow(r->headers, &r->headers_cap, r->nheaders + 1, sizeof(*r->headers));
		memset(r->headers + old, 0, (r->headers_cap - old) * sizeof(*r->headers));
	}
	struct crec_header *h = &r->headers[r->nheaders++];
	buf_reset(&h->key);
	buf_reset(&h->value);
	h->null_value = 0;
	return h;
}

static void add_header_bytes(struct crec *r, const void *key, size_t key_len, const void *value,
			     int32_t value_len)
{
	struct crec_header *h = next_header(r);
	buf_add(&h->key, key, key_len);
	set_bytes(&h->value, &h->null_value, value, value_len);
}

void crec_add_header(struct crec *r, const char *key, const void *value, int32_t value_len)
{
	add_header_bytes(r, key, strlen(key), value, value_len);
}

static int header_is(const struct crec_header *h, const char *key)
{
	size_t n = strlen(key);
	return h->key.len == n && memcmp(buf_cstr(&h->key), key, n) == 0;
}

size_t crec_drop_header(struct crec *r, const char *key)
{
	size_t kept = 0, dropped = 0;
	for (size_t i = 0; i < r->nheaders; i++) {
		if (header_is(&r->headers[i], key)) {
			dropped++;
			continue;
		}
		if (kept != i) {
			/* Swap, so the dropped slot's buffers stay for reuse. */
			struct crec_header t = r->headers[kept];
			r->headers[kept] = r->headers[i];
			r->headers[i] = t;
		}
		kept++;
	}
	r->nheaders = kept;
	return dropped;
}

const struct crec_header *crec_find_header(const struct crec *r, const char *key)
{
	for (size_t i = r->nheaders; i-- > 0;)
		if (header_is(&r->headers[i], key))
			return &r->headers[i];
	return NULL;
}

int crec_from_record(struct crec *r, const char *topic, int32_t partition, const struct record *in,
		     struct err *e)
{
	crec_reset(r);
	crec_set_topic(r, topic);
	r->partition = partition;
	r->offset = in->offset;
	r->timestamp = in->timestamp;
	crec_set_key(r, in->key, in->key_len);
	crec_set_value(r, in->value, in->value_len);
	struct header_iter it;
	struct record_header h;
	uint32_t seen = 0;
	record_headers_begin(in, &it);
	while (record_headers_next(&it, &h)) {
		add_header_bytes(r, h.key, (size_t)h.key_len, h.value, h.value_len);
		seen++;
	}
	if (seen != in->header_count)
		return err_set(e, SLOG_ECORRUPT_MESSAGE, "record at offset %lld: %u of %u headers readable",
			       (long long)in->offset, seen, in->header_count);
	return 0;
}

static const uint8_t *bytes_of(const struct buf *b)
{
	return (const uint8_t *)buf_cstr(b);
}

void crec_view(const struct crec *r, struct record *out, struct record_header *hdrs)
{
	memset(out, 0, sizeof(*out));
	out->offset = r->offset;
	out->timestamp = r->timestamp;
	out->key = r->null_key ? NULL : bytes_of(&r->key);
	out->key_len = r->null_key ? -1 : (int32_t)r->key.len;
	out->value = r->null_value ? NULL : bytes_of(&r->value);
	out->value_len = r->null_value ? -1 : (int32_t)r->value.len;
	for (size_t i = 0; i < r->nheaders; i++) {
		const struct crec_header *h = &r->headers[i];
		hdrs[i].key = bytes_of(&h->key);
		hdrs[i].key_len = (int32_t)h->key.len;
		hdrs[i].value = h->null_value ? NULL : bytes_of(&h->value);
		hdrs[i].value_len = h->null_value ? -1 : (int32_t)h->value.len;
	}
	out->header_count = (uint32_t)r->nheaders;
	out->headers = r->nheaders ? hdrs : NULL;
}

/* Headers on the stack up to this many; a record with more is viewed
 * through the heap (rare: a line of NDJSON output is not a hot path's
 * allocation when records carry a handful of headers). */
#define CREC_STACK_HEADERS 16

void crec_write_ndjson(const struct crec *r, struct buf *out)
{
	struct record_header stack[CREC_STACK_HEADERS];
	struct record_header *hdrs = stack;
	if (r->nheaders > CREC_STACK_HEADERS)
		hdrs = xmalloc(r->nheaders * sizeof(*hdrs));
	struct record view;
	crec_view(r, &view, hdrs);
	ndjson_write(out, buf_cstr(&r->topic), r->partition, &view);
	if (hdrs != stack)
		free(hdrs);
}

int crec_parse_ndjson(struct crec *r, struct ndjson_record *scratch, const char *line, size_t len,
		      struct err *e)
{
	int rc = ndjson_parse(scratch, line, len, e);
	if (rc < 0)
		return rc;
	const struct record *in = &scratch->rec;
	if (scratch->topic)
		crec_set_topic(r, scratch->topic);
	if (scratch->partition >= 0)
		r->partition = scratch->partition;
	if (scratch->has_timestamp)
		r->timestamp = in->timestamp;
	crec_set_key(r, in->key, in->key_len);
	crec_set_value(r, in->value, in->value_len);
	r->nheaders = 0;
	for (uint32_t i = 0; i < in->header_count; i++) {
		const struct record_header *h = &in->headers[i];
		add_header_bytes(r, h->key, (size_t)h->key_len, h->value, h->value_len);
	}
	return 0;
}
