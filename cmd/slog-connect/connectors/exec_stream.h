/*
 * exec_stream.h: the exec sink's stream mode: one command kept running,
 * a record a line on its stdin, an acknowledgement a line on its stdout.
 *
 * The command answers each record, in order, with one line: "error" or
 * "error: why" refuses it (the record goes to the error policy, with
 * why), any other line accepts it.  Records stay held until answered;
 * at most window of them are unanswered at once (back-pressure), and a
 * flush waits until every one is.
 *
 * A command that exits, closes its stdin, or leaves a record unanswered
 * for ack_timeout_ms is killed and started again after a backoff
 * (sink_retry.h), and every unanswered record is sent again (at least
 * once).  Retries spent (errors.retry.timeout), the oldest unanswered
 * record is the likely culprit: it goes to the error policy and the
 * stream goes on without it.
 */
#ifndef SLOG_EXEC_STREAM_H
#define SLOG_EXEC_STREAM_H

#include <stdint.h>

#include "connectors/sink_format.h"
#include "connectors/sink_retry.h"
#include "err.h"
#include "runtime/connect_record.h"

struct connect_task;
struct exec_stream;

/* Borrows t, argv and fmt for its life; copies retry. */
struct exec_stream *exec_stream_new(struct connect_task *t, char *const *argv,
				    struct sink_format *fmt, int64_t window, int64_t ack_timeout_ms,
				    const struct sink_retry *retry);
void exec_stream_free(struct exec_stream *s);

int exec_stream_put(struct exec_stream *s, const struct crec *r, struct err *e);
/* Wait until every record put was answered. */
int exec_stream_flush(struct exec_stream *s, struct err *e);

#endif
