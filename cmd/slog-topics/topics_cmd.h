/*
 * topics_cmd.h: the commands of slog-topics, and what main() hands them.
 */
#ifndef SLOG_TOPICS_CMD_H
#define SLOG_TOPICS_CMD_H

#include <jansson.h>
#include <stdint.h>

#include "cluster_client.h"

struct topics_opts {
	int32_t partitions;  /* -P; 0 = not given */
	int32_t replicas;    /* -R; 0 = not given */
	json_t *set;         /* -c KEY=VALUE, as an object */
	json_t *del;         /* --delete-config KEY, as an array */
	int if_exists, if_not_exists, dry_run, json;
	const char *at;      /* --at */
	int64_t deadline_ms;
};

/* Each returns the exit status: 0, or 1 when something failed. */
int cmd_create(struct cluster *cl, const struct topics_opts *o, char **names, int n);
int cmd_delete(struct cluster *cl, const struct topics_opts *o, char **names, int n);
int cmd_alter(struct cluster *cl, const struct topics_opts *o, const char *name);
int cmd_add_partitions(struct cluster *cl, const struct topics_opts *o, const char *name);
int cmd_list(struct cluster *cl, const struct topics_opts *o);
int cmd_describe(struct cluster *cl, const struct topics_opts *o, char **names, int n);
int cmd_offsets(struct cluster *cl, const struct topics_opts *o, const char *name);

#endif
