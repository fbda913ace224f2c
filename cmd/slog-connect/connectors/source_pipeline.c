/*
 * source_pipeline.c: frames to acknowledged records, in order
 * (source_pipeline.h).
 *
 * One crec is reused for every frame, so the steady state allocates
 * nothing per record: its buffers grow to the largest line and stay.
 */
#include <string.h>

#include "clock.h"
#include "connectors/source_pipeline.h"
#include "log.h"
#include "runtime/connector.h"
#include "runtime/connector_conf.h"
#include "runtime/error_policy.h"
#include "runtime/metrics.h"
#include "runtime/record_writer.h"
#include "transforms/transform.h"

int source_pipeline_open(struct source_pipeline *p, struct connect_task *t, int64_t deadline_ms,
			 struct err *e)
{
	memset(p, 0, sizeof(*p));
	p->t = t;
	p->flush_ms = conf_get_num(&t->wc->conf, "offset.flush.interval.ms");
	p->next_flush = clock_mono_ms() + p->flush_ms;
	source_acks_init(&p->acks);
	crec_init(&p->r);
	ndjson_record_init(&p->scratch);
	struct writer_opts o;
	writer_opts_from_task(t, &o);
	p->w = writer_new(t, &o, deadline_ms, e);
	if (!p->w) {
		source_pipeline_close(p);
		return e && e->code ? e->code : SLOG_EUNKNOWN;
	}
	return 0;
}

void source_pipeline_close(struct source_pipeline *p)
{
	writer_free(p->w);
	p->w = NULL;
	source_acks_free(&p->acks);
	crec_free(&p->r);
	ndjson_record_free(&p->scratch);
	buf_free(&p->origin);
}

/* Build r from the frame: 1 a record, 0 nothing (a blank NDJSON line), <0 it does not parse. */
static int build(struct source_pipeline *p, const struct framer *fr, const struct frame *f,
		 decorate_fn decorate, void *arg, struct err *cause)
{
	crec_reset(&p->r);
	int rc = framer_to_record(fr, f, &p->r, &p->scratch, cause);
	if (rc < 0)
		crec_set_value(&p->r, f->p, (int32_t)f->len); /* the input as read, for the DLQ */
	if (rc != 0 && decorate)
		decorate(arg, &p->r, f);
	return rc;
}

static int send(struct source_pipeline *p, void *owner, int64_t pos, struct err *e)
{
	uint64_t seq;
	int rc = writer_send(p->w, &p->r, &seq, e);
	if (rc < 0)
		return rc;
	source_acks_push(&p->acks, seq, owner, pos);
	return 0;
}

/* The frame goes no further: its position is safe after what came before it. */
static int pass(struct source_pipeline *p, void *owner, int64_t pos)
{
	source_acks_push(&p->acks, writer_last_seq(p->w), owner, pos);
	return 0;
}

static int failed(struct source_pipeline *p, enum connect_stage stage, const char *source,
		  const struct frame *f, const struct err *cause, void *owner, struct err *e)
{
	buf_reset(&p->origin);
	buf_addf(&p->origin, "%s@%lld", source, (long long)f->start);
	const char *origin = buf_cstr(&p->origin);
	struct error_origin o = { .stage = stage, .partition = -1, .offset = -1, .source = origin };
	int64_t pos = f->end;
	task_log(p->t, LOG_LEVEL_DEBUG, "%s at %s: %s", connect_stage_name(stage), origin, cause->msg);
	int rc = error_policy_failed(p->t->errors, &p->r, &o, cause, e);
	if (rc < 0)
		return rc;
	if (rc == 0)
		return pass(p, owner, pos);
	return send(p, owner, pos, e);
}

int source_pipeline_put(struct source_pipeline *p, const struct framer *fr, const struct frame *f,
			decorate_fn decorate, void *arg, const char *source, void *owner,
			struct err *e)
{
	struct err cause = { 0 };
	p->seen++;
	int rc = build(p, fr, f, decorate, arg, &cause);
	if (rc == 0)
		return pass(p, owner, f->end);
	if (rc < 0)
		return failed(p, STAGE_VALUE_CONVERTER, source, f, &cause, owner, e);
	rc = transform_chain_apply(p->t->chain, &p->r, &cause);
	if (rc == 0)
		return pass(p, owner, f->end);
	if (rc < 0) {
		build(p, fr, f, decorate, arg, &(struct err){ 0 });
		return failed(p, STAGE_TRANSFORMATION, source, f, &cause, owner, e);
	}
	return send(p, owner, f->end, e);
}

void source_pipeline_acked(struct source_pipeline *p,
			   void (*fn)(void *arg, void *owner, int64_t pos), void *arg)
{
	source_acks_advance(&p->acks, writer_done_upto(p->w), fn, arg);
}

void source_pipeline_tick(struct source_pipeline *p,
			  int (*save)(void *arg, int64_t deadline_ms, struct err *e), void *arg)
{
	int64_t now = clock_mono_ms();
	if (now < p->next_flush)
		return;
	p->next_flush = now + p->flush_ms;
	struct err e = { 0 };
	if (save(arg, now + p->flush_ms * 10, &e) < 0)
		task_log(p->t, LOG_LEVEL_WARN, "saving progress: %s; trying again", e.msg);
}

int source_pipeline_drain(struct source_pipeline *p, int64_t deadline_ms, struct err *e)
{
	return writer_flush(p->w, deadline_ms, e);
}
