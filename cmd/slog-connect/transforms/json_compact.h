/*
 * json_compact.h: a JSON value back to bytes.
 *
 * Compact (no blanks), members in the order they came, strings escaped as
 * slog's NDJSON escapes them, and numbers as short as they can be while
 * reading back to the same value: 1.1 stays 1.1 (jansson's own encoder
 * would write 1.1000000000000001), so a value that a transform did not
 * touch keeps its text.
 */
#ifndef SLOG_JSON_COMPACT_H
#define SLOG_JSON_COMPACT_H

#include <jansson.h>

#include "buf.h"

/* Append v as compact JSON. */
void json_compact_write(struct buf *out, const json_t *v);

/*
 * Append v as a record's bytes: a string is its text (no quotes), as a
 * string field taken out of a value is wanted ("message": "GET /" gives
 * GET /); anything else is compact JSON.
 */
void json_compact_bytes(struct buf *out, const json_t *v);

#endif
