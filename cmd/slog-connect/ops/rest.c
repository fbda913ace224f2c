/*
 * rest.c: the REST API's routes (rest.h).
 *
 * Each path is split into its segments and matched by shape; a known
 * path asked with a method it does not take answers 405, an unknown one
 * 404, both in Connect's error body {"error_code":N,"message":"..."},
 * which Connect's clients print as it is.  Connect answers a control
 * call (pause, resume, restart) before the work is done: 202 says it was
 * accepted, and /status shows it happen.  The worker's calls do the same
 * here: they ask the task to change and return.
 */
#include "ops/rest.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ops/http_serve.h"
#include "ops/rest_offsets.h"
#include "runtime/connector.h"
#include "runtime/metrics.h"
#include "runtime/worker.h"
#include "xalloc.h"

struct rest_server {
	struct worker *w;
	struct http_serve *http;
};

#define MAX_SEGS 6

struct route {
	struct rest_server *s;
	struct http_req *r;
	const char *seg[MAX_SEGS];
	int nseg;
	char path[1024];
};

json_t *rest_found(json_t *view)
{
	if (json_is_null(view)) {
		json_decref(view);
		return NULL;
	}
	return view;
}

static int is(const char *a, const char *b)
{
	return strcmp(a, b) == 0;
}

static void not_allowed(struct http_req *r)
{
	http_reply_error(r, 405, "HTTP 405 Method Not Allowed: %s %s", r->method, r->path);
}

static void no_connector(struct http_req *r, const char *name)
{
	http_reply_error(r, 404, "Connector %s not found", name);
}

/* ---- reads ---- */

static void get_root(struct route *rt)
{
	http_reply_json(rt->r, 200, json_pack("{s:s, s:s, s:n, s:s}", "version", SLOG_VERSION,
					      "commit", "", "kafka_cluster_id", "worker_id",
					      worker_id(rt->s->w)));
}

static void get_connectors(struct route *rt)
{
	int status = http_req_arg_has(rt->r, "expand", "status");
	int info = http_req_arg_has(rt->r, "expand", "info");
	http_reply_json(rt->r, 200, worker_list(rt->s->w, status, info));
}

static void get_info(struct route *rt, const char *name, const char *part)
{
	json_t *info = rest_found(worker_info(rt->s->w, name));

	if (!info) {
		no_connector(rt->r, name);
		return;
	}
	if (!part) {
		http_reply_json(rt->r, 200, info);
		return;
	}
	if (is(part, "config")) {
		http_reply_json(rt->r, 200, json_incref(json_object_get(info, "config")));
	} else { /* tasks: Connect's [{id:{connector,task}, config}] */
		json_t *out = json_array(), *t;
		size_t i;
		json_array_foreach(json_object_get(info, "tasks"), i, t)
			json_array_append_new(out, json_pack("{s:O, s:O}", "id", t, "config",
							     json_object_get(info, "config")));
		http_reply_json(rt->r, 200, out);
	}
	json_decref(info);
}

/* The task's entry of the connector's status, or NULL (*st to free). */
static json_t *task_status(struct route *rt, const char *name, const char *id, json_t **st)
{
	json_t *t;
	size_t i;
	char *end;
	long n = strtol(id, &end, 10);

	*st = rest_found(worker_status(rt->s->w, name));
	if (!*st) {
		no_connector(rt->r, name);
		return NULL;
	}
	json_array_foreach(json_object_get(*st, "tasks"), i, t) {
		if (*id && !*end && json_integer_value(json_object_get(t, "id")) == n)
			return t;
	}
	http_reply_error(rt->r, 404, "Task %s-%s not found", name, id);
	return NULL;
}

static void get_status(struct route *rt, const char *name)
{
	json_t *st = rest_found(worker_status(rt->s->w, name));
	if (st)
		http_reply_json(rt->r, 200, st);
	else
		no_connector(rt->r, name);
}

static void get_plugins(struct route *rt)
{
	size_t n;
	const struct connector_class *const *cls = connector_classes(&n);
	json_t *out = json_array();

	for (size_t i = 0; i < n; i++) {
		/* Connect's clients know a plugin by its Java class name: the
		 * longest alias is that name where the class has one. */
		const char *cname = cls[i]->name;
		for (const char *const *a = cls[i]->aliases; a && *a; a++)
			if (strlen(*a) > strlen(cname))
				cname = *a;
		json_array_append_new(out, json_pack("{s:s, s:s, s:s, s:s}", "class", cname, "name",
						     cls[i]->name, "type",
						     cls[i]->kind == CONNECTOR_SINK ? "sink" : "source",
						     "version", SLOG_VERSION));
	}
	http_reply_json(rt->r, 200, out);
}

static const char *const conf_type_names[] = {
	[CONF_INT] = "INT", [CONF_BYTES] = "LONG", [CONF_DURATION] = "LONG", [CONF_BOOL] = "BOOLEAN",
	[CONF_STRING] = "STRING", [CONF_ENUM] = "STRING", [CONF_RATIO] = "DOUBLE",
};

/* GET /connector-plugins/{class}/config: the class's own keys (KIP-769). */
static void get_plugin_config(struct route *rt, const char *name)
{
	const struct connector_class *cls = connector_class_find(name);
	json_t *out;

	if (!cls) {
		http_reply_error(rt->r, 404, "Plugin %s not found", name);
		return;
	}
	out = json_array();
	for (size_t i = 0; i < cls->nkeys; i++) {
		const struct conf_def *d = &cls->keys[i];
		json_array_append_new(out, json_pack("{s:s, s:s, s:b, s:s?, s:s?}", "name", d->key,
						     "type", conf_type_names[d->type], "required", 0,
						     "default_value", d->def, "documentation", d->doc));
	}
	http_reply_json(rt->r, 200, out);
}

static void get_metrics(struct route *rt)
{
	struct buf lines = BUF_INIT, page = BUF_INIT;

	worker_metrics(rt->s->w, &lines);
	metrics_page(buf_cstr(&lines), &page);
	http_reply(rt->r, 200, "text/plain; version=0.0.4; charset=utf-8", page.data, page.len);
	buf_free(&lines);
	buf_free(&page);
}

static void get_readyz(struct route *rt)
{
	if (worker_ready(rt->s->w))
		http_reply_json(rt->r, 200, json_pack("{s:s}", "status", "ready"));
	else
		http_reply_json(rt->r, 503, json_pack("{s:s}", "status", "starting"));
}

/* ---- controls ---- */

/* A query flag: absent (def), true or false; -1 after a 400. */
static int flag_arg(struct http_req *r, const char *name, int def)
{
	const char *v = http_req_arg(r, name);
	if (!v || !*v)
		return def;
	if (strcasecmp(v, "true") == 0)
		return 1;
	if (strcasecmp(v, "false") == 0)
		return 0;
	http_reply_error(r, 400, "query parameter %s must be true or false, not '%s'", name, v);
	return -1;
}

static void answer_control(struct http_req *r, const char *name, int rc, const struct err *e,
			   int status)
{
	if (rc == SLOG_ENOT_FOUND)
		no_connector(r, name);
	else if (rc)
		http_reply_error(r, err_http_status(rc), "%s", e->msg);
	else
		http_reply(r, status, NULL, NULL, 0);
}

static void post_restart(struct route *rt, const char *name)
{
	struct err e = { 0 };
	int tasks = flag_arg(rt->r, "includeTasks", 0);
	int failed = tasks < 0 ? -1 : flag_arg(rt->r, "onlyFailed", 0);
	int rc;

	if (tasks < 0 || failed < 0)
		return;
	rc = worker_restart(rt->s->w, name, tasks, failed, &e);
	/* Connect: 204 when only the connector restarts, else 202 with the
	 * status the restart starts from. */
	if (rc || (!tasks && !failed)) {
		answer_control(rt->r, name, rc, &e, 204);
		return;
	}
	json_t *st = rest_found(worker_status(rt->s->w, name));
	if (st)
		http_reply_json(rt->r, 202, st);
	else
		no_connector(rt->r, name);
}

static void post_task_restart(struct route *rt, const char *name, const char *id)
{
	struct err e = { 0 };
	json_t *st;

	if (!task_status(rt, name, id, &st)) {
		json_decref(st);
		return;
	}
	json_decref(st);
	/* A connector's tasks restart together (worker.h has no task of its
	 * own to restart): the others resume from their saved progress. */
	answer_control(rt->r, name, worker_restart(rt->s->w, name, 1, 0, &e), &e, 204);
}

static void put_control(struct route *rt, const char *name, const char *what)
{
	struct err e = { 0 };
	int rc;

	if (is(what, "pause"))
		rc = worker_pause(rt->s->w, name, &e);
	else if (is(what, "resume"))
		rc = worker_resume(rt->s->w, name, &e);
	else
		rc = worker_stop_connector(rt->s->w, name, &e);
	answer_control(rt->r, name, rc, &e, is(what, "stop") ? 204 : 202);
}

/* ---- changes: made by editing files ---- */

static void refuse_change(struct route *rt, const char *name, const char *what)
{
	char *file = NULL;
	const char *f = name ? worker_file(rt->s->w, name) : NULL;
	const char *dir = conf_get_str(&worker_conf(rt->s->w)->conf, "connectors.dir");

	if (f)
		file = xstrdup(f);
	if (file) {
		http_reply_error(rt->r, 405, "connector %s is %s by its file %s: edit it and reload "
			   "slog-connect (kill -HUP, systemctl reload slog-connect)", name, what, file);
	} else if (dir && *dir) {
		http_reply_error(rt->r, 405, "connectors are created by files: write %s/%s.conf and "
			   "reload slog-connect (kill -HUP, systemctl reload slog-connect)", dir,
			   name ? name : "NAME");
	} else {
		http_reply_error(rt->r, 405, "connectors are created by files: write %s.conf, give it to "
			   "slog-connect run (or set connectors.dir) and reload", name ? name : "NAME");
	}
	free(file);
}

/* POST /connectors names the connector in its body. */
static void post_connectors(struct route *rt)
{
	json_t *body = json_loadb(rt->r->body.data ? rt->r->body.data : "", rt->r->body.len, 0, NULL);
	const char *name = json_string_value(json_object_get(body, "name"));
	refuse_change(rt, name, "configured");
	json_decref(body);
}

/* ---- routing ---- */

static int split(struct route *rt)
{
	char *p;

	snprintf(rt->path, sizeof(rt->path), "%s", rt->r->path);
	rt->nseg = 0;
	for (p = rt->path; *p;) {
		while (*p == '/')
			*p++ = '\0';
		if (!*p)
			break;
		if (rt->nseg == MAX_SEGS)
			return -1;
		rt->seg[rt->nseg++] = p;
		p += strcspn(p, "/");
	}
	return 0;
}

/* /connectors/{c}/tasks/{id}[/status|/restart] */
static void route_task(struct route *rt, const char *m, const char *name)
{
	json_t *st;

	if (rt->nseg != 5) {
		http_reply_error(rt->r, 404, "HTTP 404 Not Found");
	} else if (is(rt->seg[4], "status") && is(m, "GET")) {
		json_t *t = task_status(rt, name, rt->seg[3], &st);
		if (t)
			http_reply_json(rt->r, 200, json_incref(t));
		json_decref(st);
	} else if (is(rt->seg[4], "restart") && is(m, "POST")) {
		post_task_restart(rt, name, rt->seg[3]);
	} else if (is(rt->seg[4], "status") || is(rt->seg[4], "restart")) {
		not_allowed(rt->r);
	} else {
		http_reply_error(rt->r, 404, "HTTP 404 Not Found");
	}
}

/* /connectors/{c}/<what> */
static void route_part(struct route *rt, const char *m, const char *name, const char *what)
{
	int get = is(m, "GET");

	if ((is(what, "config") || is(what, "tasks")) && get)
		get_info(rt, name, what);
	else if (is(what, "config") && is(m, "PUT"))
		refuse_change(rt, name, "configured");
	else if (is(what, "status") && get)
		get_status(rt, name);
	else if (is(what, "restart") && is(m, "POST"))
		post_restart(rt, name);
	else if ((is(what, "pause") || is(what, "resume") || is(what, "stop")) && is(m, "PUT"))
		put_control(rt, name, what);
	else if (is(what, "offsets"))
		rest_offsets(rt->s->w, rt->r, name);
	else if (is(what, "config") || is(what, "tasks") || is(what, "status") ||
		 is(what, "restart") || is(what, "pause") || is(what, "resume") || is(what, "stop"))
		not_allowed(rt->r);
	else
		http_reply_error(rt->r, 404, "HTTP 404 Not Found");
}

static void route_connector(struct route *rt, const char *m)
{
	const char *name = rt->seg[1];

	if (rt->nseg == 2) {
		if (is(m, "GET")) {
			get_info(rt, name, NULL);
		} else if (is(m, "DELETE")) {
			if (worker_file(rt->s->w, name))
				refuse_change(rt, name, "defined");
			else
				no_connector(rt->r, name);
		} else {
			not_allowed(rt->r);
		}
	} else if (rt->nseg == 3) {
		route_part(rt, m, name, rt->seg[2]);
	} else if (is(rt->seg[2], "tasks")) {
		route_task(rt, m, name);
	} else {
		http_reply_error(rt->r, 404, "HTTP 404 Not Found");
	}
}

/* A path with a single segment (or none). */
static void route_top(struct route *rt, const char *m)
{
	const char *top = rt->nseg ? rt->seg[0] : "";
	int get = is(m, "GET") || is(m, "HEAD");

	if (is(top, "connectors") && is(m, "POST"))
		post_connectors(rt);
	else if (!get && (is(top, "") || is(top, "connectors") || is(top, "connector-plugins") ||
			  is(top, "healthz") || is(top, "readyz") || is(top, "metrics")))
		not_allowed(rt->r);
	else if (is(top, ""))
		get_root(rt);
	else if (is(top, "connectors"))
		get_connectors(rt);
	else if (is(top, "connector-plugins"))
		get_plugins(rt);
	else if (is(top, "healthz"))
		http_reply_json(rt->r, 200, json_pack("{s:s}", "status", "ok"));
	else if (is(top, "readyz"))
		get_readyz(rt);
	else if (is(top, "metrics"))
		get_metrics(rt);
	else
		http_reply_error(rt->r, 404, "HTTP 404 Not Found");
}

static void handle(void *arg, struct http_req *r)
{
	struct route rt = { .s = arg, .r = r };

	if (r->body_too_large) {
		http_reply_error(r, 413, "request body too large");
		return;
	}
	if (split(&rt)) {
		http_reply_error(r, 404, "HTTP 404 Not Found");
		return;
	}
	if (rt.nseg == 3 && is(rt.seg[0], "connector-plugins") && is(rt.seg[2], "config") &&
	    is(r->method, "GET")) {
		get_plugin_config(&rt, rt.seg[1]);
		return;
	}
	if (rt.nseg == 4 && is(rt.seg[0], "connector-plugins") && is(rt.seg[3], "validate")) {
		/* Loading a config sent over HTTP would resolve its ${ENV} and
		 * ${file:} references for whoever can reach the port. */
		http_reply_error(r, 405, "a connector file is checked where it lives: "
				 "slog-connect check FILE");
		return;
	}
	if (rt.nseg > 1 && !is(rt.seg[0], "connectors")) {
		http_reply_error(r, 404, "HTTP 404 Not Found");
		return;
	}
	if (rt.nseg <= 1)
		route_top(&rt, r->method);
	else
		route_connector(&rt, r->method);
}

/* Four threads: an offsets call may wait on the cluster (15 s at most)
 * while /healthz and /status must still answer. */
struct rest_server *rest_start(struct worker *w, const char *listener, struct err *e)
{
	struct rest_server *s = xcalloc(1, sizeof(*s));
	struct http_serve_opts o = {
		.listener = listener, .max_body = 1 << 20, .threads = 4, .handler = handle, .arg = s,
	};

	s->w = w;
	s->http = http_serve_start(&o, e);
	if (!s->http) {
		free(s);
		return NULL;
	}
	return s;
}

int rest_port(const struct rest_server *s)
{
	return http_serve_port(s->http);
}

void rest_stop(struct rest_server *s)
{
	if (!s)
		return;
	http_serve_stop(s->http);
	free(s);
}
