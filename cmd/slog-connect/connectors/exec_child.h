/*
 * exec_child.h: a command the exec sink feeds records to.
 *
 * The command is an argv, split from exec.command as a shell would split
 * words (quotes '...' and "...", backslash), without a shell unless
 * exec.shell = true (/bin/sh -c COMMAND).  Its stdin is one end of a
 * socket pair rather than a pipe: a child that exits without reading
 * everything then gives us EPIPE from send(MSG_NOSIGNAL), where a pipe
 * would raise SIGPIPE in whatever thread wrote.  Its stdout is ours to
 * read (stream mode's acknowledgements) or goes to our stderr, the log;
 * its stderr is ours.  It runs in a process group of its own with every
 * signal at its default (exec_child.c says why); a kill takes the group.
 *
 * Every wait takes an absolute deadline (monotonic ms, -1: none) and
 * ends early when the task is asked to stop; a child not done by then is
 * killed and reaped, so no call leaves a zombie or a hang behind.
 */
#ifndef SLOG_EXEC_CHILD_H
#define SLOG_EXEC_CHILD_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "buf.h"
#include "err.h"

struct connect_task;

/* Split command into a NULL-terminated argv (free with exec_argv_free). */
int exec_argv_split(const char *command, int shell, char ***argv, struct err *e);
void exec_argv_free(char **argv);

struct exec_child {
	pid_t pid;     /* 0: none */
	int in;        /* our end of its stdin; -1 once closed */
	int out;       /* its stdout when captured, non-blocking; else -1 */
};

/* Start argv.  capture_out: read its stdout through c->out. */
int exec_child_start(struct exec_child *c, char *const *argv, int capture_out, struct err *e);

/* Write all of p to its stdin; SLOG_EIO when it closed it, or the deadline / stop. */
int exec_child_write(struct exec_child *c, const void *p, size_t n, int64_t deadline_ms,
		     const struct connect_task *t, struct err *e);

/* Send what it takes now without waiting: the count sent, or <0 (it closed its stdin). */
ssize_t exec_child_send_some(struct exec_child *c, const void *p, size_t n, struct err *e);

void exec_child_close_in(struct exec_child *c);

/*
 * Wait for it to exit: 0 and its wait status in *status, or, at the
 * deadline or a stop, kill it and return SLOG_EREQUEST_TIMED_OUT.
 */
int exec_child_wait(struct exec_child *c, int64_t deadline_ms, const struct connect_task *t,
		    int *status, struct err *e);

/* Kill and reap it, closing our ends (nothing when there is none). */
void exec_child_kill(struct exec_child *c);

/* "exit 3", "killed by signal 9": what a wait status says. */
void exec_status_text(int status, char *out, size_t size);

#endif
