/*
 * client_config.h: the client configuration of slog-produce, slog-consume,
 * slog-topics and slog-groups.
 *
 * A config key is a long option spelled with dots (linger.ms stands for
 * --linger-ms), so that a key means exactly what its option means and the
 * option parsing of main() stays the only place that checks a value.  The
 * registry (client_config.c) says, for each key, which programs take it,
 * its default and one line of doc.  Values come from, highest first:
 *
 *   the command line  the option itself, or -X key=value (same rank: the
 *                     later of two wins)
 *   the environment   SLOG_<KEY>, upper case, dots as underscores
 *                     (linger.ms -> SLOG_LINGER_MS; SLOG_BROKERS)
 *   a file            -F FILE, else $SLOG_CONFIG_FILE, else
 *                     $XDG_CONFIG_HOME/slog/slog.conf (~/.config/slog/...)
 *                     when it exists: key = value lines, # comments
 *   the default       the program's own
 *
 * client_config_args() turns these into arguments: the file's and the
 * environment's values become --option=value placed before the user's
 * arguments, and each -X becomes --option=value where it stood, so that a
 * later flag overrides an earlier one as getopt reads them.  One file
 * serves all four programs: a key another program takes is skipped; a key
 * none takes is an error naming FILE:LINE.
 *
 * Memory made here lives until the program exits (the rewritten argv is
 * main()'s).  Not thread-safe: it runs before anything else in main().
 */
#ifndef SLOG_CLIENT_CONFIG_H
#define SLOG_CLIENT_CONFIG_H

#include <getopt.h>
#include <stddef.h>
#include <stdio.h>

#include "err.h"

enum client_program {
	CLIENT_PRODUCE = 1 << 0,
	CLIENT_CONSUME = 1 << 1,
	CLIENT_TOPICS = 1 << 2,
	CLIENT_GROUPS = 1 << 3,
	CLIENT_ALL = (1 << 4) - 1,
};

struct client_key {
	const char *key;   /* "linger.ms": its option is --linger-ms */
	unsigned programs; /* the CLIENT_* that take it */
	/*
	 * A value from a file or the environment applies only when the
	 * command line has option `needs` (consume's group keys need -g), and
	 * not when it has option `unless` (-p with a partitioner): a shared
	 * file must not turn a valid command line into a conflict.  0: none.
	 */
	int needs, unless;
	const char *def;   /* the default, as -X list shows it */
	const char *doc;
};

enum client_source { CLIENT_SRC_DEFAULT, CLIENT_SRC_FILE, CLIENT_SRC_ENV, CLIENT_SRC_FLAG };

struct client_value {
	char *value;      /* owned; NULL: the default */
	enum client_source src;
	char *where;      /* owned: "FILE:LINE", "SLOG_KEY", "-X", "--brokers"; NULL for a default */
};

/* The values of one program's keys, indexed like the registry. */
struct client_config {
	enum client_program prog;
	struct client_value *v;
};

/* The registry: *n keys. */
const struct client_key *client_config_keys(size_t *n);

/* The key called name, or NULL. */
const struct client_key *client_config_find(const char *name);

/* Its option ("linger-ms") and its variable ("SLOG_LINGER_MS"). */
void client_config_option(const struct client_key *k, char *out, size_t size);
void client_config_env_name(const struct client_key *k, char *out, size_t size);

void client_config_init(struct client_config *cc, enum client_program prog);
void client_config_free(struct client_config *cc);

/* Set key from src, where naming the place (copied). */
int client_config_set(struct client_config *cc, const char *key, const char *value,
		      enum client_source src, const char *where, struct err *e);

/*
 * Read a config file.  A key no program takes, or a line that is not
 * "key = value", is an error naming FILE:LINE; a key that only other
 * programs take is skipped.
 */
int client_config_load_file(struct client_config *cc, const char *path, struct err *e);

/* SLOG_<KEY> of every key the program takes; an empty variable is unset. */
void client_config_load_env(struct client_config *cc);

/*
 * The file to read when -F gives none: $SLOG_CONFIG_FILE, else the
 * per-user file when it exists.  0 with *path set (caller frees), 1 when
 * there is none.
 */
int client_config_default_file(char **path);

/* -X's "key=value" for this program: a usage error (SLOG_EINVALID_CONFIG) names the key. */
int client_config_set_pair(struct client_config *cc, const char *pair, struct err *e);

/* The -X list table: each key, its current value, where it came from, its default, doc. */
void client_config_list(const struct client_config *cc, FILE *out);

/*
 * main()'s entry, before its getopt_long loop (opterr already 0): read
 * the file and the environment, rewrite argc and argv as above, and reset
 * getopt.  -X list prints the table and exits 0; a bad -X, -F or config
 * file is a usage error (exit 2).  longopts must name every option
 * (every short option has its long one), with -X as 'X' and -F as 'F':
 * those two never reach main()'s loop.
 */
void client_config_args(enum client_program prog, const char *synopsis,
			const struct option *longopts, int *argc, char ***argv);

/*
 * Where the option argument arg (an optarg of the rewritten argv) came
 * from, when not typed as the option itself: "FILE:LINE", "SLOG_KEY",
 * "-X key"; else NULL.  cli_usage_error() names it in value errors.
 */
const char *client_config_source(const char *arg);

#endif
