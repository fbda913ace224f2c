/*
 * error_policy.h: what a connector does with a record it cannot handle.
 *
 * Kafka Connect's keys, for sources as well as sinks (Connect's
 * dead-letter topic is for sinks only; ours is for both):
 *
 *   errors.tolerance            none (default): the task fails, and is
 *                               restarted from its saved progress;
 *                               all: the record is logged, dead-lettered
 *                               when a topic is set, and skipped
 *   errors.retry.timeout        retry a failing operation this long (0: no
 *                               retries; -1: forever) ...
 *   errors.retry.delay.max.ms   ... waiting at most this long between
 *                               tries (exponential, with jitter)
 *   errors.log.enable           log each failure (default false, as Kafka)
 *   errors.log.include.messages and the record's key and value in it
 *   errors.deadletterqueue.topic.name            the dead-letter topic
 *   errors.deadletterqueue.topic.replication.factor  when it is created
 *   errors.deadletterqueue.context.headers.enable    default true (Kafka:
 *                               false): add the __connect.errors.* headers
 *
 * A dead-lettered record keeps its key, value and headers and gains, as
 * Kafka's DeadLetterQueueReporter names them: __connect.errors.topic,
 * .partition, .offset (where a sink read it), .connector.name, .task.id,
 * .stage, .class.name (the connector class), .exception.class.name (the
 * SLOG_E* name), .exception.message, and for sources
 * __connect.errors.source (file:/var/log/a.log@1234).
 *
 * Nothing is dropped silently: a record skipped without a dead-letter
 * topic is counted (metrics) and, with errors.log.enable, logged.
 */
#ifndef SLOG_ERROR_POLICY_H
#define SLOG_ERROR_POLICY_H

#include <stdint.h>

#include "conf.h"
#include "runtime/connect_record.h"
#include "err.h"

struct connect_task;
struct error_policy;

/* The errors.* keys above (conf.h table, for the common keys of
 * connector_conf.c), with Kafka's defaults but for context headers. */
extern const struct conf_def error_policy_keys[];
extern const size_t error_policy_nkeys;

/* Kafka Connect's stage names, as the stage header says them. */
enum connect_stage {
	STAGE_TASK_POLL,       /* a source reading its input */
	STAGE_VALUE_CONVERTER, /* parsing input into a record (NDJSON framing) */
	STAGE_TRANSFORMATION,
	STAGE_KAFKA_PRODUCE,   /* a source's record refused by slog */
	STAGE_KAFKA_CONSUME,   /* a sink's fetched record unreadable */
	STAGE_TASK_PUT,        /* a sink's output refused it */
};
const char *connect_stage_name(enum connect_stage s);

/*
 * From the task's errors.* keys (t and t->cc are kept and must outlive
 * the policy; t->metrics may be NULL); the dead-letter topic is created now
 * when missing (in the task's cluster: t->wc).  NULL with e when it
 * cannot be.
 */
struct error_policy *error_policy_new(const struct connect_task *t, struct err *e);
void error_policy_free(struct error_policy *ep);

/* Where the failed record came from, for the headers. */
struct error_origin {
	enum connect_stage stage;
	const char *topic;      /* a sink's: where it was read; NULL for a source */
	int32_t partition;
	int64_t offset;
	const char *source;     /* a source's: "file:/var/log/a.log@1234", or NULL */
};

/*
 * r failed (cause says why).  Returns:
 *   1   r was turned into its dead-letter record (topic, headers): send it
 *       (a source through its own writer, so it counts in the order of
 *       progress; a sink through error_policy_send())
 *   0   skip r (tolerance all, no dead-letter topic): counted and logged
 *   <0  tolerance none: the task fails with this error (e says why)
 */
int error_policy_failed(struct error_policy *ep, struct crec *r, const struct error_origin *o,
			const struct err *cause, struct err *e);

/*
 * What error_policy_failed() does to r when it returns 1, alone: the
 * context headers (when enabled), the dead-letter topic, and partition,
 * offset and timestamp left for the writer to choose.  Pure.
 */
void error_policy_dead_letter(const struct error_policy *ep, struct crec *r,
			      const struct error_origin *o, const struct err *cause);

/*
 * A sink's dead-letter records go through the policy's own writer:
 * queue r (after error_policy_failed() returned 1) ...
 */
int error_policy_send(struct error_policy *ep, const struct crec *r, struct err *e);
/* ... and wait until every one is acknowledged, before the sink commits. */
int error_policy_flush(struct error_policy *ep, int64_t deadline_ms, struct err *e);

/*
 * Retry: whether to try again after a failure at now_ms that started at
 * first_ms (errors.retry.timeout), and how long to wait (*wait_ms:
 * exponential from 100 ms with jitter, capped by errors.retry.delay.max.ms,
 * raised to retry_after_ms when a server asked for it, -1 if none).
 */
int error_policy_retry(const struct error_policy *ep, int attempt, int64_t first_ms,
		       int64_t now_ms, int64_t retry_after_ms, int64_t *wait_ms);

#endif
