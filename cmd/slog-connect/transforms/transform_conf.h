/*
 * transform_conf.h: the keys of one transform or predicate, checked.
 *
 * The connector file's loader hands over each transforms.<alias>.* and
 * predicates.<alias>.* block as written (struct conf_block); this module
 * checks one against its type's table of keys (conf.h), so that an
 * unknown key or a bad value is refused the way every other key is, and
 * every error names the full key and where it was set:
 *
 *   app.conf:7: transforms.mask.fields: unknown config key
 *
 * The block and its strings are borrowed until tconf_load() returns; a
 * tconf owns its copies.
 */
#ifndef SLOG_TRANSFORM_CONF_H
#define SLOG_TRANSFORM_CONF_H

#include <stddef.h>
#include <stdint.h>

#include "conf.h"
#include "err.h"

struct conf_block;

struct tconf {
	char *prefix;         /* "transforms" or "predicates" */
	char *alias;
	char *origin;         /* where the block's type was set; NULL if nowhere */
	struct conf conf;
};

/* The value of key in b as written, or NULL; *origin (may be NULL) gets its place. */
const char *tconf_block_value(const struct conf_block *b, const char *key, const char **origin);

/*
 * Check every key of b against defs and load them into tc (free with
 * tconf_free, also after a failure).  SLOG_EINVALID_CONFIG naming
 * prefix.alias.key and FILE:LINE.
 */
int tconf_load(struct tconf *tc, const char *prefix, const struct conf_block *b,
	       const struct conf_def *defs, size_t ndefs, struct err *e);
void tconf_free(struct tconf *tc);

/* Typed values (key must be in the table). */
const char *tconf_str(const struct tconf *tc, const char *key); /* NULL when unset or empty */
int64_t tconf_num(const struct tconf *tc, const char *key);
int tconf_bool(const struct tconf *tc, const char *key);
/* The key was given in the block (not a default). */
int tconf_given(const struct tconf *tc, const char *key);

/*
 * A comma-separated list (blanks around items dropped); *out is a
 * NULL-terminated array the caller frees with tconf_list_free.  An empty
 * item is an error naming the key.  An unset key gives an empty list.
 */
int tconf_list(const struct tconf *tc, const char *key, char ***out, size_t *n, struct err *e);
void tconf_list_free(char **list);

/* name is slog's name of a type or one of its aliases (NULL-terminated; may be NULL). */
int tconf_type_is(const char *name, const char *slog_name, const char *const *aliases);

/*
 * SLOG_EINVALID_CONFIG with "ORIGIN: prefix.alias.key: message" (key NULL:
 * the block itself, at its type's place).
 */
int tconf_error(const struct tconf *tc, const char *key, struct err *e, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif
