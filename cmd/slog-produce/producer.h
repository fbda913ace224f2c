/*
 * producer.h: records in, batches out, and the loop that runs it all.
 *
 * Each record goes to a partition: -p, else the record's own "partition"
 * (-J), else by its key with Kafka's murmur2, else (no key) to the
 * topic's current sticky partition, which changes whenever its batch is
 * sent (Kafka's KIP-480: keyless records fill whole batches).  Records
 * are encoded into that partition's open batch; a batch is sealed and
 * queued when it reaches --batch-bytes, when its first record has waited
 * --linger-ms, or at the end of input.
 *
 * Memory is bounded: when more than --buffer-bytes are waiting to be
 * acknowledged, input is not read until acknowledgements free space.
 *
 * The loop polls the input and the network together, so a slow reader
 * never stalls acknowledgements and a slow broker never makes the input
 * pile up.  On SIGINT/SIGTERM it stops reading, says how long it will
 * wait for how many records, and gives what it has read until the
 * timeout; a second signal gives up on them at once.
 *
 * A record that fails is counted one of two ways: "failed" when it was
 * surely not written (refused, or never sent), "unacked" when its answer
 * did not come and it may have been written (sender.h).
 */
#ifndef SLOG_PRODUCER_H
#define SLOG_PRODUCER_H

#include <signal.h>
#include <stdint.h>

#include "batcher.h"
#include "cluster_client.h"
#include "input.h"
#include "record.h"
#include "report.h"

struct producer_opts {
	const char *topic;        /* -t, or NULL: -J lines name their topics */
	int32_t partition;        /* -p, or -1 */
	const char *key;          /* -k, or NULL */
	struct record_header *headers; /* -H */
	uint32_t nheaders;
	int null_empty;           /* -Z */
	int codec;                /* -z */
	const char *acks;         /* "0", "1", "all" */
	int64_t linger_ms;
	int64_t batch_bytes;
	int64_t buffer_bytes;
	int64_t timeout_ms;       /* delivery timeout per record */
	int max_in_flight;
	enum partitioner partitioner;
	struct report *report;    /* -O, --report-format (borrowed), or NULL */
	int tee;                  /* -T: copy each record read to stdout */
	int64_t count;            /* -c: stop after this many records (0: all) */
};

struct producer_stats {
	int64_t read, delivered, failed, unacked;
	int64_t bytes;
	int input_error;          /* input stopped at a bad line or a read error */
	int interrupted;          /* by one signal; 2: by a second one */
};

struct producer;

struct producer *producer_new(struct cluster *cl, const struct producer_opts *o);
void producer_free(struct producer *p);

/*
 * 0 when topic can name a topic; else SLOG_EINVALID_TOPIC and e says
 * "invalid topic 'NAME': why", the name's control bytes escaped.
 */
int producer_check_topic(const char *topic, struct err *e);

/*
 * Look up (and, if the broker allows, create) a topic before reading.
 * A topic that does not exist is SLOG_EUNKNOWN_TOPIC_OR_PARTITION, and e
 * says how to create it.
 */
int producer_prepare_topic(struct producer *p, const char *topic, struct err *e);

/*
 * Run until the input is done and every record is acknowledged or failed.
 * *stop counts the signals received (cli_stop_on_signals()).
 */
void producer_run(struct producer *p, struct input *in, volatile sig_atomic_t *stop);

const struct producer_stats *producer_stats(const struct producer *p);

#endif
