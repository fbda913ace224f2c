/*
 * transform_timestamp.h: timestamp, the record's time taken from the
 * record.
 *
 * From field (a name or JSON pointer into a JSON value) or header (its
 * bytes).  A JSON number, or text of digits, counts unix.precision units
 * since the epoch (milliseconds by default, as Kafka's); other text is
 * ISO 8601: 2026-12-01T02:30:00Z, with a fraction, a +hh:mm offset, a
 * space for the T, or no zone (UTC).  A record without the field or
 * header, or with a time that does not read, fails.
 */
#ifndef SLOG_TRANSFORM_TIMESTAMP_H
#define SLOG_TRANSFORM_TIMESTAMP_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "transforms/transform_type.h"

extern const struct transform_type transform_timestamp;

/* ISO 8601 text s[0..n) to ms since the epoch; SLOG_EINVALID_TIMESTAMP if it is not one. */
int transform_timestamp_parse_iso(const char *s, size_t n, int64_t *ms, struct err *e);

#endif
