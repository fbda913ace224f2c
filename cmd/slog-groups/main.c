/*
 * slog-groups: list, describe, reset and delete consumer groups.
 *
 * Exit status: 0 when every operation succeeded, 1 when one failed (no
 * such group, a group still active, describe --max-lag exceeded or a lag
 * unknown), 2 for a usage error.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli.h"
#include "client_config.h"
#include "cli_command.h"
#include "group_id.h"
#include "groups_cmd.h"
#include "topic_name.h"
#include "units.h"
#include "xalloc.h"

static const char synopsis[] =
	"usage: slog-groups [-b BROKERS] [--timeout-ms MS] COMMAND [ARGS]\n"
	"  list [--state STATE] [--json]\n"
	"  describe [GROUP...] [--max-lag N] [--lag-only | --members] [--json]\n"
	"  reset-offsets GROUP -t TOPIC[:P,P...]... | --all-topics\n"
	"                --to-earliest | --to-latest | --to-offset N | --shift-by N |\n"
	"                --to-datetime TIME | --to-current | --to-group GROUP2\n"
	"                [--execute] [--format text|json|csv]\n"
	"  reset-offsets GROUP --from-file FILE [--execute] [--format text|json|csv]\n"
	"  delete GROUP... [--if-exists]\n"
	"  delete-offsets GROUP -t TOPIC[:P,P...]... [--json]\n";

static void usage(void)
{
	printf("%s\n", synopsis);
	printf("Manage slog consumer groups.\n\n"
	       "  -b, --brokers LIST        brokers to ask (default: $SLOG_BROKERS, else 127.0.0.1:9292)\n"
	       "  -X, --set KEY=VALUE       set a config key; -X list shows them all\n"
	       "  -F, --config-file FILE    read config keys from FILE (default: $SLOG_CONFIG_FILE,\n"
	       "                            else ~/.config/slog/slog.conf when it exists)\n"
	       "      --state STATE         list: only groups in STATE (Empty, Reconciling, Stable)\n"
	       "      --max-lag N           describe: exit 1 when a group's total lag is above N\n"
	       "                            or unknown (a partition without a committed offset)\n"
	       "      --lag-only            describe: only partitions with a lag, or an unknown one\n"
	       "      --members             describe: only the members, with their partitions\n"
	       "  -t, --topic TOPIC[:P,..]  reset-offsets, delete-offsets: the topic, or some of\n"
	       "                            its partitions (repeatable)\n"
	       "      --all-topics          reset-offsets: every topic the group has offsets of\n"
	       "      --to-earliest         reset to the log start\n"
	       "      --to-latest           reset to the log end\n"
	       "      --to-offset N         reset to offset N (kept within the log)\n"
	       "      --shift-by N          move the committed offsets by N (negative: back)\n"
	       "      --to-datetime TIME    reset to the first record at or after TIME: s (10 digits\n"
	       "                            or fewer) or ms since the epoch, YYYY-MM-DD[THH:MM[:SS]][Z],\n"
	       "                            or -DURATION (-1h)\n"
	       "      --to-current          keep the committed offsets (the log end where none)\n"
	       "      --to-group GROUP2     copy GROUP2's offsets (without -t: of all its topics)\n"
	       "      --from-file FILE      reset to the topic,partition,offset lines of FILE\n"
	       "                            (- for stdin), as --format csv prints a plan\n"
	       "      --execute             apply the plan; without it, only print it\n"
	       "      --if-exists           delete: a missing group is not an error\n"
	       "      --format FORMAT       text (default), json, or csv (a reset-offsets plan)\n"
	       "      --json                print JSON, one document per line (--format json)\n"
	       "      --timeout-ms MS       give up after this long (default 30000)\n"
	       "  -h, --help                show this help\n"
	       "  -V, --version             show the version\n\n"
	       "See slog-groups(1).\n");
}

enum {
	OPT_STATE = 256, OPT_MAX_LAG, OPT_EARLIEST, OPT_LATEST, OPT_OFFSET, OPT_SHIFT, OPT_DATETIME,
	OPT_EXECUTE, OPT_IF_EXISTS, OPT_JSON, OPT_TIMEOUT, OPT_LIST, OPT_LAG_ONLY, OPT_MEMBERS,
	OPT_ALL_TOPICS, OPT_CURRENT, OPT_TO_GROUP, OPT_FROM_FILE, OPT_FORMAT,
};

static const struct option longopts[] = {
	{ "brokers", required_argument, NULL, 'b' },
	{ "set", required_argument, NULL, 'X' },          /* -X, -F: client_config_args() */
	{ "config-file", required_argument, NULL, 'F' },
	{ "state", required_argument, NULL, OPT_STATE },
	{ "max-lag", required_argument, NULL, OPT_MAX_LAG },
	{ "topic", required_argument, NULL, 't' },
	{ "to-earliest", no_argument, NULL, OPT_EARLIEST },
	{ "to-latest", no_argument, NULL, OPT_LATEST },
	{ "to-offset", required_argument, NULL, OPT_OFFSET },
	{ "shift-by", required_argument, NULL, OPT_SHIFT },
	{ "to-datetime", required_argument, NULL, OPT_DATETIME },
	{ "to-current", no_argument, NULL, OPT_CURRENT },
	{ "to-group", required_argument, NULL, OPT_TO_GROUP },
	{ "from-file", required_argument, NULL, OPT_FROM_FILE },
	{ "all-topics", no_argument, NULL, OPT_ALL_TOPICS },
	{ "lag-only", no_argument, NULL, OPT_LAG_ONLY },
	{ "members", no_argument, NULL, OPT_MEMBERS },
	{ "format", required_argument, NULL, OPT_FORMAT },
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
	{ "list", 0, 0, { OPT_STATE, OPT_JSON, OPT_FORMAT } },
	{ "describe", 0, -1, { OPT_MAX_LAG, OPT_LAG_ONLY, OPT_MEMBERS, OPT_JSON, OPT_FORMAT } },
	{ "reset-offsets", 1, 1,
	  { 't', OPT_ALL_TOPICS, OPT_EARLIEST, OPT_LATEST, OPT_OFFSET, OPT_SHIFT, OPT_DATETIME,
	    OPT_CURRENT, OPT_TO_GROUP, OPT_FROM_FILE, OPT_EXECUTE, OPT_JSON, OPT_FORMAT } },
	{ "delete", 1, -1, { OPT_IF_EXISTS } },
	{ "delete-offsets", 1, 1, { 't', OPT_JSON, OPT_FORMAT } },
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
	struct err e;

	o->scopes = xrealloc(o->scopes, (size_t)(o->nscopes + 1) * sizeof(*o->scopes));
	s = &o->scopes[o->nscopes++];
	memset(s, 0, sizeof(*s));
	s->topic = arg;
	if (colon)
		*colon = '\0';
	if (topic_name_check(arg, &e))
		cli_usage_error(synopsis, "-t '%s': %s", arg, e.msg);
	if (!colon)
		return;
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
					  "--to-offset, --shift-by, --to-datetime, --to-current, "
					  "--to-group, --from-file");
	o->to = to;
}

static void check_reset(const struct groups_opts *o)
{
	if (o->to == RESET_NONE)
		cli_usage_error(synopsis, "reset-offsets needs --to-earliest, --to-latest, "
					  "--to-offset N, --shift-by N, --to-datetime TIME, --to-current, "
					  "--to-group GROUP2 or --from-file FILE");
	if (o->to == RESET_FILE) {
		if (o->nscopes || o->all_topics)
			cli_usage_error(synopsis, "cannot use -t or --all-topics with --from-file "
						  "(the file names the partitions)");
		return;
	}
	if (o->nscopes && o->all_topics)
		cli_usage_error(synopsis, "cannot use -t with --all-topics");
	if (!o->nscopes && !o->all_topics && o->to != RESET_GROUP)
		cli_usage_error(synopsis, "reset-offsets needs -t TOPIC or --all-topics");
}

/* --from-file: read now, so that a bad line is a usage error before any request. */
static void read_file(struct groups_opts *o, const char *path)
{
	struct err e;
	int rc;

	set_target(o, RESET_FILE);
	if (o->file)
		cli_usage_error(synopsis, "--from-file is given once");
	rc = offsets_file_read(path, &o->file, &o->nfile, &e);
	if (rc == SLOG_EIO) {
		cli_error("%s", e.msg);
		exit(1);
	}
	if (rc)
		cli_usage_error(synopsis, "--from-file %s", e.msg);
}

/* One of reset-offsets' targets: --to-earliest ... --from-file. */
static void take_target(struct groups_opts *o, int c, const char *arg)
{
	struct err e;

	switch (c) {
	case OPT_EARLIEST: set_target(o, RESET_EARLIEST); break;
	case OPT_LATEST: set_target(o, RESET_LATEST); break;
	case OPT_OFFSET:
		set_target(o, RESET_OFFSET);
		o->value = cli_int(synopsis, "--to-offset", arg, 0, INT64_MAX);
		break;
	case OPT_SHIFT:
		set_target(o, RESET_SHIFT);
		o->value = cli_int(synopsis, "--shift-by", arg, INT64_MIN + 1, INT64_MAX);
		break;
	case OPT_DATETIME:
		set_target(o, RESET_TIME);
		if (units_parse_time(arg, clock_wall_ms(), &o->value, &e))
			cli_usage_error(synopsis, "--to-datetime: %s", e.msg);
		break;
	case OPT_CURRENT: set_target(o, RESET_CURRENT); break;
	case OPT_TO_GROUP:
		set_target(o, RESET_GROUP);
		if (group_id_check(arg, &e))
			cli_usage_error(synopsis, "--to-group '%s': %s", arg, e.msg);
		o->from_group = arg;
		break;
	default: /* OPT_FROM_FILE */
		read_file(o, arg);
	}
}

static enum out_format format_of(const char *arg)
{
	if (strcmp(arg, "text") == 0)
		return FORMAT_TEXT;
	if (strcmp(arg, "json") == 0)
		return FORMAT_JSON;
	if (strcmp(arg, "csv") == 0)
		return FORMAT_CSV;
	cli_usage_error(synopsis, "--format is text, json or csv");
}

/* What the command needs beyond what cli_command_parse() checks. */
static void check_command(const struct cli_command *cmd, const struct groups_opts *o,
			  char **groups, int ngroups)
{
	/* As the broker checks them: an empty id would name the group list. */
	for (int i = 0; i < ngroups; i++) {
		struct err e;
		if (group_id_check(groups[i], &e))
			cli_usage_error(synopsis, "group id '%s': %s", groups[i], e.msg);
	}
	if (o->format == FORMAT_CSV && !cli_command_is(cmd, "reset-offsets"))
		cli_usage_error(synopsis, "--format csv is only for the plan of reset-offsets");
	if (o->lag_only && o->members)
		cli_usage_error(synopsis, "cannot use --lag-only with --members (it shows no partitions)");
	if (cli_command_is(cmd, "delete-offsets") && !o->nscopes)
		cli_usage_error(synopsis, "delete-offsets needs -t TOPIC");
	if (cli_command_is(cmd, "reset-offsets"))
		check_reset(o);
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
	client_config_args(CLIENT_GROUPS, synopsis, longopts, &argc, &argv);
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
		case OPT_EARLIEST:
		case OPT_LATEST:
		case OPT_OFFSET:
		case OPT_SHIFT:
		case OPT_DATETIME:
		case OPT_CURRENT:
		case OPT_TO_GROUP:
		case OPT_FROM_FILE: take_target(&o, c, optarg); break;
		case OPT_ALL_TOPICS: o.all_topics = 1; break;
		case OPT_LAG_ONLY: o.lag_only = 1; break;
		case OPT_MEMBERS: o.members = 1; break;
		case OPT_FORMAT: o.format = format_of(optarg); break;
		case OPT_EXECUTE: o.execute = 1; break;
		case OPT_IF_EXISTS: o.if_exists = 1; break;
		case OPT_JSON: o.format = FORMAT_JSON; break;
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
	if (cluster_connect(&cl, cli_brokers(synopsis, brokers), o.deadline_ms, &e)) {
		cli_error("%s", e.msg);
		return 1;
	}
	if (cli_command_is(cmd, "list"))
		status = cmd_list(&cl, &o);
	else if (cli_command_is(cmd, "describe"))
		status = cmd_describe(&cl, &o, args, nargs);
	else if (cli_command_is(cmd, "reset-offsets"))
		status = cmd_reset_offsets(&cl, &o, args[0]);
	else if (cli_command_is(cmd, "delete-offsets"))
		status = cmd_delete_offsets(&cl, &o, args[0]);
	else
		status = cmd_delete(&cl, &o, args, nargs);
	cluster_close(&cl);
	for (int i = 0; i < o.nscopes; i++)
		free(o.scopes[i].partitions);
	free(o.scopes);
	offsets_file_free(o.file, o.nfile);
	if (fflush(stdout) != 0) {
		cli_error("cannot write the output");
		return 1;
	}
	return status;
}
