/*
 * groups_cmd.h: the commands of slog-groups, and what main() hands them.
 */
#ifndef SLOG_GROUPS_CMD_H
#define SLOG_GROUPS_CMD_H

#include <jansson.h>
#include <stdint.h>

#include "cluster_client.h"

enum reset_to { RESET_NONE, RESET_EARLIEST, RESET_LATEST, RESET_OFFSET, RESET_SHIFT, RESET_TIME };

/* -t TOPIC[:P,P,...] */
struct topic_scope {
	const char *topic;
	int32_t *partitions;     /* NULL: every partition */
	int npartitions;
};

struct groups_opts {
	int json;
	const char *state;       /* list --state */
	int if_exists;           /* delete */
	int64_t max_lag;         /* describe --max-lag; -1: none */
	/* reset-offsets */
	struct topic_scope *scopes;
	int nscopes;
	enum reset_to to;
	int64_t value;           /* the offset, shift or time */
	int execute;
	int64_t deadline_ms;
};

/* Each returns the exit status: 0, or 1 when something failed. */
int cmd_list(struct cluster *cl, const struct groups_opts *o);
int cmd_describe(struct cluster *cl, const struct groups_opts *o, char **groups, int n);
int cmd_reset_offsets(struct cluster *cl, const struct groups_opts *o, const char *group);
int cmd_delete(struct cluster *cl, const struct groups_opts *o, char **groups, int n);

#endif
