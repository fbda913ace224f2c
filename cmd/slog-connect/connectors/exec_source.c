/*
 * exec_source.c: the exec-source connector: a command's stdout lines
 * become records.
 *
 * The command is an argv split as a shell splits words (exec_child.h),
 * run without a shell unless exec.shell=true.  exec.mode=streaming keeps
 * one child up (exec.restart says what happens when it exits: always,
 * on-failure, never; restarts back off from 1 s doubling to
 * exec.restart.backoff.max.ms, and the backoff starts over once a child
 * ran 10 s); scheduled runs it every exec.interval.ms, start to start,
 * never two at once.  stdout is framed as file-source frames a file
 * (line_framing.h), stderr goes to the log a line at a time.
 *
 * Back-pressure: stdout is read only when the writer takes records;
 * writer_send() waits while its buffer is full, the pipe fills, and the
 * child blocks in write().  Nothing is read that cannot be queued.
 *
 * Resuming (optional, for commands that can): the child finds a pipe on
 * fd 3 (SLOG_CONNECT_OFFSET_FD=3) and may write to it one line, its
 * source offset, after the records that offset covers (it flushes stdout
 * first).  When every record printed before that line is acknowledged,
 * the line is the connector's progress, saved in __connect_offsets under
 * {"command":"<exec.command>"} as {"offset":"<line>"}; a later child gets
 * the last one saved in SLOG_CONNECT_OFFSET.  The offset line is taken
 * in order by reading stdout to its current end before it is counted.
 * Without offset lines the source is at most once across restarts, as
 * any pipe is.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/wait.h>
#include <unistd.h>

#include "clock.h"
#include "connectors/exec_child.h"
#include "connectors/line_framing.h"
#include "connectors/source_pipeline.h"
#include "log.h"
#include "runtime/connector.h"
#include "runtime/connector_conf.h"
#include "runtime/offset_store.h"
#include "runtime/record_writer.h"
#include "xalloc.h"

extern char **environ;

#define READ_CHUNK (64 * 1024)
#define STDERR_LINE_MAX 4096
#define OPEN_DEADLINE_MS 30000
#define KILL_GRACE_MS 5000
#define BACKOFF_FIRST_MS 1000
#define RAN_WELL_MS 10000

enum exec_mode { MODE_STREAMING, MODE_SCHEDULED };
enum exec_restart { RESTART_ALWAYS, RESTART_ON_FAILURE, RESTART_NEVER };

/* One run of the command. */
struct child {
	pid_t pid;             /* 0: none */
	int out, err, off;     /* our ends; -1 once at their end */
	int64_t started_ms;
};

struct exec_source {
	struct connect_task *t;
	struct source_pipeline p;
	struct offset_store *store;
	struct framing_opts framing;
	struct framer fr;
	char **argv;
	const char *command;
	enum exec_mode mode;
	enum exec_restart restart;
	int64_t interval_ms, backoff_max_ms, backoff_ms;
	int epfd;
	struct child c;
	struct buf errline, offline;
	char *offset;          /* the last offset whose records are all acknowledged */
	int offset_dirty;
	struct buf source;     /* "exec:COMMAND", for the dead-letter header */
};

/* ---- the child ---- */

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static char **child_env(const char *offset, struct buf *scratch)
{
	size_t n = 0;
	while (environ[n])
		n++;
	char **env = xcalloc(n + 3, sizeof(*env));
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (strncmp(environ[i], "SLOG_CONNECT_OFFSET", 19) != 0)
			env[k++] = environ[i];
	static char fd_var[] = "SLOG_CONNECT_OFFSET_FD=3";
	env[k++] = fd_var;
	if (offset) {
		buf_reset(scratch);
		buf_addf(scratch, "SLOG_CONNECT_OFFSET=%s", offset);
		env[k++] = scratch->data;
	}
	return env;
}

static int spawn_with(struct exec_source *xs, int pipes[3][2], struct err *e)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, pipes[0][1], 1);
	posix_spawn_file_actions_adddup2(&fa, pipes[1][1], 2);
	posix_spawn_file_actions_adddup2(&fa, pipes[2][1], 3);
	posix_spawnattr_init(&attr);
	/* Its own process group, so a stop reaches what a shell started too. */
	posix_spawnattr_setpgroup(&attr, 0);
	sigset_t none;
	sigemptyset(&none);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK);
	struct buf scratch = BUF_INIT;
	char **env = child_env(xs->offset, &scratch);
	int rc = posix_spawnp(&xs->c.pid, xs->argv[0], &fa, &attr, xs->argv, env);
	free(env);
	buf_free(&scratch);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	if (rc != 0) {
		xs->c.pid = 0;
		return err_set(e, SLOG_EIO, "exec.command '%s': %s", xs->command, strerror(rc));
	}
	return 0;
}

static int child_start(struct exec_source *xs, struct err *e)
{
	int pipes[3][2];
	for (int i = 0; i < 3; i++)
		if (pipe2(pipes[i], O_CLOEXEC) < 0) {
			int rc = err_set(e, SLOG_EIO, "pipe: %s", strerror(errno));
			for (int j = 0; j < i; j++)
				close(pipes[j][0]), close(pipes[j][1]);
			return rc;
		}
	int rc = spawn_with(xs, pipes, e);
	int *ours[3] = { &xs->c.out, &xs->c.err, &xs->c.off };
	for (int i = 0; i < 3; i++) {
		close(pipes[i][1]);
		*ours[i] = pipes[i][0];
		fcntl(pipes[i][0], F_SETFL, O_NONBLOCK);
		if (rc == 0)
			epoll_ctl(xs->epfd, EPOLL_CTL_ADD, pipes[i][0],
				  &(struct epoll_event){ .events = EPOLLIN, .data.fd = pipes[i][0] });
		else
			close_fd(ours[i]);
	}
	if (rc < 0)
		return rc;
	xs->c.started_ms = clock_mono_ms();
	framer_reset(&xs->fr, 0);
	buf_reset(&xs->errline);
	buf_reset(&xs->offline);
	task_log(xs->t, LOG_LEVEL_INFO, "started '%s' (pid %d)%s%s", xs->command, (int)xs->c.pid,
		 xs->offset ? " with SLOG_CONNECT_OFFSET=" : "", xs->offset ? xs->offset : "");
	return 0;
}

/* Stop it: SIGTERM to its group, SIGKILL after a grace; reaped. */
static void child_kill(struct exec_source *xs)
{
	if (!xs->c.pid)
		return;
	task_log(xs->t, LOG_LEVEL_INFO, "stopped '%s' (pid %d)", xs->command, (int)xs->c.pid);
	kill(-xs->c.pid, SIGTERM);
	int64_t until = clock_mono_ms() + KILL_GRACE_MS;
	int status;
	while (waitpid(xs->c.pid, &status, WNOHANG) == 0) {
		if (clock_mono_ms() >= until) {
			kill(-xs->c.pid, SIGKILL);
			waitpid(xs->c.pid, &status, 0);
			break;
		}
		poll(NULL, 0, 20);
	}
	xs->c.pid = 0;
}

static void child_close(struct exec_source *xs)
{
	close_fd(&xs->c.out);
	close_fd(&xs->c.err);
	close_fd(&xs->c.off);
}

/* ---- what it writes ---- */

static int put(struct exec_source *xs, const struct frame *f, struct err *e)
{
	return source_pipeline_put(&xs->p, &xs->fr, f, NULL, NULL, buf_cstr(&xs->source), NULL, e);
}

static int frames(struct exec_source *xs, struct err *e)
{
	struct frame f;
	int rc;
	while ((rc = framer_next(&xs->fr, &f, e)) == 1)
		if ((rc = put(xs, &f, e)) < 0)
			return rc;
	return rc;
}

/* Read stdout to what it has now (or its end).  Back-pressure is
 * writer_send() waiting inside put(). */
static int read_out(struct exec_source *xs, struct err *e)
{
	while (xs->c.out >= 0 && !task_stopping(xs->t)) {
		ssize_t n = read(xs->c.out, framer_space(&xs->fr, READ_CHUNK), READ_CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return 0;
		if (n <= 0) {
			close_fd(&xs->c.out);
			/* Its output ended: a last unterminated line, or the bytes record. */
			struct frame f;
			int rc = frames(xs, e);
			if (rc == 0 && framer_flush(&xs->fr, &f) == 1)
				rc = put(xs, &f, e);
			return rc;
		}
		framer_commit(&xs->fr, (size_t)n);
		int rc = frames(xs, e);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* Read a pipe into line, calling fn for each whole line; -1 at its end. */
static int read_lines(int *fd, struct buf *line, void (*fn)(struct exec_source *, const char *),
		      struct exec_source *xs)
{
	char chunk[4096];
	for (;;) {
		ssize_t n = read(*fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return 0;
		if (n == 0) {
			if (line->len)
				fn(xs, buf_cstr(line));
			buf_reset(line);
			close_fd(fd);
			return -1;
		}
		for (ssize_t i = 0; i < n; i++) {
			if (chunk[i] == '\n') {
				fn(xs, buf_cstr(line));
				buf_reset(line);
			} else if (line->len < STDERR_LINE_MAX) {
				buf_addc(line, chunk[i]);
			}
		}
	}
}

static void log_stderr(struct exec_source *xs, const char *line)
{
	task_log(xs->t, LOG_LEVEL_WARN, "%s: %s", xs->argv[0], line);
}

/* An offset line: it covers what stdout had before it, so that is read first. */
static void take_offset(struct exec_source *xs, const char *line)
{
	struct err e = { 0 };
	if (read_out(xs, &e) < 0)
		task_log(xs->t, LOG_LEVEL_WARN, "reading before offset '%s': %s", line, e.msg);
	source_acks_push(&xs->p.acks, writer_last_seq(xs->p.w), xstrdup(line), 0);
}

/* ---- progress ---- */

static json_t *partition(const struct exec_source *xs)
{
	return json_pack("{s:s}", "command", xs->command);
}

static void acked(void *arg, void *owner, int64_t pos)
{
	(void)pos;
	struct exec_source *xs = arg;
	if (!owner)
		return;
	free(xs->offset);
	xs->offset = owner;
	xs->offset_dirty = 1;
}

static int save_progress(void *arg, int64_t deadline, struct err *e)
{
	struct exec_source *xs = arg;
	source_pipeline_acked(&xs->p, acked, xs);
	if (!xs->offset_dirty)
		return 0;
	json_t *part = partition(xs);
	offset_store_put(xs->store, part, json_pack("{s:s}", "offset", xs->offset));
	json_decref(part);
	xs->offset_dirty = 0;
	return offset_store_flush(xs->store, deadline, e);
}


/* ---- runs and restarts ---- */

static void pump(struct exec_source *xs, struct err *e, int *rc)
{
	if (xs->c.off >= 0)
		read_lines(&xs->c.off, &xs->offline, take_offset, xs);
	if (xs->c.out >= 0 && *rc == 0)
		*rc = read_out(xs, e);
	if (xs->c.err >= 0)
		read_lines(&xs->c.err, &xs->errline, log_stderr, xs);
}

/*
 * The child exited with status: when to start the next (*next_ms), 1 when
 * the task is finished, or <0 when it fails.
 */
static int exited(struct exec_source *xs, int status, int64_t *next_ms, struct err *e)
{
	char how[64];
	exec_status_text(status, how, sizeof(how));
	int ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
	int64_t now = clock_mono_ms(), ran = now - xs->c.started_ms;
	task_log(xs->t, ok ? LOG_LEVEL_INFO : LOG_LEVEL_WARN, "'%s' ended (%s) after %" PRId64 " ms",
		 xs->command, how, ran);
	xs->c.pid = 0;
	int rc = 0;
	pump(xs, e, &rc); /* its last stderr lines and offset */
	child_close(xs);
	if (rc < 0)
		return rc;
	if (xs->mode == MODE_SCHEDULED) {
		*next_ms = xs->c.started_ms + xs->interval_ms;
		return 0;
	}
	if (xs->restart == RESTART_NEVER || (ok && xs->restart == RESTART_ON_FAILURE)) {
		if (ok)
			return 1;
		return err_set(e, SLOG_EIO, "exec.command '%s': %s", xs->command, how);
	}
	if (ran >= RAN_WELL_MS)
		xs->backoff_ms = BACKOFF_FIRST_MS;
	*next_ms = now + xs->backoff_ms;
	task_log(xs->t, LOG_LEVEL_INFO, "starting it again in %" PRId64 " ms", xs->backoff_ms);
	xs->backoff_ms = xs->backoff_ms * 2 > xs->backoff_max_ms ? xs->backoff_max_ms : xs->backoff_ms * 2;
	return 0;
}

static int wait_io(struct exec_source *xs, int64_t next_start, struct err *e)
{
	int64_t now = clock_mono_ms(), until = xs->p.next_flush;
	if (!xs->c.pid && next_start < until)
		until = next_start;
	if (xs->c.pid && xs->c.out < 0 && until > now + 50)
		until = now + 50; /* its output ended: look for its exit soon */
	int64_t wait = until - now;
	if (wait < 0)
		wait = 0;
	return writer_poll(xs->p.w, xs->epfd, (int)(wait > 1000 ? 1000 : wait), e);
}

/* 1: finished (the command ended for good), 0: stopped, <0: failed. */
static int run_loop(struct exec_source *xs, struct err *e)
{
	int64_t next_start = clock_mono_ms();
	int rc = 0;
	xs->t->ready = 1;
	while (rc == 0 && !task_stopping(xs->t)) {
		if (!xs->c.pid && clock_mono_ms() >= next_start && (rc = child_start(xs, e)) < 0)
			break;
		if (xs->c.pid)
			pump(xs, e, &rc);
		int status;
		if (rc == 0 && xs->c.pid && xs->c.out < 0 &&
		    waitpid(xs->c.pid, &status, WNOHANG) == xs->c.pid)
			rc = exited(xs, status, &next_start, e);
		source_pipeline_tick(&xs->p, save_progress, xs);
		if (rc == 0)
			rc = wait_io(xs, next_start, e);
	}
	return rc < 0 && task_stopping(xs->t) ? 0 : rc; /* a stop while the writer was full */
}

static int exec_opts(struct exec_source *xs, const struct connector_conf *cc, struct err *e)
{
	int rc = framing_opts_from_conf(cc, "exec.", &xs->framing, e);
	if (rc < 0)
		return rc;
	xs->command = cc_str(cc, "exec.command");
	if (!xs->command || !*xs->command)
		return err_set(e, SLOG_EINVALID_CONFIG, "exec.command: required");
	if (!cc_str(cc, "topic") && xs->framing.format != FRAME_NDJSON)
		return err_set(e, SLOG_EINVALID_CONFIG,
			       "topic: required (unless exec.format=ndjson names one per line)");
	rc = exec_argv_split(xs->command, cc_bool(cc, "exec.shell"), &xs->argv, e);
	if (rc < 0)
		return err_wrap(e, "exec.command");
	xs->mode = (enum exec_mode)cc_num(cc, "exec.mode");
	xs->restart = (enum exec_restart)cc_num(cc, "exec.restart");
	xs->interval_ms = cc_num(cc, "exec.interval.ms");
	xs->backoff_max_ms = cc_num(cc, "exec.restart.backoff.max.ms");
	xs->backoff_ms = BACKOFF_FIRST_MS < xs->backoff_max_ms ? BACKOFF_FIRST_MS : xs->backoff_max_ms;
	return 0;
}

static int exec_source_check(const struct connector_conf *cc, struct err *e)
{
	struct exec_source xs;
	memset(&xs, 0, sizeof(xs));
	int rc = exec_opts(&xs, cc, e);
	exec_argv_free(xs.argv);
	return rc;
}

static int exec_open(struct exec_source *xs, struct connect_task *t, struct err *e)
{
	int64_t deadline = clock_mono_ms() + OPEN_DEADLINE_MS;
	int rc = offset_store_open(t->wc->brokers, conf_get_str(&t->wc->conf, "offset.storage.topic"),
				   t->cc->name, deadline, &xs->store, e);
	if (rc < 0)
		return rc;
	json_t *part = partition(xs);
	json_t *saved_offset = offset_store_get(xs->store, part);
	const char *saved = json_string_value(json_object_get(saved_offset, "offset"));
	json_decref(part);
	if (saved)
		xs->offset = xstrdup(saved);
	xs->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (xs->epfd < 0)
		return err_set(e, SLOG_EIO, "epoll: %s", strerror(errno));
	return source_pipeline_open(&xs->p, t, deadline, e);
}

static void free_offset(void *arg, void *owner, int64_t pos)
{
	(void)arg;
	(void)pos;
	free(owner);
}

static void exec_close(struct exec_source *xs)
{
	child_kill(xs);
	child_close(xs);
	if (xs->p.w) {
		source_acks_advance(&xs->p.acks, UINT64_MAX, free_offset, NULL);
		source_pipeline_close(&xs->p);
	}
	offset_store_close(xs->store);
	if (xs->epfd >= 0)
		close(xs->epfd);
	exec_argv_free(xs->argv);
	framer_free(&xs->fr);
	buf_free(&xs->errline);
	buf_free(&xs->offline);
	buf_free(&xs->source);
	free(xs->offset);
}

static int exec_source_run(struct connect_task *t, struct err *e)
{
	struct exec_source xs;
	memset(&xs, 0, sizeof(xs));
	xs.t = t;
	xs.epfd = -1;
	xs.c.out = xs.c.err = xs.c.off = -1;
	int rc = exec_opts(&xs, t->cc, e);
	framer_init(&xs.fr, &xs.framing, 0);
	buf_addf(&xs.source, "exec:%s", xs.command ? xs.command : "");
	if (rc == 0)
		rc = exec_open(&xs, t, e);
	if (rc == 0) {
		rc = run_loop(&xs, e);
		child_kill(&xs);
		struct err de = { 0 };
		int64_t deadline = clock_mono_ms() + SOURCE_DRAIN_MS;
		int drc = source_pipeline_drain(&xs.p, deadline, &de);
		if (drc == 0)
			drc = save_progress(&xs, deadline, &de);
		if (rc >= 0 && drc < 0) {
			*e = de;
			rc = drc;
		}
	}
	exec_close(&xs);
	return rc < 0 ? rc : 0;
}

static const struct conf_def exec_source_keys[] = {
	{ "exec.command", CONF_STRING, NULL, 0, 0, 0, NULL,
	  "the command: words split as a shell would, run without one" },
	{ "exec.shell", CONF_BOOL, "false", 0, 0, 0, NULL, "run exec.command with /bin/sh -c" },
	{ "exec.mode", CONF_ENUM, "streaming", 0, 0, 0, "streaming|scheduled",
	  "one child kept up, or one run every exec.interval.ms" },
	{ "exec.interval.ms", CONF_DURATION, "60s", 1, INT64_MAX, 1, NULL,
	  "scheduled: from one start to the next" },
	{ "exec.restart", CONF_ENUM, "always", 0, 0, 0, "always|on-failure|never",
	  "streaming: start the command again when it exits (with backoff)" },
	{ "exec.restart.backoff.max.ms", CONF_DURATION, "60s", 1, INT64_MAX, 1, NULL,
	  "the longest wait between restarts (from 1 s, doubling)" },
	FRAMING_KEYS("exec."),
};

static const char *const exec_source_aliases[] = { NULL };

const struct connector_class exec_source_class = {
	.name = "exec-source",
	.aliases = exec_source_aliases,
	.kind = CONNECTOR_SOURCE,
	.keys = exec_source_keys,
	.nkeys = sizeof(exec_source_keys) / sizeof(exec_source_keys[0]),
	.check = exec_source_check,
	.run = exec_source_run,
};
