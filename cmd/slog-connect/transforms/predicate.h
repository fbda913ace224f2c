/*
 * predicate.h: conditions on a record, for filter and for the predicates
 * that guard a transform (Kafka Connect's predicates).
 *
 * One condition set serves both: a filter's own keys and a predicates.<p>
 * block of type `match` take the same keys (PREDICATE_KEYS), and Kafka's
 * predicate classes are written onto it:
 *
 *   TopicNameMatches  pattern  -> topic.regex
 *   HasHeaderKey      name     -> header.exists
 *   RecordIsTombstone          -> tombstone = true
 *
 * Every condition given must hold for the set to match.  topic.regex must
 * match the whole topic name (as Kafka's topic patterns do); key.regex,
 * value.regex and header.regex match anywhere in the bytes (as grep).  A
 * null key, value or header value matches no regex.
 */
#ifndef SLOG_PREDICATE_H
#define SLOG_PREDICATE_H

#include "conf.h"
#include "err.h"
#include "runtime/connect_record.h"
#include "transforms/transform_regex.h"

struct conf_block;
struct tconf;

/* The condition keys, rows of a conf_def table. */
#define PREDICATE_KEYS                                                                          \
	{ "topic.regex", CONF_STRING, NULL, 0, 0, 0, NULL,                                      \
	  "the topic matches this regex (the whole name)" },                                    \
	{ "key.regex", CONF_STRING, NULL, 0, 0, 0, NULL, "the key matches this regex" },        \
	{ "value.regex", CONF_STRING, NULL, 0, 0, 0, NULL, "the value matches this regex" },    \
	{ "header.exists", CONF_STRING, NULL, 0, 0, 0, NULL, "a header of this name is there" }, \
	{ "header.regex", CONF_STRING, NULL, 0, 0, 0, NULL,                                     \
	  "NAME:REGEX: a header NAME has a value matching REGEX" },                             \
	{ "tombstone", CONF_BOOL, "false", 0, 1, 0, NULL, "the value is null (a tombstone)" }

struct predicate {
	char *alias;               /* the predicates.<alias>, or NULL for a filter's own */
	struct tregex topic, key, value, header;
	char *header_exists;       /* owned; NULL: no such condition */
	char *header_name;         /* header.regex's NAME */
	int tombstone;
	int nconds;                /* conditions given; 0 matches every record */
};

/* The PREDICATE_KEYS of tc (a table that has them). */
int predicate_init(struct predicate *p, const struct tconf *tc, struct err *e);
void predicate_free(struct predicate *p);

/*
 * Build a predicates.<alias> block, whose type is `match`, one of Kafka's
 * classes above (short or full name), or their slog names topic-matches,
 * has-header, tombstone.  Free with predicate_destroy.
 */
int predicate_new(const struct conf_block *b, struct predicate **out, struct err *e);
void predicate_destroy(struct predicate *p);

/* r matches every condition; topic is the record's topic as routed so far. */
int predicate_match(const struct predicate *p, const struct crec *r, const char *topic);

/* A condition looks at the value's bytes. */
int predicate_reads_value(const struct predicate *p);

/* The predicate types, for listings. */
void predicate_list_types(void (*fn)(void *arg, const char *type, const char *doc), void *arg);

#endif
