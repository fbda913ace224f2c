/*
 * ndjson.h: records as JSON lines, the shape `slog-consume -J` prints and
 * `slog-produce -J` and the broker read:
 *
 *   {"topic":"t","partition":0,"offset":12,"timestamp":1700000000000,
 *    "key":"k","value":"v","headers":[{"key":"h","value":"x"}]}
 *
 * Lossless for any bytes: a key or value (or header key or value) is a
 * JSON string when its bytes are valid UTF-8, JSON null when it is null,
 * and otherwise appears as "key_b64"/"value_b64" in standard base64.
 * Headers are a list, so their order and repeated names survive.
 *
 * Reading is strict about what it knows and refuses what it does not: an
 * unknown field or a value of the wrong type is an error naming the field.
 * Input may omit any field (a missing key or value is null), and may give
 * headers as an object {"name":"value",...} for short.  "offset" is
 * accepted and ignored (the broker assigns offsets).
 */
#ifndef SLOG_NDJSON_H
#define SLOG_NDJSON_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "err.h"
#include "record.h"

/* Append r as one JSON object and a newline. */
void ndjson_write(struct buf *out, const char *topic, int32_t partition, const struct record *r);

/*
 * Append where r is and what identifies it, without its value and
 * headers: {"topic","partition","offset","timestamp","key"} in the same
 * shape, and a newline (slog-produce's --report-format json).
 */
void ndjson_write_head(struct buf *out, const char *topic, int32_t partition, const struct record *r);

/* Append s[0..n) as a JSON string literal, quotes included. */
void json_write_string(struct buf *out, const void *s, size_t n);

/* A parsed input line; reuse one across lines (its buffers stay). */
struct ndjson_record {
	struct record rec;     /* points into this struct's buffers */
	char *topic;           /* NULL when the line has none */
	int32_t partition;     /* -1 when the line has none */
	int has_timestamp;
	/* owned storage */
	struct buf bytes;      /* decoded key, value, header bytes */
	struct record_header *hdrs;
	size_t hdrs_cap;
	struct buf topic_buf;
};

void ndjson_record_init(struct ndjson_record *nr);
void ndjson_record_free(struct ndjson_record *nr);

/*
 * Parse one JSON object from line[0..len).  On success fills nr->rec (its
 * timestamp only when has_timestamp) and returns 0; otherwise
 * SLOG_EINVALID_RECORD with the reason (field named) in e.
 */
int ndjson_parse(struct ndjson_record *nr, const char *line, size_t len, struct err *e);

#endif
