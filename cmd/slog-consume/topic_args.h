/*
 * topic_args.h: the topics slog-consume reads, from -t and -r.
 *
 * -t takes a name or a comma list (a comma cannot be in a topic name, so
 * "-t a,b" is two topics, as -p 0,1 is two partitions).  Each name is
 * checked by the one topic name rule before any request, so a typo like
 * "-t 'a b'" is a usage error, not "no such topic".  A topic named twice
 * is read once.  -r adds the topics whose names match a POSIX extended
 * regular expression, as they are when consuming starts.
 */
#ifndef SLOG_TOPIC_ARGS_H
#define SLOG_TOPIC_ARGS_H

#include <regex.h>
#include <stdint.h>

#include "cluster_client.h"
#include "err.h"

struct topic_args {
	const char **names; /* owned copies */
	int n;
};

/* Add "-t a,b"; SLOG_EINVALID_TOPIC with e set for a bad name. */
int topic_args_add(struct topic_args *t, const char *arg, struct err *e);

/* Add every topic of the cluster that re matches (internal ones aside);
 * SLOG_EUNKNOWN_TOPIC_OR_PARTITION when none does. */
int topic_args_match(struct topic_args *t, struct cluster *cl, const regex_t *re,
		     const char *pattern, int64_t deadline, struct err *e);

void topic_args_free(struct topic_args *t);

#endif
