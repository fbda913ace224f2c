/*
 * groups_cmd.h: the commands of slog-groups, and what main() hands them.
 */
#ifndef SLOG_GROUPS_CMD_H
#define SLOG_GROUPS_CMD_H

#include <jansson.h>
#include <stdint.h>

#include "cluster_client.h"
#include "offsets_file.h"

enum reset_to {
	RESET_NONE, RESET_EARLIEST, RESET_LATEST, RESET_OFFSET, RESET_SHIFT, RESET_TIME,
	RESET_CURRENT, RESET_GROUP, RESET_FILE,
};

/* --format; --json is --format json.  csv: the plan of reset-offsets. */
enum out_format { FORMAT_TEXT, FORMAT_JSON, FORMAT_CSV };

/* -t TOPIC[:P,P,...] */
struct topic_scope {
	const char *topic;
	int32_t *partitions;     /* NULL: every partition */
	int npartitions;
};

struct groups_opts {
	enum out_format format;
	const char *state;       /* list --state */
	int if_exists;           /* delete */
	int64_t max_lag;         /* describe --max-lag; -1: none */
	int lag_only;            /* describe --lag-only */
	int members;             /* describe --members */
	/* reset-offsets (scopes also delete-offsets) */
	struct topic_scope *scopes;
	int nscopes;
	int all_topics;          /* every topic the group has offsets of */
	enum reset_to to;
	int64_t value;           /* the offset, shift or time */
	const char *from_group;  /* --to-group */
	struct file_offset *file; /* --from-file */
	size_t nfile;
	int execute;
	int64_t deadline_ms;
};

/* Each returns the exit status: 0, or 1 when something failed. */
int cmd_list(struct cluster *cl, const struct groups_opts *o);
int cmd_describe(struct cluster *cl, const struct groups_opts *o, char **groups, int n);
int cmd_reset_offsets(struct cluster *cl, const struct groups_opts *o, const char *group);
int cmd_delete(struct cluster *cl, const struct groups_opts *o, char **groups, int n);
int cmd_delete_offsets(struct cluster *cl, const struct groups_opts *o, const char *group);

#endif
