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
 * With -e each partition stops at the high watermark it had when
 * consuming started; without it, fetches long-poll for new records.
 */
#ifndef SLOG_CONSUMER_H
#define SLOG_CONSUMER_H

#include <signal.h>
#include <stdint.h>

#include "cluster_client.h"
#include "format.h"
#include "offset_spec.h"

struct consumer_opts {
	const char *topic;
	int32_t *partitions;     /* -p list, or NULL for all */
	int npartitions;
	struct offset_spec start;
	int exit_at_end;         /* -e */
	int64_t count;           /* -c, 0: no limit */
	const struct format *format;
	int json;                /* -J */
	int unbuffered;          /* -u */
	const char *null_text;   /* -Z */
	int64_t timeout_ms;      /* give up on an unreachable broker after this */
	int64_t max_bytes;       /* per fetch */
	int verbose;
};

/* Consume; returns the exit status (0, or 1 after an error on stderr). */
int consumer_run(struct cluster *cl, const struct consumer_opts *o, volatile sig_atomic_t *stop);

#endif
