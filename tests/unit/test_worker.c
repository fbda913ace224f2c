/*
 * test_worker.c: the worker's supervision with classes whose behaviour
 * the test controls: a task that fails is restarted alone after its
 * backoff, pause and resume stop and start tasks, a reload restarts only
 * what changed, and batch mode exits with the tasks' outcome.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "runtime/worker.h"
#include "unit.h"

static atomic_int steady_runs, failing_runs, batch_runs;

/* Runs until asked to stop. */
static int steady_run(struct connect_task *t, struct err *e)
{
	(void)e;
	atomic_fetch_add(&steady_runs, 1);
	t->ready = 1;
	while (!task_stopping(t))
		usleep(5000);
	return 0;
}

static int failing_run(struct connect_task *t, struct err *e)
{
	(void)t;
	atomic_fetch_add(&failing_runs, 1);
	return err_set(e, SLOG_ENETWORK, "the probe's input is gone");
}

static const struct conf_def batch_keys[] = {
	{ "file.exit.on.eof", CONF_BOOL, "false", 0, 0, 0, NULL, "end when the input does" },
	{ "probe.fail", CONF_BOOL, "false", 0, 0, 0, NULL, "fail instead" },
};

/* Reads its (empty) input to the end: done, or failed. */
static int batch_run(struct connect_task *t, struct err *e)
{
	atomic_fetch_add(&batch_runs, 1);
	if (cc_bool(t->cc, "probe.fail"))
		return err_set(e, SLOG_EIO, "the probe could not read");
	return 0;
}

static const struct connector_class steady_class = {
	"probe-steady", NULL, CONNECTOR_SOURCE, NULL, 0, NULL, steady_run, NULL,
};
static const struct connector_class failing_class = {
	"probe-failing", NULL, CONNECTOR_SOURCE, NULL, 0, NULL, failing_run, NULL,
};
static const struct connector_class batch_class = {
	"probe-batch", NULL, CONNECTOR_SOURCE, batch_keys, 2, NULL, batch_run, NULL,
};

static const char *const no_rest[] = { "listeners=" };

static char *write_conf(const char *name, const char *text)
{
	static char paths[8][4200];
	static int next;
	char *p = paths[next++ % 8];
	FILE *f;

	snprintf(p, sizeof(paths[0]), "%s/%s", unit_tmpdir(), name);
	f = fopen(p, "w");
	fputs(text, f);
	fclose(f);
	return p;
}

/* A worker running in a thread of its own, as main() runs it. */
struct runner {
	struct worker_conf wc;
	struct worker *w;
	volatile sig_atomic_t stop, reload;
	int status;
	pthread_t thread;
};

static void *run_thread(void *arg)
{
	struct runner *r = arg;

	r->status = worker_run(r->w, &r->stop, &r->reload);
	return NULL;
}

/* Start a worker on paths, without a REST API; 0, or -1. */
static int runner_start(struct runner *r, char **paths, size_t n)
{
	struct err e;

	memset(r, 0, sizeof(*r));
	if (worker_conf_load(NULL, no_rest, 1, &r->wc, &e))
		return -1;
	r->w = worker_new(&r->wc, paths, n, no_rest, 1, &e);
	if (!r->w) {
		unit_diag("%s", e.msg);
		worker_conf_free(&r->wc);
		return -1;
	}
	pthread_create(&r->thread, NULL, run_thread, r);
	return 0;
}

/* Stop it as SIGTERM does; its exit status. */
static int runner_stop(struct runner *r)
{
	r->stop = 1;
	pthread_join(r->thread, NULL);
	worker_free(r->w);
	worker_conf_free(&r->wc);
	return r->status;
}

static const char *task_state(struct worker *w, const char *name)
{
	static char state[32];
	json_t *st = worker_status(w, name);

	snprintf(state, sizeof(state), "%s",
		 json_string_value(json_object_get(json_array_get(json_object_get(st, "tasks"), 0),
						   "state")) ?: "?");
	json_decref(st);
	return state;
}

/* Poll up to 5 s for cond. */
#define WAIT_UNTIL(cond)                                                          \
	do {                                                                      \
		for (int i_ = 0; i_ < 500 && !(cond); i_++)                        \
			usleep(10000);                                            \
	} while (0)

static void test_failed_task_restarts_alone(void)
{
	struct runner r;
	char *files[2];
	json_t *st;
	int64_t t0;

	files[0] = write_conf("steady.conf", "name = steady\nconnector.class = probe-steady\n");
	files[1] = write_conf("failing.conf", "name = failing\nconnector.class = probe-failing\n");
	atomic_store(&steady_runs, 0);
	atomic_store(&failing_runs, 0);
	t0 = clock_mono_ms();
	REQUIRE(runner_start(&r, files, 2) == 0);
	WAIT_UNTIL(atomic_load(&failing_runs) >= 2);
	CHECK_EQ(atomic_load(&failing_runs), 2);
	/* The first backoff is a second. */
	CHECK(clock_mono_ms() - t0 >= 1000);
	WAIT_UNTIL(strcmp(task_state(r.w, "failing"), "FAILED") == 0);
	st = worker_status(r.w, "failing");
	CHECK(strstr(json_string_value(json_object_get(json_array_get(json_object_get(st, "tasks"),
									  0), "trace")) ?: "",
		     "the probe's input is gone") != NULL);
	json_decref(st);
	/* The other connector ran on, started once. */
	CHECK_EQ(atomic_load(&steady_runs), 1);
	CHECK(strcmp(task_state(r.w, "steady"), "RUNNING") == 0);
	CHECK(!worker_ready(r.w));
	CHECK_EQ(runner_stop(&r), 0);
}

static void test_pause_resume_restart(void)
{
	struct runner r;
	char *files[1];
	struct err e;

	files[0] = write_conf("steady.conf", "name = steady\nconnector.class = probe-steady\n");
	atomic_store(&steady_runs, 0);
	REQUIRE(runner_start(&r, files, 1) == 0);
	WAIT_UNTIL(worker_ready(r.w));
	CHECK(worker_ready(r.w));
	CHECK(worker_pause(r.w, "steady", &e) == 0);
	WAIT_UNTIL(strcmp(task_state(r.w, "steady"), "PAUSED") == 0);
	CHECK(strcmp(task_state(r.w, "steady"), "PAUSED") == 0);
	CHECK(worker_resume(r.w, "steady", &e) == 0);
	WAIT_UNTIL(atomic_load(&steady_runs) == 2);
	CHECK_EQ(atomic_load(&steady_runs), 2);
	CHECK(worker_restart(r.w, "steady", 1, 0, &e) == 0);
	WAIT_UNTIL(atomic_load(&steady_runs) == 3);
	CHECK_EQ(atomic_load(&steady_runs), 3);
	CHECK(worker_pause(r.w, "nope", &e) == SLOG_ENOT_FOUND);
	CHECK(strstr(e.msg, "nope") != NULL);
	CHECK_EQ(runner_stop(&r), 0);
}

static int listed(json_t *list, const char *name)
{
	size_t i;
	json_t *v;

	json_array_foreach(list, i, v)
		if (strcmp(json_string_value(v), name) == 0)
			return 1;
	return 0;
}

static void test_reload_restarts_what_changed(void)
{
	struct runner r;
	char dir[4200], *paths[1] = { dir };
	json_t *list;

	snprintf(dir, sizeof(dir), "%s", unit_tmpdir());
	write_conf("a.conf", "name = a\nconnector.class = probe-steady\n");
	write_conf("b.conf", "name = b\nconnector.class = probe-steady\n");
	write_conf("d.conf", "name = d\nconnector.class = probe-steady\n");
	atomic_store(&steady_runs, 0);
	REQUIRE(runner_start(&r, paths, 1) == 0);
	WAIT_UNTIL(worker_ready(r.w));
	CHECK_EQ(atomic_load(&steady_runs), 3);
	/* a changes, b goes, c comes, d stays as it was; a file that no
	 * longer loads keeps its connector. */
	write_conf("a.conf", "name = a\nconnector.class = probe-steady\ntasks.max = 2\n");
	unlink(write_conf("b.conf", ""));
	write_conf("c.conf", "name = c\nconnector.class = probe-steady\n");
	r.reload = 1;
	WAIT_UNTIL(atomic_load(&steady_runs) == 5 && worker_ready(r.w));
	CHECK_EQ(atomic_load(&steady_runs), 5);
	list = worker_list(r.w, 0, 0);
	CHECK(listed(list, "a") && !listed(list, "b") && listed(list, "c") && listed(list, "d"));
	json_decref(list);
	write_conf("d.conf", "name = d\nconnector.class = probe-steady\nno.such.key = 1\n");
	r.reload = 1;
	WAIT_UNTIL(!r.reload);
	usleep(100 * 1000);
	CHECK_EQ(atomic_load(&steady_runs), 5);
	CHECK(strcmp(task_state(r.w, "d"), "RUNNING") == 0);
	CHECK_EQ(runner_stop(&r), 0);
}

static int run_batch(const char *text)
{
	struct worker_conf wc;
	struct worker *w;
	char *files[1];
	volatile sig_atomic_t stop = 0, reload = 0;
	struct err e;
	int status;

	if (worker_conf_load(NULL, no_rest, 1, &wc, &e))
		return -1;
	files[0] = write_conf("batch.conf", text);
	w = worker_new(&wc, files, 1, no_rest, 1, &e);
	if (!w)
		return -1;
	status = worker_run(w, &stop, &reload);
	worker_free(w);
	worker_conf_free(&wc);
	return status;
}

static void test_batch_mode_exits(void)
{
	atomic_store(&batch_runs, 0);
	CHECK_EQ(run_batch("name = b\nconnector.class = probe-batch\nfile.exit.on.eof = true\n"), 0);
	CHECK_EQ(atomic_load(&batch_runs), 1);
	CHECK_EQ(run_batch("name = b\nconnector.class = probe-batch\nfile.exit.on.eof = true\n"
			   "probe.fail = true\n"), 1);
	/* A failure in batch mode is final: no restart. */
	CHECK_EQ(atomic_load(&batch_runs), 2);
}

static void test_finished_source_is_ready(void)
{
	struct runner r;
	char *files[2];

	files[0] = write_conf("steady.conf", "name = steady\nconnector.class = probe-steady\n");
	files[1] = write_conf("once.conf", "name = once\nconnector.class = probe-batch\n");
	REQUIRE(runner_start(&r, files, 2) == 0);
	/* Not a batch load (steady has no file.exit.on.eof): once ends,
	 * steady runs on, and the process is ready. */
	WAIT_UNTIL(strcmp(task_state(r.w, "once"), "STOPPED") == 0 && worker_ready(r.w));
	CHECK(strcmp(task_state(r.w, "once"), "STOPPED") == 0);
	CHECK(worker_ready(r.w));
	CHECK(strcmp(task_state(r.w, "steady"), "RUNNING") == 0);
	CHECK_EQ(runner_stop(&r), 0);
}

int main(void)
{
	connector_class_register(&steady_class);
	connector_class_register(&failing_class);
	connector_class_register(&batch_class);
	unit_run("a failed task restarts alone after its backoff", test_failed_task_restarts_alone);
	unit_run("pause, resume and restart stop and start a connector's tasks",
		 test_pause_resume_restart);
	unit_run("a reload restarts changed files only, and keeps one that no longer loads",
		 test_reload_restarts_what_changed);
	unit_run("with file.exit.on.eof, run exits with the tasks' outcome", test_batch_mode_exits);
	unit_run("a source whose input ended is stopped, and the process still ready",
		 test_finished_source_is_ready);
	return unit_done();
}
