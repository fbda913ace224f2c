/*
 * exec_stream.c: the exec sink's long-running command (exec_stream.h).
 *
 * pending[head..n) are the records sent or to be sent and not yet
 * answered, in order; out holds the rendered bytes not yet written to
 * the command.  A restart renders pending[head..n) again, so the new
 * command sees every unanswered record, oldest first.  One poll drives
 * both pipes at once: a command that answers while we write never
 * blocks on a full stdout that we are not reading.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "connectors/exec_child.h"
#include "connectors/exec_stream.h"
#include "connectors/sink_batch.h"
#include "connectors/sink_reject.h"
#include "log.h"
#include "runtime/connector.h"
#include "xalloc.h"

#define STREAM_SLICE_MS 50
/* Answered records are dropped from the front once this many pile up. */
#define STREAM_COMPACT 256

struct exec_stream {
	struct connect_task *t;
	char *const *argv;
	struct sink_format *fmt;
	int64_t window, ack_timeout_ms;
	struct sink_retry retry;
	struct exec_child c;          /* pid 0: not running */
	struct sink_batch pending;
	size_t head;                  /* pending[0..head) answered */
	struct buf out;               /* out[out_off..len) not yet written */
	size_t out_off;
	struct buf line;              /* an answer line read in part */
	int attempt;                  /* failures since the last answer */
	int64_t fail_first, next_start_ms, progress_ms;
};

struct exec_stream *exec_stream_new(struct connect_task *t, char *const *argv,
				    struct sink_format *fmt, int64_t window, int64_t ack_timeout_ms,
				    const struct sink_retry *retry)
{
	struct exec_stream *s = xcalloc(1, sizeof(*s));

	s->t = t;
	s->argv = argv;
	s->fmt = fmt;
	s->window = window;
	s->ack_timeout_ms = ack_timeout_ms;
	s->retry = *retry;
	s->c.in = s->c.out = -1;
	sink_batch_init(&s->pending);
	return s;
}

void exec_stream_free(struct exec_stream *s)
{
	if (!s)
		return;
	exec_child_kill(&s->c);
	sink_batch_free(&s->pending);
	buf_free(&s->out);
	buf_free(&s->line);
	free(s);
}

static void render_unanswered(struct exec_stream *s)
{
	buf_reset(&s->out);
	s->out_off = 0;
	for (size_t i = s->head; i < s->pending.n; i++)
		sink_format_write(s->fmt, &s->pending.recs[i], &s->out);
}

static int start(struct exec_stream *s, struct err *cause)
{
	int rc = exec_child_start(&s->c, s->argv, 1, cause);
	if (rc)
		return rc;
	buf_reset(&s->line);
	render_unanswered(s);
	s->progress_ms = clock_mono_ms();
	return 0;
}

/*
 * The command failed (cause): stop it, and start it again after a
 * backoff; retries spent, the oldest unanswered record goes to the
 * error policy.
 */
static int failed(struct exec_stream *s, struct err *cause, struct err *e)
{
	int64_t now = clock_mono_ms(), wait;
	char how[64];
	int status = 0;

	if (s->c.pid > 0 && exec_child_wait(&s->c, now + 200, NULL, &status, NULL) == 0) {
		exec_status_text(status, how, sizeof(how));
		err_wrap(cause, "%s", how);
	}
	exec_child_kill(&s->c);
	if (s->attempt++ == 0)
		s->fail_first = now;
	if (sink_retry_next(&s->retry, s->attempt, s->fail_first, now, -1, &wait)) {
		task_log(s->t, LOG_LEVEL_WARN, "command '%s': %s; restart in %lld ms", s->argv[0],
			 cause->msg, (long long)wait);
		sink_retry_count(s->t);
		s->next_start_ms = now + wait;
		return 0;
	}
	s->attempt = 0;
	s->next_start_ms = now;
	if (s->head >= s->pending.n)
		return 0;
	err_wrap(cause, "command '%s' gave up on the record after its retries", s->argv[0]);
	return sink_reject(s->t, &s->pending.recs[s->head++], cause, e);
}

/* Settle answered records from the front when they pile up. */
static void compact(struct exec_stream *s)
{
	if (s->head == s->pending.n) {
		sink_batch_clear(&s->pending);
		s->head = 0;
	} else if (s->head >= STREAM_COMPACT && s->head * 2 >= s->pending.n) {
		sink_batch_drop_front(&s->pending, s->head);
		s->head = 0;
	}
}

/* One answer line: the oldest unanswered record is delivered, or refused. */
static int answer(struct exec_stream *s, const char *line, size_t n, struct err *e)
{
	struct err cause;

	if (s->head >= s->pending.n) {
		task_log(s->t, LOG_LEVEL_WARN, "command '%s' answered more lines than records: '%.*s'",
			 s->argv[0], (int)(n > 80 ? 80 : n), line);
		return 0;
	}
	struct crec *r = &s->pending.recs[s->head++];
	s->attempt = 0;
	s->progress_ms = clock_mono_ms();
	if (n >= 5 && strncmp(line, "error", 5) == 0) {
		err_set(&cause, SLOG_EINVALID_RECORD, "command '%s' refused the record: %.*s",
			s->argv[0], (int)(n > 200 ? 200 : n), line);
		int rc = sink_reject(s->t, r, &cause, e);
		if (rc < 0)
			return rc;
	}
	compact(s);
	return 0;
}

/* Read what the command printed; 1 at its end of output. */
static int read_answers(struct exec_stream *s, struct err *e)
{
	char chunk[4096];

	for (;;) {
		ssize_t got = read(s->c.out, chunk, sizeof(chunk));
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return 0; /* EAGAIN: nothing more for now */
		if (got == 0)
			return 1;
		for (ssize_t i = 0; i < got; i++) {
			if (chunk[i] != '\n') {
				buf_addc(&s->line, chunk[i]);
				continue;
			}
			int rc = answer(s, s->line.data ? s->line.data : "", s->line.len, e);
			buf_reset(&s->line);
			if (rc < 0)
				return rc;
		}
	}
}

/* Start the command when it is due; 1 when it runs. */
static int ensure_running(struct exec_stream *s, struct err *e)
{
	struct err cause;

	if (s->c.pid > 0)
		return 1;
	if (clock_mono_ms() < s->next_start_ms)
		return 0;
	err_clear(&cause);
	if (start(s, &cause) == 0)
		return 1;
	int rc = failed(s, &cause, e);
	return rc < 0 ? rc : 0;
}

/* Move bytes both ways, waiting up to wait_ms for something to happen. */
static int pump(struct exec_stream *s, int wait_ms, struct err *e)
{
	struct pollfd pfd[2];
	struct err cause;
	int rc = ensure_running(s, e);

	if (rc <= 0) {
		struct timespec ts = { 0, (long)wait_ms * 1000000L };
		nanosleep(&ts, NULL);
		return rc;
	}
	int writing = s->out_off < s->out.len;
	pfd[0] = (struct pollfd){ s->c.out, POLLIN, 0 };
	pfd[1] = (struct pollfd){ writing ? s->c.in : -1, POLLOUT, 0 };
	poll(pfd, 2, wait_ms);
	err_clear(&cause);
	if (writing && pfd[1].revents) {
		ssize_t w = exec_child_send_some(&s->c, s->out.data + s->out_off,
						 s->out.len - s->out_off, &cause);
		if (w < 0)
			return failed(s, &cause, e);
		s->out_off += (size_t)w;
		if (s->out_off == s->out.len) {
			buf_reset(&s->out);
			s->out_off = 0;
		}
	}
	if (pfd[0].revents && (rc = read_answers(s, e)) != 0) {
		if (rc < 0)
			return rc;
		err_set(&cause, SLOG_EIO, "the command ended its output");
		return failed(s, &cause, e);
	}
	if (s->head < s->pending.n && clock_mono_ms() - s->progress_ms > s->ack_timeout_ms) {
		err_set(&cause, SLOG_EREQUEST_TIMED_OUT, "no answer for %lld ms (exec.timeout.ms)",
			(long long)s->ack_timeout_ms);
		return failed(s, &cause, e);
	}
	return 0;
}

/* Pump until at most keep records are unanswered. */
static int drain_to(struct exec_stream *s, size_t keep, struct err *e)
{
	while (s->pending.n - s->head > keep) {
		if (task_stopping(s->t))
			return err_set(e, SLOG_EREQUEST_TIMED_OUT,
				       "stopped with %zu records unanswered by '%s'",
				       s->pending.n - s->head, s->argv[0]);
		int rc = pump(s, STREAM_SLICE_MS, e);
		if (rc < 0)
			return rc;
	}
	return 0;
}

int exec_stream_put(struct exec_stream *s, const struct crec *r, struct err *e)
{
	sink_batch_add(&s->pending, r, clock_mono_ms());
	if (s->c.pid > 0)
		sink_format_write(s->fmt, r, &s->out);
	int rc = pump(s, 0, e);
	if (rc < 0)
		return rc;
	return drain_to(s, (size_t)s->window - 1, e);
}

int exec_stream_flush(struct exec_stream *s, struct err *e)
{
	return drain_to(s, 0, e);
}
