/*
 * sink_reject.h: records a sink's output refused, to the error policy.
 *
 * A sink that gives up on records (an HTTP 4xx, a command that kept
 * failing, a record the child said it could not take) hands each one
 * here, stage TASK_PUT, with why: the error policy dead-letters it with
 * Kafka's __connect.errors.* headers (the cause's SLOG_E* name and
 * message among them), skips it (tolerance all, no dead-letter topic),
 * or fails the task (tolerance none).  The runner's commit waits for the
 * dead-letter topic's acknowledgement (error_policy_flush), so a
 * rejected record is never both uncommitted-safe and lost.
 */
#ifndef SLOG_SINK_REJECT_H
#define SLOG_SINK_REJECT_H

#include "connectors/sink_batch.h"
#include "err.h"
#include "runtime/connect_record.h"

struct connect_task;

/* r failed for cause; r becomes its dead-letter record.  0, or <0: the task fails (e). */
int sink_reject(struct connect_task *t, struct crec *r, const struct err *cause, struct err *e);

/* Every record of b, for one cause. */
int sink_reject_batch(struct connect_task *t, struct sink_batch *b, const struct err *cause,
		      struct err *e);

#endif
