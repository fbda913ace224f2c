/*
 * transform_filter.h: filter, Kafka's Filter: drop the records that match.
 *
 * Either the step's own conditions (predicate.h's keys; negate keeps the
 * matching records and drops the rest) or, as in Kafka, a predicate:
 * `predicate = p` drops what p matches (negate: what it does not).  One
 * filter takes one of the two, not both.
 */
#ifndef SLOG_TRANSFORM_FILTER_H
#define SLOG_TRANSFORM_FILTER_H

#include "transforms/transform_type.h"

extern const struct transform_type transform_filter;

#endif
