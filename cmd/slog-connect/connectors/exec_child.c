/*
 * exec_child.c: spawning and feeding the exec sink's commands
 * (exec_child.h).
 *
 * posix_spawnp rather than fork: the worker runs many threads, and
 * posix_spawn neither copies their locks nor runs anything between fork
 * and exec.  Our ends of the child's stdin and stdout are close-on-exec
 * so that a second child (another task's) never holds them open.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "connectors/exec_child.h"
#include "runtime/connector.h"
#include "xalloc.h"

extern char **environ;

/* How often a wait looks at the child and the stop flag. */
#define EXEC_POLL_MS 20

static void add_arg(char ***argv, size_t *n, size_t *cap, struct buf *word)
{
	*argv = xgrow(*argv, cap, *n + 2, sizeof(**argv));
	(*argv)[(*n)++] = xstrdup(buf_cstr(word));
	(*argv)[*n] = NULL;
	buf_reset(word);
}

int exec_argv_split(const char *command, int shell, char ***argv, struct err *e)
{
	struct buf word = BUF_INIT;
	size_t n = 0, cap = 0;
	int quote = 0, in_word = 0;

	*argv = NULL;
	if (shell) {
		const char *sh[] = { "/bin/sh", "-c", command };
		for (size_t i = 0; i < 3; i++) {
			buf_adds(&word, sh[i]);
			add_arg(argv, &n, &cap, &word);
		}
		buf_free(&word);
		return 0;
	}
	for (const char *p = command; *p; p++) {
		if (quote && *p == quote) {
			quote = 0;
		} else if (!quote && (*p == '\'' || *p == '"')) {
			quote = *p;
			in_word = 1;
		} else if (quote != '\'' && *p == '\\' && p[1]) {
			buf_addc(&word, *++p);
			in_word = 1;
		} else if (!quote && (*p == ' ' || *p == '\t')) {
			if (in_word)
				add_arg(argv, &n, &cap, &word);
			in_word = 0;
		} else {
			buf_addc(&word, *p);
			in_word = 1;
		}
	}
	if (in_word)
		add_arg(argv, &n, &cap, &word);
	buf_free(&word);
	if (quote || n == 0) {
		exec_argv_free(*argv);
		*argv = NULL;
		return err_set(e, SLOG_EINVALID_CONFIG, quote ? "command '%s': unclosed quote"
							      : "command '%s': empty", command);
	}
	return 0;
}

void exec_argv_free(char **argv)
{
	if (!argv)
		return;
	for (char **a = argv; *a; a++)
		free(*a);
	free(argv);
}

/*
 * The command starts as a fresh process would: no signal blocked or
 * ignored that the worker's threads block or ignore (SIGPIPE, the
 * signals main waits for), and in a process group of its own, so that a
 * terminal's ^C reaches slog-connect, which drains, and a kill reaches
 * every process of a shell command.
 */
static void spawn_attributes(posix_spawnattr_t *attr)
{
	sigset_t none, dflt;

	sigemptyset(&none);
	sigemptyset(&dflt);
	for (int sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			sigaddset(&dflt, sig);
	posix_spawnattr_init(attr);
	posix_spawnattr_setsigmask(attr, &none);
	posix_spawnattr_setsigdefault(attr, &dflt);
	posix_spawnattr_setpgroup(attr, 0);
	posix_spawnattr_setflags(attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF |
					       POSIX_SPAWN_SETPGROUP);
}

int exec_child_start(struct exec_child *c, char *const *argv, int capture_out, struct err *e)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	int sv[2] = { -1, -1 }, po[2] = { -1, -1 }, rc;

	c->pid = 0;
	c->in = c->out = -1;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0 ||
	    (capture_out && pipe2(po, O_CLOEXEC) < 0)) {
		rc = err_set(e, SLOG_EIO, "command '%s': %s", argv[0], strerror(errno));
		goto fail;
	}
	/* The child reads; our end only writes. */
	shutdown(sv[0], SHUT_RD);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, sv[1], 0);
	posix_spawn_file_actions_adddup2(&fa, capture_out ? po[1] : 2, 1);
	spawn_attributes(&attr);
	rc = posix_spawnp(&c->pid, argv[0], &fa, &attr, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	if (rc != 0) {
		c->pid = 0;
		rc = err_set(e, SLOG_EIO, "command '%s': %s", argv[0], strerror(rc));
		goto fail;
	}
	close(sv[1]);
	c->in = sv[0];
	if (capture_out) {
		close(po[1]);
		c->out = po[0];
		fcntl(c->out, F_SETFL, fcntl(c->out, F_GETFL) | O_NONBLOCK);
	}
	fcntl(c->in, F_SETFL, fcntl(c->in, F_GETFL) | O_NONBLOCK);
	return 0;
fail:
	for (int i = 0; i < 2; i++) {
		if (sv[i] >= 0)
			close(sv[i]);
		if (po[i] >= 0)
			close(po[i]);
	}
	return rc;
}

ssize_t exec_child_send_some(struct exec_child *c, const void *p, size_t n, struct err *e)
{
	ssize_t w;

	if (c->in < 0)
		return err_set(e, SLOG_EIO, "the command's stdin is closed");
	do
		w = send(c->in, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);
	while (w < 0 && errno == EINTR);
	if (w >= 0)
		return w;
	if (errno == EAGAIN || errno == EWOULDBLOCK)
		return 0;
	return err_set(e, SLOG_EIO, "the command closed its stdin: %s", strerror(errno));
}

/* Until the deadline or a stop, the ms a poll may wait now; -1 when it is over. */
static int poll_slice(int64_t deadline_ms, const struct connect_task *t)
{
	int64_t now = clock_mono_ms();

	if ((t && task_stopping(t)) || (deadline_ms >= 0 && now >= deadline_ms))
		return -1;
	if (deadline_ms >= 0 && deadline_ms - now < EXEC_POLL_MS)
		return (int)(deadline_ms - now);
	return EXEC_POLL_MS;
}

static int stopped_or_late(const struct connect_task *t, struct err *e)
{
	if (t && task_stopping(t))
		return err_set(e, SLOG_EREQUEST_TIMED_OUT, "stopped while the command ran");
	return err_set(e, SLOG_EREQUEST_TIMED_OUT, "the command took longer than exec.timeout.ms");
}

int exec_child_write(struct exec_child *c, const void *p, size_t n, int64_t deadline_ms,
		     const struct connect_task *t, struct err *e)
{
	const char *at = p;

	while (n > 0) {
		ssize_t w = exec_child_send_some(c, at, n, e);
		if (w < 0)
			return (int)w;
		at += w;
		n -= (size_t)w;
		if (n == 0)
			break;
		int ms = poll_slice(deadline_ms, t);
		if (ms < 0)
			return stopped_or_late(t, e);
		struct pollfd pfd = { c->in, POLLOUT, 0 };
		poll(&pfd, 1, ms);
	}
	return 0;
}

void exec_child_close_in(struct exec_child *c)
{
	if (c->in >= 0)
		close(c->in);
	c->in = -1;
}

static void close_ends(struct exec_child *c)
{
	exec_child_close_in(c);
	if (c->out >= 0)
		close(c->out);
	c->out = -1;
}

void exec_child_kill(struct exec_child *c)
{
	if (c->pid > 0) {
		kill(-c->pid, SIGKILL); /* its group: a shell's children too */
		kill(c->pid, SIGKILL);
		while (waitpid(c->pid, NULL, 0) < 0 && errno == EINTR)
			;
	}
	c->pid = 0;
	close_ends(c);
}

int exec_child_wait(struct exec_child *c, int64_t deadline_ms, const struct connect_task *t,
		    int *status, struct err *e)
{
	for (;;) {
		pid_t r = waitpid(c->pid, status, WNOHANG);
		if (r == c->pid || (r < 0 && errno != EINTR)) {
			if (r < 0)
				*status = -1; /* reaped elsewhere: not a success we saw */
			c->pid = 0;
			close_ends(c);
			return 0;
		}
		int ms = poll_slice(deadline_ms, t);
		if (ms < 0) {
			int rc = stopped_or_late(t, e);
			exec_child_kill(c);
			return rc;
		}
		struct timespec ts = { 0, (long)ms * 1000000L };
		nanosleep(&ts, NULL);
	}
}

void exec_status_text(int status, char *out, size_t size)
{
	if (WIFEXITED(status))
		snprintf(out, size, "exit %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(out, size, "killed by signal %d", WTERMSIG(status));
	else
		snprintf(out, size, "wait status %d", status);
}
