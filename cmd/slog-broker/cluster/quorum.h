/*
 * quorum.h: the metadata quorum, a Raft group of controller-eligible
 * nodes (libraft 0.22, docs/design-notes.md "The metadata quorum").
 *
 * Every use of libraft is in quorum.c.  One thread owns the libuv loop
 * and makes every raft call; other threads hand it proposals through a
 * queue (quorum_propose), and read what it publishes after each event
 * (quorum_view).  Committed entries reach the state machine through
 * struct quorum_fsm, on that thread, in the same order on every voter.
 *
 * The log, its term and vote and its snapshots live in one directory,
 * written with O_DIRECT and O_DSYNC by libraft: an entry is counted
 * towards a commit only once it is on disk.  A disk error in the quorum
 * stops it (fail-stop): the node stops voting and proposing rather than
 * lead on with a log it could not write.
 *
 * A cluster of one is the same code: a quorum of one voter commits an
 * entry once its own write is durable.
 */
#ifndef SLOG_QUORUM_H
#define SLOG_QUORUM_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

struct raft_fsm;
struct quorum;

#define QUORUM_MAX_VOTERS 9
#define QUORUM_ADDR_MAX 272 /* host:port */

/*
 * The replicated state machine, called on the quorum's thread only.
 * apply() and restore() must be deterministic: the same entries give the
 * same state on every voter.
 */
struct quorum_fsm {
	void *arg;
	/*
	 * Apply one committed entry (data borrowed).  0, with *status the
	 * outcome handed to whoever proposed it (0: applied; an SLOG_E* code
	 * for a change that did not fit the state: the same on every voter).
	 * Non-zero only for bytes that cannot be read, which stops the quorum.
	 */
	int (*apply)(void *arg, const void *data, size_t len, int *status);
	/* The whole state as one buffer, malloc()ed; the quorum frees it. */
	int (*snapshot)(void *arg, void **data, size_t *len);
	/* Replace the state by a snapshot's (data borrowed); 0 or non-zero. */
	int (*restore)(void *arg, const void *data, size_t len);
};

struct quorum_voter {
	int32_t id;
	char addr[QUORUM_ADDR_MAX]; /* host:port of its Raft transport */
};

struct quorum_config {
	int32_t id;                /* this node's, among the voters */
	const char *dir;           /* the Raft log's directory (made if missing) */
	const struct quorum_voter *voters;
	size_t nvoters;
	/* Where this node listens for Raft; port 0 picks a free port (a
	 * voter alone, whom nobody calls).  NULL: its own voter address. */
	const char *bind;
	struct quorum_fsm fsm;
	unsigned election_timeout_ms; /* 0: 500 */
	unsigned snapshot_threshold;  /* entries between snapshots; 0: 4096 */
	/* Called on the quorum's thread after its view changed (may be NULL). */
	void (*on_change)(void *arg);
	void *change_arg;
};

/*
 * Start: bootstrap the voters into a fresh directory (a directory that
 * holds a log keeps its own configuration), load the log and snapshot,
 * apply what was committed, and join.  Returns once the quorum's thread
 * runs; a voter alone is the leader on return.
 */
int quorum_start(const struct quorum_config *cfg, struct quorum **out, struct err *e);

/* Leave: pending proposals fail (SLOG_ENOT_CONTROLLER), then free. */
void quorum_stop(struct quorum *q);

/*
 * Stop voting and leading at once (fail-stop), saying why: the disk
 * under the log can no longer be trusted.  Any thread; does not block.
 * quorum_stop still frees.
 */
void quorum_fail(struct quorum *q, const char *why);

/*
 * Propose one entry (data copied), from any thread.  done(arg, rc,
 * status) runs exactly once, on the quorum's thread: rc 0 and the
 * state machine's status once the entry applied here;
 * SLOG_ENOT_CONTROLLER if this node does not lead (nothing was written);
 * SLOG_EREQUEST_TIMED_OUT if it stopped leading first: the entry may
 * still commit, so a retry must be harmless; SLOG_EIO if the write failed.
 * done must not block.
 */
int quorum_propose(struct quorum *q, const void *data, size_t len,
		   void (*done)(void *arg, int rc, int status), void *arg, struct err *e);

/*
 * quorum_propose() and wait until done or deadline_ms (monotonic):
 * *status as done's.  A proposal that times out is left to finish on its
 * own (SLOG_EREQUEST_TIMED_OUT: it may still commit).
 */
int quorum_propose_wait(struct quorum *q, const void *data, size_t len, int64_t deadline_ms,
			int *status, struct err *e);

enum quorum_role { QUORUM_UNAVAILABLE, QUORUM_FOLLOWER, QUORUM_CANDIDATE, QUORUM_LEADER };

/* What the quorum's thread last published: a copy, consistent. */
struct quorum_view {
	enum quorum_role role;
	int ready;                /* leader, and everything before its term applied */
	int failed;               /* stopped by a disk error */
	int32_t leader_id;        /* 0: none known */
	char leader_addr[QUORUM_ADDR_MAX];
	uint64_t term;
	uint64_t last_index;      /* of this node's log */
	uint64_t commit_index;
	uint64_t applied;
	size_t nvoters;
	struct quorum_voter_view {
		int32_t id;
		char addr[QUORUM_ADDR_MAX];
		uint64_t match_index; /* known on the leader only; 0 elsewhere */
	} voters[QUORUM_MAX_VOTERS];
};

void quorum_view(struct quorum *q, struct quorum_view *v);

/* The Raft address this node listens on (its port when bound to 0). */
const char *quorum_bound_addr(struct quorum *q);

/*
 * "1@host:port,2@host:port" into voters (at most QUORUM_MAX_VOTERS):
 * SLOG_EINVALID_CONFIG naming what is wrong (a bad id or address, an id
 * twice).
 */
int quorum_parse_voters(const char *text, struct quorum_voter *voters, size_t *n,
			struct err *e);

/*
 * One entry as libraft takes it (lengths a multiple of 8): payload data
 * framed into out->base, raft_malloc()ed.  0, or -1 out of memory.  For
 * tests that drive libraft themselves; quorum_propose() frames its own.
 */
struct raft_buffer;
int quorum_entry_frame(const void *data, size_t len, struct raft_buffer *out);

/*
 * libraft's struct raft_fsm calling fsm (which must outlive it): the
 * adapter quorum_start() uses, for tests on raft/fixture.h.
 */
void quorum_raft_fsm(struct raft_fsm *out, struct quorum_fsm *fsm);

#endif
