/*
 * record_writer.h: a source's records into slog, with acknowledgements
 * in the order the records were given.
 *
 * The writer is slog-produce's engine without its input: records are
 * partitioned (the record's own partition, else murmur2 of the key as
 * Kafka's Java client does, else the sticky partition of KIP-480),
 * encoded into one open batch per partition, sealed at batch.size or
 * linger.ms, and sent by libcommon's sender (sender.h): one request per
 * partition in flight, retries with backoff on what may pass, acks=all by
 * default.
 *
 * Each record gets a sequence number (1, 2, 3, ...) in the order given.
 * writer_done_upto() is the highest n such that every record up to n is
 * done: acknowledged, or failed and then handled by the error policy (sent
 * to the dead-letter topic and acknowledged there, or skipped with
 * errors.tolerance=all).  A source saves progress only up to there, so
 * what it saved was delivered, in order, even though partitions are
 * acknowledged out of order.
 *
 * A record that fails for good (its delivery deadline passed, or an error
 * that will not pass: too large, a bad record) goes to the error policy
 * (error_policy_failed()): with tolerance none the writer fails, and
 * every later call returns that error; the source returns it, and the
 * task restarts from its saved progress (at least once).
 *
 * Single-threaded: one task's thread makes every call.  The calls that
 * wait (send when the buffer is full, poll, flush) drive the network
 * while they wait, and return when task_stopping() unless said otherwise.
 */
#ifndef SLOG_RECORD_WRITER_H
#define SLOG_RECORD_WRITER_H

#include <stdint.h>

#include "conf.h"
#include "runtime/connect_record.h"
#include "err.h"

struct connect_task;
struct record_writer;

/*
 * The connector keys the writer takes, Kafka Connect's per-connector
 * producer overrides: producer.override.acks, .linger.ms, .batch.size,
 * .compression.type, .buffer.memory, .delivery.timeout.ms (conf.h
 * table, for the common keys of connector_conf.c).
 */
extern const struct conf_def writer_keys[];
extern const size_t writer_nkeys;

struct writer_opts {
	const char *brokers;       /* the cluster to write to */
	const char *acks;          /* "all" (default), "1", "0" */
	int codec;                 /* compress.h: CODEC_NONE, CODEC_ZSTD */
	int64_t linger_ms;         /* default 5 */
	int64_t batch_bytes;       /* default 1 MiB */
	int64_t buffer_bytes;      /* send blocks while this much is unacknowledged; default 32 MiB */
	int64_t delivery_timeout_ms; /* a batch fails after this long unacknowledged; default 120 s */
	const char *default_topic; /* for a crec whose topic is empty */
	int auto_create;           /* create missing topics if the broker allows */
};

/* The defaults above, from the task's config (producer.* keys it takes). */
void writer_opts_from_task(const struct connect_task *t, struct writer_opts *o);

/* Connect (until the deadline) and return a writer, or NULL with e set. */
struct record_writer *writer_new(struct connect_task *t, const struct writer_opts *o,
				 int64_t deadline_ms, struct err *e);
/* Free; records not acknowledged are given up (call writer_flush first). */
void writer_free(struct record_writer *w);

/*
 * Queue r (copied: r may change after the call) and return its sequence
 * number in *seq.  Waits, driving the network, while the buffer is full.
 * 0, or an error: the topic does not exist (and may not be created), the
 * writer failed earlier, or the task is stopping while it waited
 * (SLOG_EREQUEST_TIMED_OUT; r was not queued).
 */
int writer_send(struct record_writer *w, const struct crec *r, uint64_t *seq, struct err *e);

/*
 * Drive the network for up to timeout_ms, or until extra_fd (-1: none)
 * is readable.  0, or the writer's failure.
 */
int writer_poll(struct record_writer *w, int extra_fd, int timeout_ms, struct err *e);

/* Every record with a sequence number <= this is done (above). */
uint64_t writer_done_upto(const struct record_writer *w);

/* The number of the last record queued (0: none yet). */
uint64_t writer_last_seq(const struct record_writer *w);

/*
 * Send everything now and wait until every record is done or the
 * deadline passes (SLOG_EREQUEST_TIMED_OUT).  Does not stop early for
 * task_stopping(): a stopping source flushes to drain.
 */
int writer_flush(struct record_writer *w, int64_t deadline_ms, struct err *e);

#endif
