/*
 * exec_sink.c: the exec-sink class: records of the topics read, written
 * to a command's stdin.
 *
 * exec.mode = batch (xargs-like) runs the command once per batch: the
 * batch's records, rendered by exec.format, go to its stdin, which is
 * then closed, and exit 0 delivers the batch.  Any other end (an exit
 * status, a signal, exec.timeout.ms passed) is tried again with backoff
 * until errors.retry.timeout, 30 s unless set (a command is more often
 * broken than busy), then every record of the batch goes to the error
 * policy.  The batch's stdout goes to the log.
 *
 * exec.mode = stream keeps one command up and reads an acknowledgement
 * a record (exec_stream.h).
 *
 * Either way flush() returns once every record put is settled, so the
 * runner's commit covers delivered records only.
 */
#include <stdlib.h>

#include "clock.h"
#include "connectors/exec_child.h"
#include "connectors/exec_stream.h"
#include "connectors/sink_batch.h"
#include "connectors/sink_format.h"
#include "connectors/sink_reject.h"
#include "connectors/sink_retry.h"
#include "log.h"
#include "runtime/connector.h"
#include "runtime/connector_conf.h"
#include "runtime/sink.h"
#include "xalloc.h"

static const struct conf_def exec_sink_keys[] = {
	{ "exec.command", CONF_STRING, NULL, 0, 0, 0, NULL,
	  "the command: words split as a shell would, run without one" },
	{ "exec.shell", CONF_BOOL, "false", 0, 0, 0, NULL, "run exec.command with /bin/sh -c" },
	{ "exec.mode", CONF_ENUM, "batch", 0, 0, 0, "batch|stream",
	  "batch: a command per batch, delivered on exit 0; stream: one command, an ack line a record" },
	{ "exec.format", CONF_STRING, "value", 0, 0, 0, NULL,
	  "what its stdin gets: value (a line per value), ndjson, or a slog-consume -f format" },
	{ "exec.timeout.ms", CONF_DURATION, "5min", 1, 86400000, 1, NULL,
	  "batch: the most one run takes; stream: the most a record waits for its ack" },
	{ "batch.max.records", CONF_INT, "1000", 1, 1000000, 0, NULL,
	  "batch: records per run; stream: records unanswered at once" },
	{ "batch.max.bytes", CONF_BYTES, "1MiB", 1, INT32_MAX, 0, NULL, "batch: bytes per run at most" },
	/* Kafka's key with this sink's default: a failing command is more often broken than busy. */
	{ "errors.retry.timeout", CONF_DURATION, "30s", -1, INT64_MAX, 1, NULL,
	  "retry a failing run this long (-1: forever; 0: never), then the error policy" },
};

enum { MODE_BATCH, MODE_STREAM };

struct exec_sink {
	struct connect_task *t;
	char **argv;
	struct sink_format *fmt;
	struct sink_retry retry;
	int64_t timeout_ms, max_records, max_bytes;
	struct exec_stream *stream;   /* stream mode */
	struct sink_batch batch;      /* batch mode: the records of the next run */
	struct buf input;             /* ... rendered */
};

static int exec_sink_check(const struct connector_conf *cc, struct err *e)
{
	char **argv;
	struct sink_format *f;

	if (!cc_str(cc, "exec.command"))
		return err_set(e, SLOG_EINVALID_CONFIG, "exec.command: required");
	if (exec_argv_split(cc_str(cc, "exec.command"), cc_bool(cc, "exec.shell"), &argv, e))
		return err_wrap(e, "exec.command");
	exec_argv_free(argv);
	f = sink_format_new(cc_str(cc, "exec.format"), e);
	if (!f)
		return err_wrap(e, "exec.format");
	sink_format_free(f);
	return 0;
}

static void exec_sink_close(void *state)
{
	struct exec_sink *s = state;

	exec_stream_free(s->stream);
	exec_argv_free(s->argv);
	sink_format_free(s->fmt);
	sink_batch_free(&s->batch);
	buf_free(&s->input);
	free(s);
}

static int exec_sink_open(struct connect_task *t, void **state, struct err *e)
{
	const struct connector_conf *cc = t->cc;
	struct exec_sink *s = xcalloc(1, sizeof(*s));

	s->t = t;
	sink_batch_init(&s->batch);
	s->timeout_ms = cc_num(cc, "exec.timeout.ms");
	s->max_records = cc_num(cc, "batch.max.records");
	s->max_bytes = cc_num(cc, "batch.max.bytes");
	sink_retry_init(&s->retry, cc_num(cc, "errors.retry.timeout"),
			cc_num(cc, "errors.retry.delay.max.ms"));
	s->fmt = sink_format_new(cc_str(cc, "exec.format"), e);
	if (!s->fmt || exec_argv_split(cc_str(cc, "exec.command"), cc_bool(cc, "exec.shell"),
				       &s->argv, e)) {
		exec_sink_close(s);
		return e ? e->code : SLOG_EINVALID_CONFIG;
	}
	if (cc_num(cc, "exec.mode") == MODE_STREAM)
		s->stream = exec_stream_new(t, s->argv, s->fmt, s->max_records, s->timeout_ms,
					    &s->retry);
	*state = s;
	return 0;
}

/* One run of the command over the batch's input: 0 on exit 0, else why in cause. */
static int run_once(struct exec_sink *s, struct err *cause)
{
	struct exec_child c;
	int64_t deadline = clock_mono_ms() + s->timeout_ms;
	char how[64];
	int status = 0, rc;

	if ((rc = exec_child_start(&c, s->argv, 0, cause)))
		return rc;
	/* A command may exit without reading everything: its status decides. */
	rc = exec_child_write(&c, s->input.data, s->input.len, deadline, s->t, cause);
	exec_child_close_in(&c);
	if (rc == SLOG_EREQUEST_TIMED_OUT) {
		exec_child_kill(&c);
		return rc;
	}
	if ((rc = exec_child_wait(&c, deadline, s->t, &status, cause)))
		return rc;
	if (status == 0)
		return 0;
	exec_status_text(status, how, sizeof(how));
	return err_set(cause, SLOG_EIO, "command '%s': %s", s->argv[0], how);
}

/* Run the batch until it is settled: delivered, or handed to the error policy. */
static int run_batch(struct exec_sink *s, struct err *e)
{
	int64_t first = clock_mono_ms(), wait;
	struct err cause;
	int rc = 0;

	for (int attempt = 1;; attempt++) {
		err_clear(&cause);
		if (run_once(s, &cause) == 0)
			break;
		if (task_stopping(s->t))
			return err_set(e, SLOG_EREQUEST_TIMED_OUT, "stopped: %s", cause.msg);
		if (sink_retry_next(&s->retry, attempt, first, clock_mono_ms(), -1, &wait)) {
			task_log(s->t, LOG_LEVEL_WARN, "%s; retry %d in %lld ms", cause.msg, attempt,
				 (long long)wait);
			sink_retry_count(s->t);
			if ((rc = sink_retry_sleep(s->t, wait, e)))
				return rc;
			continue;
		}
		err_wrap(&cause, "gave up after %d tries (errors.retry.timeout)", attempt);
		rc = sink_reject_batch(s->t, &s->batch, &cause, e);
		break;
	}
	sink_batch_clear(&s->batch);
	buf_reset(&s->input);
	return rc;
}

static int exec_sink_put(void *state, const struct crec *r, struct err *e)
{
	struct exec_sink *s = state;

	if (s->stream)
		return exec_stream_put(s->stream, r, e);
	sink_batch_add(&s->batch, r, clock_mono_ms());
	sink_format_write(s->fmt, r, &s->input);
	if ((int64_t)s->batch.n >= s->max_records || (int64_t)s->input.len >= s->max_bytes)
		return run_batch(s, e);
	return 0;
}

static int exec_sink_flush(void *state, struct err *e)
{
	struct exec_sink *s = state;

	if (s->stream)
		return exec_stream_flush(s->stream, e);
	return s->batch.n > 0 ? run_batch(s, e) : 0;
}

static const struct sink_ops exec_sink_ops = {
	.open = exec_sink_open,
	.put = exec_sink_put,
	.flush = exec_sink_flush,
	.release = NULL,  /* records are held across partitions and settled by flush */
	.close = exec_sink_close,
};

static const char *const exec_sink_aliases[] = { NULL };

const struct connector_class exec_sink_class = {
	.name = "exec-sink",
	.aliases = exec_sink_aliases,
	.kind = CONNECTOR_SINK,
	.keys = exec_sink_keys,
	.nkeys = sizeof(exec_sink_keys) / sizeof(exec_sink_keys[0]),
	.check = exec_sink_check,
	.sink = &exec_sink_ops,
};
