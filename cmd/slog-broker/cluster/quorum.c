/*
 * quorum.c: the metadata quorum on libraft.  See quorum.h.
 *
 * Threads.  libraft and libuv are not thread-safe, so one thread (the
 * loop) initialises raft, makes every raft call and runs every callback.
 * Other threads touch only what mu guards: the inbox of proposals, the
 * closing flag and the published view.  uv_async_send() is the one libuv
 * call they make; its wake-ups coalesce, so the loop drains the whole
 * inbox each time.
 *
 * A proposal lives on the heap from quorum_propose() until its done
 * callback: raft holds its request until then.
 */
#include "cluster/quorum.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <raft.h>
#include <raft/uv.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <uv.h>

#include "clock.h"
#include "log.h"
#include "storage/fileio.h"
#include "xalloc.h"

#if !defined(RAFT_VERSION_NUMBER) || RAFT_VERSION_NUMBER < 2201
#error "libraft 0.22.1 or newer is needed (bookworm-backports): 0.15 has Raft safety bugs"
#endif

/* How often the loop publishes its view even when nothing happened. */
#define VIEW_INTERVAL_MS 50

struct proposal {
	struct raft_apply req;
	struct quorum *q;
	struct proposal *next;
	struct raft_buffer buf; /* the framed entry: raft's once submitted */
	void (*done)(void *arg, int rc, int status);
	void *arg;
};

struct quorum {
	struct quorum_fsm user;  /* the state machine the caller gave */
	struct quorum_fsm guard; /* user's, stopping the quorum on a bad entry */
	struct raft_fsm raft_fsm;
	uv_loop_t loop;
	uv_async_t wake, stop;
	uv_timer_t tick;
	struct raft_uv_transport transport;
	struct raft_io io;
	struct raft raft;
	struct raft_barrier barrier;
	struct raft_transfer transfer;
	uint64_t barrier_term;   /* term of the barrier in flight, 0: none */
	uint64_t ready_term;     /* term whose barrier applied */
	int64_t transfer_deadline; /* closing: hand-over given up after it */
	int closing_loop;        /* the loop began closing raft */
	int failed;              /* stopped by a disk error or an unreadable entry */
	int running;             /* raft_start() returned: snapshots now come from the leader */
	pthread_t thread;
	int32_t id;
	char addr[QUORUM_ADDR_MAX];
	char bind[QUORUM_ADDR_MAX];
	struct quorum_voter voters[QUORUM_MAX_VOTERS];
	size_t nvoters;
	char dir[4096];
	unsigned election_ms, snapshot_threshold;
	void (*on_change)(void *arg);
	void *change_arg;

	pthread_mutex_t mu;      /* guards what follows */
	pthread_cond_t started_cond;
	int started, start_rc;
	char start_err[512];
	struct proposal *inbox, **inbox_tail;
	int closing;
	int loop_gone;           /* wake and stop are closed: send nothing */
	struct quorum_view view;
};

/* An entry no node can read stops this node's quorum: applying around
 * it would leave this node's state different from everyone's. */
static int guard_apply(void *arg, const void *data, size_t len, int *status)
{
	struct quorum *q = arg;
	int rc = q->user.apply(q->user.arg, data, len, status);

	if (rc && !q->failed) {
		q->failed = 1;
		log_error("metadata quorum: a committed entry cannot be applied; this node stops "
			  "taking part in the quorum (see the messages above)");
		uv_async_send(&q->stop);
	}
	return rc;
}

static int guard_snapshot(void *arg, void **data, size_t *len)
{
	struct quorum *q = arg;

	return q->user.snapshot(q->user.arg, data, len);
}

static int guard_restore(void *arg, const void *data, size_t len)
{
	struct quorum *q = arg;
	int rc = q->user.restore(q->user.arg, data, len);

	/* Loading its own snapshot at start is routine; one sent by the
	 * leader means this node was too far behind for the log. */
	if (!rc && q->running)
		log_info("metadata quorum: installed a snapshot from the leader (%zu bytes)", len);
	return rc;
}

/* ---- configuration ---------------------------------------------------- */

/* host:0 becomes host:P with P a port free now: a voter alone, whom no
 * peer ever calls, needs a listening socket but no fixed port. */
static int pick_port(char *addr, size_t size, struct err *e)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sa);
	char *colon = strrchr(addr, ':');
	int fd, rc;

	if (!colon || strcmp(colon, ":0") != 0)
		return 0;
	*colon = 0;
	rc = inet_pton(AF_INET, addr, &sa.sin_addr) == 1 ? 0 : -1;
	fd = rc ? -1 : socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&sa, &sl) == 0)
		rc = 0;
	else
		rc = -1;
	if (fd >= 0)
		close(fd);
	if (rc)
		return err_set(e, SLOG_EINVALID_CONFIG, "no free port for the quorum on %s", addr);
	snprintf(colon, size - (size_t)(colon - addr), ":%u", ntohs(sa.sin_port));
	return 0;
}

/* ---- the view --------------------------------------------------------- */

static enum quorum_role role_of(int state)
{
	switch (state) {
	case RAFT_FOLLOWER: return QUORUM_FOLLOWER;
	case RAFT_CANDIDATE: return QUORUM_CANDIDATE;
	case RAFT_LEADER: return QUORUM_LEADER;
	default: return QUORUM_UNAVAILABLE;
	}
}

static void read_view(struct quorum *q, struct quorum_view *v)
{
	raft_id lid = 0;
	const char *laddr = NULL;
	const struct raft_configuration *c = &q->raft.configuration;

	memset(v, 0, sizeof(*v));
	v->failed = q->failed;
	if (q->closing_loop)
		return;
	v->role = role_of(raft_state(&q->raft));
	raft_leader(&q->raft, &lid, &laddr);
	v->leader_id = (int32_t)lid;
	snprintf(v->leader_addr, sizeof(v->leader_addr), "%s", laddr ? laddr : "");
	v->term = raft_current_term(&q->raft);
	v->last_index = raft_last_index(&q->raft);
	v->commit_index = raft_commit_index(&q->raft);
	v->applied = raft_last_applied(&q->raft);
	v->ready = v->role == QUORUM_LEADER && q->ready_term == v->term;
	for (unsigned i = 0; i < c->n && v->nvoters < QUORUM_MAX_VOTERS; i++) {
		struct quorum_voter_view *vv = &v->voters[v->nvoters];
		raft_index m = 0;

		if (c->servers[i].role != RAFT_VOTER)
			continue;
		vv->id = (int32_t)c->servers[i].id;
		snprintf(vv->addr, sizeof(vv->addr), "%s", c->servers[i].address);
		if (v->role == QUORUM_LEADER && raft_match_index(&q->raft, c->servers[i].id, &m) == 0)
			vv->match_index = m;
		v->nvoters++;
	}
}

static void barrier_done(struct raft_barrier *req, int status)
{
	struct quorum *q = req->data;

	if (status == 0)
		q->ready_term = q->barrier_term;
	q->barrier_term = 0;
}

/* A new leader serves no change until everything before its term has
 * applied here: its state must be the committed one. */
static void maybe_barrier(struct quorum *q)
{
	uint64_t term;

	if (q->closing_loop || q->failed || raft_state(&q->raft) != RAFT_LEADER)
		return;
	term = raft_current_term(&q->raft);
	if (q->ready_term == term || q->barrier_term == term)
		return;
	q->barrier.data = q;
	q->barrier_term = term;
	if (raft_barrier(&q->raft, &q->barrier, barrier_done) != 0)
		q->barrier_term = 0;
}

/* Publish the view; tell the owner when what it acts on changed. */
static void publish(struct quorum *q)
{
	struct quorum_view v;
	int changed;

	maybe_barrier(q);
	read_view(q, &v);
	pthread_mutex_lock(&q->mu);
	changed = v.role != q->view.role || v.leader_id != q->view.leader_id ||
		  v.term != q->view.term || v.ready != q->view.ready || v.failed != q->view.failed;
	q->view = v;
	pthread_mutex_unlock(&q->mu);
	if (changed && v.role == QUORUM_LEADER && v.ready)
		log_info("metadata quorum: node %d is the controller (term %llu)", q->id,
			 (unsigned long long)v.term);
	if (changed && q->on_change)
		q->on_change(q->change_arg);
}

static void close_raft(struct quorum *q);

static void tick_cb(uv_timer_t *t)
{
	struct quorum *q = t->data;

	/* A hand-over at close that neither finished nor failed in time. */
	if (q->transfer_deadline && clock_mono_ms() > q->transfer_deadline) {
		close_raft(q);
		return;
	}
	publish(q);
}

/* ---- proposals -------------------------------------------------------- */

static int map_raft_error(int rv)
{
	switch (rv) {
	case 0: return 0;
	case RAFT_NOTLEADER: return SLOG_ENOT_CONTROLLER;
	case RAFT_LEADERSHIPLOST:
	case RAFT_SHUTDOWN: return SLOG_EREQUEST_TIMED_OUT;
	case RAFT_NOMEM: return SLOG_ENOMEM;
	default: return SLOG_EIO;
	}
}

static void finish(struct proposal *p, int rc, int status)
{
	p->done(p->arg, rc, status);
	free(p);
}

void quorum_fail(struct quorum *q, const char *why)
{
	if (!q || q->failed)
		return;
	q->failed = 1;
	log_error("metadata quorum: %s in %s; this node stops taking part in the quorum", why,
		  q->dir);
	uv_async_send(&q->stop);
}

/* A write that failed here leaves this node's log in doubt: stop voting
 * and leading on it (fail-stop) rather than lead on. */
static void check_io(struct quorum *q, int rv)
{
	if (rv == RAFT_IOERR || rv == RAFT_NOSPACE || rv == RAFT_CORRUPT)
		quorum_fail(q, raft_strerror(rv));
}

static void applied(struct raft_apply *req, int status, void *result)
{
	struct proposal *p = req->data;

	check_io(p->q, status);
	finish(p, map_raft_error(status), status == 0 ? (int)(intptr_t)result : 0);
}

static void submit(struct quorum *q, struct proposal *p)
{
	int rv;

	p->req.data = p;
	p->q = q;
	p->next = NULL;
	if (q->failed || q->closing_loop) {
		raft_free(p->buf.base);
		finish(p, SLOG_ENOT_CONTROLLER, 0);
		return;
	}
	rv = raft_apply(&q->raft, &p->req, &p->buf, 1, applied);
	if (rv) {
		/* Refused up front (not leading, a transfer running, no room), the
		 * buffer is still ours; past those checks, libraft freed it. */
		if (rv == RAFT_NOTLEADER || rv == RAFT_NOSPACE)
			raft_free(p->buf.base);
		check_io(q, rv);
		finish(p, map_raft_error(rv), 0);
	}
}

static struct proposal *take_inbox(struct quorum *q)
{
	struct proposal *list;

	pthread_mutex_lock(&q->mu);
	list = q->inbox;
	q->inbox = NULL;
	q->inbox_tail = &q->inbox;
	pthread_mutex_unlock(&q->mu);
	return list;
}

static void wake_cb(uv_async_t *a)
{
	struct quorum *q = a->data;
	struct proposal *p = take_inbox(q), *next;

	for (; p; p = next) {
		next = p->next;
		submit(q, p);
	}
	publish(q);
}

int quorum_propose(struct quorum *q, const void *data, size_t len,
		   void (*done)(void *arg, int rc, int status), void *arg, struct err *e)
{
	struct proposal *p = xcalloc(1, sizeof(*p));

	if (quorum_entry_frame(data, len, &p->buf)) {
		free(p);
		return err_set(e, SLOG_ENOMEM, "no memory for a metadata proposal of %zu bytes", len);
	}
	p->done = done;
	p->arg = arg;
	pthread_mutex_lock(&q->mu);
	if (q->closing || q->view.failed || q->loop_gone) {
		int failed = q->view.failed || q->loop_gone;

		pthread_mutex_unlock(&q->mu);
		raft_free(p->buf.base);
		free(p);
		return err_set(e, SLOG_ENOT_CONTROLLER, "the metadata quorum on this node %s",
			       failed ? "stopped after a disk error" : "is shutting down");
	}
	*q->inbox_tail = p;
	q->inbox_tail = &p->next;
	uv_async_send(&q->wake);
	pthread_mutex_unlock(&q->mu);
	return 0;
}

/* A waiter's ticket: both the waiter and the done callback hold it. */
struct ticket {
	pthread_mutex_t mu;
	pthread_cond_t cond;
	int refs, done, rc, status;
};

static void ticket_put(struct ticket *t)
{
	int last;

	pthread_mutex_lock(&t->mu);
	last = --t->refs == 0;
	pthread_mutex_unlock(&t->mu);
	if (last) {
		pthread_mutex_destroy(&t->mu);
		pthread_cond_destroy(&t->cond);
		free(t);
	}
}

static void ticket_done(void *arg, int rc, int status)
{
	struct ticket *t = arg;

	pthread_mutex_lock(&t->mu);
	t->done = 1;
	t->rc = rc;
	t->status = status;
	pthread_cond_broadcast(&t->cond);
	pthread_mutex_unlock(&t->mu);
	ticket_put(t);
}

int quorum_propose_wait(struct quorum *q, const void *data, size_t len, int64_t deadline_ms,
			int *status, struct err *e)
{
	struct ticket *t = xcalloc(1, sizeof(*t));
	int rc;

	pthread_mutex_init(&t->mu, NULL);
	clock_cond_init(&t->cond);
	t->refs = 2;
	rc = quorum_propose(q, data, len, ticket_done, t, e);
	if (rc) {
		t->refs = 1;
		ticket_put(t);
		return rc;
	}
	pthread_mutex_lock(&t->mu);
	while (!t->done && clock_mono_ms() < deadline_ms)
		clock_cond_wait_until(&t->cond, &t->mu, deadline_ms);
	rc = t->done ? t->rc : SLOG_EREQUEST_TIMED_OUT;
	*status = t->done ? t->status : 0;
	pthread_mutex_unlock(&t->mu);
	ticket_put(t);
	if (rc == SLOG_ENOT_CONTROLLER)
		return err_set(e, rc, "this node is not the controller");
	if (rc == SLOG_EREQUEST_TIMED_OUT)
		return err_set(e, rc, "the metadata quorum did not commit the change in time "
			       "(it may still commit)");
	if (rc)
		return err_set(e, rc, "the metadata quorum could not write the change");
	return 0;
}

/* ---- start and stop --------------------------------------------------- */

static void handle_closed(uv_handle_t *h)
{
	(void)h;
}

static void raft_closed(struct raft *r)
{
	struct quorum *q = r->data;

	pthread_mutex_lock(&q->mu);
	q->loop_gone = 1;
	pthread_mutex_unlock(&q->mu);
	raft_uv_close(&q->io);
	raft_uv_tcp_close(&q->transport);
	uv_close((uv_handle_t *)&q->wake, handle_closed);
	uv_close((uv_handle_t *)&q->stop, handle_closed);
	uv_close((uv_handle_t *)&q->tick, handle_closed);
}

static void close_raft(struct quorum *q)
{
	struct proposal *p = take_inbox(q), *next;

	for (; p; p = next) {
		next = p->next;
		raft_free(p->buf.base);
		finish(p, SLOG_ENOT_CONTROLLER, 0);
	}
	if (q->closing_loop)
		return;
	q->closing_loop = 1;
	q->transfer_deadline = 0;
	uv_timer_stop(&q->tick);
	publish(q);
	/* Pending proposals fail with RAFT_LEADERSHIPLOST inside. */
	raft_close(&q->raft, raft_closed);
}

static void transferred(struct raft_transfer *req)
{
	struct quorum *q = req->data;
	int closing;

	pthread_mutex_lock(&q->mu);
	closing = q->closing;
	pthread_mutex_unlock(&q->mu);
	if (closing)
		close_raft(q);
}

static void stop_cb(uv_async_t *a)
{
	struct quorum *q = a->data;
	int closing;

	pthread_mutex_lock(&q->mu);
	closing = q->closing;
	pthread_mutex_unlock(&q->mu);
	if (!closing) {
		/* A failure: stop voting and leading (the view says failed). */
		close_raft(q);
		return;
	}
	/* A leader that leaves hands over first: the others need not wait
	 * out an election timeout. */
	if (!q->failed && !q->closing_loop && q->nvoters > 1 &&
	    raft_state(&q->raft) == RAFT_LEADER) {
		q->transfer.data = q;
		if (raft_transfer(&q->raft, &q->transfer, 0, transferred) == 0) {
			q->transfer_deadline = clock_mono_ms() + 2 * (int64_t)q->election_ms;
			return;
		}
	}
	close_raft(q);
}

/* libraft's message for its last error, or the code's when it set none. */
static const char *raft_reason(struct raft *r, int rv)
{
	const char *m = raft_errmsg(r);

	return m && *m ? m : raft_strerror(rv);
}

static int bootstrap(struct quorum *q, struct err *e)
{
	struct raft_configuration conf;
	int rv = 0;

	raft_configuration_init(&conf);
	for (size_t i = 0; i < q->nvoters && !rv; i++)
		rv = raft_configuration_add(&conf, (raft_id)q->voters[i].id,
					    q->voters[i].id == q->id ? q->addr : q->voters[i].addr,
					    RAFT_VOTER);
	if (!rv)
		rv = raft_bootstrap(&q->raft, &conf);
	raft_configuration_close(&conf);
	if (rv && rv != RAFT_CANTBOOTSTRAP) /* CANTBOOTSTRAP: it has a log */
		return err_set(e, SLOG_EIO, "metadata quorum in %s: bootstrap: %s", q->dir,
			       raft_reason(&q->raft, rv));
	return 0;
}

/* The voters the log holds are the quorum: the configuration only seeds
 * a fresh directory.  Say so when they differ. */
static void check_voters(struct quorum *q)
{
	const struct raft_configuration *c = &q->raft.configuration;
	size_t voters = 0;
	int same = 1;

	for (unsigned i = 0; i < c->n; i++) {
		int listed = 0;

		if (c->servers[i].role != RAFT_VOTER)
			continue;
		voters++;
		for (size_t j = 0; j < q->nvoters; j++)
			listed |= q->voters[j].id == (int32_t)c->servers[i].id;
		same &= listed;
	}
	if (!same || voters != q->nvoters)
		log_warn("metadata quorum in %s: its log holds %zu voters, not the %zu of "
			 "controller.quorum.voters; the log's voters are the quorum",
			 q->dir, voters, q->nvoters);
}

static int init_raft(struct quorum *q, struct err *e)
{
	int rv;

	if (uv_loop_init(&q->loop))
		return err_set(e, SLOG_EIO, "metadata quorum: cannot start its event loop");
	uv_async_init(&q->loop, &q->wake, wake_cb);
	uv_async_init(&q->loop, &q->stop, stop_cb);
	uv_timer_init(&q->loop, &q->tick);
	q->wake.data = q->stop.data = q->tick.data = q;
	q->transport.version = 1;
	rv = raft_uv_tcp_init(&q->transport, &q->loop);
	if (!rv && q->bind[0])
		rv = raft_uv_tcp_set_bind_address(&q->transport, q->bind);
	if (!rv)
		rv = raft_uv_init(&q->io, &q->loop, q->dir, &q->transport);
	if (rv)
		return err_set(e, SLOG_EIO, "metadata quorum in %s: %s", q->dir, raft_strerror(rv));
	raft_uv_set_auto_recovery(&q->io, false);
	quorum_raft_fsm(&q->raft_fsm, &q->guard);
	rv = raft_init(&q->raft, &q->io, &q->raft_fsm, (raft_id)q->id, q->addr);
	if (rv)
		return err_set(e, SLOG_EIO, "metadata quorum in %s: %s", q->dir,
			       raft_reason(&q->raft, rv));
	q->raft.data = q;
	raft_set_election_timeout(&q->raft, q->election_ms);
	raft_set_heartbeat_timeout(&q->raft, q->election_ms / 20 > 10 ? q->election_ms / 20 : 10);
	raft_set_pre_vote(&q->raft, true);
	raft_set_snapshot_threshold(&q->raft, q->snapshot_threshold);
	raft_set_snapshot_trailing(&q->raft, q->snapshot_threshold / 4 > 16
						     ? q->snapshot_threshold / 4 : 16);
	return 0;
}

static int start_raft(struct quorum *q, struct err *e)
{
	int rc = init_raft(q, e);

	if (rc)
		return rc;
	rc = bootstrap(q, e);
	if (!rc) {
		int rv = raft_start(&q->raft);

		if (rv)
			rc = err_set(e, SLOG_EIO, "metadata quorum in %s (Raft address %s): %s", q->dir,
				     q->addr, raft_reason(&q->raft, rv));
	}
	if (rc)
		return rc;
	check_voters(q);
	uv_timer_start(&q->tick, tick_cb, VIEW_INTERVAL_MS, VIEW_INTERVAL_MS);
	return 0;
}

/* Undo a start that failed part way: close whatever was opened. */
static void abandon_start(struct quorum *q)
{
	if (q->raft.data == q) {
		q->closing_loop = 1;
		raft_close(&q->raft, raft_closed);
	} else {
		if (q->transport.impl)
			raft_uv_tcp_close(&q->transport);
		if (q->io.impl)
			raft_uv_close(&q->io);
		uv_close((uv_handle_t *)&q->wake, handle_closed);
		uv_close((uv_handle_t *)&q->stop, handle_closed);
		uv_close((uv_handle_t *)&q->tick, handle_closed);
	}
	uv_run(&q->loop, UV_RUN_DEFAULT);
	uv_loop_close(&q->loop);
}

static void *loop_main(void *arg)
{
	struct quorum *q = arg;
	struct err e;
	sigset_t pipe;
	int rc;

	/* A peer that hung up makes a write fail with EPIPE here, rather than
	 * kill the process: SIGPIPE goes to the thread that wrote. */
	sigemptyset(&pipe);
	sigaddset(&pipe, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe, NULL);
	rc = start_raft(q, &e);
	q->running = 1;

	if (!rc)
		publish(q);
	pthread_mutex_lock(&q->mu);
	q->started = 1;
	q->start_rc = rc;
	if (rc)
		snprintf(q->start_err, sizeof(q->start_err), "%s", e.msg);
	pthread_cond_broadcast(&q->started_cond);
	pthread_mutex_unlock(&q->mu);
	if (rc) {
		abandon_start(q);
		return NULL;
	}
	uv_run(&q->loop, UV_RUN_DEFAULT);
	if (uv_loop_close(&q->loop))
		log_warn("metadata quorum: a handle was left open at close");
	return NULL;
}

static int setup(struct quorum *q, const struct quorum_config *cfg, struct err *e)
{
	const struct quorum_voter *self = NULL;

	for (size_t i = 0; i < cfg->nvoters; i++)
		if (cfg->voters[i].id == cfg->id)
			self = &cfg->voters[i];
	if (!self)
		return err_set(e, SLOG_EINVALID_CONFIG,
			       "node %d is not among the voters of controller.quorum.voters", cfg->id);
	if (cfg->nvoters > QUORUM_MAX_VOTERS)
		return err_set(e, SLOG_EINVALID_CONFIG, "at most %d voters", QUORUM_MAX_VOTERS);
	q->user = cfg->fsm;
	q->guard = (struct quorum_fsm){ q, guard_apply, guard_snapshot, guard_restore };
	q->id = cfg->id;
	memcpy(q->voters, cfg->voters, cfg->nvoters * sizeof(*q->voters));
	q->nvoters = cfg->nvoters;
	snprintf(q->addr, sizeof(q->addr), "%s", self->addr);
	if (pick_port(q->addr, sizeof(q->addr), e))
		return err_wrap(e, "controller.quorum.voters");
	snprintf(q->bind, sizeof(q->bind), "%s", cfg->bind ? cfg->bind : "");
	snprintf(q->dir, sizeof(q->dir), "%s", cfg->dir);
	q->election_ms = cfg->election_timeout_ms ? cfg->election_timeout_ms : 500;
	q->snapshot_threshold = cfg->snapshot_threshold ? cfg->snapshot_threshold : 4096;
	q->on_change = cfg->on_change;
	q->change_arg = cfg->change_arg;
	if (fio_mkdir_p(q->dir, e))
		return err_wrap(e, "metadata quorum");
	return 0;
}

int quorum_start(const struct quorum_config *cfg, struct quorum **out, struct err *e)
{
	struct quorum *q = xcalloc(1, sizeof(*q));
	int rc;

	pthread_mutex_init(&q->mu, NULL);
	pthread_cond_init(&q->started_cond, NULL);
	q->inbox_tail = &q->inbox;
	rc = setup(q, cfg, e);
	if (!rc && pthread_create(&q->thread, NULL, loop_main, q) != 0)
		rc = err_set(e, SLOG_EIO, "metadata quorum: cannot start its thread");
	if (rc) {
		free(q);
		return rc;
	}
	pthread_mutex_lock(&q->mu);
	while (!q->started)
		pthread_cond_wait(&q->started_cond, &q->mu);
	rc = q->start_rc;
	pthread_mutex_unlock(&q->mu);
	if (rc) {
		err_set(e, rc, "%s", q->start_err);
		pthread_join(q->thread, NULL);
		free(q);
		return rc;
	}
	*out = q;
	return 0;
}

void quorum_stop(struct quorum *q)
{
	if (!q)
		return;
	pthread_mutex_lock(&q->mu);
	q->closing = 1;
	if (!q->loop_gone)
		uv_async_send(&q->stop);
	pthread_mutex_unlock(&q->mu);
	pthread_join(q->thread, NULL);
	pthread_mutex_destroy(&q->mu);
	pthread_cond_destroy(&q->started_cond);
	free(q);
}

void quorum_view(struct quorum *q, struct quorum_view *v)
{
	pthread_mutex_lock(&q->mu);
	*v = q->view;
	pthread_mutex_unlock(&q->mu);
}

const char *quorum_bound_addr(struct quorum *q)
{
	return q->addr;
}
