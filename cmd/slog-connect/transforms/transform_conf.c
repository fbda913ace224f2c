/*
 * transform_conf.c: one transform's or predicate's keys, checked against
 * its type's table (transform_conf.h).
 *
 * conf.c does the parsing and range checks; this file only makes its
 * messages name the key as the user wrote it (transforms.<alias>.<key>)
 * rather than as the table knows it (<key>).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "runtime/connector_conf.h"
#include "transforms/transform_conf.h"
#include "xalloc.h"

const char *tconf_block_value(const struct conf_block *b, const char *key, const char **origin)
{
	/* The last one wins, as for every key of a config file. */
	for (size_t i = b->n; i-- > 0;) {
		if (strcmp(b->keys[i], key) != 0)
			continue;
		if (origin)
			*origin = b->origins ? b->origins[i] : NULL;
		return b->values[i];
	}
	if (origin)
		*origin = NULL;
	return NULL;
}

static int key_error(const char *origin, const char *prefix, const char *alias, const char *key,
		     struct err *e, const char *fmt, va_list ap) __attribute__((format(printf, 6, 0)));

static int key_error(const char *origin, const char *prefix, const char *alias, const char *key,
		     struct err *e, const char *fmt, va_list ap)
{
	char msg[256];
	vsnprintf(msg, sizeof(msg), fmt, ap);
	return err_set(e, SLOG_EINVALID_CONFIG, "%s%s%s.%s%s%s: %s", origin ? origin : "",
		       origin ? ": " : "", prefix, alias, key ? "." : "", key ? key : "", msg);
}

int tconf_error(const struct tconf *tc, const char *key, struct err *e, const char *fmt, ...)
{
	const char *origin = tc->origin;
	if (key && tc->conf.vals) {
		const struct conf_def *def = conf_find(tc->conf.defs, tc->conf.ndefs, key);
		if (def && tc->conf.vals[def - tc->conf.defs].origin)
			origin = tc->conf.vals[def - tc->conf.defs].origin;
	}
	va_list ap;
	va_start(ap, fmt);
	int rc = key_error(origin, tc->prefix, tc->alias, key, e, fmt, ap);
	va_end(ap);
	return rc;
}

static int block_key_error(const struct tconf *tc, size_t i, const struct conf_block *b,
			   struct err *e, const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static int block_key_error(const struct tconf *tc, size_t i, const struct conf_block *b,
			   struct err *e, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = key_error(b->origins ? b->origins[i] : NULL, tc->prefix, tc->alias, b->keys[i], e,
			   fmt, ap);
	va_end(ap);
	return rc;
}

int tconf_load(struct tconf *tc, const char *prefix, const struct conf_block *b,
	       const struct conf_def *defs, size_t ndefs, struct err *e)
{
	const char *origin;
	memset(tc, 0, sizeof(*tc));
	tc->prefix = xstrdup(prefix);
	tc->alias = xstrdup(b->alias);
	tconf_block_value(b, "type", &origin);
	tc->origin = origin ? xstrdup(origin) : NULL;
	int rc = conf_init(&tc->conf, defs, ndefs, e);
	if (rc < 0)
		return rc;
	for (size_t i = 0; i < b->n; i++) {
		const struct conf_def *def = conf_find(defs, ndefs, b->keys[i]);
		struct err pe;
		int64_t num;
		if (!def)
			return block_key_error(tc, i, b, e, "unknown config key");
		/* Parse here first, so that the message is ours (conf_set_from
		 * would name the key without its prefix). */
		if (conf_parse(def, b->values[i], &num, NULL, &pe) < 0)
			return block_key_error(tc, i, b, e, "%s", pe.msg);
		rc = conf_set_from(&tc->conf, b->keys[i], b->values[i], CONF_SRC_FILE,
				   b->origins ? b->origins[i] : NULL, e);
		if (rc < 0)
			return rc;
	}
	return 0;
}

void tconf_free(struct tconf *tc)
{
	if (tc->conf.defs)
		conf_free(&tc->conf);
	free(tc->prefix);
	free(tc->alias);
	free(tc->origin);
	memset(tc, 0, sizeof(*tc));
}

const char *tconf_str(const struct tconf *tc, const char *key)
{
	const char *s = conf_get_str(&tc->conf, key);
	return s && *s ? s : NULL;
}

int64_t tconf_num(const struct tconf *tc, const char *key)
{
	return conf_get_num(&tc->conf, key);
}

int tconf_bool(const struct tconf *tc, const char *key)
{
	return conf_get_bool(&tc->conf, key);
}

int tconf_given(const struct tconf *tc, const char *key)
{
	return conf_get_source(&tc->conf, key) != CONF_SRC_DEFAULT;
}

int tconf_type_is(const char *name, const char *slog_name, const char *const *aliases)
{
	if (strcmp(name, slog_name) == 0)
		return 1;
	for (size_t i = 0; aliases && aliases[i]; i++)
		if (strcmp(name, aliases[i]) == 0)
			return 1;
	return 0;
}

static char *trimmed(const char *s, size_t n)
{
	while (n && (*s == ' ' || *s == '\t'))
		s++, n--;
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	return xstrndup(s, n);
}

int tconf_list(const struct tconf *tc, const char *key, char ***out, size_t *n, struct err *e)
{
	const char *s = tconf_str(tc, key);
	size_t cap = 1;
	*n = 0;
	*out = xcalloc(1, sizeof(char *));
	while (s) {
		const char *comma = strchr(s, ',');
		size_t len = comma ? (size_t)(comma - s) : strlen(s);
		char *item = trimmed(s, len);
		if (!*item) {
			free(item);
			tconf_list_free(*out);
			*out = NULL;
			return tconf_error(tc, key, e, "empty item in the list");
		}
		*out = xgrow(*out, &cap, *n + 2, sizeof(char *));
		(*out)[(*n)++] = item;
		(*out)[*n] = NULL;
		s = comma ? comma + 1 : NULL;
	}
	return 0;
}

void tconf_list_free(char **list)
{
	for (size_t i = 0; list && list[i]; i++)
		free(list[i]);
	free(list);
}
