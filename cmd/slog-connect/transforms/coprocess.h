/*
 * coprocess.h: a child process spoken to line by line: one line to its
 * stdin, one line back from its stdout.
 *
 * The exec transform's engine.  Every exchange has a deadline, so a child
 * that hangs, dies or says nothing costs a bounded wait, never a hang.
 * After a failed exchange the child is out of step (a late answer would
 * be taken for the next record's), so the caller kills it and starts a
 * new one.
 *
 * The child runs in its own process group (a Ctrl-C at the terminal
 * reaches slog-connect, which then stops it in order), with the signal
 * mask and dispositions reset, stdin a socket (so that writing to a dead
 * child is an error, never SIGPIPE), stdout a pipe and stderr ours.  It
 * belongs to one thread.
 */
#ifndef SLOG_COPROCESS_H
#define SLOG_COPROCESS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "buf.h"
#include "err.h"

struct coprocess {
	char **argv;          /* owned, NULL-terminated */
	char **env;           /* owned: extra NAME=VALUE, NULL-terminated */
	pid_t pid;            /* 0: not running */
	int in_fd, out_fd;
	struct buf pending;   /* read from the child, not yet taken */
};

/*
 * Split a command line into words: blanks separate, '...' is literal,
 * "..." takes \" \\ \$ and \`, a backslash outside quotes takes the next
 * character.  *argv is NULL-terminated; free with coprocess_argv_free.
 */
int coprocess_split(const char *cmd, char ***argv, struct err *e);
void coprocess_argv_free(char **argv);

/* Take argv and env (NULL-terminated, both owned from now on); nothing runs yet. */
void coprocess_init_take(struct coprocess *c, char **argv, char **env);

/* Start the child; SLOG_EIO naming the command when it cannot. */
int coprocess_start(struct coprocess *c, struct err *e);

/*
 * Write line[0..len) (with its newline) and read one line back into reply
 * (without its newline), by deadline_ms (clock_mono_ms).  0, or
 * SLOG_EREQUEST_TIMED_OUT, or SLOG_EIO when the child exited, closed its
 * stdout, or printed more than one line.
 */
int coprocess_exchange(struct coprocess *c, const char *line, size_t len, struct buf *reply,
		       int64_t deadline_ms, struct err *e);

/* Kill the child (SIGKILL) and reap it; *how says how it ended ("exited with status 1"). */
void coprocess_kill(struct coprocess *c, char *how, size_t how_size);

/* Close its stdin, give it grace_ms to exit, then kill it; frees everything. */
void coprocess_free(struct coprocess *c, int64_t grace_ms);

#endif
