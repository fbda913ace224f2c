/*
 * worker.h: slog-connect run: the connectors of a process, their tasks,
 * and the controls the REST API and signals reach them by.
 *
 * The worker loads the connector files (files, and *.conf of directories,
 * connectors.dir), starts a thread per task, and watches them: a task
 * that fails is started again after a backoff (1 s, doubling to 5 min),
 * alone.  SIGHUP reloads: files added start, files removed stop, files
 * whose resolved keys changed restart, the others run on untouched.
 * SIGTERM or SIGINT stops every task (each drains and saves its
 * progress), then the process exits 0.  A second signal exits at once.
 *
 * The files are the truth: there is no config topic and no worker group.
 * The REST API reads state and pauses, resumes, restarts and stops; it
 * cannot create or change a connector (405 naming the file to edit).
 *
 * Every function here is thread-safe (one mutex guards the connector
 * table; no task runs under it).
 */
#ifndef SLOG_WORKER_H
#define SLOG_WORKER_H

#include <jansson.h>
#include <signal.h>

#include "buf.h"
#include "runtime/connector_conf.h"
#include "err.h"

struct worker;

/*
 * Load one connector file and check it all, its transforms' keys too
 * (transform.h), as run and check do.  0 with *out, or e naming the key.
 */
int worker_load_connector(const struct worker_conf *wc, const char *path,
			  const char *const *overrides, size_t noverrides,
			  struct connector_conf **out, struct err *e);

/* Load and check every file (paths: files or directories).  NULL with e. */
struct worker *worker_new(const struct worker_conf *wc, char *const *paths, size_t npaths,
			  const char *const *overrides, size_t noverrides, struct err *e);
void worker_free(struct worker *w);

/*
 * Run until *stop (signals counted by cli_stop_on_signals()); *reload set
 * by SIGHUP is taken and cleared.  Returns the exit status: 0 after a
 * clean stop; with file.exit.on.eof connectors only, 0 once every one has
 * finished and delivered everything, 1 if one failed.
 */
int worker_run(struct worker *w, volatile sig_atomic_t *stop, volatile sig_atomic_t *reload);

/* Connect's JSON shapes, new references (NULL when there is no such connector). */
json_t *worker_list(struct worker *w, int expand_status, int expand_info);
json_t *worker_status(struct worker *w, const char *name);  /* {name, connector{state,worker_id}, tasks[...], type} */
json_t *worker_info(struct worker *w, const char *name);    /* {name, config{...}, tasks[...], type} */

/* Controls: 0, or SLOG_ENOT_FOUND (no such connector) with e. */
int worker_pause(struct worker *w, const char *name, struct err *e);
int worker_resume(struct worker *w, const char *name, struct err *e);
int worker_restart(struct worker *w, const char *name, int include_tasks, int only_failed,
		   struct err *e);
int worker_stop_connector(struct worker *w, const char *name, struct err *e);

/* The connector's file (for the 405 answer), or NULL. */
const char *worker_file(struct worker *w, const char *name);

/* Every enabled connector is RUNNING (readyz). */
int worker_ready(struct worker *w);

/* /metrics: every connector's lines. */
void worker_metrics(struct worker *w, struct buf *out);

/* The worker id the status shows: "host:port" of the REST listener, else the host name. */
const char *worker_id(struct worker *w);
const struct worker_conf *worker_conf(struct worker *w);

#endif
