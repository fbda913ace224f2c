/*
 * conf.h: typed configuration from defaults, files, the environment and
 * the command line.
 *
 * A program describes its keys once, in a table of struct conf_def (the
 * key, its type, its default as text, its range, one line of doc).  That
 * table is the only source of defaults and of the docs `--help-config`
 * style listings print.  Values arrive as text from any source and are
 * parsed and range-checked by the same code:
 *
 *   file         key = value lines, blank lines ignored; a '#' at the
 *                start of a line, or after whitespace outside double
 *                quotes, starts a comment ("log.dirs = /d # data" is /d)
 *   environment  SLOG_<KEY> with dots as underscores, upper case
 *                (log.retention.ms -> SLOG_LOG_RETENTION_MS)
 *   command line --set key=value (or a program's alias of it, -X)
 *
 * An unknown key or a value that does not parse is an error naming the
 * key and where it was set (file and line, variable, option), never a
 * silent default.  Each value remembers that place, so that a check made
 * later (two keys that disagree) names it too.  Later sources override
 * earlier ones: default < file < environment < command line.
 *
 * Getters take a key that must be in the table; asking for a key that is
 * not there is a programming error and aborts.  Not thread-safe while
 * values are being set; reads of a loaded conf are.
 */
#ifndef SLOG_CONF_H
#define SLOG_CONF_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

enum conf_type {
	CONF_INT,      /* plain integer */
	CONF_BYTES,    /* size with units */
	CONF_DURATION, /* duration with units; stored in ms */
	CONF_BOOL,
	CONF_STRING,
	CONF_ENUM,     /* one of the '|'-separated choices */
	CONF_RATIO,    /* a decimal from 0 to 1, stored in millionths */
};

enum conf_source {
	CONF_SRC_DEFAULT,
	CONF_SRC_FILE,
	CONF_SRC_ENV,
	CONF_SRC_CMDLINE,
	CONF_SRC_DYNAMIC, /* set at run time, e.g. a topic's own config */
};

struct conf_def {
	const char *key;
	enum conf_type type;
	const char *def;     /* default as text; NULL for "no value" (strings only) */
	int64_t min, max;    /* numeric range, inclusive */
	int64_t unit_ms;     /* durations: the unit of a bare number */
	const char *choices; /* enums: "a|b|c" */
	const char *doc;
};

struct conf_value {
	int64_t num;
	char *str;
	enum conf_source source;
	/* Where it was set, owned: "FILE:LINE", "SLOG_KEY", the option
	 * ("--set", "-X"); NULL for a default or a conf_set() without one. */
	char *origin;
};

struct conf {
	const struct conf_def *defs;
	size_t ndefs;
	struct conf_value *vals;
};

/* Load the defaults.  Fails only if a default in the table is malformed. */
int conf_init(struct conf *c, const struct conf_def *defs, size_t ndefs, struct err *e);
void conf_free(struct conf *c);

/* The definition of key, or NULL. */
const struct conf_def *conf_find(const struct conf_def *defs, size_t ndefs, const char *key);

/*
 * Parse value as def says.  num receives numbers, booleans (0/1), enum
 * indexes; for strings and enums *str receives a copy the caller frees
 * (str may be NULL when not wanted).
 */
int conf_parse(const struct conf_def *def, const char *value, int64_t *num, char **str,
	       struct err *e);

int conf_set(struct conf *c, const char *key, const char *value, enum conf_source src,
	     struct err *e);
/* conf_set() remembering origin (copied; may be NULL), as struct conf_value says. */
int conf_set_from(struct conf *c, const char *key, const char *value, enum conf_source src,
		  const char *origin, struct err *e);

/* Parse "key=value" (the --set form). */
int conf_set_pair(struct conf *c, const char *pair, enum conf_source src, struct err *e);
/* The same, origin the option that gave it ("--set", "-X"). */
int conf_set_pair_from(struct conf *c, const char *pair, enum conf_source src,
		       const char *origin, struct err *e);

/*
 * Split one line of a config file in place: 1 for a blank or comment
 * line, 0 for "key = value" (both trimmed, one pair of double quotes taken
 * off the value), -1 otherwise.  A '#' at the start or after whitespace,
 * outside double quotes, begins a comment; a '#' inside a word stays.
 * The broker's file and the clients' slog.conf read alike.
 */
int conf_split_line(char *line, char **key, char **value);

int conf_load_file(struct conf *c, const char *path, struct err *e);
int conf_load_env(struct conf *c, const char *prefix, struct err *e);

int64_t conf_get_num(const struct conf *c, const char *key);
int conf_get_bool(const struct conf *c, const char *key);
const char *conf_get_str(const struct conf *c, const char *key); /* may be NULL */
enum conf_source conf_get_source(const struct conf *c, const char *key);

/*
 * Prefix e's message with key and where its value was set, as every
 * error about a value reads: "FILE:LINE: key: ", "environment SLOG_KEY: ",
 * "--set key: ", or "key: " for a default.  Returns e's code.
 */
int conf_wrap_key(const struct conf *c, const char *key, struct err *e);

/* The current value as text, as a config file would say it: durations
 * whose bare number has a unit (log.retention.hours) in that unit. */
void conf_format(const struct conf *c, size_t idx, char *out, size_t size);

const char *conf_source_name(enum conf_source src);

/* Where value idx came from, for a listing: "default", "file FILE:LINE",
 * "env SLOG_KEY", "command line --set". */
void conf_format_source(const struct conf *c, size_t idx, char *out, size_t size);

#endif
