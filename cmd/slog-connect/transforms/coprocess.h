/*
 * coprocess.h: a child process spoken to line by line: one line to its
 * stdin, one line back from its stdout.
 *
 * The exec transform's engine, over the exec connectors' child
 * (connectors/exec_child.h: posix_spawn, stdin a socket so that writing
 * to a dead child is an error rather than SIGPIPE, stderr ours).  Every
 * exchange has a deadline, so a child that hangs, dies or says nothing
 * costs a bounded wait, never a hang.  After a failed exchange the child
 * is out of step (a late answer would be taken for the next record's),
 * so the caller kills it and starts a new one.  It belongs to one thread.
 */
#ifndef SLOG_COPROCESS_H
#define SLOG_COPROCESS_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "connectors/exec_child.h"
#include "err.h"

struct coprocess {
	char **argv;              /* owned, NULL-terminated */
	struct exec_child child;  /* pid 0: not running */
	struct buf pending;       /* read from the child, not yet taken */
};

/* Take argv (exec_argv_split's; owned from now on); nothing runs yet. */
void coprocess_init_take(struct coprocess *c, char **argv);

/* The child runs. */
int coprocess_running(const struct coprocess *c);

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

/*
 * End the child: close its stdin, give it grace_ms to exit, then kill it;
 * reaped either way.  how says how it ended ("exit 1", "killed by signal
 * 9"; "" when it was not running).
 */
void coprocess_kill(struct coprocess *c, int64_t grace_ms, char *how, size_t how_size);

/* coprocess_kill, then free everything. */
void coprocess_free(struct coprocess *c, int64_t grace_ms);

#endif
