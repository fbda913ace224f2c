/*
 * slog-topics: create, list, describe, alter and delete topics.
 *
 * Exit status: 0 when every operation succeeded (or had nothing to do
 * with --if-exists / --if-not-exists), 1 when one failed, 2 for a usage
 * error.
 */
#include <getopt.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "client_config.h"
#include "cli_command.h"
#include "clock.h"
#include "topic_name.h"
#include "units.h"
#include "topics_cmd.h"

static const char synopsis[] =
	"usage: slog-topics [-b BROKERS] [--timeout-ms MS] COMMAND [ARGS]\n"
	"  create NAME... [-P PARTITIONS] [-R REPLICAS] [-c KEY=VALUE]... [--if-not-exists] [--dry-run]\n"
	"  list [-l] [-r REGEX] [--format text|json|help]\n"
	"  describe [NAME...] [HEALTH-FILTER]... [--format text|json|help]\n"
	"  alter NAME [-c KEY=VALUE]... [--delete-config KEY]... [--dry-run]\n"
	"  alter NAME --replicas P=ID,ID...[;P=ID,...] [--dry-run]\n"
	"  alter [NAME] --reassignment-json FILE [--dry-run]\n"
	"  add-partitions NAME -P TOTAL [--dry-run]\n"
	"  delete NAME... | -r REGEX [--if-exists] [-y]\n"
	"  offsets NAME [--at earliest|latest|TIME] [--format text|json|help]\n";

static void usage(void)
{
	printf("%s\n", synopsis);
	printf("Manage slog topics.\n\n"
	       "  -b, --brokers LIST        brokers to ask (default: $SLOG_BROKERS, else 127.0.0.1:9292)\n"
	       "  -X, --set KEY=VALUE       set a config key; -X list shows them all\n"
	       "  -F, --config-file FILE    read config keys from FILE (default: $SLOG_CONFIG_FILE,\n"
	       "                            else ~/.config/slog/slog.conf when it exists)\n"
	       "  -P, --partitions N        partitions of a new topic; the new total for add-partitions\n"
	       "  -R, --replicas N|P=ID,... create: replication factor of a new topic;\n"
	       "                            alter: move partition P to these brokers (the first\n"
	       "                            is its preferred leader), ';' between partitions\n"
	       "      --reassignment-json FILE  alter: the moves of a plan in Kafka's format,\n"
	       "                            {\"partitions\":[{\"topic\",\"partition\",\"replicas\"}]}\n"
	       "                            (- for stdin); with NAME, only that topic's\n"
	       "  -c, --config KEY=VALUE    a topic config (repeatable), e.g. retention.ms=1d\n"
	       "      --delete-config KEY   remove a topic's own value for KEY (repeatable)\n"
	       "      --if-exists           delete: a missing topic is not an error\n"
	       "      --if-not-exists       create: an existing topic is not an error\n"
	       "      --dry-run             check the request, change nothing\n"
	       "  -y, --yes                 delete: do not ask on a terminal\n"
	       "  -l, --long                list: partitions, replicas, records, size, cleanup policy\n"
	       "  -r, --regex REGEX         list: only names matching REGEX (extended, like grep -E);\n"
	       "                            delete: every topic whose name matches\n"
	       "      --at TIME             offsets: earliest, latest, or a time: ms since the epoch,\n"
	       "                            YYYY-MM-DD[THH:MM[:SS]][Z], or -DURATION (-1h); '@' optional\n"
	       "      --format FORMAT       text (default), json (one document per line), or help\n"
	       "                            (the JSON Schema of the json output)\n"
	       "      --json                the same as --format json\n"
	       "      --timeout-ms MS       give up after this long (default 30000)\n"
	       "  -h, --help                show this help\n"
	       "  -V, --version             show the version\n\n"
	       "Health filters of describe (exit 1 when anything matches, 0 when nothing does):\n"
	       "      --under-replicated-partitions  partitions with fewer in-sync replicas than\n"
	       "                            replicas\n"
	       "      --unavailable-partitions  partitions with no leader or an offline log dir\n"
	       "      --under-min-isr-partitions  partitions with fewer in-sync replicas than\n"
	       "                            min.insync.replicas (acks=all writes fail)\n"
	       "      --at-min-isr-partitions  partitions with exactly min.insync.replicas in sync\n"
	       "      --topics-with-overrides  topics with configs of their own, and those configs\n\n"
	       "See slog-topics(1).\n");
}

enum { OPT_DELETE_CONFIG = 256, OPT_IF_EXISTS, OPT_IF_NOT_EXISTS, OPT_DRY_RUN, OPT_JSON,
       OPT_TIMEOUT, OPT_AT, OPT_LIST, OPT_FORMAT, OPT_UNDER_REPLICATED, OPT_UNAVAILABLE,
       OPT_UNDER_MIN_ISR, OPT_AT_MIN_ISR, OPT_OVERRIDES, OPT_REASSIGNMENT_JSON };

static const struct option longopts[] = {
	{ "brokers", required_argument, NULL, 'b' },
	{ "set", required_argument, NULL, 'X' },          /* -X, -F: client_config_args() */
	{ "config-file", required_argument, NULL, 'F' },
	{ "partitions", required_argument, NULL, 'P' },
	{ "replicas", required_argument, NULL, 'R' },
	{ "config", required_argument, NULL, 'c' },
	{ "delete-config", required_argument, NULL, OPT_DELETE_CONFIG },
	{ "reassignment-json", required_argument, NULL, OPT_REASSIGNMENT_JSON },
	{ "if-exists", no_argument, NULL, OPT_IF_EXISTS },
	{ "if-not-exists", no_argument, NULL, OPT_IF_NOT_EXISTS },
	{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
	{ "yes", no_argument, NULL, 'y' },
	{ "long", no_argument, NULL, 'l' },
	{ "regex", required_argument, NULL, 'r' },
	{ "format", required_argument, NULL, OPT_FORMAT },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "at", required_argument, NULL, OPT_AT },
	{ "under-replicated-partitions", no_argument, NULL, OPT_UNDER_REPLICATED },
	{ "unavailable-partitions", no_argument, NULL, OPT_UNAVAILABLE },
	{ "under-min-isr-partitions", no_argument, NULL, OPT_UNDER_MIN_ISR },
	{ "at-min-isr-partitions", no_argument, NULL, OPT_AT_MIN_ISR },
	{ "topics-with-overrides", no_argument, NULL, OPT_OVERRIDES },
	{ "timeout-ms", required_argument, NULL, OPT_TIMEOUT },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ "list-options", no_argument, NULL, OPT_LIST },
	{ NULL, 0, NULL, 0 },
};

/* Which options each command takes (by option value). */
static const struct cli_command commands[] = {
	{ "create", 1, -1, { 'P', 'R', 'c', OPT_IF_NOT_EXISTS, OPT_DRY_RUN } },
	{ "list", 0, 0, { 'l', 'r', OPT_FORMAT, OPT_JSON } },
	{ "describe", 0, -1, { OPT_FORMAT, OPT_JSON, OPT_UNDER_REPLICATED, OPT_UNAVAILABLE,
			       OPT_UNDER_MIN_ISR, OPT_AT_MIN_ISR, OPT_OVERRIDES } },
	{ "alter", 0, 1, { 'c', OPT_DELETE_CONFIG, OPT_DRY_RUN, 'R', OPT_REASSIGNMENT_JSON } },
	{ "add-partitions", 1, 1, { 'P', OPT_DRY_RUN } },
	{ "delete", 0, -1, { OPT_IF_EXISTS, 'y', 'r' } },
	{ "offsets", 1, 1, { OPT_AT, OPT_FORMAT, OPT_JSON } },
};

static const int global_options[] = { 'b', OPT_TIMEOUT, 0 };

static const struct cli_commands command_set = {
	synopsis, commands, sizeof(commands) / sizeof(commands[0]), longopts, global_options,
	"topic name",
};

/*
 * --at: earliest and latest as they are, a time in the grammar of
 * slog-consume -o @TIME turned into ms here, so that a typo is one usage
 * error before any request rather than one refusal per partition.
 */
static const char *parse_at(const char *arg)
{
	static char ms[24];
	const char *v = arg[0] == '@' ? arg + 1 : arg;
	int64_t t;
	struct err e;

	if (strcmp(v, "earliest") == 0 || strcmp(v, "latest") == 0)
		return v;
	if (units_parse_time(v, clock_wall_ms(), &t, &e))
		cli_usage_error(synopsis, "--at: %s", e.msg);
	snprintf(ms, sizeof(ms), "%lld", (long long)t);
	return ms;
}

static enum topics_format parse_format(const char *arg)
{
	if (strcmp(arg, "text") == 0)
		return FORMAT_TEXT;
	if (strcmp(arg, "json") == 0)
		return FORMAT_JSON;
	if (strcmp(arg, "help") == 0)
		return FORMAT_HELP;
	cli_usage_error(synopsis, "--format: '%s' is not text, json or help", arg);
}

static const regex_t *parse_regex(const char *arg)
{
	static regex_t re;

	cli_regex(synopsis, "-r", arg, &re);
	return &re;
}

/* Every operand of a command but list names a topic: check each before asking. */
static void check_names(char **names, int n)
{
	for (int i = 0; i < n; i++) {
		struct err e;
		if (topic_name_check(names[i], &e))
			cli_usage_error(synopsis, "invalid topic name '%s': %s", names[i], e.msg);
	}
}

/* -R and --reassignment-json as given: read once the command is known. */
static const char *replicas_arg, *plan_file;

/* Options into o (and brokers, timeout); exits on a usage error. */
static void parse_options(int argc, char **argv, struct topics_opts *o, const char **brokers,
			  int64_t *timeout, int *used)
{
	static const unsigned health[] = { HEALTH_UNDER_REPLICATED, HEALTH_UNAVAILABLE,
					   HEALTH_UNDER_MIN_ISR, HEALTH_AT_MIN_ISR,
					   HEALTH_OVERRIDES };
	int c;

	opterr = 0; /* our message, not getopt's */
	while ((c = getopt_long(argc, argv, ":b:P:R:c:ylr:hV", longopts, NULL)) != -1) {
		used[c & 511] = 1;
		switch (c) {
		case 'b': *brokers = optarg; break;
		case 'P': o->partitions = (int32_t)cli_int(synopsis, "-P", optarg, 1, 100000); break;
		case 'R': replicas_arg = optarg; break;
		case OPT_REASSIGNMENT_JSON: plan_file = optarg; break;
		case 'c': {
			char *eq = strchr(optarg, '=');
			if (!eq || eq == optarg)
				cli_usage_error(synopsis, "-c: '%s' is not KEY=VALUE", optarg);
			*eq = '\0';
			json_object_set_new(o->set, optarg, json_string(eq + 1));
			break;
		}
		case OPT_DELETE_CONFIG: json_array_append_new(o->del, json_string(optarg)); break;
		case OPT_IF_EXISTS: o->if_exists = 1; break;
		case OPT_IF_NOT_EXISTS: o->if_not_exists = 1; break;
		case OPT_DRY_RUN: o->dry_run = 1; break;
		case 'y': o->yes = 1; break;
		case 'l': o->long_list = 1; break;
		case 'r':
			o->re = parse_regex(optarg);
			o->re_text = optarg;
			break;
		case OPT_FORMAT: o->format = parse_format(optarg); break;
		case OPT_JSON: o->format = FORMAT_JSON; break;
		case OPT_AT: o->at = parse_at(optarg); break;
		case OPT_UNDER_REPLICATED: case OPT_UNAVAILABLE: case OPT_UNDER_MIN_ISR:
		case OPT_AT_MIN_ISR: case OPT_OVERRIDES:
			o->health |= health[c - OPT_UNDER_REPLICATED];
			break;
		case OPT_TIMEOUT: *timeout = cli_ms(synopsis, "--timeout-ms", optarg, 1, 86400000); break;
		case 'h': usage(); exit(0);
		case 'V': cli_print_version(); exit(0);
		case OPT_LIST: cli_list_options(longopts); exit(0);
		default: cli_option_error(synopsis, argv, c);
		}
	}
}

/*
 * alter's moves into o->moves: every one names a topic, NAME's when it
 * is given, which a plan file's entries must then all name.
 */
static void read_moves(struct topics_opts *o, const char *name)
{
	json_t *m;
	struct err e;
	size_t i;

	if (replicas_arg && plan_file)
		cli_usage_error(synopsis, "cannot use --replicas with --reassignment-json");
	if (replicas_arg && topic_moves_parse(replicas_arg, o->moves, &e))
		cli_usage_error(synopsis, "--replicas: %s", e.msg);
	if (plan_file && topic_moves_read(plan_file, o->moves, &e))
		cli_usage_error(synopsis, "--reassignment-json: %s", e.msg);
	json_array_foreach(o->moves, i, m) {
		const char *t = json_string_value(json_object_get(m, "topic"));

		if (!t)
			json_object_set_new(m, "topic", json_string(name));
		else if (name && strcmp(t, name) != 0)
			cli_usage_error(synopsis, "--reassignment-json: the plan moves topic '%s', not '%s'",
					t, name);
	}
}

/* What each command needs beyond its operands; exits on a usage error. */
static void check_command(const struct cli_command *cmd, struct topics_opts *o, char **args,
			  int nargs)
{
	int moving = replicas_arg || plan_file;

	if (cli_command_is(cmd, "create") && replicas_arg)
		o->replicas = (int32_t)cli_int(synopsis, "-R", replicas_arg, 1, 100);
	if (cli_command_is(cmd, "add-partitions") && !o->partitions)
		cli_usage_error(synopsis, "add-partitions needs -P TOTAL");
	if (cli_command_is(cmd, "delete") && !nargs && !o->re)
		cli_usage_error(synopsis, "delete needs a topic name or -r REGEX");
	if (!cli_command_is(cmd, "alter"))
		return;
	if (!nargs && !plan_file)
		cli_usage_error(synopsis, "alter needs a topic name");
	if (!moving && !json_object_size(o->set) && !json_array_size(o->del))
		cli_usage_error(synopsis, "alter needs -c KEY=VALUE, --delete-config KEY, --replicas "
					  "or --reassignment-json");
	if (moving && !nargs && (json_object_size(o->set) || json_array_size(o->del)))
		cli_usage_error(synopsis, "alter changes configs of the topic NAME only");
	if (moving)
		read_moves(o, nargs ? args[0] : NULL);
}

/* Configs first, then moves: a refused config change moves nothing. */
static int alter(struct cluster *cl, const struct topics_opts *o, char **args)
{
	int status = 0;

	if (json_object_size(o->set) || json_array_size(o->del))
		status = cmd_alter(cl, o, args[0]);
	if (!status && json_array_size(o->moves))
		status = cmd_move(cl, o);
	return status;
}

static int run(const struct cli_command *cmd, struct cluster *cl, const struct topics_opts *o,
	       char **args, int nargs)
{
	if (cli_command_is(cmd, "create"))
		return cmd_create(cl, o, args, nargs);
	if (cli_command_is(cmd, "list"))
		return cmd_list(cl, o);
	if (cli_command_is(cmd, "describe"))
		return cmd_describe(cl, o, args, nargs);
	if (cli_command_is(cmd, "alter"))
		return alter(cl, o, args);
	if (cli_command_is(cmd, "add-partitions"))
		return cmd_add_partitions(cl, o, args[0]);
	if (cli_command_is(cmd, "delete"))
		return cmd_delete(cl, o, args, nargs);
	return cmd_offsets(cl, o, args[0]);
}

int main(int argc, char **argv)
{
	/* Option state lives as long as the program (static: reachable at every exit). */
	static struct topics_opts o;
	const char *brokers = NULL;
	int64_t timeout = 30000;
	int used[CLI_OPTION_VALUES] = { 0 };
	const struct cli_command *cmd;
	struct cluster cl;
	struct err e;
	char **args;
	int nargs, status;

	cli_init(argv[0]);
	opterr = 0; /* our message, not getopt's */
	client_config_args(CLIENT_TOPICS, synopsis, longopts, &argc, &argv);
	o.set = json_object();
	o.del = json_array();
	o.moves = json_array();
	parse_options(argc, argv, &o, &brokers, &timeout, used);
	/* The schema needs no operands and no broker: "offsets --format help". */
	if (o.format == FORMAT_HELP && optind < argc &&
	    topics_print_schema(argv[optind], o.long_list) == 0)
		return 0;
	cmd = cli_command_parse(&command_set, argc, argv, optind, used, &args, &nargs);
	if (o.format == FORMAT_HELP)
		cli_usage_error(synopsis, "--format help: %s prints no JSON", cmd->name);
	check_names(args, nargs);
	check_command(cmd, &o, args, nargs);

	o.deadline_ms = clock_mono_ms() + timeout;
	if (cluster_connect(&cl, cli_brokers(synopsis, brokers), o.deadline_ms, &e)) {
		cli_error("%s", e.msg);
		return 1;
	}
	status = run(cmd, &cl, &o, args, nargs);
	cluster_close(&cl);
	json_decref(o.set);
	json_decref(o.del);
	json_decref(o.moves);
	if (o.re)
		regfree((regex_t *)o.re);
	if (fflush(stdout) != 0) {
		cli_error("cannot write the output");
		return 1;
	}
	return status;
}
