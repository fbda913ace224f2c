/*
 * cli.h: what every slog program's main() shares.
 *
 * The conventions (DESIGN §6, STYLE rule 16): messages are
 * "prog: what failed 'subject': reason" on stderr; a usage error prints
 * the problem and the synopsis and exits 2; -h prints the full usage on
 * stdout and exits 0; -V prints the version with the libraries built in;
 * --list-options prints every option of the longopts table, one per line,
 * for the shell completions (so they can never drift from the code).
 * Only main() and its option parsing call the functions that exit.
 */
#ifndef SLOG_CLI_H
#define SLOG_CLI_H

#include <getopt.h>
#include <jansson.h>
#include <regex.h>
#include <signal.h>
#include <stdint.h>

#include "buf.h"

#define SLOG_DEFAULT_BROKERS "127.0.0.1:9292"

void cli_init(const char *prog);
const char *cli_prog(void);

/* "prog: message" on stderr. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * "prog: message", then the synopsis, on stderr; exit 2.  When the value
 * being parsed came from a config file, SLOG_<KEY> or -X, the message
 * starts with that place (client_config_source()).
 */
void cli_usage_error(const char *synopsis, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), noreturn));

/*
 * getopt_long returned '?' (unknown option) or ':' (missing value; the
 * option string starts with ':'): say which option, as a usage error.
 */
void cli_option_error(const char *synopsis, char **argv, int c) __attribute__((noreturn));

/* "prog VERSION" and the libraries, on stdout. */
void cli_print_version(void);

/* Every option of the table, "--name" and "-x", one per line. */
void cli_list_options(const struct option *longopts);

/* Parse an option's number/size/duration; a bad one is a usage error. */
int64_t cli_int(const char *synopsis, const char *opt, const char *arg, int64_t min, int64_t max);
int64_t cli_bytes(const char *synopsis, const char *opt, const char *arg, int64_t min, int64_t max);
int64_t cli_ms(const char *synopsis, const char *opt, const char *arg, int64_t min, int64_t max);

/*
 * Compile an option's POSIX extended regular expression into re (matches
 * only, no submatches); a bad one is a usage error naming opt.
 */
void cli_regex(const char *synopsis, const char *opt, const char *arg, regex_t *re);

/*
 * -b's value, else $SLOG_BROKERS, else the default; an address in it that
 * is not one (a bad port, another scheme) is a usage error.
 */
const char *cli_brokers(const char *synopsis, const char *arg);

/*
 * SIGINT and SIGTERM ask for a clean stop: the returned flag becomes
 * nonzero, for the program's loop to notice; it counts the signals up
 * to 2, so that a second one can mean "stop waiting".  SIGPIPE is ignored, so a
 * reader that goes away is an EPIPE the program handles, not a death.
 */
volatile sig_atomic_t *cli_stop_on_signals(void);

/* Append s with control bytes escaped (\n, \x1b), for messages. */
/* Print JSON on stdout as one line (--json output), and release it. */
void cli_print_json(json_t *j);

void cli_escape(struct buf *out, const char *s, size_t n);

#endif
