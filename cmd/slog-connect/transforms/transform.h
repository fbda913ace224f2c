/*
 * transform.h: a connector's chain of transforms.
 *
 * `transforms = a, b` names the steps in order; each is configured by
 * transforms.<alias>.type and its own keys (transforms.<alias>.*), and
 * may be guarded by a predicate (transforms.<alias>.predicate = p,
 * .negate = true; predicates.<p>.type and keys), as in Kafka Connect.
 *
 * Types (slog's names; Kafka's SMT class names, short or in full, are
 * accepted for the ones that match: Filter, RegexRouter, TimestampRouter,
 * InsertHeader, DropHeaders, ValueToKey, HeaderFrom$Value,
 * InsertField$Value, ReplaceField$Value, ExtractField$Value,
 * HoistField$Value, MaskField$Value; predicates TopicNameMatches,
 * HasHeaderKey, RecordIsTombstone).  Each type's header says its keys:
 *
 *   filter          drop records its conditions (topic.regex, key.regex,
 *                   value.regex, header.exists, header.regex, tombstone)
 *                   or its predicate match; negate keeps them instead
 *                   (transform_filter.h, predicate.h)
 *   route           topic by regex and replacement ($1 ...)
 *   route.time      topic by the record's time: topic.format with
 *                   ${topic} and ${timestamp}, timestamp.format
 *                   (transform_route.h)
 *   insert-header   a static value, or timestamp|topic|partition|offset|
 *                   connector|host
 *   drop-headers    by name (transform_headers.h)
 *   value-to-key    key from fields (names or JSON pointers) of the value
 *   header-from     headers from fields of the value
 *                   (transform_from_value.h)
 *   insert-field, replace-field (include, exclude, renames),
 *   extract-field, hoist-field   on JSON object values (transform_json.h)
 *   mask            JSON fields to "" or a replacement; a regex over the
 *                   bytes (transform_mask.h)
 *   timestamp       record time from a field or header, epoch or ISO 8601
 *                   (transform_timestamp.h)
 *   exec            one coprocess; one NDJSON line in, one line out (an
 *                   empty line or null drops the record); jq -c --unbuffered
 *                   fits (transform_exec.h)
 *
 * Records stay bytes: a value is parsed as JSON only by a step that needs
 * it, and only once per record however many such steps follow each other.
 *
 * A chain belongs to one task's thread.
 */
#ifndef SLOG_TRANSFORM_H
#define SLOG_TRANSFORM_H

#include <stdint.h>

#include "runtime/connect_record.h"
#include "err.h"

struct connector_conf;
struct transform_chain;

/*
 * Build the chain of cc (an empty chain when it has no transforms).  A
 * bad type, key or value is SLOG_EINVALID_CONFIG naming
 * transforms.<alias>.<key> and where it was set.  The connector's name
 * is insert-header's connector value, task_id names the chain in log
 * lines; exec transforms start their coprocess here (and end it in
 * transform_chain_free).
 */
int transform_chain_new(const struct connector_conf *cc, int task_id,
			struct transform_chain **out, struct err *e);
void transform_chain_free(struct transform_chain *tc);

/*
 * Check cc's transforms and predicates as transform_chain_new() does,
 * every key and value, without starting anything (exec's command is
 * split, not run): for `check` and for loading a connector file, so that
 * a bad key is refused with its FILE:LINE before any task starts.
 */
int transform_chain_check(const struct connector_conf *cc, struct err *e);

/*
 * Run r through every step: 1 to keep r (changed in place), 0 when a
 * step dropped it, <0 when a step failed on it (e names the step and
 * why; the caller's error policy decides, stage TRANSFORMATION).
 */
int transform_chain_apply(struct transform_chain *tc, struct crec *r, struct err *e);

/* The chain has no step. */
int transform_chain_empty(const struct transform_chain *tc);

/* How many values the chain has parsed as JSON so far (one per record at
 * most for a run of JSON steps): for metrics and tests. */
uint64_t transform_chain_parses(const struct transform_chain *tc);

/* Types and their keys, for check and the connector-plugins listing. */
void transform_list_types(void (*fn)(void *arg, const char *type, const char *doc), void *arg);

#endif
