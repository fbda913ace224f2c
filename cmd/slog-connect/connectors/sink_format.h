/*
 * sink_format.h: how a sink turns a record into bytes.
 *
 * The file and exec sinks write records as text, one after another:
 *
 *   value    the value and a newline (what Kafka's FileStreamSink
 *            writes; a null value is an empty line)
 *   ndjson   one JSON object a line, slog-consume -J's shape, lossless
 *            for any bytes (ndjson.h)
 *   other    any slog-consume -f format (record_format.h), such as
 *            "%k\t%s\n"; it must hold at least one % token, so that a
 *            mistyped name ("json") is an error rather than a file of
 *            the same four letters repeated
 *
 * A format is compiled once; writing a record appends to the caller's
 * buffer and allocates nothing once its scratch has grown.
 */
#ifndef SLOG_SINK_FORMAT_H
#define SLOG_SINK_FORMAT_H

#include "buf.h"
#include "err.h"
#include "runtime/connect_record.h"

struct sink_format;

/* Compile spec; NULL with e (SLOG_EINVALID_CONFIG) when it is none of the above. */
struct sink_format *sink_format_new(const char *spec, struct err *e);
void sink_format_free(struct sink_format *f);

/* Whether the format is ndjson (the HTTP and exec sinks name it for a content type). */
int sink_format_is_ndjson(const struct sink_format *f);

/* Append r as the format says. */
void sink_format_write(struct sink_format *f, const struct crec *r, struct buf *out);

#endif
