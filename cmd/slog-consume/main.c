/*
 * slog-consume: topics to standard output, alone or as a member of a
 * consumer group (-g).
 *
 * Exit status: 0 when reading stopped as asked (-e, -c, a signal, or the
 * reader of stdout going away, as with | head); 1 on an error (no such
 * topic or partition, an offset out of range, a broker unreachable past
 * the timeout, a corrupt batch); 2 for a usage error.
 */
#include <getopt.h>
#include <regex.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "client_config.h"
#include "group_id.h"
#include "consumer.h"
#include "http_client.h"
#include "topic_args.h"
#include "xalloc.h"

static const char synopsis[] =
	"usage: slog-consume {-t TOPIC... | -r REGEX} [-p N]... [-o OFFSET]... [-e] [-c COUNT]\n"
	"                    [--idle DUR] [-f FORMAT | -J] [-u] [-Z | --null-literal STR] [-q]\n"
	"       slog-consume -g GROUP {-t TOPIC... | -r REGEX} [-o beginning|end|stored]\n"
	"                    [--commit after|before] [-e] [-c COUNT] [--idle DUR]\n"
	"                    [-f FORMAT | -J] [-u] [-Z | --null-literal STR] [-q]\n";

static void usage(void)
{
	printf("%s\n", synopsis);
	printf("Print the records of topics on standard output.\n\n"
	       "  -b, --brokers LIST      brokers (default: $SLOG_BROKERS, else 127.0.0.1:9292)\n"
	       "  -X, --set KEY=VALUE     set a config key; -X list shows them all\n"
	       "  -F, --config-file FILE  read config keys from FILE (default: $SLOG_CONFIG_FILE,\n"
	       "                          else ~/.config/slog/slog.conf when it exists)\n"
	       "  -t, --topic TOPIC       a topic to read (repeatable, or a,b,c)\n"
	       "  -r, --regex REGEX       also read every topic whose name matches REGEX (POSIX\n"
	       "                          extended), as the topics are at start\n"
	       "  -p, --partition N       read partition N (repeatable, or 0,1,2); default all\n"
	       "  -o, --offset OFFSET     where to start: beginning (default), end, N, -N (N before\n"
	       "                          the end), +N, @TIME; where to stop too: N:M (before\n"
	       "                          offset M), N:end or :end (at the end), @T1:T2, @T1:end;\n"
	       "                          P=START (repeatable) starts partition P at START;\n"
	       "                          with -g, where the group has no offset: beginning (or\n"
	       "                          stored), or end\n"
	       "  -g, --group GROUP       consume as a member of GROUP: read the partitions it\n"
	       "                          assigns, from its committed offsets, and commit\n"
	       "      --commit WHEN       after (default: commit what was written, at least once)\n"
	       "                          or before (commit before writing, at most once)\n"
	       "      --commit-interval-ms MS  commit this often (default 5000), and on exit\n"
	       "      --session-timeout-ms MS  leave the group when silent this long (default:\n"
	       "                          the broker's, 45000)\n"
	       "      --client-id ID      name this member in slog-groups describe (default\n"
	       "                          slog-consume)\n"
	       "  -e, --exit              stop at the end of every partition (as it was at start)\n"
	       "  -c, --count N           stop after N records\n"
	       "      --idle DUR          stop when no record came for DUR (500ms, 10s, 1m)\n"
	       "  -f, --format FORMAT     print each record by FORMAT (default '%%s\\n'):\n"
	       "                          %%s value, %%S its length, %%k key, %%K its length, %%t topic,\n"
	       "                          %%p partition, %%o offset, %%T timestamp (ms), %%d date,\n"
	       "                          %%d{strftime}, %%h headers, %%l lag, %%[ log start, %%]\n"
	       "                          high watermark; \\n \\t \\\\ \\xNN escapes\n"
	       "  -J, --json              print NDJSON records (binary-safe; slog-produce -J reads it)\n"
	       "  -u, --unbuffered        write every record at once\n"
	       "  -Z, --null              print a null key or value as NULL\n"
	       "      --null-literal STR  print a null key or value as STR\n"
	       "      --max-bytes SIZE    fetch at most SIZE per partition and request (default 1MiB)\n"
	       "      --timeout-ms MS     give up on an unreachable broker after MS (default 30000)\n"
	       "      --on-truncation WHAT  when a leader change lost records already read:\n"
	       "                          continue (default: say so, read on from the new end)\n"
	       "                          or fail (exit 1)\n"
	       "  -q, --quiet             print no notices on stderr, only errors\n"
	       "  -v, --verbose           print a summary on stderr\n"
	       "  -h, --help              show this help\n"
	       "  -V, --version           show the version\n\n"
	       "TIME is seconds (10 digits or fewer) or ms (11 or more) since the epoch, or with\n"
	       "a unit (1500ms, 1796021410s), YYYY-MM-DD[THH:MM[:SS]][Z], or -DURATION (@-1h).\n"
	       "See slog-consume(1).\n");
}

enum {
	OPT_TIMEOUT = 256, OPT_MAX_BYTES, OPT_LIST, OPT_COMMIT, OPT_COMMIT_INTERVAL, OPT_SESSION,
	OPT_CLIENT_ID, OPT_IDLE, OPT_NULL_LITERAL, OPT_ON_TRUNCATION,
};

static const struct option longopts[] = {
	{ "brokers", required_argument, NULL, 'b' },
	{ "set", required_argument, NULL, 'X' },          /* -X, -F: client_config_args() */
	{ "config-file", required_argument, NULL, 'F' },
	{ "topic", required_argument, NULL, 't' },
	{ "regex", required_argument, NULL, 'r' },
	{ "group", required_argument, NULL, 'g' },
	{ "commit", required_argument, NULL, OPT_COMMIT },
	{ "commit-interval-ms", required_argument, NULL, OPT_COMMIT_INTERVAL },
	{ "session-timeout-ms", required_argument, NULL, OPT_SESSION },
	{ "client-id", required_argument, NULL, OPT_CLIENT_ID },
	{ "partition", required_argument, NULL, 'p' },
	{ "offset", required_argument, NULL, 'o' },
	{ "exit", no_argument, NULL, 'e' },
	{ "count", required_argument, NULL, 'c' },
	{ "idle", required_argument, NULL, OPT_IDLE },
	{ "format", required_argument, NULL, 'f' },
	{ "json", no_argument, NULL, 'J' },
	{ "unbuffered", no_argument, NULL, 'u' },
	{ "null", no_argument, NULL, 'Z' },
	{ "null-literal", required_argument, NULL, OPT_NULL_LITERAL },
	{ "max-bytes", required_argument, NULL, OPT_MAX_BYTES },
	{ "timeout-ms", required_argument, NULL, OPT_TIMEOUT },
	{ "on-truncation", required_argument, NULL, OPT_ON_TRUNCATION },
	{ "quiet", no_argument, NULL, 'q' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ "list-options", no_argument, NULL, OPT_LIST },
	{ NULL, 0, NULL, 0 },
};

/* -p 3, -p 0,1,2: append to the list. */
static void add_partitions(struct consumer_opts *o, char *arg)
{
	for (char *p = arg, *c; p && *p; p = c ? c + 1 : NULL) {
		c = strchr(p, ',');
		if (c)
			*c = '\0';
		o->partitions = xrealloc(o->partitions, (size_t)(o->npartitions + 1) * sizeof(int32_t));
		o->partitions[o->npartitions++] = (int32_t)cli_int(synopsis, "-p", p, 0, INT32_MAX);
	}
}

/* -o, repeatable: one start for every partition, and P=START ones. */
struct offsets {
	const char *all;
	struct partition_start *v;
	int n;
};

static void add_offset(struct offsets *o, const char *arg)
{
	struct partition_start ps;
	struct err e;

	switch (offset_spec_parse_partition(arg, clock_wall_ms(), &ps, &e)) {
	case 1:
		for (int i = 0; i < o->n; i++)
			if (o->v[i].partition == ps.partition)
				cli_usage_error(synopsis, "-o: partition %d is given two starts", ps.partition);
		o->v = xrealloc(o->v, (size_t)(o->n + 1) * sizeof(*o->v));
		o->v[o->n++] = ps;
		return;
	case -1:
		cli_usage_error(synopsis, "-o: %s", e.msg);
	default:
		if (o->all)
			cli_usage_error(synopsis, "-o is given twice ('%s' and '%s'); only P=START may "
						  "repeat", o->all, arg);
		o->all = arg;
	}
}

/* -r, once: a POSIX extended regex; a bad one is a usage error. */
static const char *compile_regex(regex_t *re, const char *before, const char *arg)
{
	if (before)
		cli_usage_error(synopsis, "-r is given twice: join the patterns with |");
	cli_regex(synopsis, "-r", arg, re);
	return arg;
}

/* --on-truncation: 1 for fail, 0 for continue. */
static int on_truncation(const char *arg)
{
	if (strcmp(arg, "fail") == 0)
		return 1;
	if (strcmp(arg, "continue") != 0)
		cli_usage_error(synopsis, "--on-truncation is continue or fail, not '%s'", arg);
	return 0;
}

/* The options that only a group member (-g) takes. */
static void take_group_option(struct consumer_opts *o, int c, const char *arg)
{
	switch (c) {
	case OPT_COMMIT:
		if (strcmp(arg, "after") == 0)
			o->commit = COMMIT_AFTER;
		else if (strcmp(arg, "before") == 0)
			o->commit = COMMIT_BEFORE;
		else
			cli_usage_error(synopsis, "--commit is after or before, not '%s'", arg);
		break;
	case OPT_COMMIT_INTERVAL:
		o->commit_interval_ms = cli_ms(synopsis, "--commit-interval-ms", arg, 1, 86400000LL);
		break;
	case OPT_SESSION:
		o->session_ms = cli_ms(synopsis, "--session-timeout-ms", arg, 1, INT32_MAX);
		break;
	default: /* OPT_CLIENT_ID */
		if (!*arg || strlen(arg) > 127)
			cli_usage_error(synopsis, "--client-id has 1 to 127 characters");
		o->client_id = arg;
	}
}

/* -g: only the group-related start rules make sense, and only group options. */
static void check_group_options(struct consumer_opts *o, int group_only_option)
{
	if (!o->group) {
		if (o->start.kind == OFF_STORED)
			cli_usage_error(synopsis, "-o stored needs -g GROUP");
		if (group_only_option)
			cli_usage_error(synopsis, "--commit, --commit-interval-ms, --session-timeout-ms "
						  "and --client-id need -g GROUP");
		return;
	}
	if (o->npartitions)
		cli_usage_error(synopsis, "-p cannot be used with -g: the group assigns partitions");
	if ((o->start.kind != OFF_BEGINNING && o->start.kind != OFF_END &&
	     o->start.kind != OFF_STORED) || offset_spec_stops(&o->start) || o->nstarts)
		cli_usage_error(synopsis, "-o with -g is beginning, end or stored: where to start "
					  "the partitions the group has no offset for");
}

/* Everything that is not an option's own value: checked before any request. */
static void check_args(struct consumer_opts *o, struct offsets *off, int have_regex, int have_format)
{
	struct err e;

	if (!o->ntopics && !have_regex)
		cli_usage_error(synopsis, "a topic is needed: -t TOPIC or -r REGEX");
	if (o->group && group_id_check(o->group, &e))
		cli_usage_error(synopsis, "-g: %s", e.msg);
	if (have_format && o->json)
		cli_usage_error(synopsis, "cannot use -f with -J");
	if (offset_spec_parse(off->all ? off->all : "beginning", clock_wall_ms(), &o->start, &e))
		cli_usage_error(synopsis, "-o: %s", e.msg);
	o->starts = off->v;
	o->nstarts = off->n;
	if (o->start.stop_at_end)
		o->exit_at_end = 1;
}

/* After connecting: -r's topics join -t's. */
static int match_topics(struct cluster *cl, struct topic_args *ta, const char *pattern,
			const regex_t *re, struct consumer_opts *o)
{
	struct err e;

	if (pattern && topic_args_match(ta, cl, re, pattern, clock_mono_ms() + o->timeout_ms, &e)) {
		cli_error("%s", e.msg);
		return 1;
	}
	o->topics = ta->names;
	o->ntopics = ta->n;
	return 0;
}

int main(int argc, char **argv)
{
	struct consumer_opts o = { .timeout_ms = 30000, .max_bytes = 1 << 20,
				   .commit_interval_ms = 5000, .client_id = "slog-consume" };
	const char *brokers = NULL, *fmt = "%s\\n", *pattern = NULL;
	int c, have_format = 0, group_only = 0, status = 1;
	struct topic_args ta = { 0 };
	struct offsets off = { 0 };
	volatile sig_atomic_t *stop;
	struct cluster cl;
	struct format *f;
	struct err e;
	regex_t re;

	cli_init(argv[0]);
	opterr = 0; /* our message, not getopt's */
	client_config_args(CLIENT_CONSUME, synopsis, longopts, &argc, &argv);
	while ((c = getopt_long(argc, argv, ":b:t:r:p:o:g:ec:f:JuZqvhV", longopts, NULL)) != -1) {
		switch (c) {
		case 'b': brokers = optarg; break;
		case 't':
			if (topic_args_add(&ta, optarg, &e))
				cli_usage_error(synopsis, "-t %s", e.msg);
			o.ntopics = ta.n;
			break;
		case 'r': pattern = compile_regex(&re, pattern, optarg); break;
		case 'p': add_partitions(&o, optarg); break;
		case 'o': add_offset(&off, optarg); break;
		case 'g': o.group = optarg; break;
		case 'e': o.exit_at_end = 1; break;
		case 'c': o.count = cli_int(synopsis, "-c", optarg, 1, INT64_MAX); break;
		case OPT_IDLE: o.idle_ms = cli_ms(synopsis, "--idle", optarg, 1, 86400000LL * 365); break;
		case 'f': fmt = optarg; have_format = 1; break;
		case 'J': o.json = 1; break;
		case 'u': o.unbuffered = 1; break;
		case 'Z': o.null_text = "NULL"; break;
		case OPT_NULL_LITERAL: o.null_text = optarg; break;
		case OPT_MAX_BYTES: o.max_bytes = cli_bytes(synopsis, "--max-bytes", optarg, 1024, 64 << 20); break;
		case OPT_TIMEOUT: o.timeout_ms = cli_ms(synopsis, "--timeout-ms", optarg, 1, 86400000LL * 7); break;
		case OPT_ON_TRUNCATION: o.fail_on_truncation = on_truncation(optarg); break;
		case OPT_COMMIT:
		case OPT_COMMIT_INTERVAL:
		case OPT_SESSION:
		case OPT_CLIENT_ID: take_group_option(&o, c, optarg); group_only = 1; break;
		case 'q': o.quiet = 1; break;
		case 'v': o.verbose = 1; break;
		case 'h': usage(); return 0;
		case 'V': cli_print_version(); return 0;
		case OPT_LIST: cli_list_options(longopts); return 0;
		default: cli_option_error(synopsis, argv, c);
		}
	}
	if (optind < argc)
		cli_usage_error(synopsis, "unexpected argument '%s'", argv[optind]);
	check_args(&o, &off, pattern != NULL, have_format);
	check_group_options(&o, group_only);
	f = format_compile(fmt, &e);
	if (!f)
		cli_usage_error(synopsis, "-f: %s", e.msg);
	o.format = f;

	stop = cli_stop_on_signals();

	if (cluster_connect(&cl, cli_brokers(synopsis, brokers), clock_mono_ms() + o.timeout_ms, &e)) {
		cli_error("%s", e.msg);
	} else {
		if (!match_topics(&cl, &ta, pattern, &re, &o))
			status = consumer_run(&cl, &o, stop, NULL) ? 1 : 0;
		cluster_close(&cl);
	}
	if (pattern)
		regfree(&re);
	format_free(f);
	topic_args_free(&ta);
	free(off.v);
	free(o.partitions);
	return status;
}
