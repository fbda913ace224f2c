/*
 * api.h: the HTTP API's handlers (docs/http-api.md is their reference).
 *
 * Each takes the request and the path's variable segments (topic,
 * partition) and answers, or suspends to answer later.  They are grouped
 * by what they serve: api_admin.c (cluster, metadata, topics, health,
 * metrics), api_produce.c (records in), api_fetch.c (records and
 * offsets out).
 */
#ifndef SLOG_API_H
#define SLOG_API_H

#include "http_server.h"

int api_healthz(struct request *r, char **args);
int api_readyz(struct request *r, char **args);
int api_metrics(struct request *r, char **args);
int api_cluster(struct request *r, char **args);
int api_metadata(struct request *r, char **args);
int api_topics_list(struct request *r, char **args);
int api_topics_create(struct request *r, char **args);
int api_topic_describe(struct request *r, char **args);
int api_topic_delete(struct request *r, char **args);
int api_topic_configs_get(struct request *r, char **args);
int api_topic_configs_alter(struct request *r, char **args);
int api_partitions_add(struct request *r, char **args);

int api_produce_topic(struct request *r, char **args);
int api_produce_partition(struct request *r, char **args);

int api_fetch(struct request *r, char **args);
int api_offsets(struct request *r, char **args);

/* Parse a partition number from a path segment; -1 if it is not one. */
int32_t api_partition_arg(const char *s);

#endif
