/*
 * source_pipeline.h: the path a framed source (file-source, exec-source)
 * gives each frame: record, transforms, error policy, writer, and the
 * position to save once it is acknowledged.
 *
 *   frame --framer_to_record--> crec --decorate (key, headers)-->
 *     transform chain --> writer_send --> source_acks (seq, owner, end)
 *
 * A frame that does not become a record (an NDJSON line that does not
 * parse: stage VALUE_CONVERTER; a transform that fails: stage
 * TRANSFORMATION) goes to the error policy: dead-lettered through the
 * same writer, so its position is saved in order like any other, or
 * skipped (counted, logged), or the task fails.  A dead-lettered record
 * is rebuilt from the frame, so it carries the input as read, not a
 * transform's half-done change.
 *
 * Single-threaded: the task's own.
 */
#ifndef SLOG_SOURCE_PIPELINE_H
#define SLOG_SOURCE_PIPELINE_H

#include "connectors/line_framing.h"
#include "connectors/source_acks.h"
#include "runtime/connect_record.h"
#include "err.h"
#include "ndjson.h"

struct connect_task;
struct record_writer;

/* Sets what the source adds to each record (key, headers); arg is the source's. */
typedef void (*decorate_fn)(void *arg, struct crec *r, const struct frame *f);

struct source_pipeline {
	struct connect_task *t;
	struct record_writer *w;
	struct source_acks acks;
	struct crec r;
	struct ndjson_record scratch;
	int64_t seen;          /* frames taken */
	int64_t flush_ms;      /* offset.flush.interval.ms */
	int64_t next_flush;    /* monotonic ms of the next progress save */
	struct buf origin;     /* source@position, built only for a failure */
};

/* Connect the writer (default topic: the connector's `topic`) until deadline_ms. */
int source_pipeline_open(struct source_pipeline *p, struct connect_task *t, int64_t deadline_ms,
			 struct err *e);
/* Free; call writer_flush (source_pipeline_drain) first to keep what was queued. */
void source_pipeline_close(struct source_pipeline *p);

/*
 * Take one frame of fr: 0 once it is queued (or dead-lettered, or
 * skipped by the policy) with (owner, f->end) pushed to the acks; <0
 * when the task must stop: the writer or the policy failed, or the task
 * is stopping while the writer was full (the frame was not queued).
 * source names the input ("file:PATH", "exec:COMMAND"); a failure's
 * dead-letter header says it with the frame's position (file:PATH@POS).
 */
int source_pipeline_put(struct source_pipeline *p, const struct framer *fr, const struct frame *f,
			decorate_fn decorate, void *arg, const char *source, void *owner,
			struct err *e);

/* Positions whose records are all done, oldest first, to fn. */
void source_pipeline_acked(struct source_pipeline *p,
			   void (*fn)(void *arg, void *owner, int64_t pos), void *arg);

/*
 * Every offset.flush.interval.ms: save(arg, deadline, e) the source's
 * progress; a failure is logged and tried again at the next interval.
 */
void source_pipeline_tick(struct source_pipeline *p,
			  int (*save)(void *arg, int64_t deadline_ms, struct err *e), void *arg);

/*
 * How long a stopping source waits for its records' acknowledgements
 * (Kafka Connect's task.shutdown.graceful.timeout.ms is 5 s too).  What
 * is not acknowledged by then is not in the saved progress, so a restart
 * reads it again: the wait bounds a stop, not what is delivered.
 */
#define SOURCE_DRAIN_MS 5000

/* Send everything and wait (until deadline_ms) for every acknowledgement. */
int source_pipeline_drain(struct source_pipeline *p, int64_t deadline_ms, struct err *e);

#endif
