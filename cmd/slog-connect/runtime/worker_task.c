/*
 * worker_task.c: a connector's task threads, and what happens when one
 * ends (worker_task.h).
 *
 * A thread builds the task's transform chain and error policy, runs the
 * class's loop (a source's run(), or the sink loop), and frees them: a
 * restart starts from a clean slate, from the progress saved in the
 * cluster, which is what makes a restart after any failure safe.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "log.h"
#include "runtime/error_policy.h"
#include "runtime/sink.h"
#include "runtime/worker_task.h"
#include "transforms/transform.h"
#include "xalloc.h"

/* Sources read one input, so one task; sinks and the mirror split
 * partitions between tasks (connector.h). */
static int task_count(const struct connector_conf *cc)
{
	if (cc->cls->kind == CONNECTOR_SINK || strcmp(cc->cls->name, "mirror") == 0)
		return (int)cc_num(cc, "tasks.max");
	return 1;
}

struct wconn *wconn_new_take(struct connector_conf *cc, const struct worker_conf *wc,
			     pthread_mutex_t *lock)
{
	struct wconn *c = xcalloc(1, sizeof(*c));

	c->cc = cc;
	c->ntasks = task_count(cc);
	c->tasks = xcalloc((size_t)c->ntasks, sizeof(*c->tasks));
	c->stopped = !cc_bool(cc, "enabled");
	metrics_init(&c->metrics);
	for (int i = 0; i < c->ntasks; i++) {
		struct wtask *wt = &c->tasks[i];
		wt->conn = c;
		wt->lock = lock;
		wt->t.cc = cc;
		wt->t.wc = wc;
		wt->t.id = i;
		wt->t.metrics = &c->metrics;
		wt->state = c->stopped ? TASK_STOPPED : TASK_UNASSIGNED;
		wt->backoff_ms = TASK_BACKOFF_FIRST_MS;
	}
	return c;
}

void wconn_free(struct wconn *c)
{
	if (!c)
		return;
	metrics_destroy(&c->metrics);
	connector_conf_free(c->cc);
	free(c->tasks);
	free(c);
}

static int task_body(struct connect_task *t, struct err *e)
{
	int rc = transform_chain_new(t->cc, t->id, &t->chain, e);

	if (rc)
		return rc;
	t->errors = error_policy_new(t, e);
	if (!t->errors)
		rc = e->code ? e->code : SLOG_EINVALID_CONFIG;
	else if (t->cc->cls->run)
		rc = t->cc->cls->run(t, e);
	else
		rc = sink_run(t, e);
	error_policy_free(t->errors);
	t->errors = NULL;
	transform_chain_free(t->chain);
	t->chain = NULL;
	return rc;
}

static void *task_thread(void *arg)
{
	struct wtask *wt = arg;
	struct err e = { 0 };
	int rc = task_body(&wt->t, &e);

	if (rc && !e.msg[0])
		err_set(&e, rc, "%s", err_name(rc));
	pthread_mutex_lock(wt->lock);
	wt->rc = rc;
	wt->err = e;
	wt->done = 1;
	pthread_mutex_unlock(wt->lock);
	return NULL;
}

int wtask_start(struct wtask *wt, struct err *e)
{
	sigset_t all, old;
	int rc;

	wt->t.stop = 0;
	wt->t.ready = 0;
	wt->done = 0;
	wt->finished = 0;
	wt->trace[0] = '\0';
	/* The signals are the main thread's (worker_run polls their flags):
	 * a task's blocking calls are never interrupted by them. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	rc = pthread_create(&wt->thread, NULL, task_thread, wt);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc)
		return err_set(e, SLOG_EUNKNOWN, "cannot start a thread: %s", strerror(rc));
	wt->alive = 1;
	wt->state = TASK_RUNNING;
	wt->started_ms = clock_mono_ms();
	return 0;
}

void wtask_ask_stop(struct wtask *wt)
{
	if (wt->alive)
		wt->t.stop = 1;
}

/* The thread failed: FAILED, and when to try again. */
static void task_failed(struct wtask *wt, int64_t now_ms, int batch)
{
	struct connect_task *t = &wt->t;

	wt->state = TASK_FAILED;
	snprintf(wt->trace, sizeof(wt->trace), "%s", wt->err.msg);
	if (batch) {
		task_log(t, LOG_LEVEL_ERROR, "failed: %s", wt->err.msg);
		return;
	}
	if (now_ms - wt->started_ms >= TASK_BACKOFF_RESET_MS)
		wt->backoff_ms = TASK_BACKOFF_FIRST_MS;
	wt->restart_at_ms = now_ms + wt->backoff_ms;
	task_log(t, LOG_LEVEL_ERROR, "failed: %s; restarting in %lld s", wt->err.msg,
		 (long long)(wt->backoff_ms / 1000));
	wt->backoff_ms = wt->backoff_ms * 2 > TASK_BACKOFF_MAX_MS ? TASK_BACKOFF_MAX_MS
								 : wt->backoff_ms * 2;
}

int wtask_reap(struct wtask *wt, int64_t now_ms, int batch)
{
	struct wconn *c = wt->conn;
	int asked = wt->t.stop != 0;
	struct err e;

	if (!wt->alive || !wt->done)
		return 0;
	/* It returned: the join does not wait. */
	pthread_join(wt->thread, NULL);
	wt->alive = 0;
	wt->t.ready = 0;
	if (wt->rc) {
		task_failed(wt, now_ms, batch);
	} else if (c->stopped) {
		wt->state = TASK_STOPPED;
	} else if (c->paused) {
		wt->state = TASK_PAUSED;
	} else if (!asked) {
		/* A source whose input ended (file.exit.on.eof, an exec
		 * command that exited for good). */
		wt->finished = 1;
		wt->state = TASK_STOPPED;
		task_log(&wt->t, LOG_LEVEL_INFO, "finished");
	} else if (wtask_start(wt, &e)) {
		/* Stopped to be started again (restart, resume, reload). */
		wt->err = e;
		task_failed(wt, now_ms, batch);
	}
	return 1;
}

void wconn_restart_due(struct wconn *c, int64_t now_ms)
{
	for (int i = 0; i < c->ntasks; i++) {
		struct wtask *wt = &c->tasks[i];
		struct err e;

		if (wt->alive || wt->state != TASK_FAILED || c->paused || c->stopped ||
		    now_ms < wt->restart_at_ms)
			continue;
		atomic_fetch_add(&c->metrics.restarts, 1);
		task_log(&wt->t, LOG_LEVEL_INFO, "restarting after a failure");
		if (wtask_start(wt, &e)) {
			wt->err = e;
			task_failed(wt, now_ms, 0);
		}
	}
}

int wconn_alive(const struct wconn *c)
{
	for (int i = 0; i < c->ntasks; i++)
		if (c->tasks[i].alive)
			return 1;
	return 0;
}

enum task_state wconn_state(const struct wconn *c)
{
	int failed = 0, finished = 0;

	if (c->stopped)
		return TASK_STOPPED;
	if (c->paused)
		return TASK_PAUSED;
	for (int i = 0; i < c->ntasks; i++) {
		if (c->tasks[i].state == TASK_UNASSIGNED)
			return TASK_UNASSIGNED;
		failed += c->tasks[i].state == TASK_FAILED;
		finished += c->tasks[i].finished;
	}
	if (finished == c->ntasks)
		return TASK_STOPPED;
	/* As Connect: the connector runs while one task does. */
	return failed == c->ntasks ? TASK_FAILED : TASK_RUNNING;
}

const char *wconn_type(const struct wconn *c)
{
	return c->cc->cls->kind == CONNECTOR_SINK ? "sink" : "source";
}
