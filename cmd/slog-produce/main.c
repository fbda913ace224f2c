/*
 * slog-produce: standard input (or files) to a topic.
 *
 * Exit status: 0 when every record read was acknowledged; 1 when any
 * was not (the count is on stderr), the input had a bad line, or the
 * run was interrupted with records unacknowledged; 2 for a usage error.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "client_config.h"
#include "compress.h"
#include "escape.h"
#include "input.h"
#include "producer.h"
#include "xalloc.h"

static const char synopsis[] =
	"usage: slog-produce -t TOPIC [-p N] [-k KEY | -K DELIM] [-D DELIM] [-H NAME=VALUE]...\n"
	"                    [-J] [-Z] [-z CODEC] [--acks 0|1|all] [-O] [--report-format FMT]\n"
	"                    [-T] [-l] [-v] [FILE...]\n";

static void usage(void)
{
	printf("%s\n", synopsis);
	printf("Send records from standard input, or from FILEs in turn, to a topic.\n\n"
	       "  -b, --brokers LIST          brokers (default: $SLOG_BROKERS, else 127.0.0.1:9292)\n"
	       "  -X, --set KEY=VALUE         set a config key; -X list shows them all\n"
	       "  -F, --config-file FILE      read config keys from FILE (default: $SLOG_CONFIG_FILE,\n"
	       "                              else ~/.config/slog/slog.conf when it exists)\n"
	       "  -t, --topic TOPIC           the topic (with -J, lines may name their own; -t\n"
	       "                              replaces only their topic, not their partition)\n"
	       "  -p, --partition N           send every record to partition N\n"
	       "  -k, --key KEY               give every record this key\n"
	       "  -K, --key-delimiter DELIM   split each record into key and value at DELIM\n"
	       "  -D, --delimiter DELIM       records end with DELIM (default \\n); -D '' makes\n"
	       "                              each input one record\n"
	       "  -l, --split-files           read FILEs record by record at DELIM, like stdin\n"
	       "                              (the default; kcat's -l)\n"
	       "  -H, --header NAME=VALUE     add a header to every record (repeatable, order kept)\n"
	       "  -J, --json                  input is NDJSON records, as slog-consume -J prints them\n"
	       "  -Z, --null-empty            send an empty key or value as null (a tombstone)\n"
	       "  -z, --compression CODEC     none or zstd (default none)\n"
	       "      --acks 0|1|all          when the broker answers: at once (0), after the append\n"
	       "                              (1), or after the batch is durable (all, the default)\n"
	       "      --linger-ms MS          wait up to MS to fill a batch (default 5)\n"
	       "      --batch-bytes SIZE      largest batch (default 1MB, capped by the topic's\n"
	       "                              max.message.bytes)\n"
	       "      --buffer-bytes SIZE     stop reading while this much is unacknowledged (default 64MiB)\n"
	       "      --max-in-flight N       requests on the wire at once, one per partition (default 16)\n"
	       "      --timeout-ms MS         stop waiting for a record's acknowledgement after MS\n"
	       "                              (default 30000)\n"
	       "      --partitioner NAME      murmur2 (by key, Kafka's default), random, roundrobin\n"
	       "  -c, --count N               stop after N records\n"
	       "  -O, --report                print \"partition offset\" for each acknowledged record\n"
	       "                              (--report-format '%%t %%p %%o\\n' adds the topic)\n"
	       "      --report-format FMT     the -O line: slog-consume -f's tokens (%%t %%p %%o %%k\n"
	       "                              %%T ...), or json for one object per record\n"
	       "  -T, --tee                   also copy each record to stdout as it is read\n"
	       "  -v, --verbose               print a summary on stderr\n"
	       "  -h, --help                  show this help\n"
	       "  -V, --version               show the version\n\n"
	       "DELIM takes the escapes \\n \\t \\r \\0 \\\\ and \\xNN.  A record whose answer does\n"
	       "not come is \"not acknowledged\": it may have been written, and sending it again\n"
	       "may write it twice.  A first SIGINT or SIGTERM stops reading and waits for what\n"
	       "was read; a second gives up.  See slog-produce(1).\n");
}

enum { OPT_ACKS = 256, OPT_LINGER, OPT_BATCH, OPT_BUFFER, OPT_INFLIGHT, OPT_TIMEOUT,
       OPT_PARTITIONER, OPT_REPORT_FORMAT, OPT_LIST };

static const struct option longopts[] = {
	{ "brokers", required_argument, NULL, 'b' },
	{ "set", required_argument, NULL, 'X' },          /* -X, -F: client_config_args() */
	{ "config-file", required_argument, NULL, 'F' },
	{ "topic", required_argument, NULL, 't' },
	{ "partition", required_argument, NULL, 'p' },
	{ "key", required_argument, NULL, 'k' },
	{ "key-delimiter", required_argument, NULL, 'K' },
	{ "delimiter", required_argument, NULL, 'D' },
	{ "header", required_argument, NULL, 'H' },
	{ "json", no_argument, NULL, 'J' },
	{ "null-empty", no_argument, NULL, 'Z' },
	{ "compression", required_argument, NULL, 'z' },
	{ "acks", required_argument, NULL, OPT_ACKS },
	{ "linger-ms", required_argument, NULL, OPT_LINGER },
	{ "batch-bytes", required_argument, NULL, OPT_BATCH },
	{ "buffer-bytes", required_argument, NULL, OPT_BUFFER },
	{ "max-in-flight", required_argument, NULL, OPT_INFLIGHT },
	{ "timeout-ms", required_argument, NULL, OPT_TIMEOUT },
	{ "partitioner", required_argument, NULL, OPT_PARTITIONER },
	{ "count", required_argument, NULL, 'c' },
	{ "report", no_argument, NULL, 'O' },
	{ "report-format", required_argument, NULL, OPT_REPORT_FORMAT },
	{ "tee", no_argument, NULL, 'T' },
	{ "split-files", no_argument, NULL, 'l' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ "list-options", no_argument, NULL, OPT_LIST },
	{ NULL, 0, NULL, 0 },
};

/* Turn the escapes of escape.h into bytes, in place; returns the length. */
static size_t unescape(const char *opt, char *s)
{
	char *o = s;

	for (const char *p = s; *p; p++) {
		int used;

		if (*p != '\\') {
			*o++ = *p;
			continue;
		}
		switch (escape_decode(++p, o, &used)) {
		case ESCAPE_OK: break;
		case ESCAPE_BAD_HEX: cli_usage_error(synopsis, "%s: \\x needs two hex digits", opt);
		default: cli_usage_error(synopsis, "%s: unknown escape '\\%c'", opt, *p ? *p : ' ');
		}
		o++;
		p += used - 1;
	}
	return (size_t)(o - s);
}

/*
 * -O takes no value, so "-O json" reads a file named json.  When no such
 * file exists the user surely meant a format: say where it goes.
 */
static void check_report_typo(char **files, int nfiles)
{
	for (int i = 0; i < nfiles; i++)
		if ((strcmp(files[i], "json") == 0 || strchr(files[i], '%')) && access(files[i], F_OK) != 0)
			cli_usage_error(synopsis, "-O takes no value, and there is no input file '%s'; "
					"for that report give --report-format %s", files[i], files[i]);
}

/* The closing lines on stderr; the exit status. */
static int outcome(const struct producer_stats *st)
{
	int64_t lost = st->failed + st->unacked;

	if (st->unacked && st->failed)
		cli_error("%lld of %lld records were not acknowledged: %lld were not written, and %lld "
			  "may have been (sending them again may write them twice)", (long long)lost,
			  (long long)st->read, (long long)st->failed, (long long)st->unacked);
	else if (st->unacked)
		cli_error("%lld of %lld records were not acknowledged: they may have been written, and "
			  "sending them again may write them twice", (long long)lost, (long long)st->read);
	else if (st->failed)
		cli_error("%lld of %lld records were not delivered", (long long)lost, (long long)st->read);
	if (st->interrupted)
		cli_error("interrupted after %lld records", (long long)st->read);
	return lost || st->input_error || (st->interrupted && st->delivered < st->read) ? 1 : 0;
}

static double elapsed_s(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

/* What the command line asks for, beyond the producer's and the input's options. */
struct invocation {
	struct producer_opts o;
	struct input_opts io;
	const char *brokers, *report_format;
	int verbose, have_partitioner, have_delim, want_report, split_files;
};

/* -H NAME=VALUE: one more header on every record. */
static void add_header(struct producer_opts *o, char *arg)
{
	char *eq = strchr(arg, '=');
	struct record_header *h;

	if (!eq || eq == arg)
		cli_usage_error(synopsis, "-H: '%s' is not NAME=VALUE", arg);
	o->headers = xrealloc(o->headers, (o->nheaders + 1) * sizeof(*o->headers));
	h = &o->headers[o->nheaders++];
	h->key = (const uint8_t *)arg;
	h->key_len = (int32_t)(eq - arg);
	h->value = (const uint8_t *)eq + 1;
	h->value_len = (int32_t)strlen(eq + 1);
}

static const char *parse_acks(const char *arg)
{
	if (strcmp(arg, "0") && strcmp(arg, "1") && strcmp(arg, "all") && strcmp(arg, "-1"))
		cli_usage_error(synopsis, "--acks: '%s' is not 0, 1 or all", arg);
	return strcmp(arg, "-1") == 0 ? "all" : arg;
}

static enum partitioner parse_partitioner(const char *arg)
{
	if (strcmp(arg, "murmur2") == 0)
		return PART_MURMUR2;
	if (strcmp(arg, "random") == 0)
		return PART_RANDOM;
	if (strcmp(arg, "roundrobin") == 0)
		return PART_ROUNDROBIN;
	cli_usage_error(synopsis, "--partitioner: '%s' is not murmur2, random or roundrobin", arg);
}

/* One option; returns 1 when the program is done (-h, -V, --list-options). */
static int take_option(struct invocation *v, int c, char **argv)
{
	struct producer_opts *o = &v->o;
	struct input_opts *io = &v->io;

	switch (c) {
	case 'b': v->brokers = optarg; break;
	case 't': o->topic = optarg; break;
	case 'p': o->partition = (int32_t)cli_int(synopsis, "-p", optarg, 0, INT32_MAX); break;
	case 'k': o->key = optarg; break;
	case 'K':
		io->key_delim_len = unescape("-K", optarg);
		io->key_delim = optarg;
		if (!io->key_delim_len)
			cli_usage_error(synopsis, "-K: the key delimiter cannot be empty");
		break;
	case 'D':
		io->delim_len = unescape("-D", optarg);
		io->delim = optarg;
		v->have_delim = 1;
		break;
	case 'H': add_header(o, optarg); break;
	case 'J': io->json = 1; break;
	case 'Z': o->null_empty = 1; break;
	case 'z':
		o->codec = codec_from_name(optarg);
		if (o->codec != CODEC_NONE && o->codec != CODEC_ZSTD)
			cli_usage_error(synopsis, "-z: '%s' is not none or zstd", optarg);
		break;
	case OPT_ACKS: o->acks = parse_acks(optarg); break;
	case OPT_LINGER: o->linger_ms = cli_ms(synopsis, "--linger-ms", optarg, 0, 3600000); break;
	case OPT_BATCH: o->batch_bytes = cli_bytes(synopsis, "--batch-bytes", optarg, 100, 1 << 30); break;
	case OPT_BUFFER: o->buffer_bytes = cli_bytes(synopsis, "--buffer-bytes", optarg, 1 << 16, INT64_MAX); break;
	case OPT_INFLIGHT: o->max_in_flight = (int)cli_int(synopsis, "--max-in-flight", optarg, 1, 1024); break;
	case OPT_TIMEOUT: o->timeout_ms = cli_ms(synopsis, "--timeout-ms", optarg, 1, 86400000LL * 7); break;
	case OPT_PARTITIONER:
		v->have_partitioner = 1;
		o->partitioner = parse_partitioner(optarg);
		break;
	case 'c': o->count = cli_int(synopsis, "-c", optarg, 1, INT64_MAX); break;
	case 'O': v->want_report = 1; break;
	case OPT_REPORT_FORMAT: v->report_format = optarg; break;
	case 'T': o->tee = 1; break;
	case 'l': v->split_files = 1; break;
	case 'v': v->verbose = 1; break;
	case 'h': usage(); return 1;
	case 'V': cli_print_version(); return 1;
	case OPT_LIST: cli_list_options(longopts); return 1;
	default: cli_option_error(synopsis, argv, c);
	}
	return 0;
}

/* Options that cannot go together, and the topic; then the report. */
static void check_options(struct invocation *v, char **files, int nfiles)
{
	struct producer_opts *o = &v->o;
	struct input_opts *io = &v->io;
	struct err e;

	if (!o->topic && !io->json)
		cli_usage_error(synopsis, "a topic is needed: -t TOPIC");
	if (o->key && io->key_delim_len)
		cli_usage_error(synopsis, "cannot use -k with -K");
	if (io->json && (o->key || io->key_delim_len))
		cli_usage_error(synopsis, "cannot use -k or -K with -J (lines carry their keys)");
	if (io->json && v->have_delim)
		cli_usage_error(synopsis, "cannot use -D with -J (NDJSON is one record per line)");
	if (v->have_partitioner && o->partition >= 0)
		cli_usage_error(synopsis, "cannot use -p with --partitioner");
	if (o->tee && (v->want_report || v->report_format))
		cli_usage_error(synopsis, "cannot use -T with -O (both write to stdout)");
	if (v->split_files && v->have_delim && io->delim_len == 0)
		cli_usage_error(synopsis, "cannot use -l with -D '' (-l splits files at the delimiter)");
	if (o->topic && producer_check_topic(o->topic, &e))
		cli_usage_error(synopsis, "-t: %s", e.msg);
	if (v->want_report && !v->report_format)
		check_report_typo(files, nfiles);
	if (v->want_report || v->report_format) {
		o->report = report_new(v->report_format ? v->report_format : REPORT_DEFAULT_FORMAT, &e);
		if (!o->report)
			cli_usage_error(synopsis, "--report-format: %s", e.msg);
	}
}

/* Send the input; the exit status. */
static int run(struct invocation *v, char **files, int nfiles)
{
	const struct producer_stats *st;
	volatile sig_atomic_t *stop = cli_stop_on_signals();
	struct timespec t0;
	struct producer *p;
	struct cluster cl;
	struct input in;
	struct err e;
	int status;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (cluster_connect(&cl, cli_brokers(synopsis, v->brokers), clock_mono_ms() + v->o.timeout_ms, &e)) {
		cli_error("%s", e.msg);
		return 1;
	}
	p = producer_new(&cl, &v->o);
	if (v->o.topic && producer_prepare_topic(p, v->o.topic, &e)) {
		cli_error("%s", e.msg);
		producer_free(p);
		cluster_close(&cl);
		return 1;
	}
	input_open(&in, &v->io, files, nfiles, &e);
	producer_run(p, &in, stop);
	st = producer_stats(p);
	if (v->verbose) {
		double s = elapsed_s(&t0);
		fprintf(stderr, "%s: %lld of %lld records acknowledged (%lld bytes) in %.3f s, %.0f records/s\n",
			cli_prog(), (long long)st->delivered, (long long)st->read, (long long)st->bytes, s,
			s > 0 ? (double)st->delivered / s : 0.0);
	}
	status = outcome(st);
	input_close(&in);
	producer_free(p);
	cluster_close(&cl);
	return status;
}

int main(int argc, char **argv)
{
	struct invocation v = {
		.o = { .partition = -1, .codec = CODEC_NONE, .acks = "all", .linger_ms = 5,
		       .batch_bytes = 1000000, .buffer_bytes = 64 << 20, .timeout_ms = 30000,
		       .max_in_flight = 16 },
		.io = { .delim = "\n", .delim_len = 1, .max_record = 256 << 20 },
	};
	int c, status;

	cli_init(argv[0]);
	opterr = 0; /* our message, not getopt's */
	client_config_args(CLIENT_PRODUCE, synopsis, longopts, &argc, &argv);
	while ((c = getopt_long(argc, argv, ":b:t:p:k:K:D:H:JZz:c:OTlvhV", longopts, NULL)) != -1)
		if (take_option(&v, c, argv))
			return 0;
	check_options(&v, argv + optind, argc - optind);
	status = run(&v, argv + optind, argc - optind);
	report_free(v.o.report);
	free(v.o.headers);
	return status;
}
