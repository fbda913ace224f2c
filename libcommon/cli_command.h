/*
 * cli_command.h: programs that take a command (slog-topics create ...,
 * slog-groups describe ...).
 *
 * Options may come before or after the command, so getopt sees them all
 * first; then the command is looked up and what was given is checked
 * against it: the number of operands, and every option used.  An option
 * the command does not take is a usage error, not a silent no-op.
 */
#ifndef SLOG_CLI_COMMAND_H
#define SLOG_CLI_COMMAND_H

#include <getopt.h>
#include <stddef.h>

#define CLI_COMMAND_OPTIONS 16
#define CLI_OPTION_VALUES 512 /* getopt values are below this */

struct cli_command {
	const char *name;
	int min_args, max_args;              /* operands; max -1: any number */
	int allowed[CLI_COMMAND_OPTIONS];    /* option values it takes, 0-terminated */
};

struct cli_commands {
	const char *synopsis;
	const struct cli_command *v;
	size_t n;
	const struct option *longopts;
	const int *global;  /* option values every command takes, 0-terminated */
	const char *noun;   /* what an operand is: "topic name" */
};

/*
 * The command at argv[first], its operands set in *args and *nargs,
 * checked against used (nonzero for each option value given).  Exits with
 * a usage error when there is no such command or the check fails.
 */
const struct cli_command *cli_command_parse(const struct cli_commands *c, int argc, char **argv,
					    int first, const int used[CLI_OPTION_VALUES],
					    char ***args, int *nargs);

/* The command is called name. */
int cli_command_is(const struct cli_command *cmd, const char *name);

#endif
