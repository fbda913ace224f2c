/*
 * cli_command.c: look up and check a program's command.  See cli_command.h.
 */
#include "cli_command.h"

#include <stdint.h>
#include <string.h>

#include "cli.h"

static int takes(const int *v, size_t n, int opt)
{
	for (size_t k = 0; k < n && v[k]; k++)
		if (v[k] == opt)
			return 1;
	return 0;
}

static const char *long_name(const struct option *longopts, int val)
{
	for (const struct option *o = longopts; o->name; o++)
		if (o->val == val)
			return o->name;
	return "?";
}

const struct cli_command *cli_command_parse(const struct cli_commands *c, int argc, char **argv,
					    int first, const int used[CLI_OPTION_VALUES],
					    char ***args, int *nargs)
{
	const struct cli_command *cmd = NULL;

	if (first >= argc)
		cli_usage_error(c->synopsis, "a command is needed");
	for (size_t i = 0; i < c->n; i++)
		if (strcmp(argv[first], c->v[i].name) == 0)
			cmd = &c->v[i];
	if (!cmd)
		cli_usage_error(c->synopsis, "unknown command '%s'", argv[first]);
	*args = argv + first + 1;
	*nargs = argc - first - 1;
	if (*nargs < cmd->min_args)
		cli_usage_error(c->synopsis, "%s needs a %s", cmd->name, c->noun);
	if (cmd->max_args >= 0 && *nargs > cmd->max_args)
		cli_usage_error(c->synopsis, "%s takes %s %s", cmd->name,
				cmd->max_args ? "one" : "no", c->noun);
	for (int v = 1; v < CLI_OPTION_VALUES; v++) {
		if (!used[v] || takes(c->global, SIZE_MAX, v) ||
		    takes(cmd->allowed, CLI_COMMAND_OPTIONS, v))
			continue;
		if (v < 256)
			cli_usage_error(c->synopsis, "-%c is not an option of %s", v, cmd->name);
		cli_usage_error(c->synopsis, "--%s is not an option of %s", long_name(c->longopts, v),
				cmd->name);
	}
	return cmd;
}

int cli_command_is(const struct cli_command *cmd, const char *name)
{
	return strcmp(cmd->name, name) == 0;
}
