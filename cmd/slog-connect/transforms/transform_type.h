/*
 * transform_type.h: what one type of transform implements, and what the
 * chain gives each step.
 *
 * A type is a table entry: its names, its keys (conf.h rows; every table
 * starts with TRANSFORM_COMMON_KEYS), and functions.  init() reads the
 * step's checked keys (s->conf) and says how the step works on records:
 *
 *   bytes steps  apply() sees the record as it is
 *   JSON steps   apply_json() sees the value parsed (struct tjson), so
 *                that a run of JSON steps parses the value once and
 *                writes it back once, at the end of the run
 *
 * and whether it reads or writes the value's bytes, so that the chain
 * writes a changed JSON value back only before a step that looks at the
 * bytes.  Both return 1 to keep the record, 0 to drop it, <0 when it
 * failed (e says why; the chain adds the step's name).
 *
 * A step belongs to the chain's thread.
 */
#ifndef SLOG_TRANSFORM_TYPE_H
#define SLOG_TRANSFORM_TYPE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "conf.h"
#include "err.h"
#include "runtime/connect_record.h"
#include "transforms/transform_conf.h"

#define TRANSFORM_COMMON_KEYS                                                                \
	{ "type", CONF_STRING, NULL, 0, 0, 0, NULL, "the transform's type" },                \
	{ "predicate", CONF_STRING, NULL, 0, 0, 0, NULL,                                     \
	  "apply the transform only to records this predicate (predicates.<name>) matches" }, \
	{ "negate", CONF_BOOL, "false", 0, 1, 0, NULL,                                       \
	  "apply it to the records the predicate does not match" }

/* What the steps of a chain share, read-only. */
struct transform_env {
	const char *connector;   /* insert-header's connector value */
	int task_id;
	const char *topic;       /* the connector's own topic (a record's empty topic), or "" */
	char host[256];
	int check_only;          /* transform_chain_check(): start nothing */
};

/* A record's value, parsed, while a run of JSON steps works on it. */
struct tjson {
	json_t *doc;             /* NULL: not parsed (yet) */
	int dirty;               /* doc differs from the record's value bytes */
	uint64_t parses;         /* values parsed so far */
};

struct tstep;

struct transform_type {
	const char *name;
	const char *const *aliases;  /* Kafka's class names, NULL-terminated; may be NULL */
	/* A Kafka alias ending in $Value also names, ending in $Key, the
	 * same work on a JSON key (ExtractField$Key). */
	int key_variant;
	const char *doc;
	const struct conf_def *keys;
	size_t nkeys;
	int (*init)(struct tstep *s, struct err *e);
	int (*apply)(struct tstep *s, struct crec *r, struct err *e);
	int (*apply_json)(struct tstep *s, struct crec *r, struct tjson *j, struct err *e);
	void (*free)(struct tstep *s);
};

enum tstep_mode { TSTEP_BYTES, TSTEP_JSON };

struct tstep {
	const struct transform_type *type;
	struct tconf conf;               /* its keys, checked */
	const struct transform_env *env;
	enum tstep_mode mode;            /* set by init (default TSTEP_BYTES) */
	int reads_value, writes_value;   /* bytes steps: set by init */
	int text_ok;                     /* JSON steps: a value that is not JSON is taken as a string */
	int on_key;                      /* a $Key class: the step works on the key (JSON steps) */
	int kafka;                       /* named by a Kafka class: Kafka's shapes where ours differ */
	void *state;                     /* the type's */
	/* The guard (chain's): run only where pred matches, xor negate. */
	const struct predicate *pred;
	int negate;
};

/*
 * Parse the bytes of r's value (key: its key) into j, when j has none
 * yet.  Bytes that are not JSON are an error, or a JSON string of their
 * text when text_ok (and they are UTF-8).
 */
int tjson_load(struct tjson *j, const struct crec *r, int key, int text_ok, struct err *e);
/* Write a changed doc back into r's value (key: its key); j keeps it (clean). */
void tjson_store(struct tjson *j, struct crec *r, int key);
/* Forget the parsed value (after r's value changed under it). */
void tjson_drop(struct tjson *j);

/* The record's topic: its own, else the connector's. */
const char *tstep_topic(const struct tstep *s, const struct crec *r);

/* What a JSON step works on: "key" for a $Key class, else "value". */
const char *tstep_part(const struct tstep *s);

/* "value is an array, not a JSON object": JSON steps' error, in one wording. */
int tstep_not_object(const struct tstep *s, const json_t *doc, struct err *e);

/* A list key holding JSON fields (json_field.h); *fields freed with tstep_fields_free. */
struct json_field;
int tstep_fields(const struct tstep *s, const char *key, struct json_field **fields, size_t *n,
		 struct err *e);
void tstep_fields_free(struct json_field *fields, size_t n);

#endif
