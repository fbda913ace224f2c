/*
 * topics_cmd.h: the commands of slog-topics, and what main() hands them.
 */
#ifndef SLOG_TOPICS_CMD_H
#define SLOG_TOPICS_CMD_H

#include <jansson.h>
#include <regex.h>
#include <stdint.h>

#include "cluster_client.h"

enum topics_format { FORMAT_TEXT, FORMAT_JSON, FORMAT_HELP };

/* describe's health filters (bits of topics_opts.health). */
enum {
	HEALTH_UNDER_REPLICATED = 1,
	HEALTH_UNAVAILABLE = 2,
	HEALTH_UNDER_MIN_ISR = 4,
	HEALTH_AT_MIN_ISR = 8,
	HEALTH_PARTITIONS = 15,     /* the filters that pick partitions */
	HEALTH_OVERRIDES = 16,      /* --topics-with-overrides picks topics */
};

struct topics_opts {
	int32_t partitions;  /* -P; 0 = not given */
	int32_t replicas;    /* -R of create; 0 = not given */
	json_t *moves;       /* alter -R / --reassignment-json: [{"topic","partition","replicas"}] */
	json_t *set;         /* -c KEY=VALUE, as an object */
	json_t *del;         /* --delete-config KEY, as an array */
	int if_exists, if_not_exists, dry_run, yes, long_list;
	enum topics_format format;
	unsigned health;     /* HEALTH_* filters of describe; 0 = none */
	const regex_t *re;   /* -r: list only, or delete every, name that matches; NULL: none */
	const char *re_text; /* -r as given, for messages */
	const char *at;      /* --at for the broker: earliest, latest or ms */
	int64_t deadline_ms;
};

/* Each returns the exit status: 0, or 1 when something failed. */
int cmd_create(struct cluster *cl, const struct topics_opts *o, char **names, int n);
int cmd_delete(struct cluster *cl, const struct topics_opts *o, char **names, int n);
int cmd_alter(struct cluster *cl, const struct topics_opts *o, const char *name);
int cmd_add_partitions(struct cluster *cl, const struct topics_opts *o, const char *name);
int cmd_list(struct cluster *cl, const struct topics_opts *o);
/* describe with health filters: 1 also when a partition or topic matches. */
int cmd_describe(struct cluster *cl, const struct topics_opts *o, char **names, int n);
int cmd_offsets(struct cluster *cl, const struct topics_opts *o, const char *name);
/* alter's moves (o->moves, every topic named): one request per topic. */
int cmd_move(struct cluster *cl, const struct topics_opts *o);

/*
 * alter's moves into moves (an array): from --replicas
 * "P=ID,ID...[;P=ID,...]" (topic null: the command's), or from Kafka's
 * plan file (FILE, or - for stdin).  0, or SLOG_EINVALID_REQUEST saying
 * what is wrong.
 */
int topic_moves_parse(const char *arg, json_t *moves, struct err *e);
int topic_moves_read(const char *file, json_t *moves, struct err *e);

/* The broker's description of one topic (GET /v1/topics/{t}) in *out. */
int topic_get(struct cluster *cl, const struct topics_opts *o, const char *name, json_t **out,
	      struct err *e);
/* A description's records (high watermark - log start, summed) and bytes on disk. */
void topic_totals(json_t *t, int64_t *records, int64_t *bytes);
/* The value of config key in a description, or NULL. */
const char *topic_config_value(json_t *t, const char *key);

/*
 * describe's health filters applied to the descriptions in all: a new
 * array of the topics that match, each with only its matching partitions
 * and (for --topics-with-overrides) only its own configs.
 */
json_t *topics_health_filter(json_t *all, unsigned health);

/* --format help: the JSON Schema of the command's --format json output; 0, or -1 if none. */
int topics_print_schema(const char *command, int long_list);

#endif
