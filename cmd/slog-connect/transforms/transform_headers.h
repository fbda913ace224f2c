/*
 * transform_headers.h: headers added and removed.
 *
 *   insert-header  Kafka's InsertHeader: header gets value (Kafka's
 *                  value.literal is the same key), or value.from one of
 *                  the record's or the process's facts: timestamp (ms
 *                  since the epoch; now for a record without a time),
 *                  topic, partition, offset (-1 when the record has none:
 *                  a source's), connector (its name) or host.  Added after
 *                  the headers already there, as Kafka does.
 *   drop-headers   Kafka's DropHeaders: every header named in headers.
 */
#ifndef SLOG_TRANSFORM_HEADERS_H
#define SLOG_TRANSFORM_HEADERS_H

#include "transforms/transform_type.h"

extern const struct transform_type transform_insert_header;
extern const struct transform_type transform_drop_headers;

#endif
