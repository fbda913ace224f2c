/*
 * transform_mask.h: mask, Kafka's MaskField, and a regex over the bytes.
 *
 * With fields (names or JSON pointers into a JSON value), each field
 * there becomes replacement (a string) or, without one, the empty value
 * of its type as Kafka's MaskField does: "" 0 0.0 false {} [] (null stays
 * null).  With regex, every match in the value's raw bytes becomes
 * replacement ($1.. its groups) or, without one, as many '*' as it has
 * bytes, so that the value keeps its length.  One mask takes fields or
 * regex, not both.
 */
#ifndef SLOG_TRANSFORM_MASK_H
#define SLOG_TRANSFORM_MASK_H

#include "transforms/transform_type.h"

extern const struct transform_type transform_mask;

#endif
