/*
 * record.h: one record inside a batch, as Kafka's v2 format lays it out.
 *
 *   length          varint   bytes that follow
 *   attributes      int8     unused, 0
 *   timestampDelta  varlong  from the batch's base timestamp
 *   offsetDelta     varint   from the batch's base offset
 *   keyLength       varint   -1 = null key
 *   key             bytes
 *   valueLength     varint   -1 = null value (a tombstone)
 *   value           bytes
 *   headerCount     varint
 *   headers         [keyLength varint, key, valueLength varint, value]
 *
 * A null key or value is distinct from an empty one throughout slog.
 * Header keys are never null (as in Kafka); header values may be.
 *
 * struct record borrows every pointer it holds: when it comes from
 * record_decode() they point into the batch bytes; when it goes into a
 * builder they point into the caller's memory.  Nothing here allocates.
 */
#ifndef SLOG_RECORD_H
#define SLOG_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

struct record_header {
	const uint8_t *key;
	int32_t key_len;
	const uint8_t *value;
	int32_t value_len; /* -1 = null */
};

struct record {
	int64_t offset;
	int64_t timestamp;
	const uint8_t *key;
	int32_t key_len;   /* -1 = null */
	const uint8_t *value;
	int32_t value_len; /* -1 = null */
	uint32_t header_count;
	/*
	 * Headers come one of two ways.  A builder's caller may set headers to
	 * an array of header_count entries.  record_decode() instead sets
	 * headers_raw to the validated encoded headers (walk them with
	 * record_headers_next()); a builder given headers_raw and no array
	 * copies those bytes as they are.
	 */
	const struct record_header *headers;
	const uint8_t *headers_raw;
	size_t headers_raw_len;
};

/* The smallest possible encoded record: seven one-byte fields. */
#define RECORD_MIN_SIZE 7

/* Bytes record_encode() will write for r with these deltas. */
size_t record_encoded_size(const struct record *r, int64_t ts_delta, int32_t off_delta);

/* Write r (length prefix included) at out; return the bytes written. */
size_t record_encode(uint8_t *out, const struct record *r, int64_t ts_delta, int32_t off_delta);

/*
 * Decode the record at *pp, reading no byte at or past end.  On success
 * fills r (offset and timestamp left to the caller, who knows the bases),
 * the deltas, advances *pp and returns 0; otherwise SLOG_ECORRUPT_MESSAGE
 * with the reason in e.
 */
int record_decode(const uint8_t **pp, const uint8_t *end, struct record *r,
		  int64_t *ts_delta, int32_t *off_delta, struct err *e);

/* Walk the headers of a record (array or raw form). */
struct header_iter {
	const struct record *r;
	const uint8_t *p, *end;
	uint32_t next;
};
void record_headers_begin(const struct record *r, struct header_iter *it);
/* 1 and the next header in h, or 0 at the end. */
int record_headers_next(struct header_iter *it, struct record_header *h);

#endif
