/*
 * conf.c: typed configuration.  See conf.h.
 */
#include "conf.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "units.h"
#include "xalloc.h"

const struct conf_def *conf_find(const struct conf_def *defs, size_t ndefs, const char *key)
{
	for (size_t i = 0; i < ndefs; i++)
		if (strcmp(defs[i].key, key) == 0)
			return &defs[i];
	return NULL;
}

/* Index of value among def->choices, or -1. */
static int enum_index(const struct conf_def *def, const char *value)
{
	const char *p = def->choices;
	size_t vlen = strlen(value);

	for (int i = 0; p && *p; i++) {
		const char *bar = strchr(p, '|');
		size_t n = bar ? (size_t)(bar - p) : strlen(p);
		if (n == vlen && strncmp(p, value, n) == 0)
			return i;
		if (!bar)
			break;
		p = bar + 1;
	}
	return -1;
}

int conf_parse(const struct conf_def *def, const char *value, int64_t *num, char **str,
	       struct err *e)
{
	int b, rc = 0, idx;

	*num = 0;
	if (str)
		*str = NULL;
	switch (def->type) {
	case CONF_INT:
		rc = units_parse_int(value, def->min, def->max, num, e);
		break;
	case CONF_BYTES:
		rc = units_parse_bytes(value, def->min, def->max, num, e);
		break;
	case CONF_DURATION:
		/* -1 is "forever" whatever the unit (log.retention.hours = -1). */
		if (def->min < 0 && strcmp(value, "-1") == 0) {
			*num = -1;
			break;
		}
		rc = units_parse_duration(value, def->unit_ms ? def->unit_ms : 1, def->min, def->max,
					  num, e);
		break;
	case CONF_BOOL:
		rc = units_parse_bool(value, &b, e);
		*num = b;
		break;
	case CONF_RATIO: {
		char *end;
		double d = strtod(value, &end);
		if (end == value || *end || !(d >= 0 && d <= 1))
			return err_set(e, SLOG_EINVALID_CONFIG, "'%s' is not a ratio from 0 to 1", value);
		*num = (int64_t)(d * 1e6 + 0.5);
		break;
	}
	case CONF_ENUM:
		idx = enum_index(def, value);
		if (idx < 0)
			return err_set(e, SLOG_EINVALID_CONFIG, "'%s' is not one of %s", value,
				       def->choices);
		*num = idx;
		/* keep the text too */
		/* fall through */
	case CONF_STRING:
		if (str)
			*str = xstrdup(value);
		break;
	}
	return rc;
}

int conf_init(struct conf *c, const struct conf_def *defs, size_t ndefs, struct err *e)
{
	c->defs = defs;
	c->ndefs = ndefs;
	c->vals = xcalloc(ndefs, sizeof(*c->vals));
	for (size_t i = 0; i < ndefs; i++) {
		if (!defs[i].def)
			continue;
		if (conf_parse(&defs[i], defs[i].def, &c->vals[i].num, &c->vals[i].str, e)) {
			err_wrap(e, "default of %s", defs[i].key);
			conf_free(c);
			return SLOG_EINVALID_CONFIG;
		}
	}
	return 0;
}

void conf_free(struct conf *c)
{
	if (!c->vals)
		return;
	for (size_t i = 0; i < c->ndefs; i++) {
		free(c->vals[i].str);
		free(c->vals[i].origin);
	}
	free(c->vals);
	c->vals = NULL;
}

/* Prefix e with key and where it was set (conf_wrap_key()). */
static int wrap_where(struct err *e, const char *key, enum conf_source src, const char *origin)
{
	if (!origin)
		return err_wrap(e, "%s", key);
	switch (src) {
	case CONF_SRC_FILE: return err_wrap(e, "%s: %s", origin, key);
	case CONF_SRC_ENV: return err_wrap(e, "environment %s", origin);
	case CONF_SRC_CMDLINE: return err_wrap(e, "%s %s", origin, key);
	default: return err_wrap(e, "%s", key);
	}
}

int conf_wrap_key(const struct conf *c, const char *key, struct err *e)
{
	const struct conf_def *def = conf_find(c->defs, c->ndefs, key);
	const struct conf_value *v = def ? &c->vals[def - c->defs] : NULL;

	return wrap_where(e, key, v ? v->source : CONF_SRC_DEFAULT, v ? v->origin : NULL);
}

int conf_set_from(struct conf *c, const char *key, const char *value, enum conf_source src,
		  const char *origin, struct err *e)
{
	const struct conf_def *def = conf_find(c->defs, c->ndefs, key);
	struct conf_value *v;
	int64_t num;
	char *str;

	if (!def) {
		err_set(e, SLOG_EINVALID_CONFIG, "unknown config key '%s'", key);
		return origin ? err_wrap(e, "%s", origin) : SLOG_EINVALID_CONFIG;
	}
	if (conf_parse(def, value, &num, &str, e))
		return wrap_where(e, key, src, origin);
	v = &c->vals[def - c->defs];
	free(v->str);
	free(v->origin);
	v->num = num;
	v->str = str;
	v->source = src;
	v->origin = origin ? xstrdup(origin) : NULL;
	return 0;
}

int conf_set(struct conf *c, const char *key, const char *value, enum conf_source src,
	     struct err *e)
{
	return conf_set_from(c, key, value, src, NULL, e);
}

static char *trim(char *s)
{
	char *end;

	while (isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return s;
}

/* Split "key = value" in place; strip one pair of double quotes. */
static int split_pair(char *line, char **key, char **value)
{
	char *eq = strchr(line, '=');
	size_t n;

	if (!eq)
		return -1;
	*eq = '\0';
	*key = trim(line);
	*value = trim(eq + 1);
	n = strlen(*value);
	if (n >= 2 && (*value)[0] == '"' && (*value)[n - 1] == '"') {
		(*value)[n - 1] = '\0';
		(*value)++;
	}
	return **key ? 0 : -1;
}

int conf_set_pair_from(struct conf *c, const char *pair, enum conf_source src,
		       const char *origin, struct err *e)
{
	char *copy = xstrdup(pair), *key, *value;
	int rc;

	if (split_pair(copy, &key, &value)) {
		rc = err_set(e, SLOG_EINVALID_CONFIG, "'%s' is not key=value", pair);
		if (origin)
			err_wrap(e, "%s", origin);
	} else {
		rc = conf_set_from(c, key, value, src, origin, e);
	}
	free(copy);
	return rc;
}

int conf_set_pair(struct conf *c, const char *pair, enum conf_source src, struct err *e)
{
	return conf_set_pair_from(c, pair, src, NULL, e);
}

/*
 * Cut a comment off a line: a '#' after whitespace, outside double
 * quotes.  A '#' inside a word ("topic#1") or a quoted value stays, so
 * a path or a value that needs one can have it.
 */
static void cut_comment(char *line)
{
	int quoted = 0;

	for (char *p = line; *p; p++) {
		if (*p == '"')
			quoted = !quoted;
		else if (*p == '#' && !quoted && (p == line || isspace((unsigned char)p[-1]))) {
			*p = '\0';
			return;
		}
	}
}

int conf_split_line(char *line, char **key, char **value)
{
	char *s;

	cut_comment(line);
	s = trim(line);
	if (*s == '\0')
		return 1;
	return split_pair(s, key, value) ? -1 : 0;
}

int conf_load_file(struct conf *c, const char *path, struct err *e)
{
	FILE *f = fopen(path, "r");
	char *line = NULL, *key, *value, where[4200];
	size_t cap = 0;
	int lineno = 0, rc = 0;

	if (!f)
		return err_set(e, SLOG_EINVALID_CONFIG, "cannot open config file '%s': %s", path,
			       strerror(errno));
	while (getline(&line, &cap, f) >= 0) {
		lineno++;
		rc = conf_split_line(line, &key, &value);
		if (rc > 0) {
			rc = 0;
			continue;
		}
		snprintf(where, sizeof(where), "%s:%d", path, lineno);
		if (rc) {
			rc = err_set(e, SLOG_EINVALID_CONFIG, "%s: expected 'key = value'", where);
			break;
		}
		rc = conf_set_from(c, key, value, CONF_SRC_FILE, where, e);
		if (rc)
			break;
	}
	free(line);
	fclose(f);
	return rc;
}

int conf_load_env(struct conf *c, const char *prefix, struct err *e)
{
	for (size_t i = 0; i < c->ndefs; i++) {
		char name[160];
		size_t n = (size_t)snprintf(name, sizeof(name), "%s", prefix);
		const char *value;

		for (const char *k = c->defs[i].key; *k && n + 1 < sizeof(name); k++)
			name[n++] = *k == '.' || *k == '-' ? '_' : (char)toupper((unsigned char)*k);
		name[n] = '\0';
		value = getenv(name);
		if (!value)
			continue;
		if (conf_set_from(c, c->defs[i].key, value, CONF_SRC_ENV, name, e))
			return SLOG_EINVALID_CONFIG;
	}
	return 0;
}

static const struct conf_value *get(const struct conf *c, const char *key)
{
	const struct conf_def *def = conf_find(c->defs, c->ndefs, key);

	if (!def) {
		fprintf(stderr, "fatal: config key '%s' is not defined\n", key);
		abort();
	}
	return &c->vals[def - c->defs];
}

int64_t conf_get_num(const struct conf *c, const char *key)
{
	return get(c, key)->num;
}

int conf_get_bool(const struct conf *c, const char *key)
{
	return get(c, key)->num != 0;
}

const char *conf_get_str(const struct conf *c, const char *key)
{
	return get(c, key)->str;
}

enum conf_source conf_get_source(const struct conf *c, const char *key)
{
	return get(c, key)->source;
}

/*
 * A duration kept in ms, as text in the key's unit (log.retention.hours:
 * 5400000 -> "1.5"), so that it reads as it was written and sets back to
 * the same value: the parser rounds a fraction down, so the digits are
 * the fewest (up to 3) that round down to exactly the value; failing
 * that, "Nms".
 */
static void format_duration(int64_t ms, int64_t unit, char *out, size_t size)
{
	int64_t whole, rest, pow10 = 1;

	if (unit <= 1 || ms < 0) {
		snprintf(out, size, "%lld", (long long)ms);
		return;
	}
	whole = ms / unit;
	rest = ms % unit;
	if (rest == 0) {
		snprintf(out, size, "%lld", (long long)whole);
		return;
	}
	for (int digits = 1; digits <= 3; digits++) {
		__int128 f;
		pow10 *= 10;
		f = ((__int128)rest * pow10 + unit - 1) / unit; /* the least that reaches rest */
		if (f < pow10 && f * unit < ((__int128)rest + 1) * pow10) {
			snprintf(out, size, "%lld.%0*lld", (long long)whole, digits, (long long)f);
			return;
		}
	}
	snprintf(out, size, "%lldms", (long long)ms);
}

void conf_format(const struct conf *c, size_t idx, char *out, size_t size)
{
	const struct conf_value *v = &c->vals[idx];

	switch (c->defs[idx].type) {
	case CONF_BOOL:
		snprintf(out, size, "%s", v->num ? "true" : "false");
		break;
	case CONF_STRING:
	case CONF_ENUM:
		snprintf(out, size, "%s", v->str ? v->str : "");
		break;
	case CONF_RATIO:
		snprintf(out, size, "%g", (double)v->num / 1e6);
		break;
	case CONF_DURATION:
		format_duration(v->num, c->defs[idx].unit_ms, out, size);
		break;
	default:
		snprintf(out, size, "%lld", (long long)v->num);
	}
}

const char *conf_source_name(enum conf_source src)
{
	static const char *const names[] = { "default", "file", "environment", "command line",
					     "dynamic" };
	return names[src];
}

void conf_format_source(const struct conf *c, size_t idx, char *out, size_t size)
{
	const struct conf_value *v = &c->vals[idx];

	if (!v->origin)
		snprintf(out, size, "%s", conf_source_name(v->source));
	else if (v->source == CONF_SRC_FILE)
		snprintf(out, size, "file %s", v->origin);
	else if (v->source == CONF_SRC_ENV)
		snprintf(out, size, "env %s", v->origin);
	else
		snprintf(out, size, "%s %s", conf_source_name(v->source), v->origin);
}
