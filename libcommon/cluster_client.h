/*
 * cluster_client.h: a client's view of the cluster.
 *
 * Connecting tries each broker of the -b list in turn until one answers,
 * and fails with every broker's reason when none does.  Topic metadata
 * (partition count, the largest batch accepted, each partition's leader)
 * comes from GET /v1/metadata; a client sent to a broker that is not a
 * partition's leader (NOT_LEADER) asks again and retries there.
 */
#ifndef SLOG_CLUSTER_CLIENT_H
#define SLOG_CLUSTER_CLIENT_H

#include <regex.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "http_client.h"

struct topic_meta {
	char name[256];
	int32_t partitions;
	int64_t max_message_bytes;
	char **leader;  /* per partition: "http://host:port" of its leader */
};

struct cluster {
	char **brokers;  /* the bootstrap list */
	size_t nbrokers;
	struct http_client boot; /* connected to the broker that answered */
	char boot_url[300];
};

/* Parse "host:port,host:port" and connect to the first broker that answers. */
int cluster_connect(struct cluster *cl, const char *brokers, int64_t deadline_ms, struct err *e);
void cluster_close(struct cluster *cl);

/*
 * Metadata of one topic.  auto_create asks the broker to create it if
 * its auto.create.topics.enable allows.  SLOG_EUNKNOWN_TOPIC_OR_PARTITION
 * when it does not exist.
 */
int cluster_topic(struct cluster *cl, const char *topic, int auto_create, int64_t deadline_ms,
		  struct topic_meta *out, struct err *e);
void topic_meta_free(struct topic_meta *m);

/*
 * The names of the topics whose name re matches (every topic when re is
 * NULL), less the broker's own internal ones, as a list the caller frees
 * with cluster_names_free().  0, or the error of the request.
 */
int cluster_topic_names(struct cluster *cl, const regex_t *re, int64_t deadline_ms, char ***names,
			size_t *n, struct err *e);
void cluster_names_free(char **names, size_t n);

/*
 * A JSON call about a group: METHOD /v1/groups/{group}{suffix}, sent to
 * the group's coordinator (a NOT_COORDINATOR answer names it, and the
 * call is made again there).  *out (may be NULL) gets the answer.
 */
int cluster_group_json(struct cluster *cl, const char *method, const char *group,
		       const char *suffix, json_t *body, int64_t deadline_ms, json_t **out,
		       struct err *e);

#endif
