/*
 * consumer_internal.h: the consumer's state, shared by consumer.c (fetch
 * and the loop), consumer_output.c (stdout or the sink),
 * consumer_subscribe.c (topics by regex) and consumer_group.c (group
 * assignment and commits), and their functions, which consumer.c calls.
 */
#ifndef SLOG_CONSUMER_INTERNAL_H
#define SLOG_CONSUMER_INTERNAL_H

#include <curl/curl.h>

#include "backoff.h"
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
	int caught_up;      /* its last answer reached the high watermark (a sink's flush cue) */
	int gone;           /* its topic was deleted (-g) */
	char leader[300];   /* its leader's base URL, as last learned */
	int stale;          /* the leader moved or is down: ask where it is now */
	int32_t leader_epoch; /* the leader's epoch, sent with fetches; -1: not known */
	int32_t last_epoch; /* the leader epoch of the last batch read; -1: none */
	int validate;       /* the leader changed: check the position (consumer_epoch.c) */
	char *url;          /* the leader's .../partitions/N/records */
	CURL *easy;
	struct curl_slist *headers;
	struct http_response resp;
	int inflight;
	int64_t retry_at, failing_since;
	struct backoff backoff;
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
	int status;               /* an error was said: err holds the first */
	struct err err;
	int sink_failed;          /* the sink's error: nothing more is committed */
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
	/* The subscription (-g): topics, and the regex's matches. */
	char **subs;
	size_t nsubs;
	int64_t next_refresh;
};

/* Say a line (log.h level) where the options say: stderr or o->log. */
void consumer_log(const struct consumer *c, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Say an error, and keep it (the first) as the result: code is a SLOG_E*. */
void consumer_fail(struct consumer *c, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * consumer_output.c: where records go.  output_record takes one record
 * (stdout: buffered, or the sink's put); output_batch a whole batch for
 * a sink that takes batches.  Both return 0, or -1 once the sink failed
 * (c->quit set, the error kept).  output_flush writes stdout's buffer
 * out, or flushes the sink; then every position counts as written.  0,
 * or -1 when the sink failed.
 */
int output_record(struct consumer *c, struct cpart *cp, const struct record *r);
int output_batch(struct consumer *c, struct cpart *cp, const uint8_t *batch, size_t len);
int output_flush(struct consumer *c);
/* Records were put to the sink and not flushed yet. */
int output_unflushed(const struct consumer *c);
/* A partition is given up: the sink's release(). */
void output_release(struct consumer *c, const struct cpart *cp);
/* Has the reader of stdout gone away? */
int output_stdout_gone(void);

/*
 * consumer_subscribe.c: the topics a group member subscribes to.  Once
 * at the start (every topic of o->topics must exist; the regex may match
 * none yet), then again every topics_refresh_ms with a regex.  0 (with
 * *changed when the list moved), or the error.
 */
int subscribe_refresh(struct consumer *c, int64_t deadline, int *changed, struct err *e);
/* Was topic subscribed to by name (not only through the regex)? */
int subscribe_named(const struct consumer *c, const char *topic);
void subscribe_free(struct consumer *c);

/* Where a lost partition was: written out up to written; the group's
 * offset was committed then. */
struct kept_pos {
	char topic[256];
	int32_t id;
	int64_t written;
	int64_t committed;
};

/*
 * consumer_start.c.  Point cp's fetches at leader's records resource.
 */
void consumer_set_leader(struct cpart *cp, const char *leader);
/*
 * Set where cp starts (next, written, end, committed): at committed if it
 * is an offset of the log, else where -o says; with -e, where it ends.
 * Asks the leader for the log's bounds (until deadline).  0 or SLOG_E*.
 */
int consumer_start_at(struct consumer *c, struct cpart *cp, int64_t committed, int64_t deadline,
		      struct err *e);

/*
 * consumer_epoch.c: leader epochs (KIP-320), called by consumer.c (never
 * the other way round).  A partition's leader and its epoch were learned
 * (epoch -1: not said), before cp->leader is set to it: after a change,
 * the next fetch first checks the position (epoch_validate).
 */
void epoch_learned(struct cpart *cp, const char *leader, int32_t epoch);
/*
 * Before a fetch of a partition whose leader changed: is the position
 * still within the new leader's log?  Asks the leader where the epoch of
 * the last batch read ends there; when the position is past it, records
 * read were truncated away: say so and go on from that end (or, with
 * --on-truncation fail, stop with status 1).  0 to fetch now, 1 not to
 * (a retry is due later, or the partition is done).
 */
int epoch_validate(struct consumer *c, struct cpart *cp, int64_t now);

/*
 * consumer_group.c.  It reads and commits the positions in struct
 * consumer; consumer.c alone adds, starts and removes partitions, as
 * group_follow() tells it to.
 */

/* A partition the group gave the consumer: the group's committed offset
 * (-1: none) and where to go on reading (-1: where -o says). */
struct group_added {
	struct gm_tp tp;
	int64_t committed;
	int64_t resume;
};

/* How the assignment changed. */
struct group_diff {
	int changed;                /* apply it, then group_report_owned() */
	int lost;                   /* the group took the revoked away, uncommitted */
	size_t *revoked;            /* indexes into consumer.parts, ascending */
	size_t nrevoked;
	struct cpart *const *parts_then; /* consumer.parts when the diff was made */
	size_t nparts_then;
	struct group_added *added;
	size_t nadded;
};

/* Join the group with the subscription (c->subs, at least one topic). */
void group_setup(struct consumer *c);
/* The subscription changed: tell the group. */
void group_resubscribe(struct consumer *c);
/*
 * Take the group's latest assignment, if it changed: what to give up and
 * what to start.  0, or SLOG_E*; d may hold what to give up even then,
 * and is freed with group_diff_free.
 */
int group_follow(struct consumer *c, struct group_diff *d, struct err *e);
/*
 * Before d's partitions are given up: commit their written positions
 * (unless the group took them away already: d->lost), saying when that
 * fails.
 */
void group_commit_revoked(struct consumer *c, const struct group_diff *d);
void group_diff_free(struct group_diff *d);
/* Tell the group which partitions the consumer reads now. */
void group_report_owned(struct consumer *c);
/* Commit every position written out and not committed yet; 0, or the
 * error (a later commit may still succeed). */
int group_commit_written(struct consumer *c, int64_t deadline, struct err *e);
/* --commit before: commit what is about to be written; 0 if it may go. */
int group_commit_before_write(struct consumer *c);
/* Is every partition at its end, with the whole assignment in hand (-e)? */
int group_finished(struct consumer *c);
void group_leave(struct consumer *c);

#endif
