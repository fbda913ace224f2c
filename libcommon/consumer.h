/*
 * consumer.h: slog-consume's fetch loop.
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
 */
#ifndef SLOG_CONSUMER_H
#define SLOG_CONSUMER_H

#include <signal.h>
#include <stdint.h>

#include "cluster_client.h"
#include "record_format.h"
#include "offset_spec.h"

enum commit_mode {
	COMMIT_AFTER,  /* commit what was written out: at least once */
	COMMIT_BEFORE, /* commit before writing out: at most once */
};

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
};

/* Consume; returns the exit status (0, or 1 after an error on stderr). */
int consumer_run(struct cluster *cl, const struct consumer_opts *o, volatile sig_atomic_t *stop);

#endif
