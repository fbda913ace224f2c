/*
 * consumer.h: the consumer engine: slog-consume's fetch loop, and the way
 * slog-connect's sinks and mirror read topics.
 *
 * Every partition read has one fetch in flight at a time, all on one
 * curl multi handle: record batches arrive as the broker sends them from
 * its segment files, are CRC-checked, and each record at or after the
 * partition's position is written out (by -f format, or -J as NDJSON).
 * Partitions are merged in the order their answers arrive.  Output is
 * written once per fetched answer (-u: once per record).
 *
 * Without -g the partitions are fixed (-t, -p) and each starts where -o
 * says.  With -g they are the group's assignment, which changes as
 * members come and go (consumer_group.c): each starts at the group's
 * committed offset (or where -o says when there is none), and positions
 * are committed as records are written out.
 *
 * With -e each partition stops at the high watermark it had when
 * consuming it started; without it, fetches long-poll for new records.
 * While they wait, stdout is watched too: a reader that went away (| head)
 * ends the consumer at once, as it ends tail -f, rather than at the next
 * record, which may never come; a group member then commits what was
 * written and leaves, so its partitions go to the others.
 *
 * A program that is not slog-consume hands the records to a sink of its
 * own (struct consumer_sink) instead of stdout, and its log function
 * takes the notices and errors that slog-consume prints on stderr: the
 * engine then writes nothing to stdout or stderr.  With a sink, a
 * position counts as written only once the sink's flush() said so, and
 * only such positions are committed: flush() is called before every
 * commit (every commit_interval_ms, and at once when the fetches bring
 * nothing more), before partitions are given up (then release() for
 * each one), and at stop.  A sink's error stops the engine with it, and
 * nothing put since the last flush is committed (at least once).  A
 * topic a sink's group member names that does not exist yet is waited
 * for (slog-consume -g says it is not there and exits 1).
 *
 * A group member may also subscribe by regex (topics_regex): the topics
 * matching it are looked up every topics_refresh_ms, and a topic created
 * later that matches joins the subscription, as Kafka's pattern
 * subscription does; one deleted leaves it (not an error, unlike a topic
 * named in topics).
 *
 * consumer_run() holds no global state: threads may run one each.
 */
#ifndef SLOG_CONSUMER_H
#define SLOG_CONSUMER_H

#include <regex.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "cluster_client.h"
#include "err.h"
#include "offset_spec.h"
#include "record.h"
#include "record_format.h"

enum commit_mode {
	COMMIT_AFTER,  /* commit what was written out: at least once */
	COMMIT_BEFORE, /* commit before writing out: at most once */
};

/*
 * Where records go instead of stdout.  Calls come from consumer_run()'s
 * thread, in offset order within each partition.  put and put_batch
 * return 0, or a negative SLOG_E* (e says why) that stops the engine.
 */
struct consumer_sink {
	void *arg;
	/* One record (borrowed until the call returns). */
	int (*put)(void *arg, const char *topic, int32_t partition, const struct record *r,
		   struct err *e);
	/*
	 * Or, when set (put is then not called), each fetched batch whole, as
	 * the broker stores it, CRC-checked: its header (batch.h) says its base
	 * and last offset.  The first batch of a partition may begin before
	 * the position asked for (the group's offset can fall inside a batch):
	 * the sink skips the records it already has.
	 */
	int (*put_batch)(void *arg, const char *topic, int32_t partition, const uint8_t *batch,
			 size_t len, struct err *e);
	/* Make everything put so far durable or delivered: 0 lets the engine
	 * commit it. */
	int (*flush)(void *arg, struct err *e);
	/* A partition is given up (after a flush, and its commit unless the
	 * group took it away first).  May be NULL. */
	void (*release)(void *arg, const char *topic, int32_t partition);
	/* After each fetch answer: the next offset to read and the
	 * partition's high watermark (lag is their difference).  May be NULL. */
	void (*position)(void *arg, const char *topic, int32_t partition, int64_t next,
			 int64_t high_watermark);
};

/* A line the engine would print on stderr, at a log.h level. */
typedef void consumer_log_fn(void *arg, int level, const char *msg);

struct consumer_opts {
	const char **topics;     /* -t, at least one */
	int ntopics;
	int32_t *partitions;     /* -p list, or NULL for all */
	int npartitions;
	struct offset_spec start;
	const struct partition_start *starts; /* -o P=START */
	int nstarts;
	int exit_at_end;         /* -e */
	int64_t count;           /* -c, 0: no limit */
	int64_t idle_ms;         /* --idle: stop after this long with no record; 0: never */
	const struct format *format;
	int json;                /* -J */
	int unbuffered;          /* -u */
	const char *null_text;   /* -Z */
	int64_t timeout_ms;      /* give up on an unreachable broker after this */
	int fail_on_truncation;  /* --on-truncation fail: records read were lost: exit 1 */
	int64_t max_bytes;       /* per fetch */
	int verbose;
	int quiet;               /* -q: no notices on stderr, errors only */
	/* -g */
	const char *group;
	const char *client_id;
	enum commit_mode commit;
	int64_t commit_interval_ms;
	int64_t session_ms;      /* 0: the broker's default */
	/* -g: also every topic whose name re matches (internal ones aside),
	 * looked up again every topics_refresh_ms (0: 5000). */
	const regex_t *topics_regex;
	const char *topics_pattern; /* its text, for messages */
	int64_t topics_refresh_ms;
	/* NULL: stdout, by format or json (above). */
	const struct consumer_sink *sink;
	/* NULL: stderr ("prog: ..."), notices unless quiet, details with
	 * verbose; else every line goes here (details at LOG_LEVEL_DEBUG). */
	consumer_log_fn *log;
	void *log_arg;
};

/*
 * Consume until done (-e, -c, --idle, the reader of stdout gone) or *stop
 * is set.  0, or the first error (e says it; every error was also said on
 * stderr or through log as it happened, and the engine may have read on
 * past some: a partition that failed stops, the others go on).
 */
int consumer_run(struct cluster *cl, const struct consumer_opts *o, volatile sig_atomic_t *stop,
		 struct err *e);

#endif
