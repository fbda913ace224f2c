/*
 * consumer_internal.h: the consumer's state, shared by consumer.c (fetch
 * and output) and consumer_group.c (group assignment and commits).
 */
#ifndef SLOG_CONSUMER_INTERNAL_H
#define SLOG_CONSUMER_INTERNAL_H

#include <curl/curl.h>

#include "buf.h"
#include "consumer.h"
#include "group_member.h"
#include "http_client.h"

struct cpart {
	char topic[256];
	int32_t id;
	int64_t next;       /* the next offset to print */
	int64_t written;    /* offsets below were written to stdout */
	int64_t committed;  /* the group's committed offset (-g); -1 none */
	int64_t end;        /* -e: stop before this offset; -1: follow */
	int done;
	int gone;           /* its topic was deleted (-g) */
	char *url;          /* .../partitions/N/records */
	CURL *easy;
	struct curl_slist *headers;
	struct http_response resp;
	int inflight;
	int64_t retry_at, failing_since, backoff;
};

struct consumer {
	const struct consumer_opts *o;
	struct cluster *cl;
	struct topic_meta *tms;   /* metadata of each topic read */
	size_t ntms;
	struct cpart **parts;
	size_t nparts, parts_cap;
	CURLM *multi;
	struct buf out;
	struct buf scratch;
	int64_t printed;
	int status;
	int stdout_closed;
	int watch_stdout;         /* fd 1 is open: wake when its reader goes */
	int quit;                 /* stop: a group member lost a topic */
	int64_t last_record;      /* when the last record was printed (--idle) */
	/* -g */
	struct group_member *gm;
	int assigned;             /* the group has answered once */
	int settled;              /* ... with the whole target */
	int64_t next_commit;
	/* Positions of partitions the group forgot us on (a broker restart,
	 * an expired session), kept until they come back to us. */
	struct kept_pos *kept;
	size_t nkept, kept_cap;
};

/* Where a lost partition was: written out up to written; the group's
 * offset was committed then. */
struct kept_pos {
	char topic[256];
	int32_t id;
	int64_t written;
	int64_t committed;
};

/* consumer.c */

/* A notice on stderr ("prog: ..."), unless -q. */
void consumer_notice(const struct consumer *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Metadata of a topic with at least min_partitions, from the cache or
 * (when absent or smaller) the cluster; NULL with e set. */
const struct topic_meta *consumer_topic(struct consumer *c, const char *topic,
					int32_t min_partitions, int64_t deadline, struct err *e);
/* Where a partition starts: at committed if it is an offset of the log,
 * else where -o says; with -e, where it ends. */
int consumer_start_at(struct consumer *c, struct cpart *cp, int64_t committed, int64_t deadline,
		      struct err *e);
struct cpart *consumer_add_part(struct consumer *c, const char *topic, int32_t id,
				const char *leader);
void consumer_remove_part(struct consumer *c, size_t i);

/* consumer_group.c */
int group_setup(struct consumer *c, struct err *e);
/* Take the group's latest assignment, if it changed.  0, or SLOG_E*. */
int group_follow(struct consumer *c, struct err *e);
/* Commit every position written out and not committed yet. */
void group_commit_written(struct consumer *c, int64_t deadline);
/* --commit before: commit what is about to be written; 0 if it may go. */
int group_commit_before_write(struct consumer *c);
/* Is every partition at its end, with the whole assignment in hand (-e)? */
int group_finished(struct consumer *c);
void group_leave(struct consumer *c);

#endif
