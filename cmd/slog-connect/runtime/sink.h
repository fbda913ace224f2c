/*
 * sink.h: how a sink connector writes records out, and the loop that
 * feeds it (sink_runner.c).
 *
 * The runner reads the topics (topics, or topics.regex, followed as
 * topics appear) as a member of the group connect-<name>, with
 * libcommon's consumer (consumer.h): partitions are split between the
 * tasks and processes running the same connector, and a new member takes
 * only the partitions moved to it.  A partition with no committed offset
 * starts at its beginning (Kafka Connect's sinks use earliest).
 *
 * Each record read becomes a crec (its topic, partition and offset set),
 * goes through the transform chain (a failure there goes to the error
 * policy, stage TRANSFORMATION), and is handed to put().  Every
 * offset.flush.interval.ms, when the fetches have nothing more, and
 * before partitions are given up, the runner calls flush(), then
 * error_policy_flush(), and only then commits the positions of the
 * records put: what is committed was written out (at least once).
 *
 * A sink that cannot write one record (a 4xx for a batch, a record its
 * format cannot hold) hands it to the error policy itself
 * (error_policy_failed(), then error_policy_send() when it returns 1) and
 * goes on; an error put() or flush() returns fails the task, which is
 * restarted from the committed offsets.
 */
#ifndef SLOG_SINK_H
#define SLOG_SINK_H

#include <stdint.h>

#include "runtime/connect_record.h"
#include "err.h"

struct connect_task;

struct sink_ops {
	/* Start writing for the task: *state is the sink's. */
	int (*open)(struct connect_task *t, void **state, struct err *e);
	/* One record, in offset order within its partition; may buffer. */
	int (*put)(void *state, const struct crec *r, struct err *e);
	/* Make every record put so far durable or delivered. */
	int (*flush)(void *state, struct err *e);
	/* A partition is given up (after a flush): close what is its own.  May be NULL. */
	void (*release)(void *state, const char *topic, int32_t partition);
	/* Stop (after a last flush when the task stops as asked). */
	void (*close)(void *state);
};

/* The task loop of every sink class (connector.h's run for sinks). */
int sink_run(struct connect_task *t, struct err *e);

#endif
