/*
 * transform_fixture.h: helpers for the transforms' unit tests
 * (test_transforms.c, test_transform_exec.c): a connector's transform
 * and predicate blocks built by hand, as the connector file's loader
 * builds them, with places "t.conf:1", "t.conf:2", ... in the order the
 * keys are given.
 */
#ifndef SLOG_TRANSFORM_FIXTURE_H
#define SLOG_TRANSFORM_FIXTURE_H

#include "runtime/connect_record.h"
#include "runtime/connector_conf.h"
#include "transforms/transform.h"

/* A connector named "conn" with up to 8 transforms and 4 predicates. */
struct tfix {
	struct connector_conf cc;
	struct conf_block t[8], p[4];
	int line;
};

/* Add a transform or predicate block: alias, then "key=value" strings, NULL-terminated. */
void tf_transform(struct tfix *f, const char *alias, ...);
void tf_predicate(struct tfix *f, const char *alias, ...);

void tf_init(struct tfix *f);
void tf_free(struct tfix *f);

/* A test's start (an empty connector and record) and end (all of it, and the chain). */
void tf_begin(struct tfix *f, struct crec *r);
void tf_finish(struct transform_chain *tc, struct crec *r, struct tfix *f);
/* Start over with a new connector in the same test, keeping the record. */
void tf_again(struct transform_chain *tc, struct tfix *f);

/* f's chain, or NULL (and a diagnostic); the error building it gives ("" when it builds). */
struct transform_chain *tf_chain(struct tfix *f);
const char *tf_chain_error(struct tfix *f);

/* r set to topic, key and value (NULL: null), no headers. */
void tf_rec(struct crec *r, const char *topic, const char *key, const char *value);
/* b holds s (a diagnostic when not). */
int tf_is(const struct buf *b, const char *s);
/* The last header called name's value, "(null)", or NULL. */
const char *tf_header(const struct crec *r, const char *name);
/* Apply tc to a record of topic/key/value: the result code. */
int tf_run(struct transform_chain *tc, struct crec *r, const char *topic, const char *key,
	   const char *value, struct err *e);

#endif
