/*
 * record.c: encode and decode one record of a v2 batch.  See record.h.
 *
 * The decoder is the one place that checks record lengths: every varint
 * against the end of the records region, every length against what is
 * left, and the record's own length prefix against the bytes its fields
 * took, so that a record can never claim bytes of its neighbour.
 */
#include "record.h"

#include <string.h>

#include "varint.h"

static size_t bytes_field_size(int32_t len)
{
	return varint_len_s32(len) + (len > 0 ? (size_t)len : 0);
}

static size_t headers_size(const struct record *r)
{
	size_t n = varint_len_s32((int32_t)r->header_count);

	if (!r->headers && r->headers_raw)
		return n + r->headers_raw_len;
	for (uint32_t i = 0; i < r->header_count; i++)
		n += bytes_field_size(r->headers[i].key_len) +
		     bytes_field_size(r->headers[i].value_len);
	return n;
}

static size_t body_size(const struct record *r, int64_t ts_delta, int32_t off_delta)
{
	return 1 + varint_len_s64(ts_delta) + varint_len_s32(off_delta) +
	       bytes_field_size(r->key_len) + bytes_field_size(r->value_len) +
	       headers_size(r);
}

size_t record_encoded_size(const struct record *r, int64_t ts_delta, int32_t off_delta)
{
	size_t body = body_size(r, ts_delta, off_delta);

	return varint_len_s32((int32_t)body) + body;
}

static uint8_t *put_bytes(uint8_t *out, const uint8_t *p, int32_t len)
{
	out += varint_put_s32(out, len);
	if (len > 0) {
		memcpy(out, p, (size_t)len);
		out += len;
	}
	return out;
}

size_t record_encode(uint8_t *out, const struct record *r, int64_t ts_delta, int32_t off_delta)
{
	uint8_t *p = out;

	p += varint_put_s32(p, (int32_t)body_size(r, ts_delta, off_delta));
	*p++ = 0; /* attributes */
	p += varint_put_s64(p, ts_delta);
	p += varint_put_s32(p, off_delta);
	p = put_bytes(p, r->key, r->key_len);
	p = put_bytes(p, r->value, r->value_len);
	p += varint_put_s32(p, (int32_t)r->header_count);
	if (!r->headers && r->headers_raw) {
		memcpy(p, r->headers_raw, r->headers_raw_len);
		p += r->headers_raw_len;
	} else {
		for (uint32_t i = 0; i < r->header_count; i++) {
			p = put_bytes(p, r->headers[i].key, r->headers[i].key_len);
			p = put_bytes(p, r->headers[i].value, r->headers[i].value_len);
		}
	}
	return (size_t)(p - out);
}

/* A length-prefixed byte field; allow_null says whether -1 is legal. */
static int get_bytes(const uint8_t **pp, const uint8_t *end, const uint8_t **data,
		     int32_t *len, int allow_null, const char *what, struct err *e)
{
	size_t n = varint_get_s32(*pp, end, len);

	if (!n)
		return err_set(e, SLOG_ECORRUPT_MESSAGE, "%s length: bad varint", what);
	*pp += n;
	if (*len == -1 && allow_null) {
		*data = NULL;
		return 0;
	}
	if (*len < 0)
		return err_set(e, SLOG_ECORRUPT_MESSAGE, "%s length %d is negative", what, *len);
	if ((size_t)*len > (size_t)(end - *pp))
		return err_set(e, SLOG_ECORRUPT_MESSAGE, "%s length %d exceeds the %zu bytes left",
			       what, *len, (size_t)(end - *pp));
	*data = *pp;
	*pp += *len;
	return 0;
}

static int get_headers(const uint8_t **pp, const uint8_t *end, struct record *r, struct err *e)
{
	int32_t count;
	size_t n = varint_get_s32(*pp, end, &count);

	if (!n)
		return err_set(e, SLOG_ECORRUPT_MESSAGE, "header count: bad varint");
	if (count < 0)
		return err_set(e, SLOG_ECORRUPT_MESSAGE, "header count %d is negative", count);
	*pp += n;
	/* Each header takes at least two bytes: bound the loop before it runs. */
	if ((size_t)count > (size_t)(end - *pp) / 2)
		return err_set(e, SLOG_ECORRUPT_MESSAGE, "header count %d exceeds the bytes left", count);
	r->header_count = (uint32_t)count;
	r->headers = NULL;
	r->headers_raw = *pp;
	for (int32_t i = 0; i < count; i++) {
		const uint8_t *data;
		int32_t len;
		int rc;

		rc = get_bytes(pp, end, &data, &len, 0, "header key", e);
		if (rc)
			return rc;
		rc = get_bytes(pp, end, &data, &len, 1, "header value", e);
		if (rc)
			return rc;
	}
	r->headers_raw_len = (size_t)(*pp - r->headers_raw);
	return 0;
}

int record_decode(const uint8_t **pp, const uint8_t *end, struct record *r,
		  int64_t *ts_delta, int32_t *off_delta, struct err *e)
{
	const uint8_t *p = *pp, *rend;
	int32_t len;
	size_t n;
	int rc;

	n = varint_get_s32(p, end, &len);
	if (!n)
		return err_set(e, SLOG_ECORRUPT_MESSAGE, "record length: bad varint");
	p += n;
	if (len < RECORD_MIN_SIZE - 1 || (size_t)len > (size_t)(end - p))
		return err_set(e, SLOG_ECORRUPT_MESSAGE, "record length %d does not fit the %zu bytes left",
			       len, (size_t)(end - p));
	rend = p + len;
	p++; /* attributes: unused in v2 */
	n = varint_get_s64(p, rend, ts_delta);
	if (!n)
		return err_set(e, SLOG_ECORRUPT_MESSAGE, "timestamp delta: bad varint");
	p += n;
	n = varint_get_s32(p, rend, off_delta);
	if (!n)
		return err_set(e, SLOG_ECORRUPT_MESSAGE, "offset delta: bad varint");
	p += n;
	rc = get_bytes(&p, rend, &r->key, &r->key_len, 1, "key", e);
	if (!rc)
		rc = get_bytes(&p, rend, &r->value, &r->value_len, 1, "value", e);
	if (!rc)
		rc = get_headers(&p, rend, r, e);
	if (rc)
		return rc;
	if (p != rend)
		return err_set(e, SLOG_ECORRUPT_MESSAGE, "record length %d but its fields take %zu bytes",
			       len, (size_t)(p - (rend - len)));
	*pp = rend;
	return 0;
}

void record_headers_begin(const struct record *r, struct header_iter *it)
{
	it->r = r;
	it->next = 0;
	it->p = r->headers_raw;
	it->end = r->headers_raw ? r->headers_raw + r->headers_raw_len : NULL;
}

int record_headers_next(struct header_iter *it, struct record_header *h)
{
	if (it->next >= it->r->header_count)
		return 0;
	if (it->r->headers) {
		*h = it->r->headers[it->next++];
		return 1;
	}
	/* Raw headers were validated by record_decode(); this cannot fail. */
	if (get_bytes(&it->p, it->end, &h->key, &h->key_len, 0, "header key", NULL) ||
	    get_bytes(&it->p, it->end, &h->value, &h->value_len, 1, "header value", NULL))
		return 0;
	it->next++;
	return 1;
}
