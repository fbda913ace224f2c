/*
 * slog-consume: a topic to standard output.
 *
 * Exit status: 0 when reading stopped as asked (-e, -c, a signal, or the
 * reader of stdout going away, as with | head); 1 on an error (no such
 * topic or partition, an offset out of range, a broker unreachable past
 * the timeout, a corrupt batch); 2 for a usage error.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "consumer.h"
#include "http_client.h"
#include "xalloc.h"

static const char synopsis[] =
	"usage: slog-consume -t TOPIC [-p N]... [-o OFFSET] [-e] [-c COUNT]\n"
	"                    [-f FORMAT | -J] [-u] [-Z]\n";

static void usage(void)
{
	printf("%s\n", synopsis);
	printf("Print the records of a topic on standard output.\n\n"
	       "  -b, --brokers LIST      brokers (default: $SLOG_BROKERS, else 127.0.0.1:9292)\n"
	       "  -t, --topic TOPIC       the topic\n"
	       "  -p, --partition N       read partition N (repeatable, or 0,1,2); default all\n"
	       "  -o, --offset OFFSET     where to start: beginning (default), end, N, -N (N before\n"
	       "                          the end), +N, @TIME, @T1:T2 (stop at T2)\n"
	       "  -e, --exit              stop at the end of every partition (as it was at start)\n"
	       "  -c, --count N           stop after N records\n"
	       "  -f, --format FORMAT     print each record by FORMAT (default '%%s\\n'):\n"
	       "                          %%s value, %%S its length, %%k key, %%K its length, %%t topic,\n"
	       "                          %%p partition, %%o offset, %%T timestamp (ms), %%d date,\n"
	       "                          %%d{strftime}, %%h headers; \\n \\t \\\\ escapes\n"
	       "  -J, --json              print NDJSON records (binary-safe; slog-produce -J reads it)\n"
	       "  -u, --unbuffered        write every record at once\n"
	       "  -Z, --null              print a null key or value as NULL\n"
	       "      --max-bytes SIZE    fetch at most SIZE per partition and request (default 1MiB)\n"
	       "      --timeout-ms MS     give up on an unreachable broker after MS (default 30000)\n"
	       "  -v, --verbose           print a summary on stderr\n"
	       "  -h, --help              show this help\n"
	       "  -V, --version           show the version\n\n"
	       "TIME is ms since the epoch, YYYY-MM-DD[THH:MM[:SS]][Z], or -DURATION (@-1h).\n"
	       "See slog-consume(1).\n");
}

enum { OPT_TIMEOUT = 256, OPT_MAX_BYTES, OPT_LIST };

static const struct option longopts[] = {
	{ "brokers", required_argument, NULL, 'b' },
	{ "topic", required_argument, NULL, 't' },
	{ "partition", required_argument, NULL, 'p' },
	{ "offset", required_argument, NULL, 'o' },
	{ "exit", no_argument, NULL, 'e' },
	{ "count", required_argument, NULL, 'c' },
	{ "format", required_argument, NULL, 'f' },
	{ "json", no_argument, NULL, 'J' },
	{ "unbuffered", no_argument, NULL, 'u' },
	{ "null", no_argument, NULL, 'Z' },
	{ "max-bytes", required_argument, NULL, OPT_MAX_BYTES },
	{ "timeout-ms", required_argument, NULL, OPT_TIMEOUT },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ "list-options", no_argument, NULL, OPT_LIST },
	{ NULL, 0, NULL, 0 },
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

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

int main(int argc, char **argv)
{
	struct consumer_opts o = { .timeout_ms = 30000, .max_bytes = 1 << 20 };
	const char *brokers = NULL, *fmt = "%s\\n", *offset = "beginning";
	int c, have_format = 0, status;
	struct sigaction sa;
	struct cluster cl;
	struct format *f;
	struct err e;

	cli_init(argv[0]);
	opterr = 0; /* our message, not getopt's */
	while ((c = getopt_long(argc, argv, ":b:t:p:o:ec:f:JuZvhV", longopts, NULL)) != -1) {
		switch (c) {
		case 'b': brokers = optarg; break;
		case 't': o.topic = optarg; break;
		case 'p': add_partitions(&o, optarg); break;
		case 'o': offset = optarg; break;
		case 'e': o.exit_at_end = 1; break;
		case 'c': o.count = cli_int(synopsis, "-c", optarg, 1, INT64_MAX); break;
		case 'f': fmt = optarg; have_format = 1; break;
		case 'J': o.json = 1; break;
		case 'u': o.unbuffered = 1; break;
		case 'Z': o.null_text = "NULL"; break;
		case OPT_MAX_BYTES: o.max_bytes = cli_bytes(synopsis, "--max-bytes", optarg, 1024, 64 << 20); break;
		case OPT_TIMEOUT: o.timeout_ms = cli_ms(synopsis, "--timeout-ms", optarg, 1, 86400000LL * 7); break;
		case 'v': o.verbose = 1; break;
		case 'h': usage(); return 0;
		case 'V': cli_print_version(); return 0;
		case OPT_LIST: cli_list_options(longopts); return 0;
		default: cli_option_error(synopsis, argv, c);
		}
	}
	if (optind < argc)
		cli_usage_error(synopsis, "unexpected argument '%s'", argv[optind]);
	if (!o.topic)
		cli_usage_error(synopsis, "a topic is needed: -t TOPIC");
	if (have_format && o.json)
		cli_usage_error(synopsis, "cannot use -f with -J");
	{
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		if (offset_spec_parse(offset, (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000,
				      &o.start, &e))
			cli_usage_error(synopsis, "-o: %s", e.msg);
	}
	f = format_compile(fmt, &e);
	if (!f)
		cli_usage_error(synopsis, "-f: %s", e.msg);
	o.format = f;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (cluster_connect(&cl, cli_brokers(brokers), clock_mono_ms() + o.timeout_ms, &e)) {
		cli_error("%s", e.msg);
		format_free(f);
		return 1;
	}
	status = consumer_run(&cl, &o, &stop);
	cluster_close(&cl);
	format_free(f);
	free(o.partitions);
	return status;
}
