/*
 * transform_from_value.h: the key or headers taken from fields of a JSON
 * value (names or JSON pointers, json_field.h).
 *
 *   value-to-key  Kafka's ValueToKey: fields.  One field: the key is its
 *                 value (a string's text, anything else compact JSON).
 *                 Several: a JSON object of them by their last names.
 *                 Named by Kafka's class, always an object, as Kafka's
 *                 (ExtractField$Key then takes a field out of it).
 *                 A field the value lacks fails the record: a key decides
 *                 the partition and what compaction keeps, so a made-up
 *                 one would be silent damage.
 *   header-from   Kafka's HeaderFrom: fields and headers, pairwise;
 *                 operation copy (default) or move (the field leaves the
 *                 value).  A field the value lacks gives a null header,
 *                 as in Kafka.
 *
 * Neither changes a value it only reads: its bytes stay as they came.
 */
#ifndef SLOG_TRANSFORM_FROM_VALUE_H
#define SLOG_TRANSFORM_FROM_VALUE_H

#include "transforms/transform_type.h"

extern const struct transform_type transform_value_to_key;
extern const struct transform_type transform_header_from;

#endif
