/*
 * cli.c: shared main() conventions.  See cli.h.
 */
#include "cli.h"

#include <curl/curl.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "client_config.h"
#include "crc32c.h"
#include "http_client.h"
#include "log.h"
#include "units.h"

static const char *prog = "slog";

void cli_init(const char *name)
{
	const char *slash = strrchr(name, '/');

	prog = slash ? slash + 1 : name;
	log_set_ident(prog);
}

const char *cli_prog(void)
{
	return prog;
}

void cli_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void cli_usage_error(const char *synopsis, const char *fmt, ...)
{
	/* Inside an option loop, optarg is the value being judged: name the
	 * config file line, variable or -X it came from (glibc clears optarg
	 * when the loop ends, so later errors are not taken for its). */
	const char *source = client_config_source(optarg);
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	if (source)
		fprintf(stderr, "%s: ", source);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n%s", synopsis);
	fprintf(stderr, "Try '%s --help' for more.\n", prog);
	exit(2);
}

void cli_option_error(const char *synopsis, char **argv, int c)
{
	char name[64];

	const char *arg = argv[optind - 1];

	/* Name the option as typed: --long (without =value), or a short one
	 * alone even when it sat in a bundle (-vx). */
	if (strncmp(arg, "--", 2) == 0)
		snprintf(name, sizeof(name), "%.*s", (int)strcspn(arg, "="), arg);
	else if (optopt > ' ' && optopt < 127)
		snprintf(name, sizeof(name), "-%c", optopt);
	else
		snprintf(name, sizeof(name), "%s", arg);
	if (c == ':')
		cli_usage_error(synopsis, "option '%s' needs a value", name);
	cli_usage_error(synopsis, "unknown option '%s'", name);
}

void cli_print_version(void)
{
	curl_version_info_data *cv = curl_version_info(CURLVERSION_NOW);

	printf("%s %s\n", prog, SLOG_VERSION);
	printf("zstd %s, libcurl %s, jansson %s, crc32c %s\n", ZSTD_versionString(), cv->version,
	       jansson_version_str(), crc32c_hw_available() ? "sse4.2" : "software");
}

void cli_list_options(const struct option *longopts)
{
	for (const struct option *o = longopts; o->name; o++) {
		if (strcmp(o->name, "list-options") == 0)
			continue;
		printf("--%s\n", o->name);
		if (o->val > ' ' && o->val < 127 && !o->flag)
			printf("-%c\n", o->val);
	}
}

typedef int (*parse_fn)(const char *s, int64_t min, int64_t max, int64_t *out, struct err *e);

static int parse_ms(const char *s, int64_t min, int64_t max, int64_t *out, struct err *e)
{
	return units_parse_duration(s, 1, min, max, out, e);
}

static int64_t cli_num(parse_fn fn, const char *synopsis, const char *opt, const char *arg,
		       int64_t min, int64_t max)
{
	struct err e;
	int64_t v;

	if (fn(arg, min, max, &v, &e))
		cli_usage_error(synopsis, "%s: %s", opt, e.msg);
	return v;
}

int64_t cli_int(const char *synopsis, const char *opt, const char *arg, int64_t min, int64_t max)
{
	return cli_num(units_parse_int, synopsis, opt, arg, min, max);
}

int64_t cli_bytes(const char *synopsis, const char *opt, const char *arg, int64_t min, int64_t max)
{
	return cli_num(units_parse_bytes, synopsis, opt, arg, min, max);
}

int64_t cli_ms(const char *synopsis, const char *opt, const char *arg, int64_t min, int64_t max)
{
	return cli_num(parse_ms, synopsis, opt, arg, min, max);
}

void cli_regex(const char *synopsis, const char *opt, const char *arg, regex_t *re)
{
	int rc = regcomp(re, arg, REG_EXTENDED | REG_NOSUB);
	char why[256];

	if (rc == 0)
		return;
	regerror(rc, re, why, sizeof(why));
	cli_usage_error(synopsis, "%s: '%s' is not an extended regular expression: %s", opt, arg, why);
}

const char *cli_brokers(const char *synopsis, const char *arg)
{
	const char *env = getenv("SLOG_BROKERS");
	const char *list = arg && *arg ? arg : env && *env ? env : SLOG_DEFAULT_BROKERS;
	const char *from = list == arg ? "-b" : list == env ? "SLOG_BROKERS" : "the default";
	char one[256], base[300];
	struct err e;

	/* Every address is checked now: a typo is a usage error, not "cannot connect". */
	for (const char *b = list, *end; b; b = *end ? end + 1 : NULL) {
		end = b + strcspn(b, ",");
		if ((size_t)(end - b) >= sizeof(one))
			cli_usage_error(synopsis, "%s: bad broker address '%.*s...'", from, 40, b);
		snprintf(one, sizeof(one), "%.*s", (int)(end - b), b);
		if (http_broker_base(one, base, sizeof(base), &e))
			cli_usage_error(synopsis, "%s: %s", from, e.msg);
	}
	return list;
}

void cli_escape(struct buf *out, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '\n')
			buf_adds(out, "\\n");
		else if (c == '\t')
			buf_adds(out, "\\t");
		else if (c < 0x20 || c == 0x7f)
			buf_addf(out, "\\x%02x", c);
		else
			buf_addc(out, (char)c);
	}
}

void cli_print_json(json_t *j)
{
	char *text = json_dumps(j, JSON_COMPACT);

	printf("%s\n", text ? text : "null");
	free(text);
	json_decref(j);
}

static volatile sig_atomic_t stop_requested;

static void on_stop_signal(int sig)
{
	(void)sig;
	/* Counted, so that a program can give up on a second signal. */
	if (stop_requested < 2)
		stop_requested++;
}

volatile sig_atomic_t *cli_stop_on_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	return &stop_requested;
}
