/*
 * error_policy.c: Kafka Connect's errors.* for sources and sinks.  See
 * error_policy.h.
 *
 * A failed record is judged here, once: counted by stage, logged when
 * errors.log.enable says so, and then either fails the task (tolerance
 * none), or is skipped, or is turned into its dead letter.  The dead
 * letter keeps the record's key, value and headers, gains Kafka's
 * __connect.errors.* headers (values as text, as Kafka's
 * DeadLetterQueueReporter writes them), and goes to the dead-letter
 * topic, created with one partition when the task starts (as Kafka's
 * reporter creates it).  A source sends it through its own writer, so that its
 * progress waits for it; a sink through the policy's writer, which it
 * flushes before it commits.
 */
#include "runtime/error_policy.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "cli.h"
#include "log.h"
#include "runtime/connector.h"
#include "runtime/connector_conf.h"
#include "runtime/metrics.h"
#include "runtime/record_writer.h"
#include "runtime/topic_ensure.h"
#include "xalloc.h"

/* The first wait between retries; it doubles up to errors.retry.delay.max.ms. */
#define RETRY_FIRST_MS 100
/* How long creating the dead-letter topic may take. */
#define DLQ_CREATE_MS 30000
/* How much of a record's key or value a log line shows. */
#define LOG_BYTES_MAX 256

const struct conf_def error_policy_keys[] = {
	{ "errors.tolerance", CONF_ENUM, "none", 0, 0, 0, "none|all",
	  "none: a record that fails fails the task; all: it is logged, dead-lettered or skipped" },
	{ "errors.retry.timeout", CONF_DURATION, "0", -1, INT64_MAX, 1, NULL,
	  "how long a failing operation is retried (0: not at all; -1: forever)" },
	{ "errors.retry.delay.max.ms", CONF_DURATION, "60000", 1, INT64_MAX, 1, NULL,
	  "the longest wait between two retries" },
	{ "errors.log.enable", CONF_BOOL, "false", 0, 1, 0, NULL, "log each failure" },
	{ "errors.log.include.messages", CONF_BOOL, "false", 0, 1, 0, NULL,
	  "with the record's topic, key and value" },
	{ "errors.deadletterqueue.topic.name", CONF_STRING, "", 0, 0, 0, NULL,
	  "where records that failed go (empty: none)" },
	{ "errors.deadletterqueue.topic.replication.factor", CONF_INT, "3", -1, 32767, 0, NULL,
	  "of the dead-letter topic when it is created (capped at the brokers there are)" },
	{ "errors.deadletterqueue.context.headers.enable", CONF_BOOL, "true", 0, 1, 0, NULL,
	  "add the __connect.errors.* headers that say why and where" },
};
const size_t error_policy_nkeys = sizeof(error_policy_keys) / sizeof(error_policy_keys[0]);

struct error_policy {
	const struct connect_task *t;   /* for the log, metrics and names */
	int tolerate;                   /* errors.tolerance=all */
	int64_t retry_timeout_ms, retry_delay_max_ms;
	int log, log_messages, headers;
	char *dlq;                      /* NULL: no dead-letter topic */
	int32_t dlq_replication;
	struct record_writer *w;        /* a sink's dead letters (error_policy_send) */
	struct buf scratch;
};

const char *connect_stage_name(enum connect_stage s)
{
	static const char *const names[] = { "TASK_POLL", "VALUE_CONVERTER", "TRANSFORMATION",
					     "KAFKA_PRODUCE", "KAFKA_CONSUME", "TASK_PUT" };

	return (unsigned)s < sizeof(names) / sizeof(names[0]) ? names[s] : "UNKNOWN";
}

/*
 * The dead-letter topic exists, created at the task's start (as Kafka's
 * reporter creates it), so that a bad replication factor or a refused
 * name fails the task at once, not at its first bad record.
 */
static int dlq_create(struct error_policy *ep, struct err *e)
{
	struct cluster cl;
	int64_t deadline = clock_mono_ms() + DLQ_CREATE_MS;
	int rc;

	if ((rc = cluster_connect(&cl, ep->t->wc->brokers, deadline, e)))
		return rc;
	rc = topic_ensure(&cl, ep->dlq, 1, ep->dlq_replication, NULL, deadline, e);
	cluster_close(&cl);
	if (rc)
		err_wrap(e, "errors.deadletterqueue.topic.name");
	return rc;
}

struct error_policy *error_policy_new(const struct connect_task *t, struct err *e)
{
	struct error_policy *ep = xcalloc(1, sizeof(*ep));
	const struct connector_conf *cc = t->cc;
	const char *dlq = cc_str(cc, "errors.deadletterqueue.topic.name");

	/* Each value was checked when the file was read. */
	ep->t = t;
	ep->tolerate = cc_num(cc, "errors.tolerance") == 1;
	ep->retry_timeout_ms = cc_num(cc, "errors.retry.timeout");
	ep->retry_delay_max_ms = cc_num(cc, "errors.retry.delay.max.ms");
	ep->log = cc_bool(cc, "errors.log.enable");
	ep->log_messages = cc_bool(cc, "errors.log.include.messages");
	ep->headers = cc_bool(cc, "errors.deadletterqueue.context.headers.enable");
	ep->dlq_replication = (int32_t)cc_num(cc, "errors.deadletterqueue.topic.replication.factor");
	if (dlq && *dlq)
		ep->dlq = xstrdup(dlq);
	/* No worker, no cluster to make it in (a task built by a test). */
	if (ep->dlq && t->wc && t->wc->brokers && dlq_create(ep, e)) {
		error_policy_free(ep);
		return NULL;
	}
	return ep;
}

void error_policy_free(struct error_policy *ep)
{
	if (!ep)
		return;
	writer_free(ep->w);
	free(ep->dlq);
	buf_free(&ep->scratch);
	free(ep);
}

static const char *connector_name(const struct error_policy *ep)
{
	return ep->t->cc->name ? ep->t->cc->name : "";
}

/* bytes, or "null", escaped and cut for a log line. */
static void show_bytes(struct buf *out, const struct buf *b, int null)
{
	if (null) {
		buf_adds(out, "null");
		return;
	}
	cli_escape(out, b->data ? b->data : "", b->len < LOG_BYTES_MAX ? b->len : LOG_BYTES_MAX);
	if (b->len > LOG_BYTES_MAX)
		buf_adds(out, "...");
}

static void log_failure(struct error_policy *ep, const struct crec *r, const struct error_origin *o,
			const struct err *cause)
{
	struct buf *line = &ep->scratch;

	buf_reset(line);
	buf_addf(line, "error in stage %s", connect_stage_name(o->stage));
	if (o->topic)
		buf_addf(line, " (%s-%d@%lld)", o->topic, o->partition, (long long)o->offset);
	if (o->source)
		buf_addf(line, " (%s)", o->source);
	buf_addf(line, ": %s", cause->msg);
	if (ep->log_messages) {
		buf_addf(line, "; record topic '%s' key '", buf_cstr(&r->topic));
		show_bytes(line, &r->key, r->null_key);
		buf_adds(line, "' value '");
		show_bytes(line, &r->value, r->null_value);
		buf_adds(line, "'");
	}
	task_log(ep->t, LOG_LEVEL_WARN, "%s", buf_cstr(line));
}

static void add_text_header(struct crec *r, const char *key, const char *text)
{
	crec_add_header(r, key, text, (int32_t)strlen(text));
}

/* Kafka's __connect.errors.* headers, values as text. */
static void add_context(const struct error_policy *ep, struct crec *r, const struct error_origin *o,
			const struct err *cause)
{
	char num[32];

	if (o->topic) {
		add_text_header(r, "__connect.errors.topic", o->topic);
		snprintf(num, sizeof(num), "%d", o->partition);
		add_text_header(r, "__connect.errors.partition", num);
		snprintf(num, sizeof(num), "%lld", (long long)o->offset);
		add_text_header(r, "__connect.errors.offset", num);
	} else if (r->topic.len) {
		/* A source's record: the topic it was on its way to. */
		add_text_header(r, "__connect.errors.topic", buf_cstr(&r->topic));
	}
	add_text_header(r, "__connect.errors.connector.name", connector_name(ep));
	snprintf(num, sizeof(num), "%d", ep->t->id);
	add_text_header(r, "__connect.errors.task.id", num);
	add_text_header(r, "__connect.errors.stage", connect_stage_name(o->stage));
	if (ep->t->cc->cls)
		add_text_header(r, "__connect.errors.class.name", ep->t->cc->cls->name);
	add_text_header(r, "__connect.errors.exception.class.name", err_name(cause->code));
	add_text_header(r, "__connect.errors.exception.message", cause->msg);
	if (o->source)
		add_text_header(r, "__connect.errors.source", o->source);
}

void error_policy_dead_letter(const struct error_policy *ep, struct crec *r,
			      const struct error_origin *o, const struct err *cause)
{
	if (ep->headers)
		add_context(ep, r, o, cause);
	crec_set_topic(r, ep->dlq ? ep->dlq : "");
	r->partition = -1;
	r->offset = -1;
	r->timestamp = -1;
}

int error_policy_failed(struct error_policy *ep, struct crec *r, const struct error_origin *o,
			const struct err *cause, struct err *e)
{
	struct connect_metrics *m = ep->t->metrics;

	if (m)
		metrics_error(m, (int)o->stage);
	if (ep->log)
		log_failure(ep, r, o, cause);
	if (!ep->tolerate) {
		*e = *cause;
		err_wrap(e, "%s failed (errors.tolerance=none)", connect_stage_name(o->stage));
		return e->code < 0 ? e->code : SLOG_EUNKNOWN;
	}
	if (!ep->dlq) {
		if (m)
			atomic_fetch_add(&m->skipped, 1);
		return 0;
	}
	error_policy_dead_letter(ep, r, o, cause);
	if (m)
		atomic_fetch_add(&m->dead_letter, 1);
	return 1;
}

int error_policy_send(struct error_policy *ep, const struct crec *r, struct err *e)
{
	uint64_t seq;

	if (!ep->w) {
		struct writer_opts o;
		writer_opts_from_task(NULL, &o);
		o.brokers = ep->t->wc ? ep->t->wc->brokers : NULL;
		ep->w = writer_new(NULL, &o, clock_mono_ms() + DLQ_CREATE_MS, e);
		if (!ep->w)
			return e->code;
	}
	return writer_send(ep->w, r, &seq, e);
}

int error_policy_flush(struct error_policy *ep, int64_t deadline_ms, struct err *e)
{
	return ep->w ? writer_flush(ep->w, deadline_ms, e) : 0;
}

/* A draw in [0, n): jitter is not worth a shared generator's lock. */
static int64_t draw(int64_t n)
{
	static _Thread_local unsigned seed;

	if (!seed)
		seed = (unsigned)clock_mono_ns() | 1;
	return n > 0 ? (int64_t)(rand_r(&seed) % (unsigned)n) : 0;
}

int error_policy_retry(const struct error_policy *ep, int attempt, int64_t first_ms,
		       int64_t now_ms, int64_t retry_after_ms, int64_t *wait_ms)
{
	int64_t left = ep->retry_timeout_ms < 0 ? INT64_MAX : first_ms + ep->retry_timeout_ms - now_ms;
	int64_t wait = RETRY_FIRST_MS;

	*wait_ms = 0;
	if (ep->retry_timeout_ms == 0 || left <= 0)
		return 0;
	for (int i = 1; i < attempt && wait < ep->retry_delay_max_ms; i++)
		wait *= 2;
	if (wait > ep->retry_delay_max_ms)
		wait = ep->retry_delay_max_ms;
	/* Half fixed, half drawn: tasks that failed together do not retry together. */
	wait = wait / 2 + draw(wait - wait / 2 + 1);
	if (retry_after_ms > wait)
		wait = retry_after_ms;
	/* A server that asks for more time than is left gets no retry. */
	if (wait > left) {
		if (retry_after_ms > left)
			return 0;
		wait = left;
	}
	*wait_ms = wait;
	if (ep->t->metrics)
		atomic_fetch_add(&ep->t->metrics->retries, 1);
	return 1;
}
