/*
 * coprocess.c: a child process spoken to line by line (coprocess.h).
 *
 * One exchange writes and reads at once (poll on both ends): a child that
 * echoes as it reads (cat) fills its stdout pipe while we are still
 * writing a long line, and would block forever if we only wrote.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "transforms/coprocess.h"

/* A reply line longer than this is refused (a child printing without newlines). */
#define COPROCESS_LINE_MAX (64u << 20)

void coprocess_init_take(struct coprocess *c, char **argv)
{
	memset(c, 0, sizeof(*c));
	c->argv = argv;
	c->child.in = c->child.out = -1;
}

int coprocess_running(const struct coprocess *c)
{
	return c->child.pid > 0;
}

int coprocess_start(struct coprocess *c, struct err *e)
{
	buf_reset(&c->pending);
	return exec_child_start(&c->child, c->argv, 1, e);
}

/* Move one whole line from pending to reply: 1, or 0 when none is there yet. */
static int take_line(struct coprocess *c, struct buf *reply, struct err *e, int *rc)
{
	char *nl = c->pending.len ? memchr(c->pending.data, '\n', c->pending.len) : NULL;
	if (!nl)
		return 0;
	size_t n = (size_t)(nl - c->pending.data);
	buf_reset(reply);
	buf_add(reply, c->pending.data, n);
	*rc = 0;
	if (c->pending.len > n + 1)
		*rc = err_set(e, SLOG_EIO, "printed more than one line for one record");
	buf_reset(&c->pending);
	return 1;
}

/* Read what the child printed into pending: 0, or an error at EOF. */
static int read_some(struct coprocess *c, struct err *e)
{
	char *p = buf_reserve(&c->pending, 65536);
	ssize_t n = read(c->child.out, p, 65536);
	if (n > 0) {
		buf_commit(&c->pending, (size_t)n);
		if (c->pending.len > COPROCESS_LINE_MAX)
			return err_set(e, SLOG_EIO, "printed a line longer than %u bytes",
				       COPROCESS_LINE_MAX);
		return 0;
	}
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	return err_set(e, SLOG_EIO, "closed its output%s", c->pending.len ? " mid-line" : "");
}

static int write_some(struct coprocess *c, const char *p, size_t n, size_t *done, struct err *e)
{
	ssize_t w = exec_child_send_some(&c->child, p + *done, n - *done, e);
	if (w < 0)
		return (int)w;
	*done += (size_t)w;
	return 0;
}

int coprocess_exchange(struct coprocess *c, const char *line, size_t len, struct buf *reply,
		       int64_t deadline_ms, struct err *e)
{
	size_t done = 0;
	int rc = 0;
	if (!coprocess_running(c))
		return err_set(e, SLOG_EIO, "not running");
	for (;;) {
		if (take_line(c, reply, e, &rc))
			return rc < 0 ? rc
			       : done < len ? err_set(e, SLOG_EIO, "answered before reading the line")
					    : 0;
		int64_t left = deadline_ms - clock_mono_ms();
		if (left <= 0)
			return err_set(e, SLOG_EREQUEST_TIMED_OUT, "no answer in time");
		struct pollfd pf[2] = { { .fd = c->child.out, .events = POLLIN },
					{ .fd = done < len ? c->child.in : -1, .events = POLLOUT } };
		if (poll(pf, 2, (int)(left > 60000 ? 60000 : left)) < 0 && errno != EINTR)
			return err_set(e, SLOG_EIO, "poll: %s", strerror(errno));
		if (pf[1].revents && (rc = write_some(c, line, len, &done, e)) < 0)
			return rc;
		if (pf[0].revents && (rc = read_some(c, e)) < 0)
			return rc;
	}
}

void coprocess_kill(struct coprocess *c, int64_t grace_ms, char *how, size_t how_size)
{
	struct err e;
	int status;
	how[0] = '\0';
	if (coprocess_running(c)) {
		/* EOF on its stdin: a filter ends by itself; one that does
		 * not is killed at the deadline.  A child that closed its
		 * output is on its way out: its status says why. */
		exec_child_close_in(&c->child);
		if (exec_child_wait(&c->child, clock_mono_ms() + grace_ms, NULL, &status, &e) < 0)
			snprintf(how, how_size, "killed by signal 9");
		else if (status != -1)
			exec_status_text(status, how, how_size);
	}
	exec_child_kill(&c->child);
}

void coprocess_free(struct coprocess *c, int64_t grace_ms)
{
	char how[64];
	coprocess_kill(c, grace_ms, how, sizeof(how));
	exec_argv_free(c->argv);
	buf_free(&c->pending);
	memset(c, 0, sizeof(*c));
}
