/*
 * dir_gate.h: admission of request threads to a log dir's storage calls.
 *
 * A write to a stalled disk (a frozen file system, a failing drive,
 * dirty-page throttling) blocks the thread that makes it, and a partition
 * log holds its lock across the write, so every thread that then wants
 * that partition blocks too.  The HTTP server has a fixed pool of
 * threads: once they all sit in one log dir, nothing else is answered,
 * health checks included.  The gate bounds how many request threads may
 * be inside one log dir's storage calls (append, read, offsets) at once,
 * to fewer than the server has, so a stalled dir can take at most that
 * many and the rest go on serving everything else.
 *
 * A request that finds a dir full does not block: dir_gate_enter queues
 * its waiter and the caller suspends the connection (which costs no
 * thread).  When a slot of that dir frees, the oldest waiter is woken
 * (its wake callback, typically http_resume) and tries again; a newcomer
 * may take the slot first, and the waiter then queues again at the front.
 *
 * A request that writes to several dirs (a topic-level produce) enters
 * all of them at once or none: it never holds one dir's slot while it
 * waits for another's, so a stalled dir cannot use up a healthy dir's
 * slots through requests that span both.  Dirs are named by a mask
 * (dir_gate_bit); with more than 64 log dirs, dirs 64 apart share slots.
 *
 * Every function may be called from any thread and none blocks.  The wake
 * callback runs on the thread that freed the slot, with no lock held.
 */
#ifndef SLOG_DIR_GATE_H
#define SLOG_DIR_GATE_H

#include <stddef.h>
#include <stdint.h>

struct dir_gate;

/* A request's place in a queue.  The caller sets wake and arg; the rest
 * belongs to the gate.  It must stay put while queued or woken. */
struct dir_gate_wait {
	void (*wake)(struct dir_gate_wait *w);
	void *arg;
	struct dir_gate *gate;   /* set by dir_gate_enter */
	int dir;                 /* the dir it waits for */
	int state;               /* idle, queued, or woken and not yet back */
	struct dir_gate_wait *next;
};

/* A gate allowing slots request threads (at least 1) into each dir. */
struct dir_gate *dir_gate_new(int slots);
void dir_gate_free(struct dir_gate *g);

/* The mask bit of dir. */
uint64_t dir_gate_bit(int dir);

/*
 * Enter every dir of mask.  1: entered (dir_gate_leave(mask) later).
 * 0: a dir is full; w is queued and w->wake will run when the caller
 * should call dir_gate_enter again.  -1: a dir is full and the gate is
 * closed (the broker is stopping): nothing was queued.
 */
int dir_gate_enter(struct dir_gate *g, uint64_t mask, struct dir_gate_wait *w);
/* The same, but a full dir is 0 without queueing anything (w may be NULL). */
int dir_gate_try(struct dir_gate *g, uint64_t mask, struct dir_gate_wait *w);
void dir_gate_leave(struct dir_gate *g, uint64_t mask);

/*
 * The request that owns w is going away: take w off its queue, and pass
 * on a wake it was given and did not use.  A no-op for a waiter that
 * never waited.
 */
void dir_gate_forget(struct dir_gate_wait *w);

/* Wake every waiter and queue no more (shutdown). */
void dir_gate_close(struct dir_gate *g);

/* Slots of dir in use (tests, metrics). */
int dir_gate_busy(struct dir_gate *g, int dir);

#endif
