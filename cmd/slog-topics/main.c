/*
 * slog-topics: create, list, describe, alter and delete topics.
 *
 * Exit status: 0 when every operation succeeded (or had nothing to do
 * with --if-exists / --if-not-exists), 1 when one failed, 2 for a usage
 * error.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "client_config.h"
#include "cli_command.h"
#include "topics_cmd.h"

static const char synopsis[] =
	"usage: slog-topics [-b BROKERS] [--timeout-ms MS] COMMAND [ARGS]\n"
	"  create NAME... [-P PARTITIONS] [-R REPLICAS] [-c KEY=VALUE]... [--if-not-exists] [--dry-run]\n"
	"  list [--json]\n"
	"  describe [NAME...] [--json]\n"
	"  alter NAME [-c KEY=VALUE]... [--delete-config KEY]... [--dry-run]\n"
	"  add-partitions NAME -P TOTAL [--dry-run]\n"
	"  delete NAME... [--if-exists]\n"
	"  offsets NAME [--at earliest|latest|MS] [--json]\n";

static void usage(void)
{
	printf("%s\n", synopsis);
	printf("Manage slog topics.\n\n"
	       "  -b, --brokers LIST        brokers to ask (default: $SLOG_BROKERS, else 127.0.0.1:9292)\n"
	       "  -X, --set KEY=VALUE       set a config key; -X list shows them all\n"
	       "  -F, --config-file FILE    read config keys from FILE (default: $SLOG_CONFIG_FILE,\n"
	       "                            else ~/.config/slog/slog.conf when it exists)\n"
	       "  -P, --partitions N        partitions of a new topic; the new total for add-partitions\n"
	       "  -R, --replicas N          replication factor of a new topic\n"
	       "  -c, --config KEY=VALUE    a topic config (repeatable), e.g. retention.ms=1d\n"
	       "      --delete-config KEY   remove a topic's own value for KEY (repeatable)\n"
	       "      --if-exists           delete: a missing topic is not an error\n"
	       "      --if-not-exists       create: an existing topic is not an error\n"
	       "      --dry-run             check the request, change nothing\n"
	       "      --at WHEN             offsets: earliest, latest, or a time in ms (or @MS)\n"
	       "      --json                print JSON, one document per line\n"
	       "      --timeout-ms MS       give up after this long (default 30000)\n"
	       "  -h, --help                show this help\n"
	       "  -V, --version             show the version\n\n"
	       "See slog-topics(1).\n");
}

enum { OPT_DELETE_CONFIG = 256, OPT_IF_EXISTS, OPT_IF_NOT_EXISTS, OPT_DRY_RUN, OPT_JSON,
       OPT_TIMEOUT, OPT_AT, OPT_LIST };

static const struct option longopts[] = {
	{ "brokers", required_argument, NULL, 'b' },
	{ "set", required_argument, NULL, 'X' },          /* -X, -F: client_config_args() */
	{ "config-file", required_argument, NULL, 'F' },
	{ "partitions", required_argument, NULL, 'P' },
	{ "replicas", required_argument, NULL, 'R' },
	{ "config", required_argument, NULL, 'c' },
	{ "delete-config", required_argument, NULL, OPT_DELETE_CONFIG },
	{ "if-exists", no_argument, NULL, OPT_IF_EXISTS },
	{ "if-not-exists", no_argument, NULL, OPT_IF_NOT_EXISTS },
	{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "at", required_argument, NULL, OPT_AT },
	{ "timeout-ms", required_argument, NULL, OPT_TIMEOUT },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ "list-options", no_argument, NULL, OPT_LIST },
	{ NULL, 0, NULL, 0 },
};

/* Which options each command takes (by option value). */
static const struct cli_command commands[] = {
	{ "create", 1, -1, { 'P', 'R', 'c', OPT_IF_NOT_EXISTS, OPT_DRY_RUN } },
	{ "list", 0, 0, { OPT_JSON } },
	{ "describe", 0, -1, { OPT_JSON } },
	{ "alter", 1, 1, { 'c', OPT_DELETE_CONFIG, OPT_DRY_RUN } },
	{ "add-partitions", 1, 1, { 'P', OPT_DRY_RUN } },
	{ "delete", 1, -1, { OPT_IF_EXISTS } },
	{ "offsets", 1, 1, { OPT_AT, OPT_JSON } },
};

static const int global_options[] = { 'b', OPT_TIMEOUT, 0 };

static const struct cli_commands command_set = {
	synopsis, commands, sizeof(commands) / sizeof(commands[0]), longopts, global_options,
	"topic name",
};

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
	int nargs, c, status;

	cli_init(argv[0]);
	opterr = 0; /* our message, not getopt's */
	client_config_args(CLIENT_TOPICS, synopsis, longopts, &argc, &argv);
	o.set = json_object();
	o.del = json_array();
	while ((c = getopt_long(argc, argv, ":b:P:R:c:hV", longopts, NULL)) != -1) {
		used[c & 511] = 1;
		switch (c) {
		case 'b': brokers = optarg; break;
		case 'P': o.partitions = (int32_t)cli_int(synopsis, "-P", optarg, 1, 100000); break;
		case 'R': o.replicas = (int32_t)cli_int(synopsis, "-R", optarg, 1, 100); break;
		case 'c': {
			char *eq = strchr(optarg, '=');
			if (!eq || eq == optarg)
				cli_usage_error(synopsis, "-c: '%s' is not KEY=VALUE", optarg);
			*eq = '\0';
			json_object_set_new(o.set, optarg, json_string(eq + 1));
			break;
		}
		case OPT_DELETE_CONFIG: json_array_append_new(o.del, json_string(optarg)); break;
		case OPT_IF_EXISTS: o.if_exists = 1; break;
		case OPT_IF_NOT_EXISTS: o.if_not_exists = 1; break;
		case OPT_DRY_RUN: o.dry_run = 1; break;
		case OPT_JSON: o.json = 1; break;
		case OPT_AT: o.at = optarg[0] == '@' ? optarg + 1 : optarg; break;
		case OPT_TIMEOUT: timeout = cli_ms(synopsis, "--timeout-ms", optarg, 1, 86400000); break;
		case 'h': usage(); return 0;
		case 'V': cli_print_version(); return 0;
		case OPT_LIST: cli_list_options(longopts); return 0;
		default: cli_option_error(synopsis, argv, c);
		}
	}
	cmd = cli_command_parse(&command_set, argc, argv, optind, used, &args, &nargs);
	if (cli_command_is(cmd, "add-partitions") && !o.partitions)
		cli_usage_error(synopsis, "add-partitions needs -P TOTAL");
	if (cli_command_is(cmd, "alter") && !json_object_size(o.set) && !json_array_size(o.del))
		cli_usage_error(synopsis, "alter needs -c KEY=VALUE or --delete-config KEY");

	o.deadline_ms = clock_mono_ms() + timeout;
	if (cluster_connect(&cl, cli_brokers(brokers), o.deadline_ms, &e)) {
		cli_error("%s", e.msg);
		return 1;
	}
	if (cli_command_is(cmd, "create"))
		status = cmd_create(&cl, &o, args, nargs);
	else if (cli_command_is(cmd, "list"))
		status = cmd_list(&cl, &o);
	else if (cli_command_is(cmd, "describe"))
		status = cmd_describe(&cl, &o, args, nargs);
	else if (cli_command_is(cmd, "alter"))
		status = cmd_alter(&cl, &o, args[0]);
	else if (cli_command_is(cmd, "add-partitions"))
		status = cmd_add_partitions(&cl, &o, args[0]);
	else if (cli_command_is(cmd, "delete"))
		status = cmd_delete(&cl, &o, args, nargs);
	else
		status = cmd_offsets(&cl, &o, args[0]);
	cluster_close(&cl);
	json_decref(o.set);
	json_decref(o.del);
	if (fflush(stdout) != 0) {
		cli_error("cannot write the output");
		return 1;
	}
	return status;
}
