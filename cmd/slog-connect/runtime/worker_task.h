/*
 * worker_task.h: one connector of the worker and its tasks' threads.
 *
 * The worker (worker.c) holds a table of these and one mutex, the
 * worker's lock, that guards every field below but the task's own
 * struct connect_task, which the task's thread reads.  A task thread
 * takes the lock only once, when it ends, to leave its result; the
 * supervisor (worker_run's loop) reaps it, decides what comes next
 * (paused, stopped, started again after a backoff) and starts threads.
 *
 * Backoff after a failure: 1 s, doubling to 5 min; a task that ran a
 * minute or more without failing starts again from 1 s.  In batch mode
 * (file.exit.on.eof) a failure is final: the process exits 1.
 */
#ifndef SLOG_WORKER_TASK_H
#define SLOG_WORKER_TASK_H

#include <pthread.h>
#include <stdint.h>

#include "runtime/connector.h"
#include "runtime/connector_conf.h"
#include "runtime/metrics.h"
#include "err.h"

#define TASK_BACKOFF_FIRST_MS 1000
#define TASK_BACKOFF_MAX_MS (5 * 60 * 1000)
#define TASK_BACKOFF_RESET_MS (60 * 1000)

struct wconn;

struct wtask {
	struct connect_task t;   /* the task's; stop and ready are its flags */
	struct wconn *conn;
	pthread_mutex_t *lock;   /* the worker's */
	pthread_t thread;
	int alive;               /* a thread was started and is not joined yet */
	int done;                /* that thread has returned: rc and err are set */
	int rc;
	struct err err;
	enum task_state state;
	int finished;            /* returned 0 unasked: its input ended */
	int64_t started_ms, restart_at_ms, backoff_ms;
	char trace[sizeof(((struct err *)0)->msg)];
};

struct wconn {
	struct connector_conf *cc;
	struct wtask *tasks;
	int ntasks;
	int paused;              /* PUT .../pause, until resumed */
	int stopped;             /* enabled = false, PUT .../stop, or shutting down */
	struct connect_metrics metrics;
};

/* A connector from its loaded file (cc taken); its tasks not started. */
struct wconn *wconn_new_take(struct connector_conf *cc, const struct worker_conf *wc,
			     pthread_mutex_t *lock);
/* Free; every task thread must have been joined. */
void wconn_free(struct wconn *c);

/* Under the lock: start task i's thread now.  0, or an error (no thread). */
int wtask_start(struct wtask *wt, struct err *e);
/* Under the lock: ask a running task to stop (it drains first). */
void wtask_ask_stop(struct wtask *wt);

/*
 * Under the lock: join task i's thread if it returned, and set what
 * comes next.  Returns 1 when a thread was reaped.  batch: failures are
 * not restarted.
 */
int wtask_reap(struct wtask *wt, int64_t now_ms, int batch);

/* Under the lock: start tasks due (a backoff passed).  Errors are logged. */
void wconn_restart_due(struct wconn *c, int64_t now_ms);

/* Any of its threads not joined yet. */
int wconn_alive(const struct wconn *c);

/* Kafka Connect's state of the connector as a whole. */
enum task_state wconn_state(const struct wconn *c);

/* "source" or "sink". */
const char *wconn_type(const struct wconn *c);

#endif
