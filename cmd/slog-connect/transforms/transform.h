/*
 * transform.h: a connector's chain of transforms.
 *
 * `transforms = a, b` names the steps in order; each is configured by
 * transforms.<alias>.type and its own keys (transforms.<alias>.*), and
 * may be guarded by a predicate (transforms.<alias>.predicate = p,
 * .negate = true; predicates.<p>.type and keys), as in Kafka Connect.
 *
 * Types (slog's names; Kafka's SMT class names are accepted for the ones
 * that match: org.apache.kafka.connect.transforms.Filter, RegexRouter,
 * TimestampRouter, InsertHeader, DropHeaders, ValueToKey, HeaderFrom,
 * InsertField$Value, ReplaceField$Value, ExtractField$Value,
 * HoistField$Value, MaskField$Value):
 *
 *   filter          drop records its predicates match (topic.regex,
 *                   key.regex, value.regex, header.exists, header.regex,
 *                   tombstone; negate keeps them instead)
 *   route           topic by regex and replacement ($1 ...)
 *   route.time      topic by a strftime pattern of the timestamp
 *   insert-header   a static value, or timestamp|topic|partition|offset|
 *                   connector|host
 *   drop-headers    by name
 *   value-to-key    key from JSON pointers into the value
 *   header-from     header from a JSON pointer into the value
 *   insert-field, replace-field (include, exclude, rename),
 *   extract-field, hoist-field   on JSON object values
 *   mask            JSON fields to "" or a replacement; mask.regex over bytes
 *   timestamp       record time from a field or header
 *   exec            one coprocess; one NDJSON line in, one line out (an
 *                   empty line or null drops the record); jq -c --unbuffered
 *                   fits
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
 * transforms.<alias>.<key> and where it was set.  connector and task_id
 * feed insert-header's connector value; exec transforms start their
 * coprocess here.
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
