/*
 * slog-groups: list, describe, reset and delete consumer groups.
 *
 * Exit status: 0 when every operation succeeded, 1 when one failed (no
 * such group, a group still active, describe --max-lag exceeded), 2 for
 * a usage error.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli.h"
#include "cli_command.h"
#include "group_id.h"
#include "groups_cmd.h"
#include "units.h"
#include "xalloc.h"

static const char synopsis[] =
	"usage: slog-groups [-b BROKERS] [--timeout-ms MS] COMMAND [ARGS]\n"
	"  list [--state STATE] [--json]\n"
	"  describe GROUP... [--max-lag N] [--json]\n"
	"  reset-offsets GROUP -t TOPIC[:P,P...]... --to-earliest | --to-latest | --to-offset N |\n"
	"                --shift-by N | --to-datetime TIME [--execute] [--json]\n"
	"  delete GROUP... [--if-exists]\n";

static void usage(void)
{
	printf("%s\n", synopsis);
	printf("Manage slog consumer groups.\n\n"
	       "  -b, --brokers LIST        brokers to ask (default: $SLOG_BROKERS, else 127.0.0.1:9292)\n"
	       "      --state STATE         list: only groups in STATE (Empty, Reconciling, Stable)\n"
	       "      --max-lag N           describe: exit 1 when a group's total lag is above N\n"
	       "  -t, --topic TOPIC[:P,..]  reset-offsets: the topic, or some of its partitions\n"
	       "                            (repeatable)\n"
	       "      --to-earliest         reset to the log start\n"
	       "      --to-latest           reset to the log end\n"
	       "      --to-offset N         reset to offset N (kept within the log)\n"
	       "      --shift-by N          move the committed offsets by N (negative: back)\n"
	       "      --to-datetime TIME    reset to the first record at or after TIME: s (10 digits\n"
	       "                            or fewer) or ms since the epoch, YYYY-MM-DD[THH:MM[:SS]][Z],\n"
	       "                            or -DURATION (-1h)\n"
	       "      --execute             apply the plan; without it, only print it\n"
	       "      --if-exists           delete: a missing group is not an error\n"
	       "      --json                print JSON, one document per line\n"
	       "      --timeout-ms MS       give up after this long (default 30000)\n"
	       "  -h, --help                show this help\n"
	       "  -V, --version             show the version\n\n"
	       "See slog-groups(1).\n");
}

enum {
	OPT_STATE = 256, OPT_MAX_LAG, OPT_EARLIEST, OPT_LATEST, OPT_OFFSET, OPT_SHIFT, OPT_DATETIME,
	OPT_EXECUTE, OPT_IF_EXISTS, OPT_JSON, OPT_TIMEOUT, OPT_LIST,
};

static const struct option longopts[] = {
	{ "brokers", required_argument, NULL, 'b' },
	{ "state", required_argument, NULL, OPT_STATE },
	{ "max-lag", required_argument, NULL, OPT_MAX_LAG },
	{ "topic", required_argument, NULL, 't' },
	{ "to-earliest", no_argument, NULL, OPT_EARLIEST },
	{ "to-latest", no_argument, NULL, OPT_LATEST },
	{ "to-offset", required_argument, NULL, OPT_OFFSET },
	{ "shift-by", required_argument, NULL, OPT_SHIFT },
	{ "to-datetime", required_argument, NULL, OPT_DATETIME },
	{ "execute", no_argument, NULL, OPT_EXECUTE },
	{ "if-exists", no_argument, NULL, OPT_IF_EXISTS },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "timeout-ms", required_argument, NULL, OPT_TIMEOUT },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ "list-options", no_argument, NULL, OPT_LIST },
	{ NULL, 0, NULL, 0 },
};

/* Which options each command takes (by option value). */
static const struct cli_command commands[] = {
	{ "list", 0, 0, { OPT_STATE, OPT_JSON } },
	{ "describe", 1, -1, { OPT_MAX_LAG, OPT_JSON } },
	{ "reset-offsets", 1, 1,
	  { 't', OPT_EARLIEST, OPT_LATEST, OPT_OFFSET, OPT_SHIFT, OPT_DATETIME, OPT_EXECUTE,
	    OPT_JSON } },
	{ "delete", 1, -1, { OPT_IF_EXISTS } },
};

static const int global_options[] = { 'b', OPT_TIMEOUT, 0 };

static const struct cli_commands command_set = {
	synopsis, commands, sizeof(commands) / sizeof(commands[0]), longopts, global_options,
	"group id",
};

/* -t topic or -t topic:0,1,2 */
static void add_scope(struct groups_opts *o, char *arg)
{
	struct topic_scope *s;
	char *colon = strchr(arg, ':');

	o->scopes = xrealloc(o->scopes, (size_t)(o->nscopes + 1) * sizeof(*o->scopes));
	s = &o->scopes[o->nscopes++];
	memset(s, 0, sizeof(*s));
	s->topic = arg;
	if (!colon)
		return;
	*colon = '\0';
	if (!*arg)
		cli_usage_error(synopsis, "-t: the topic name is missing");
	for (char *p = colon + 1, *comma; p; p = comma ? comma + 1 : NULL) {
		comma = strchr(p, ',');
		if (comma)
			*comma = '\0';
		s->partitions = xrealloc(s->partitions, (size_t)(s->npartitions + 1) * sizeof(int32_t));
		s->partitions[s->npartitions++] = (int32_t)cli_int(synopsis, "-t", p, 0, INT32_MAX);
	}
}

static void set_target(struct groups_opts *o, enum reset_to to)
{
	if (o->to != RESET_NONE && o->to != to)
		cli_usage_error(synopsis, "reset-offsets takes one of --to-earliest, --to-latest, "
					  "--to-offset, --shift-by, --to-datetime");
	o->to = to;
}

/* What the command needs beyond what cli_command_parse() checks. */
static void check_command(const struct cli_command *cmd, const struct groups_opts *o,
			  char **groups, int ngroups)
{
	/* As the broker checks them: an empty id would name the group list. */
	for (int i = 0; i < ngroups; i++) {
		struct err e;
		if (group_id_check(groups[i], &e))
			cli_usage_error(synopsis, "%s", e.msg);
	}
	if (cli_command_is(cmd, "reset-offsets")) {
		if (!o->nscopes)
			cli_usage_error(synopsis, "reset-offsets needs -t TOPIC");
		if (o->to == RESET_NONE)
			cli_usage_error(synopsis, "reset-offsets needs --to-earliest, --to-latest, "
						  "--to-offset N, --shift-by N or --to-datetime TIME");
	}
}

int main(int argc, char **argv)
{
	/* Option state lives as long as the program (static: reachable at every exit). */
	static struct groups_opts o = { .max_lag = -1 };
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
	while ((c = getopt_long(argc, argv, ":b:t:hV", longopts, NULL)) != -1) {
		used[c & 511] = 1;
		switch (c) {
		case 'b': brokers = optarg; break;
		case 't': add_scope(&o, optarg); break;
		case OPT_STATE:
			if (strcasecmp(optarg, "Empty") && strcasecmp(optarg, "Reconciling") &&
			    strcasecmp(optarg, "Stable"))
				cli_usage_error(synopsis, "--state is Empty, Reconciling or Stable");
			o.state = optarg;
			break;
		case OPT_MAX_LAG: o.max_lag = cli_int(synopsis, "--max-lag", optarg, 0, INT64_MAX); break;
		case OPT_EARLIEST: set_target(&o, RESET_EARLIEST); break;
		case OPT_LATEST: set_target(&o, RESET_LATEST); break;
		case OPT_OFFSET:
			set_target(&o, RESET_OFFSET);
			o.value = cli_int(synopsis, "--to-offset", optarg, 0, INT64_MAX);
			break;
		case OPT_SHIFT:
			set_target(&o, RESET_SHIFT);
			o.value = cli_int(synopsis, "--shift-by", optarg, INT64_MIN + 1, INT64_MAX);
			break;
		case OPT_DATETIME:
			set_target(&o, RESET_TIME);
			if (units_parse_time(optarg, clock_wall_ms(), &o.value, &e))
				cli_usage_error(synopsis, "--to-datetime: %s", e.msg);
			break;
		case OPT_EXECUTE: o.execute = 1; break;
		case OPT_IF_EXISTS: o.if_exists = 1; break;
		case OPT_JSON: o.json = 1; break;
		case OPT_TIMEOUT: timeout = cli_ms(synopsis, "--timeout-ms", optarg, 1, 86400000); break;
		case 'h': usage(); return 0;
		case 'V': cli_print_version(); return 0;
		case OPT_LIST: cli_list_options(longopts); return 0;
		default: cli_option_error(synopsis, argv, c);
		}
	}
	cmd = cli_command_parse(&command_set, argc, argv, optind, used, &args, &nargs);
	check_command(cmd, &o, args, nargs);

	o.deadline_ms = clock_mono_ms() + timeout;
	if (cluster_connect(&cl, cli_brokers(brokers), o.deadline_ms, &e)) {
		cli_error("%s", e.msg);
		return 1;
	}
	if (cli_command_is(cmd, "list"))
		status = cmd_list(&cl, &o);
	else if (cli_command_is(cmd, "describe"))
		status = cmd_describe(&cl, &o, args, nargs);
	else if (cli_command_is(cmd, "reset-offsets"))
		status = cmd_reset_offsets(&cl, &o, args[0]);
	else
		status = cmd_delete(&cl, &o, args, nargs);
	cluster_close(&cl);
	for (int i = 0; i < o.nscopes; i++)
		free(o.scopes[i].partitions);
	free(o.scopes);
	if (fflush(stdout) != 0) {
		cli_error("cannot write the output");
		return 1;
	}
	return status;
}
