/*
 * worker.c: slog-connect run: the table of connectors, the supervisor
 * loop, reloads, and the controls and views the REST API calls
 * (worker.h).
 *
 * One mutex (lock) guards the table and every connector's and task's
 * state (worker_task.h).  The supervisor holds it only to look and
 * start threads; no task runs under it, and nothing waits for a task
 * while holding it: stopping is asking (a flag), then reaping later.
 * Lock order: worker lock, then a connector's metrics lock (metrics.h).
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"
#include "ops/rest.h"
#include "runtime/worker.h"
#include "runtime/worker_files.h"
#include "runtime/worker_task.h"
#include "sd_notify.h"
#include "transforms/transform.h"
#include "xalloc.h"

#define SUPERVISE_MS 50

struct worker {
	pthread_mutex_t lock;
	const struct worker_conf *wc;
	char **paths;
	size_t npaths;
	const char *const *overrides;
	size_t noverrides;
	struct wconn **conns;    /* guarded by lock */
	size_t nconns, cap;
	int batch;               /* every connector runs with file.exit.on.eof */
	char id[300];            /* set before the REST API serves, then read only */
	struct file_list files;  /* every file path seen, kept until worker_free:
				  * worker_file()'s answers outlive a reload */
	struct rest_server *rest;
};

static struct wconn *find_conn(struct worker *w, const char *name)
{
	for (size_t i = 0; i < w->nconns; i++)
		if (strcmp(w->conns[i]->cc->name, name) == 0)
			return w->conns[i];
	return NULL;
}

static struct wconn *find_path(struct worker *w, const char *path)
{
	for (size_t i = 0; i < w->nconns; i++)
		if (strcmp(w->conns[i]->cc->path, path) == 0)
			return w->conns[i];
	return NULL;
}

static void add_conn(struct worker *w, struct wconn *c)
{
	w->conns = xgrow(w->conns, &w->cap, w->nconns + 1, sizeof(*w->conns));
	w->conns[w->nconns++] = c;
}

static void remove_conn(struct worker *w, struct wconn *c)
{
	for (size_t i = 0; i < w->nconns; i++)
		if (w->conns[i] == c) {
			memmove(&w->conns[i], &w->conns[i + 1],
				(w->nconns - i - 1) * sizeof(*w->conns));
			w->nconns--;
			break;
		}
	wconn_free(c);
}

/* "host:port" of the REST listener, else the host's name (Connect's worker_id). */
static void make_id(struct worker *w)
{
	const char *l = conf_get_str(&w->wc->conf, "listeners");

	if (l && *l) {
		snprintf(w->id, sizeof(w->id), "%s", strncmp(l, "http://", 7) == 0 ? l + 7 : l);
		w->id[strcspn(w->id, "/")] = '\0';
	} else if (gethostname(w->id, sizeof(w->id) - 1)) {
		snprintf(w->id, sizeof(w->id), "localhost");
	}
}

static int is_batch(const struct connector_conf *cc)
{
	return conf_find(cc->conf.defs, cc->conf.ndefs, "file.exit.on.eof") &&
	       cc_bool(cc, "file.exit.on.eof");
}

int worker_load_connector(const struct worker_conf *wc, const char *path,
			  const char *const *overrides, size_t noverrides,
			  struct connector_conf **out, struct err *e)
{
	int rc = connector_conf_load(path, overrides, noverrides, wc, out, e);

	/* The transforms' keys by their own tables, before any task starts. */
	if (!rc && (rc = transform_chain_check(*out, e))) {
		connector_conf_free(*out);
		*out = NULL;
	}
	return rc;
}

static int load_one(struct worker *w, const char *path, struct connector_conf **out,
		    struct err *e)
{
	return worker_load_connector(w->wc, path, w->overrides, w->noverrides, out, e);
}

struct worker *worker_new(const struct worker_conf *wc, char *const *paths, size_t npaths,
			  const char *const *overrides, size_t noverrides, struct err *e)
{
	struct worker *w = xcalloc(1, sizeof(*w));
	struct file_list files;
	int rc;

	pthread_mutex_init(&w->lock, NULL);
	w->wc = wc;
	w->paths = (char **)paths;
	w->npaths = npaths;
	w->overrides = overrides;
	w->noverrides = noverrides;
	make_id(w);
	rc = worker_files(wc, paths, npaths, &files, e);
	w->batch = 1;
	for (size_t i = 0; !rc && i < files.n; i++) {
		struct connector_conf *cc;
		struct wconn *other;

		rc = load_one(w, files.v[i], &cc, e);
		if (rc)
			break;
		if ((other = find_conn(w, cc->name))) {
			rc = err_set(e, SLOG_EINVALID_CONFIG, "%s: connector '%s' is also %s's",
				     cc->path, cc->name, other->cc->path);
			connector_conf_free(cc);
			break;
		}
		w->batch &= is_batch(cc);
		add_conn(w, wconn_new_take(cc, wc, &w->lock));
	}
	if (!rc)
		file_list_free(&files);
	if (rc) {
		worker_free(w);
		return NULL;
	}
	return w;
}

void worker_free(struct worker *w)
{
	if (!w)
		return;
	for (size_t i = 0; i < w->nconns; i++)
		wconn_free(w->conns[i]);
	free(w->conns);
	file_list_free(&w->files);
	pthread_mutex_destroy(&w->lock);
	free(w);
}

/* Under the lock: start every task of c that should run. */
static void start_conn(struct wconn *c)
{
	for (int i = 0; i < c->ntasks && !c->stopped && !c->paused; i++) {
		struct wtask *wt = &c->tasks[i];
		struct err e;

		if (wt->alive)
			continue;
		if (wtask_start(wt, &e)) {
			wt->err = e;
			wt->state = TASK_FAILED;
			wt->restart_at_ms = clock_mono_ms() + wt->backoff_ms;
			task_log(&wt->t, LOG_LEVEL_ERROR, "%s", e.msg);
		}
	}
}

static void start_logged(struct wconn *c)
{
	log_info("%s: %s %s from %s", c->cc->name,
		 c->stopped ? "loaded (enabled = false)" : "starting", c->cc->cls->name, c->cc->path);
	start_conn(c);
}

static void ask_stop_conn(struct wconn *c)
{
	for (int i = 0; i < c->ntasks; i++)
		wtask_ask_stop(&c->tasks[i]);
}

/*
 * Under the lock: reap what ended, start what is due.  In batch mode,
 * returns 1 once every task is done (*status 0, or 1 if one failed).
 */
static int supervise(struct worker *w, int *status)
{
	int64_t now = clock_mono_ms();
	int running = 0, failed = 0;

	for (size_t i = 0; i < w->nconns; i++) {
		struct wconn *c = w->conns[i];

		for (int k = 0; k < c->ntasks; k++) {
			wtask_reap(&c->tasks[k], now, w->batch);
			running += c->tasks[k].alive;
			failed += c->tasks[k].state == TASK_FAILED;
		}
		if (!w->batch)
			wconn_restart_due(c, now);
	}
	if (!w->batch || running)
		return 0;
	*status = failed ? 1 : 0;
	return 1;
}

/*
 * Stop every task of the connectors for which pick() says so, and wait
 * until their threads are joined.  A second signal stops the wait:
 * returns 1 then.
 */
static int stop_and_wait(struct worker *w, int (*pick)(struct wconn *, void *), void *arg,
			 volatile sig_atomic_t *stop)
{
	int alive, status;

	pthread_mutex_lock(&w->lock);
	for (size_t i = 0; i < w->nconns; i++)
		if (pick(w->conns[i], arg))
			ask_stop_conn(w->conns[i]);
	pthread_mutex_unlock(&w->lock);
	for (;;) {
		alive = 0;
		pthread_mutex_lock(&w->lock);
		supervise(w, &status);
		for (size_t i = 0; i < w->nconns; i++)
			alive |= pick(w->conns[i], arg) && wconn_alive(w->conns[i]);
		pthread_mutex_unlock(&w->lock);
		if (!alive)
			return 0;
		if (*stop >= 2)
			return 1;
		usleep(20 * 1000);
	}
}

/* For a shutdown: every connector, marked stopped so that none restarts. */
static int pick_all(struct wconn *c, void *arg)
{
	(void)arg;
	c->stopped = 1;
	return 1;
}

static int pick_marked(struct wconn *c, void *arg)
{
	(void)arg;
	return c->stopped == 2;
}

/* --- reload ------------------------------------------------------------ */

struct reload {
	struct file_list files;
	struct connector_conf **loaded; /* per file; NULL: failed (the old one runs on) */
	int *failed;
};

static void reload_load(struct worker *w, struct reload *r)
{
	r->loaded = xcalloc(r->files.n, sizeof(*r->loaded));
	r->failed = xcalloc(r->files.n, sizeof(*r->failed));
	for (size_t i = 0; i < r->files.n; i++) {
		struct err e;

		if (strcmp(r->files.v[i], "-") == 0)
			continue; /* stdin was read once */
		if (load_one(w, r->files.v[i], &r->loaded[i], &e)) {
			log_error("reload: %s (the running connector, if any, is kept)", e.msg);
			r->failed[i] = 1;
		}
	}
}

static int in_reload(const struct reload *r, const char *path, size_t *idx)
{
	for (size_t i = 0; i < r->files.n; i++)
		if (strcmp(r->files.v[i], path) == 0) {
			*idx = i;
			return 1;
		}
	return 0;
}

/* Under the lock: mark (stopped = 2) the connectors that go or change. */
static void reload_mark(struct worker *w, struct reload *r)
{
	for (size_t i = 0; i < w->nconns; i++) {
		struct wconn *c = w->conns[i];
		size_t k;

		if (strcmp(c->cc->path, "-") == 0)
			continue;
		if (!in_reload(r, c->cc->path, &k)) {
			c->stopped = 2;
		} else if (r->loaded[k] && r->loaded[k]->digest == c->cc->digest) {
			connector_conf_free(r->loaded[k]);
			r->loaded[k] = NULL;
		} else if (r->loaded[k]) {
			c->stopped = 2;
		}
	}
}

/* Under the lock: the marked ones out, the new and changed ones in. */
static void reload_swap(struct worker *w, struct reload *r)
{
	for (size_t i = w->nconns; i > 0; i--)
		if (w->conns[i - 1]->stopped == 2) {
			log_info("%s: stopped for the reload", w->conns[i - 1]->cc->name);
			remove_conn(w, w->conns[i - 1]);
		}
	for (size_t i = 0; i < r->files.n; i++) {
		struct connector_conf *cc = r->loaded[i];
		struct wconn *c;

		if (!cc)
			continue;
		r->loaded[i] = NULL;
		if (find_conn(w, cc->name) || find_path(w, cc->path)) {
			log_error("reload: %s: connector '%s' is already running", cc->path,
				  cc->name);
			connector_conf_free(cc);
			continue;
		}
		c = wconn_new_take(cc, w->wc, &w->lock);
		add_conn(w, c);
		start_logged(c);
	}
}

static void reload_free(struct reload *r)
{
	for (size_t i = 0; r->loaded && i < r->files.n; i++)
		connector_conf_free(r->loaded[i]);
	free(r->loaded);
	free(r->failed);
	file_list_free(&r->files);
}

/*
 * SIGHUP: files added start, removed ones stop, changed ones restart
 * with their new keys; a file that no longer loads leaves its connector
 * running as it was (the error is logged).
 */
static int worker_reload(struct worker *w, volatile sig_atomic_t *stop)
{
	struct reload r = { 0 };
	struct err e;
	int rc = 0;

	sd_notify_send("RELOADING=1");
	log_info("reloading the connector files");
	if (worker_files(w->wc, w->paths, w->npaths, &r.files, &e)) {
		log_error("reload: %s", e.msg);
		sd_notify_send("READY=1");
		return 0;
	}
	reload_load(w, &r);
	pthread_mutex_lock(&w->lock);
	reload_mark(w, &r);
	pthread_mutex_unlock(&w->lock);
	rc = stop_and_wait(w, pick_marked, NULL, stop);
	if (!rc) {
		pthread_mutex_lock(&w->lock);
		reload_swap(w, &r);
		pthread_mutex_unlock(&w->lock);
	}
	reload_free(&r);
	sd_notify_send("READY=1");
	return rc;
}

/* --- run --------------------------------------------------------------- */

/* systemd's watchdog: half its interval, or 0 when there is none. */
static int64_t watchdog_ms(void)
{
	const char *v = getenv("WATCHDOG_USEC");
	char *end;
	long long us;

	if (!v)
		return 0;
	us = strtoll(v, &end, 10);
	return *end || us <= 0 ? 0 : us / 2000;
}

/* The REST API on `listeners`, unless it is empty. */
static int start_rest(struct worker *w)
{
	const char *l = conf_get_str(&w->wc->conf, "listeners");
	struct err e;

	if (!l || !*l)
		return 0;
	w->rest = rest_start(w, l, &e);
	if (!w->rest) {
		log_error("cannot serve the REST API on '%s': %s", l, e.msg);
		return -1;
	}
	log_info("REST API on %s (port %d)", l, rest_port(w->rest));
	return 0;
}

int worker_run(struct worker *w, volatile sig_atomic_t *stop, volatile sig_atomic_t *reload)
{
	int64_t wd = watchdog_ms(), next_wd = 0;
	int status = 0, done = 0;

	if (start_rest(w))
		return 1;
	pthread_mutex_lock(&w->lock);
	for (size_t i = 0; i < w->nconns; i++)
		start_logged(w->conns[i]);
	log_info("started %zu connector%s", w->nconns, w->nconns == 1 ? "" : "s");
	pthread_mutex_unlock(&w->lock);
	sd_notify_send("READY=1");
	while (!*stop && !done) {
		if (*reload) {
			*reload = 0;
			if (worker_reload(w, stop))
				return 1;
		}
		pthread_mutex_lock(&w->lock);
		done = supervise(w, &status);
		pthread_mutex_unlock(&w->lock);
		if (wd && clock_mono_ms() >= next_wd) {
			sd_notify_send("WATCHDOG=1");
			next_wd = clock_mono_ms() + wd;
		}
		if (!done)
			usleep(SUPERVISE_MS * 1000);
	}
	sd_notify_send("STOPPING=1");
	if (*stop)
		log_info("stopping: every connector drains and saves its progress");
	if (stop_and_wait(w, pick_all, NULL, stop)) {
		log_warn("second signal: exiting before every connector drained");
		return 1;
	}
	rest_stop(w->rest);
	w->rest = NULL;
	log_info("stopped");
	return status;
}

/* --- controls ---------------------------------------------------------- */

/* Run fn on the connector called name, under the lock. */
static int control(struct worker *w, const char *name, void (*fn)(struct wconn *, void *),
		   void *arg, struct err *e)
{
	struct wconn *c;

	pthread_mutex_lock(&w->lock);
	c = find_conn(w, name);
	if (c)
		fn(c, arg);
	pthread_mutex_unlock(&w->lock);
	return c ? 0 : err_set(e, SLOG_ENOT_FOUND, "no connector '%s'", name);
}

static void do_pause(struct wconn *c, void *arg)
{
	(void)arg;
	c->paused = 1;
	ask_stop_conn(c);
	for (int i = 0; i < c->ntasks; i++)
		if (!c->tasks[i].alive && c->tasks[i].state != TASK_FAILED &&
		    c->tasks[i].state != TASK_STOPPED)
			c->tasks[i].state = TASK_PAUSED;
	log_info("%s: paused", c->cc->name);
}

int worker_pause(struct worker *w, const char *name, struct err *e)
{
	return control(w, name, do_pause, NULL, e);
}

static void do_resume(struct wconn *c, void *arg)
{
	(void)arg;
	if (!c->paused && !c->stopped)
		return;
	c->paused = 0;
	c->stopped = 0;
	log_info("%s: resumed", c->cc->name);
	/* A task still draining from the pause starts again when reaped. */
	start_conn(c);
}

int worker_resume(struct worker *w, const char *name, struct err *e)
{
	return control(w, name, do_resume, NULL, e);
}

static void do_restart(struct wconn *c, void *arg)
{
	int only_failed = *(int *)arg;

	for (int i = 0; i < c->ntasks; i++) {
		struct wtask *wt = &c->tasks[i];

		if (only_failed && wt->state != TASK_FAILED)
			continue;
		wt->backoff_ms = TASK_BACKOFF_FIRST_MS;
		if (wt->alive) {
			wtask_ask_stop(wt); /* started again when reaped */
		} else if (!c->paused && !c->stopped) {
			wt->state = TASK_FAILED;
			wt->restart_at_ms = 0; /* now */
		}
	}
	log_info("%s: restart asked", c->cc->name);
}

/*
 * A connector here is its tasks (there is no connector instance apart
 * from them), so a restart restarts tasks: all, or with only_failed the
 * failed ones.  include_tasks is accepted for Connect's clients.
 */
int worker_restart(struct worker *w, const char *name, int include_tasks, int only_failed,
		   struct err *e)
{
	(void)include_tasks;
	return control(w, name, do_restart, &only_failed, e);
}

static void do_stop(struct wconn *c, void *arg)
{
	(void)arg;
	c->stopped = 1;
	ask_stop_conn(c);
	for (int i = 0; i < c->ntasks; i++)
		if (!c->tasks[i].alive)
			c->tasks[i].state = TASK_STOPPED;
	log_info("%s: stopped", c->cc->name);
}

int worker_stop_connector(struct worker *w, const char *name, struct err *e)
{
	return control(w, name, do_stop, NULL, e);
}

const char *worker_file(struct worker *w, const char *name)
{
	struct wconn *c;
	const char *path = NULL;

	pthread_mutex_lock(&w->lock);
	c = find_conn(w, name);
	for (size_t i = 0; c && i < w->files.n; i++)
		if (strcmp(w->files.v[i], c->cc->path) == 0)
			path = w->files.v[i];
	if (c && !path) {
		w->files.v = xgrow(w->files.v, &w->files.cap, w->files.n + 1, sizeof(char *));
		path = w->files.v[w->files.n++] = xstrdup(c->cc->path);
	}
	pthread_mutex_unlock(&w->lock);
	return path;
}

int worker_ready(struct worker *w)
{
	int ready = 1;

	pthread_mutex_lock(&w->lock);
	for (size_t i = 0; i < w->nconns; i++) {
		struct wconn *c = w->conns[i];

		if (c->stopped || c->paused)
			continue;
		/* A source whose input ended is done, not unready. */
		for (int k = 0; k < c->ntasks; k++)
			ready &= (c->tasks[k].state == TASK_RUNNING && c->tasks[k].t.ready) ||
				 c->tasks[k].finished;
	}
	pthread_mutex_unlock(&w->lock);
	return ready;
}

const char *worker_id(struct worker *w)
{
	return w->id;
}

const struct worker_conf *worker_conf(struct worker *w)
{
	return w->wc;
}

/* --- views ------------------------------------------------------------- */

/* Under the lock. */
static json_t *status_json(struct worker *w, const struct wconn *c)
{
	json_t *tasks = json_array();

	for (int i = 0; i < c->ntasks; i++) {
		const struct wtask *wt = &c->tasks[i];
		json_t *t = json_pack("{s:i, s:s, s:s}", "id", wt->t.id, "state",
				      task_state_name(wt->state), "worker_id", w->id);
		if (wt->state == TASK_FAILED && wt->trace[0])
			json_object_set_new(t, "trace", json_string(wt->trace));
		json_array_append_new(tasks, t);
	}
	return json_pack("{s:s, s:{s:s, s:s}, s:o, s:s}", "name", c->cc->name, "connector",
			 "state", task_state_name(wconn_state(c)), "worker_id", w->id, "tasks",
			 tasks, "type", wconn_type(c));
}

/* The keys as Connect shows a config: every value a string. */
static json_t *config_json(const struct connector_conf *cc)
{
	const struct conf *cf = &cc->conf;
	const struct conf_block *sets[2] = { cc->transforms, cc->predicates };
	const size_t ns[2] = { cc->ntransforms, cc->npredicates };
	static const char *const kinds[2] = { "transforms", "predicates" };
	json_t *o = json_object();

	for (size_t i = 0; i < cf->ndefs; i++) {
		char v[1024];

		if (connector_conf_unset(cf, i))
			continue;
		conf_format(cf, i, v, sizeof(v));
		json_object_set_new(o, cf->defs[i].key,
				    json_string(connector_conf_is_secret(cf->defs[i].key) ? "(hidden)"
										  : v));
	}
	for (int k = 0; k < 2; k++)
		for (size_t i = 0; i < ns[k]; i++)
			for (size_t j = 0; j < sets[k][i].n; j++) {
				char key[512];
				snprintf(key, sizeof(key), "%s.%s.%s", kinds[k], sets[k][i].alias,
					 sets[k][i].keys[j]);
				json_object_set_new(o, key, json_string(
					connector_conf_is_secret(key) ? "(hidden)" : sets[k][i].values[j]));
			}
	return o;
}

static json_t *info_json(struct worker *w, const struct wconn *c)
{
	(void)w;
	json_t *tasks = json_array();

	for (int i = 0; i < c->ntasks; i++)
		json_array_append_new(tasks, json_pack("{s:s, s:i}", "connector", c->cc->name,
						       "task", i));
	return json_pack("{s:s, s:o, s:o, s:s}", "name", c->cc->name, "config",
			 config_json(c->cc), "tasks", tasks, "type", wconn_type(c));
}

json_t *worker_list(struct worker *w, int expand_status, int expand_info)
{
	json_t *out = expand_status || expand_info ? json_object() : json_array();

	pthread_mutex_lock(&w->lock);
	for (size_t i = 0; i < w->nconns; i++) {
		const struct wconn *c = w->conns[i];
		json_t *one;

		if (!expand_status && !expand_info) {
			json_array_append_new(out, json_string(c->cc->name));
			continue;
		}
		one = json_object();
		if (expand_status)
			json_object_set_new(one, "status", status_json(w, c));
		if (expand_info)
			json_object_set_new(one, "info", info_json(w, c));
		json_object_set_new(out, c->cc->name, one);
	}
	pthread_mutex_unlock(&w->lock);
	return out;
}

/* fn's view of the connector called name, or NULL. */
static json_t *view(struct worker *w, const char *name,
		    json_t *(*fn)(struct worker *, const struct wconn *))
{
	struct wconn *c;
	json_t *j;

	pthread_mutex_lock(&w->lock);
	c = find_conn(w, name);
	j = c ? fn(w, c) : NULL;
	pthread_mutex_unlock(&w->lock);
	return j;
}

json_t *worker_status(struct worker *w, const char *name)
{
	return view(w, name, status_json);
}

json_t *worker_info(struct worker *w, const char *name)
{
	return view(w, name, info_json);
}

void worker_metrics(struct worker *w, struct buf *out)
{
	metrics_render_help(out);
	pthread_mutex_lock(&w->lock);
	for (size_t i = 0; i < w->nconns; i++) {
		struct wconn *c = w->conns[i];
		metrics_render(&c->metrics, c->cc->name, task_state_name(wconn_state(c)), out);
	}
	pthread_mutex_unlock(&w->lock);
}
