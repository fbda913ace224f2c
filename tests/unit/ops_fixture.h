/*
 * ops_fixture.h: a front end for unit tests of the operations layer
 * (replica/ops.h) on a broker_fixture.h broker.
 *
 * The front end's hooks count parks and post wakes on a semaphore, as a
 * front end with threads of its own would; a produce helper appends and
 * waits for its records to be committed, a fetch helper sets up a fetch
 * that this front end resumes.
 */
#ifndef SLOG_OPS_FIXTURE_H
#define SLOG_OPS_FIXTURE_H

#include <semaphore.h>
#include <stdatomic.h>
#include <stdint.h>

#include <jansson.h>

#include "buf.h"
#include "replica/ops.h"

/* The front end: how often it parked, and the wakes it was given. */
struct front {
	atomic_int parks, wakes, dones;
	sem_t woken;
	int done_rc;
};

void front_init(struct front *f);
/* The ops_resume hooks (arg: the front) and a produce's done. */
void front_park(void *arg);
void front_wake(void *arg);
void front_done(void *arg, int rc, const struct ops_produce_part *results, size_t n);
/* 1 when the front end is woken within ms. */
int front_woken_within(struct front *f, int64_t ms);

/* count records of 10 bytes as one batch, into out. */
void fixture_batch(struct buf *out, int count);

/* A fixture broker with topic "t" of partitions partitions, and f. */
int fixture_topic(struct broker *b, struct front *f, int32_t partitions);

/* Wait (at most 5 s) until the high watermark of topic-partition passes
 * last: a record is visible once committed. */
void fixture_committed(struct broker *b, const char *topic, int32_t partition, int64_t last);

/* Produce count records to topic-partition with acks; the front end
 * waits for the commit when the produce parks, and the helper for the
 * records to be visible.  Returns the base offset, or -1. */
int64_t fixture_produce(struct broker *b, const char *topic, int32_t partition, int acks,
			int count, struct front *f);

/* Publish recs (taken) as committed metadata records: 0, or -1 (said
 * why). */
int fixture_publish_take(struct broker *b, json_t *recs);

/* A consumer's fetch of parts[0..n) that f resumes. */
void fixture_fetch_init(struct ops_fetch *req, struct ops_fetch_part *parts, size_t n,
			struct front *f);

#endif
