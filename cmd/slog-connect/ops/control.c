/*
 * control.c: the status and control commands over the REST API
 * (control.h).
 *
 * The worker answers pause and resume at once (202) and the task gets
 * there a moment later, as in Connect.  A user who typed `pause` wants
 * to know it is paused, so the command waits, polling the status, until
 * the connector shows the state asked for, and says so when it does not
 * within the wait.
 */
#include "ops/control.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "http_client.h"
#include "table.h"

#define CONTROL_DEADLINE_MS 10000

struct control {
	struct http_client c;
	const char *url;
	int64_t deadline;
};

/* One call; *out (may be NULL) the JSON answer (NULL for an empty one). */
static int call(struct control *ct, const char *method, const char *path, const char *name,
		json_t **out, struct err *e)
{
	struct http_response r;
	struct err ce = { 0 };
	int rc;

	http_response_init(&r);
	rc = http_call(&ct->c, method, path, NULL, NULL, 0, ct->deadline, &r, &ce);
	if (rc && r.status == 0) {
		err_set(e, SLOG_ENETWORK, "cannot reach slog-connect at '%s': %s", ct->url, ce.msg);
	} else if (rc) {
		json_t *j = json_loadb(r.body.data ? r.body.data : "", r.body.len, 0, NULL);
		const char *msg = json_string_value(json_object_get(j, "message"));
		if (r.status == 404 && name)
			rc = err_set(e, SLOG_ENOT_FOUND, "unknown connector '%s': no such connector "
				     "runs at %s", name, ct->url);
		else
			rc = err_set(e, rc, "%s %s%s: %s", method, ct->url, path,
				     msg ? msg : ce.msg);
		json_decref(j);
	} else if (out) {
		*out = r.body.len ? json_loadb(r.body.data, r.body.len, 0, NULL) : NULL;
	}
	http_response_free(&r);
	return rc;
}

static void escaped_path(struct buf *b, const char *name, const char *suffix)
{
	buf_reset(b);
	buf_adds(b, "/connectors/");
	http_escape(b, name);
	buf_adds(b, suffix);
}

static int status_of(struct control *ct, const char *name, json_t **st, struct err *e)
{
	struct buf p = BUF_INIT;
	int rc;

	escaped_path(&p, name, "/status");
	rc = call(ct, "GET", buf_cstr(&p), name, st, e);
	buf_free(&p);
	return rc;
}

/* ---- printing ---- */

static const char *str(json_t *j, const char *key)
{
	const char *s = json_string_value(json_object_get(j, key));
	return s ? s : "-";
}

static void status_row(struct table *t, json_t *st)
{
	json_t *conn = json_object_get(st, "connector"), *task;
	size_t i, running = 0, n = json_array_size(json_object_get(st, "tasks"));
	char tasks[32];

	json_array_foreach(json_object_get(st, "tasks"), i, task)
		running += strcmp(str(task, "state"), "RUNNING") == 0;
	snprintf(tasks, sizeof(tasks), "%zu/%zu", running, n);
	table_row(t, str(st, "name"), str(st, "type"), str(conn, "state"), tasks,
		  str(conn, "worker_id"), NULL);
}

static void print_tasks(json_t *st, FILE *out)
{
	struct table t;
	json_t *task;
	size_t i;

	table_init(&t, "TASK", "STATE", "WORKER", "TRACE", NULL);
	json_array_foreach(json_object_get(st, "tasks"), i, task) {
		char id[24], trace[256];
		const char *tr = json_string_value(json_object_get(task, "trace"));
		snprintf(id, sizeof(id), "%lld", (long long)json_integer_value(json_object_get(task, "id")));
		snprintf(trace, sizeof(trace), "%.*s", tr ? (int)strcspn(tr, "\n") : 1, tr ? tr : "-");
		table_row(&t, id, str(task, "state"), str(task, "worker_id"), trace, NULL);
	}
	fputc('\n', out);
	table_print(&t, out);
	table_free(&t);
}

/* Print statuses (an array of Connect status documents). */
static void print_statuses(json_t *sts, int with_tasks, int json, FILE *out)
{
	struct table t;
	json_t *st;
	size_t i;

	if (json) {
		json_array_foreach(sts, i, st) {
			char *s = json_dumps(st, JSON_COMPACT);
			fprintf(out, "%s\n", s);
			free(s);
		}
		return;
	}
	table_init(&t, "NAME", "TYPE", "STATE", "TASKS", "WORKER", NULL);
	json_array_foreach(sts, i, st)
		status_row(&t, st);
	table_print(&t, out);
	table_free(&t);
	if (with_tasks && json_array_size(sts) == 1)
		print_tasks(json_array_get(sts, 0), out);
}

/* ---- the commands ---- */

/* Every connector's name, sorted as the API lists them. */
static int all_names(struct control *ct, json_t **names, struct err *e)
{
	int rc = call(ct, "GET", "/connectors", NULL, names, e);
	if (!rc && !json_is_array(*names)) {
		json_decref(*names);
		*names = NULL;
		rc = err_set(e, SLOG_EUNKNOWN, "%s/connectors: not a list of connectors", ct->url);
	}
	return rc;
}

static int cmd_status(struct control *ct, const char *name, int json, FILE *out, struct err *e)
{
	json_t *sts = json_array(), *all = NULL, *one, *v;
	const char *key;
	int rc;

	if (name) {
		rc = status_of(ct, name, &one, e);
		if (!rc)
			json_array_append_new(sts, one);
	} else {
		rc = call(ct, "GET", "/connectors?expand=status", NULL, &all, e);
		if (!rc && json) {
			char *s = json_dumps(all, JSON_COMPACT);
			fprintf(out, "%s\n", s);
			free(s);
			json_decref(all);
			json_decref(sts);
			return 0;
		}
		json_object_foreach(all, key, v)
			json_array_append(sts, json_object_get(v, "status"));
		json_decref(all);
	}
	if (!rc)
		print_statuses(sts, name != NULL, json, out);
	json_decref(sts);
	return rc;
}

/* Poll until name is in state (NULL: any but UNASSIGNED/RESTARTING). */
static int wait_state(struct control *ct, const char *name, const char *state, json_t **st,
		      struct err *e)
{
	for (;;) {
		int rc = status_of(ct, name, st, e);
		if (rc)
			return rc;
		const char *now = str(json_object_get(*st, "connector"), "state");
		int there = state ? strcmp(now, state) == 0
				  : strcmp(now, "UNASSIGNED") != 0 && strcmp(now, "RESTARTING") != 0;
		if (there)
			return 0;
		if (clock_mono_ms() >= ct->deadline) {
			rc = err_set(e, SLOG_EREQUEST_TIMED_OUT, "connector '%s' is still %s after %d s%s%s",
				     name, now, CONTROL_DEADLINE_MS / 1000, state ? ", not " : "",
				     state ? state : "");
			json_decref(*st);
			*st = NULL;
			return rc;
		}
		json_decref(*st);
		usleep(100 * 1000);
	}
}

static int act_one(struct control *ct, const char *cmd, const char *name, json_t *sts,
		   struct err *e)
{
	struct buf p = BUF_INIT;
	const char *target = NULL;
	json_t *st = NULL;
	int rc;

	if (strcmp(cmd, "restart") == 0) {
		escaped_path(&p, name, "/restart?includeTasks=true");
		rc = call(ct, "POST", buf_cstr(&p), name, NULL, e);
	} else {
		escaped_path(&p, name, strcmp(cmd, "pause") == 0 ? "/pause" : "/resume");
		target = strcmp(cmd, "pause") == 0 ? "PAUSED" : "RUNNING";
		rc = call(ct, "PUT", buf_cstr(&p), name, NULL, e);
	}
	buf_free(&p);
	if (!rc)
		rc = wait_state(ct, name, target, &st, e);
	if (!rc)
		json_array_append_new(sts, st);
	return rc;
}

static int cmd_act(struct control *ct, const char *cmd, const char *name, int json, FILE *out,
		   struct err *e)
{
	json_t *names = NULL, *sts = json_array(), *n;
	size_t i;
	int rc = 0;

	if (name) {
		rc = act_one(ct, cmd, name, sts, e);
	} else {
		rc = all_names(ct, &names, e);
		json_array_foreach(names, i, n) {
			if (rc)
				break;
			rc = act_one(ct, cmd, json_string_value(n), sts, e);
		}
		json_decref(names);
	}
	if (!rc)
		print_statuses(sts, name != NULL, json, out);
	json_decref(sts);
	return rc;
}

int control_command(const char *url, const char *cmd, const char *name, int json, FILE *out,
		    struct err *e)
{
	struct control ct = { .url = url, .deadline = clock_mono_ms() + CONTROL_DEADLINE_MS };
	int rc;

	if (strcmp(cmd, "status") && strcmp(cmd, "pause") && strcmp(cmd, "resume") &&
	    strcmp(cmd, "restart"))
		return err_set(e, SLOG_EINVALID_REQUEST, "unknown command '%s'", cmd);
	if (http_client_init(&ct.c, url, e))
		return SLOG_EINVALID_REQUEST;
	if (strcmp(cmd, "status") == 0)
		rc = cmd_status(&ct, name, json, out, e);
	else
		rc = cmd_act(&ct, cmd, name, json, out, e);
	http_client_free(&ct.c);
	return rc;
}
