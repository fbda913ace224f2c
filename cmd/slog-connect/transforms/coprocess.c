/*
 * coprocess.c: a child process spoken to line by line (coprocess.h).
 *
 * One exchange writes and reads at once (poll on both ends): a child that
 * echoes as it reads (cat) fills its stdout pipe while we are still
 * writing a long line, and would block forever if we only wrote.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "transforms/coprocess.h"
#include "xalloc.h"

extern char **environ;

/* A reply line longer than this is refused (a child printing without newlines). */
#define COPROCESS_LINE_MAX (64u << 20)

struct words {
	char **v;
	size_t n, cap;
	struct buf word;
	int in_word;
};

static void end_word(struct words *w)
{
	if (!w->in_word)
		return;
	w->v = xgrow(w->v, &w->cap, w->n + 2, sizeof(char *));
	w->v[w->n++] = xstrdup(buf_cstr(&w->word));
	w->v[w->n] = NULL;
	buf_reset(&w->word);
	w->in_word = 0;
}

/* One quoted part starting at *p (the quote); advances past its end. */
static int quoted(struct words *w, const char **p, struct err *e)
{
	char q = **p;
	const char *s = *p + 1;
	for (; *s && *s != q; s++) {
		if (q == '"' && *s == '\\' && s[1] && strchr("\"\\$`", s[1]))
			s++;
		buf_addc(&w->word, *s);
	}
	if (!*s)
		return err_set(e, SLOG_EINVALID_CONFIG, "%c without its closing %c", q, q);
	*p = s + 1;
	w->in_word = 1;
	return 0;
}

int coprocess_split(const char *cmd, char ***argv, struct err *e)
{
	struct words w = { 0 };
	int rc = 0;
	for (const char *p = cmd; *p && rc == 0;) {
		if (*p == ' ' || *p == '\t' || *p == '\n') {
			end_word(&w);
			p++;
		} else if (*p == '\'' || *p == '"') {
			rc = quoted(&w, &p, e);
		} else {
			if (*p == '\\' && p[1])
				p++;
			buf_addc(&w.word, *p++);
			w.in_word = 1;
		}
	}
	end_word(&w);
	buf_free(&w.word);
	if (rc == 0 && w.n == 0)
		rc = err_set(e, SLOG_EINVALID_CONFIG, "an empty command");
	if (rc < 0) {
		coprocess_argv_free(w.v);
		return rc;
	}
	*argv = w.v;
	return 0;
}

void coprocess_argv_free(char **argv)
{
	for (size_t i = 0; argv && argv[i]; i++)
		free(argv[i]);
	free(argv);
}

void coprocess_init_take(struct coprocess *c, char **argv, char **env)
{
	memset(c, 0, sizeof(*c));
	c->argv = argv;
	c->env = env;
	c->in_fd = c->out_fd = -1;
}

/* environ and c->env together (the strings borrowed); free the array. */
static char **child_env(const struct coprocess *c)
{
	size_t n = 0, m = 0;
	while (environ && environ[n])
		n++;
	while (c->env && c->env[m])
		m++;
	char **v = xcalloc(n + m + 1, sizeof(char *));
	memcpy(v, environ, n * sizeof(char *));
	if (m)
		memcpy(v + n, c->env, m * sizeof(char *));
	return v;
}

static int spawn(struct coprocess *c, int child_in, int child_out, struct err *e)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t none, all;
	sigemptyset(&none);
	sigfillset(&all);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, child_in, 0);
	posix_spawn_file_actions_adddup2(&fa, child_out, 1);
	posix_spawnattr_init(&at);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF |
					      POSIX_SPAWN_SETPGROUP);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setsigdefault(&at, &all);
	posix_spawnattr_setpgroup(&at, 0);
	char **env = child_env(c);
	int rc = posix_spawnp(&c->pid, c->argv[0], &fa, &at, c->argv, env);
	free(env);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	if (rc != 0) {
		c->pid = 0;
		return err_set(e, SLOG_EIO, "cannot run '%s': %s", c->argv[0], strerror(rc));
	}
	return 0;
}

int coprocess_start(struct coprocess *c, struct err *e)
{
	int sv[2], pv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return err_set(e, SLOG_EIO, "socketpair: %s", strerror(errno));
	if (pipe2(pv, O_CLOEXEC) < 0) {
		close(sv[0]);
		close(sv[1]);
		return err_set(e, SLOG_EIO, "pipe: %s", strerror(errno));
	}
	int rc = spawn(c, sv[1], pv[1], e);
	close(sv[1]);
	close(pv[1]);
	if (rc < 0) {
		close(sv[0]);
		close(pv[0]);
		return rc;
	}
	/* The child may not read our end: it only writes to its stdout. */
	shutdown(sv[0], SHUT_RD);
	fcntl(sv[0], F_SETFL, O_NONBLOCK);
	fcntl(pv[0], F_SETFL, O_NONBLOCK);
	c->in_fd = sv[0];
	c->out_fd = pv[0];
	buf_reset(&c->pending);
	return 0;
}

/* Move one whole line from pending to reply: 1, or 0 when none is there yet. */
static int take_line(struct coprocess *c, struct buf *reply, struct err *e, int *rc)
{
	char *nl = memchr(c->pending.data ? c->pending.data : "", '\n', c->pending.len);
	if (!nl)
		return 0;
	size_t n = (size_t)(nl - c->pending.data);
	buf_reset(reply);
	buf_add(reply, c->pending.data, n);
	size_t rest = c->pending.len - n - 1;
	*rc = 0;
	if (rest)
		*rc = err_set(e, SLOG_EIO, "printed more than one line for one record");
	buf_reset(&c->pending);
	return 1;
}

/* Read what the child printed into pending: 0, or an error at EOF. */
static int read_some(struct coprocess *c, struct err *e)
{
	char *p = buf_reserve(&c->pending, 65536);
	ssize_t n = read(c->out_fd, p, 65536);
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
	ssize_t w = send(c->in_fd, p + *done, n - *done, MSG_NOSIGNAL | MSG_DONTWAIT);
	if (w >= 0) {
		*done += (size_t)w;
		return 0;
	}
	if (errno == EAGAIN || errno == EINTR)
		return 0;
	return err_set(e, SLOG_EIO, "stopped reading its input (%s)", strerror(errno));
}

int coprocess_exchange(struct coprocess *c, const char *line, size_t len, struct buf *reply,
		       int64_t deadline_ms, struct err *e)
{
	size_t done = 0;
	int rc = 0;
	if (!c->pid)
		return err_set(e, SLOG_EIO, "not running");
	for (;;) {
		if (take_line(c, reply, e, &rc))
			return rc < 0 ? rc
			       : done < len ? err_set(e, SLOG_EIO, "answered before reading the line")
					    : 0;
		int64_t left = deadline_ms - clock_mono_ms();
		if (left <= 0)
			return err_set(e, SLOG_EREQUEST_TIMED_OUT, "no answer in time");
		struct pollfd pf[2] = { { .fd = c->out_fd, .events = POLLIN },
					{ .fd = done < len ? c->in_fd : -1, .events = POLLOUT } };
		if (poll(pf, 2, (int)(left > 60000 ? 60000 : left)) < 0 && errno != EINTR)
			return err_set(e, SLOG_EIO, "poll: %s", strerror(errno));
		if (pf[1].revents && (rc = write_some(c, line, len, &done, e)) < 0)
			return rc;
		if (pf[0].revents && (rc = read_some(c, e)) < 0)
			return rc;
	}
}

static void describe(int status, char *how, size_t size)
{
	if (WIFEXITED(status))
		snprintf(how, size, "exited with status %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(how, size, "was killed by signal %d", WTERMSIG(status));
	else
		snprintf(how, size, "ended");
}

static void close_fds(struct coprocess *c)
{
	if (c->in_fd >= 0)
		close(c->in_fd);
	if (c->out_fd >= 0)
		close(c->out_fd);
	c->in_fd = c->out_fd = -1;
}

void coprocess_kill(struct coprocess *c, char *how, size_t how_size)
{
	int status = 0;
	if (how_size)
		how[0] = '\0';
	close_fds(c);
	if (!c->pid)
		return;
	/* It may have ended on its own: then say how, rather than "killed". */
	if (waitpid(c->pid, &status, WNOHANG) == 0) {
		kill(c->pid, SIGKILL);
		while (waitpid(c->pid, &status, 0) < 0 && errno == EINTR)
			;
	}
	describe(status, how, how_size);
	c->pid = 0;
}

void coprocess_free(struct coprocess *c, int64_t grace_ms)
{
	char how[64];
	if (c->pid) {
		close_fds(c);  /* EOF on its stdin: a filter ends by itself */
		int64_t until = clock_mono_ms() + grace_ms;
		int status;
		while (waitpid(c->pid, &status, WNOHANG) == 0 && clock_mono_ms() < until)
			poll(NULL, 0, 10);
		if (waitpid(c->pid, &status, WNOHANG) != 0)
			c->pid = 0;
	}
	coprocess_kill(c, how, sizeof(how));
	coprocess_argv_free(c->argv);
	coprocess_argv_free(c->env);
	buf_free(&c->pending);
	memset(c, 0, sizeof(*c));
}
