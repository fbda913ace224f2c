/*
 * slog-connect: sources, sinks, transforms and mirroring between
 * clusters.  This file reads the options, picks the command, wires the
 * runtime's modules and maps the result to the exit status: 0 when
 * everything went well, 1 when something failed (a bad connector file,
 * a task that failed in batch mode, a refused request), 2 for a usage
 * error.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "cli_command.h"
#include "connectors/mirror_promote.h"
#include "log.h"
#include "ops/control.h"
#include "runtime/connector_conf.h"
#include "runtime/offsets_cmd.h"
#include "runtime/worker.h"
#include "transforms/transform_pipe.h"

static const char synopsis[] =
	"usage: slog-connect [-c FILE] [-b BROKERS] [--set KEY=VALUE]... COMMAND [ARGS]\n"
	"  run [FILE|DIR|-]...\n"
	"  check FILE...\n"
	"  transform FILE < NDJSON\n"
	"  status|pause|resume|restart [NAME] [--url URL] [--format text|json]\n"
	"  offsets NAME [--reset | --set-offset JSON] [--format text|json]\n"
	"  mirror promote TOPIC\n";

static void usage(void)
{
	printf("%s\n", synopsis);
	printf("Move data between slog and files, commands, HTTP and other clusters.\n\n"
	       "  -b, --brokers LIST        the cluster (default: bootstrap.servers, else\n"
	       "                            $SLOG_BROKERS, else 127.0.0.1:9292)\n"
	       "  -c, --config FILE         the worker file (default: /etc/slog/connect.conf\n"
	       "                            when it exists)\n"
	       "  -X, --set KEY=VALUE       set a worker key or a key of every connector\n"
	       "                            (repeatable; wins over the files)\n"
	       "      --url URL             the REST API of a running slog-connect\n"
	       "                            (default http://127.0.0.1:8083)\n"
	       "      --format FORMAT       text (default) or json (Kafka Connect's shapes)\n"
	       "      --reset               offsets: forget every saved position\n"
	       "      --set-offset JSON     offsets: save {\"partition\":{..},\"offset\":{..}}\n"
	       "  -h, --help                show this help\n"
	       "  -V, --version             show the version\n\n"
	       "Commands:\n"
	       "  run [FILE|DIR|-]...       run connectors (files, *.conf of directories, - for\n"
	       "                            stdin; default connectors.dir, else\n"
	       "                            /etc/slog/connect.d) until SIGTERM; SIGHUP reloads\n"
	       "  check FILE...             check connector files, print their resolved keys\n"
	       "  transform FILE            FILE's transforms over NDJSON records: stdin to stdout\n"
	       "  status [NAME]             the state of the connectors of a running slog-connect\n"
	       "  pause|resume|restart [NAME]  stop, start again, or restart a connector (all\n"
	       "                            without NAME)\n"
	       "  offsets NAME              a source's saved positions; --reset, --set-offset\n"
	       "  mirror promote TOPIC      make a mirror topic writable (failover)\n\n"
	       "See slog-connect(1) and docs/connect.md.\n");
}

enum { OPT_LIST = 256, OPT_URL, OPT_FORMAT, OPT_RESET, OPT_SET_OFFSET };

static const struct option longopts[] = {
	{ "brokers", required_argument, NULL, 'b' },
	{ "config", required_argument, NULL, 'c' },
	{ "set", required_argument, NULL, 'X' },
	{ "url", required_argument, NULL, OPT_URL },
	{ "format", required_argument, NULL, OPT_FORMAT },
	{ "reset", no_argument, NULL, OPT_RESET },
	{ "set-offset", required_argument, NULL, OPT_SET_OFFSET },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ "list-options", no_argument, NULL, OPT_LIST },
	{ NULL, 0, NULL, 0 },
};

static const struct cli_command commands[] = {
	{ "run", 0, -1, { 0 } },
	{ "check", 1, -1, { 0 } },
	{ "transform", 1, 1, { 0 } },
	{ "status", 0, 1, { OPT_URL, OPT_FORMAT } },
	{ "pause", 0, 1, { OPT_URL, OPT_FORMAT } },
	{ "resume", 0, 1, { OPT_URL, OPT_FORMAT } },
	{ "restart", 0, 1, { OPT_URL, OPT_FORMAT } },
	{ "offsets", 1, 1, { OPT_RESET, OPT_SET_OFFSET, OPT_FORMAT } },
	{ "mirror", 2, 2, { 0 } },
};

static const int global_options[] = { 'b', 'c', 'X', 0 };

static const struct cli_commands command_set = {
	synopsis, commands, sizeof(commands) / sizeof(commands[0]), longopts, global_options,
	"connector file",
};

#define MAX_SETS 256
#define DEFAULT_WORKER_FILE "/etc/slog/connect.conf"

struct args {
	const char *worker_file;
	const char *url;
	int json;
	struct offsets_args offsets;
	const char *sets[MAX_SETS + 1]; /* --set pairs, then -b as bootstrap.servers=... */
	size_t nsets;
	char brokers_pair[4096];
};

static void parse_options(int argc, char **argv, struct args *a, int *used)
{
	const char *brokers = NULL;
	int c;

	opterr = 0; /* our message, not getopt's */
	while ((c = getopt_long(argc, argv, ":b:c:X:hV", longopts, NULL)) != -1) {
		used[c & 511] = 1;
		switch (c) {
		case 'b': brokers = optarg; break;
		case 'c': a->worker_file = optarg; break;
		case 'X':
			if (a->nsets == MAX_SETS)
				cli_usage_error(synopsis, "too many --set options");
			if (!strchr(optarg, '=') || optarg[0] == '=')
				cli_usage_error(synopsis, "--set: '%s' is not KEY=VALUE", optarg);
			a->sets[a->nsets++] = optarg;
			break;
		case OPT_URL: a->url = optarg; break;
		case OPT_FORMAT:
			if (strcmp(optarg, "text") != 0 && strcmp(optarg, "json") != 0)
				cli_usage_error(synopsis, "--format: '%s' is not text or json", optarg);
			a->json = strcmp(optarg, "json") == 0;
			break;
		case OPT_RESET: a->offsets.reset = 1; break;
		case OPT_SET_OFFSET: a->offsets.set_offset = optarg; break;
		case 'h': usage(); exit(0);
		case 'V': cli_print_version(); exit(0);
		case OPT_LIST: cli_list_options(longopts); exit(0);
		default: cli_option_error(synopsis, argv, c);
		}
	}
	if (a->offsets.reset && a->offsets.set_offset)
		cli_usage_error(synopsis, "cannot use --reset with --set-offset");
	if (brokers) {
		snprintf(a->brokers_pair, sizeof(a->brokers_pair), "bootstrap.servers=%s",
			 cli_brokers(synopsis, brokers));
		a->sets[a->nsets++] = a->brokers_pair;
	}
}

/* -c FILE, else the default file when it exists, else the defaults. */
static int load_worker(const struct args *a, struct worker_conf *wc)
{
	const char *path = a->worker_file;
	struct err e;

	if (!path && access(DEFAULT_WORKER_FILE, F_OK) == 0)
		path = DEFAULT_WORKER_FILE;
	if (worker_conf_load(path, a->sets, a->nsets, wc, &e)) {
		cli_error("%s", e.msg);
		return 1;
	}
	log_set_level((enum log_level)conf_get_num(&wc->conf, "log.level"));
	return 0;
}

/* Every file checked, each error said; 1 if one failed. */
static int cmd_check(const struct args *a, const struct worker_conf *wc, char **files, int n)
{
	int status = 0;

	for (int i = 0; i < n; i++) {
		struct connector_conf *cc;
		struct err e;

		if (worker_load_connector(wc, files[i], a->sets, a->nsets, &cc, &e)) {
			cli_error("%s", e.msg);
			status = 1;
			continue;
		}
		connector_conf_print(cc, stdout);
		connector_conf_free(cc);
	}
	return status;
}

/* The chain as a filter; a failed line is said on stderr and the rest go on. */
static int cmd_transform(const struct args *a, const struct worker_conf *wc, const char *file)
{
	struct connector_conf *cc;
	struct err e;
	int rc;

	if (worker_load_connector(wc, file, a->sets, a->nsets, &cc, &e)) {
		cli_error("%s", e.msg);
		return 1;
	}
	rc = transform_pipe(cc, stdin, stdout, &e);
	if (rc)
		cli_error("%s", e.msg);
	connector_conf_free(cc);
	return rc ? 1 : 0;
}

static int cmd_control(const struct args *a, const char *cmd, char **names, int n)
{
	struct err e;

	if (control_command(a->url ? a->url : "http://127.0.0.1:8083", cmd, n ? names[0] : NULL,
			    a->json, stdout, &e)) {
		cli_error("%s", e.msg);
		return 1;
	}
	return 0;
}

static int cmd_offsets(struct args *a, const struct worker_conf *wc, char **names)
{
	struct err e;

	a->offsets.name = names[0];
	a->offsets.json = a->json;
	a->offsets.timeout_ms = 30000;
	if (offsets_command(wc, &a->offsets, stdout, &e)) {
		cli_error("offsets of '%s': %s", names[0], e.msg);
		return 1;
	}
	return 0;
}

/* mirror promote TOPIC, on the worker's cluster (-b, bootstrap.servers). */
static int cmd_mirror(const struct worker_conf *wc, char **args)
{
	struct err e;

	if (strcmp(args[0], "promote") != 0)
		cli_usage_error(synopsis, "mirror: unknown action '%s' (promote is the one)", args[0]);
	if (mirror_promote(wc->brokers, args[1], &e)) {
		cli_error("cannot promote '%s': %s", args[1], e.msg);
		return 1;
	}
	fprintf(stderr, "%s: '%s' is no longer a mirror topic: it takes producers\n", cli_prog(),
		args[1]);
	return 0;
}

static volatile sig_atomic_t reload_requested;

static void on_hup(int sig)
{
	(void)sig;
	reload_requested = 1;
}

static int cmd_run(const struct args *a, const struct worker_conf *wc, char **files, int n)
{
	volatile sig_atomic_t *stop = cli_stop_on_signals();
	struct sigaction sa;
	struct worker *w;
	struct err e;
	int status;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_hup;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGHUP, &sa, NULL);
	w = worker_new(wc, files, (size_t)n, a->sets, a->nsets, &e);
	if (!w) {
		cli_error("%s", e.msg);
		return 1;
	}
	status = worker_run(w, stop, &reload_requested);
	/* After a second signal tasks may still run: exit without freeing
	 * what they use. */
	if (*stop >= 2)
		_exit(status);
	worker_free(w);
	return status;
}

int main(int argc, char **argv)
{
	static struct args a;
	static struct worker_conf wc;
	int used[CLI_OPTION_VALUES] = { 0 };
	const struct cli_command *cmd;
	char **args;
	int nargs, status;

	cli_init(argv[0]);
	parse_options(argc, argv, &a, used);
	cmd = cli_command_parse(&command_set, argc, argv, optind, used, &args, &nargs);
	/* The REST client needs no worker file. */
	if (!cli_command_is(cmd, "run") && !cli_command_is(cmd, "check") &&
	    !cli_command_is(cmd, "offsets") && !cli_command_is(cmd, "transform") &&
	    !cli_command_is(cmd, "mirror"))
		return cmd_control(&a, cmd->name, args, nargs);
	if (load_worker(&a, &wc))
		return 1;
	if (cli_command_is(cmd, "check"))
		status = cmd_check(&a, &wc, args, nargs);
	else if (cli_command_is(cmd, "run"))
		status = cmd_run(&a, &wc, args, nargs);
	else if (cli_command_is(cmd, "transform"))
		status = cmd_transform(&a, &wc, args[0]);
	else if (cli_command_is(cmd, "mirror"))
		status = cmd_mirror(&wc, args);
	else
		status = cmd_offsets(&a, &wc, args);
	worker_conf_free(&wc);
	return status;
}
