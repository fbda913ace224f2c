/*
 * transform_json.h: the transforms that reshape a JSON value (Kafka's
 * $Value SMTs, schemaless).
 *
 *   insert-field   Kafka's InsertField: topic.field, partition.field,
 *                  offset.field, timestamp.field (ms since the epoch; now
 *                  for a record without a time), static.field with
 *                  static.value (Kafka's name! and name? read as name).
 *                  A partition or offset the record does not have (-1: a
 *                  source's) is left out.
 *   replace-field  Kafka's ReplaceField: include, exclude (top-level
 *                  names; Kafka's older whitelist, blacklist), renames
 *                  (old:new, ...); order kept.
 *   extract-field  Kafka's ExtractField: the value becomes field (a
 *                  string field: its text).  A value without it fails
 *                  (Kafka would make a null value, a tombstone).
 *   hoist-field    Kafka's HoistField: the value becomes {field: value};
 *                  a value that is not JSON is taken as a string.
 *
 * Fields are names or JSON pointers (json_field.h), except replace-field's
 * (top-level names, as Kafka's).  A value that is not a JSON object fails
 * the record (but for hoist-field); a null value (a tombstone) is left
 * alone by every JSON transform.  Kafka's $Key classes (ExtractField$Key,
 * ...) do the same to a JSON key (transform_type.h's key_variant).
 */
#ifndef SLOG_TRANSFORM_JSON_H
#define SLOG_TRANSFORM_JSON_H

#include "transforms/transform_type.h"

extern const struct transform_type transform_insert_field;
extern const struct transform_type transform_replace_field;
extern const struct transform_type transform_extract_field;
extern const struct transform_type transform_hoist_field;

#endif
