/*
 * test_rest.c: the REST API answers in Kafka Connect's shapes and
 * statuses, over a small fake worker (below) and a fake offset store, so
 * that every route is checked without a broker or a running task.
 */
#include <curl/curl.h>
#include <stdlib.h>
#include <stdatomic.h>
#include <string.h>

#include "ops/control.h"
#include "ops/http_serve.h"
#include "ops/rest.h"
#include "runtime/connector.h"
#include "runtime/connector_conf.h"
#include "runtime/error_policy.h"
#include "runtime/metrics.h"
#include "runtime/offset_store.h"
#include "runtime/worker.h"
#include "unit.h"

/* ---- the fake worker: "src" (a source) and "snk" (a sink, 2 tasks) ---- */

struct worker {
	const char *state[2]; /* src, snk */
	int ready;
	char last[128];       /* the last control call */
	struct worker_conf wc;
	struct connect_metrics m;
};

static struct worker fake;

static int idx(const char *name)
{
	return strcmp(name, "src") == 0 ? 0 : strcmp(name, "snk") == 0 ? 1 : -1;
}

json_t *worker_status(struct worker *w, const char *name)
{
	int i = idx(name);
	json_t *tasks;

	if (i < 0) /* as worker.c says it (worker_info below says it with NULL) */
		return json_null();
	tasks = json_array();
	for (int t = 0; t <= i; t++)
		json_array_append_new(tasks, json_pack("{s:i, s:s, s:s}", "id", t, "state",
						       w->state[i], "worker_id", "h:1"));
	return json_pack("{s:s, s:{s:s, s:s}, s:o, s:s}", "name", name, "connector", "state",
			 w->state[i], "worker_id", "h:1", "tasks", tasks, "type",
			 i ? "sink" : "source");
}

json_t *worker_info(struct worker *w, const char *name)
{
	int i = idx(name);
	json_t *tasks;

	(void)w;
	if (i < 0)
		return NULL;
	tasks = json_array();
	for (int t = 0; t <= i; t++)
		json_array_append_new(tasks, json_pack("{s:s, s:i}", "connector", name, "task", t));
	return json_pack("{s:s, s:{s:s, s:s}, s:o, s:s}", "name", name, "config", "name", name,
			 "connector.class", i ? "file-sink" : "file-source", "tasks", tasks, "type",
			 i ? "sink" : "source");
}

json_t *worker_list(struct worker *w, int expand_status, int expand_info)
{
	const char *names[] = { "snk", "src" };
	json_t *out;

	if (!expand_status && !expand_info)
		return json_pack("[s, s]", names[0], names[1]);
	out = json_object();
	for (int i = 0; i < 2; i++) {
		json_t *one = json_object();
		if (expand_status)
			json_object_set_new(one, "status", worker_status(w, names[i]));
		if (expand_info)
			json_object_set_new(one, "info", worker_info(w, names[i]));
		json_object_set_new(out, names[i], one);
	}
	return out;
}

static int control(struct worker *w, const char *what, const char *name, const char *state,
		   struct err *e)
{
	int i = idx(name);
	if (i < 0)
		return err_set(e, SLOG_ENOT_FOUND, "no connector %s", name);
	snprintf(w->last, sizeof(w->last), "%s %s", what, name);
	if (state)
		w->state[i] = state;
	return 0;
}

int worker_pause(struct worker *w, const char *name, struct err *e)
{
	return control(w, "pause", name, "PAUSED", e);
}

int worker_resume(struct worker *w, const char *name, struct err *e)
{
	return control(w, "resume", name, "RUNNING", e);
}

int worker_stop_connector(struct worker *w, const char *name, struct err *e)
{
	return control(w, "stop", name, "STOPPED", e);
}

int worker_restart(struct worker *w, const char *name, int include_tasks, int only_failed,
		   struct err *e)
{
	char what[64];
	snprintf(what, sizeof(what), "restart %d %d", include_tasks, only_failed);
	return control(w, what, name, NULL, e);
}

const char *worker_file(struct worker *w, const char *name)
{
	(void)w;
	return idx(name) == 0 ? "/etc/slog/connect.d/src.conf" : idx(name) == 1 ? "/x/snk.conf" : NULL;
}

int worker_ready(struct worker *w)
{
	return w->ready;
}

void worker_metrics(struct worker *w, struct buf *out)
{
	metrics_render(&w->m, "src", w->state[0], out);
	metrics_render(&w->m, "snk", w->state[1], out);
}

const char *worker_id(struct worker *w)
{
	(void)w;
	return "h:1";
}

const struct worker_conf *worker_conf(struct worker *w)
{
	return &w->wc;
}

static const char *const src_aliases[] = { "FileStreamSource",
					    "org.apache.kafka.connect.file.FileStreamSourceConnector",
					    NULL };
static const struct conf_def src_keys[] = {
	{ .key = "file.paths", .type = CONF_STRING, .doc = "globs of the files" },
	{ .key = "file.poll.ms", .type = CONF_DURATION, .def = "250", .doc = "how often" },
};
static const struct connector_class fake_source = { .name = "file-source",
						    .aliases = src_aliases,
						    .kind = CONNECTOR_SOURCE,
						    .keys = src_keys,
						    .nkeys = 2 };
static const struct connector_class fake_sink = { .name = "http-sink", .kind = CONNECTOR_SINK };

/* Stands in for connector_classes.c's list: the fake classes only. */
extern const struct connector_class *const connector_class_list[];
const struct connector_class *const connector_class_list[] = { &fake_source, &fake_sink, NULL };

/* ---- the fake offset store: one partition, reset by offset_store_reset ---- */

struct offset_store {
	int reset;
};

static struct offset_store store;
static int store_flushes;

int offset_store_open(const char *brokers, const char *topic, const char *connector,
		      int64_t deadline_ms, struct offset_store **out, struct err *e)
{
	(void)brokers, (void)topic, (void)deadline_ms, (void)e;
	CHECK(strcmp(connector, "src") == 0);
	*out = &store;
	return 0;
}

void offset_store_close(struct offset_store *s)
{
	(void)s;
}

json_t *offset_store_list(struct offset_store *s)
{
	if (s->reset)
		return json_array();
	return json_pack("[{s:{s:i}, s:{s:i}}]", "partition", "ino", 7, "offset", "pos", 42);
}

void offset_store_put(struct offset_store *s, json_t *partition, json_t *offset_take)
{
	(void)s, (void)partition;
	json_decref(offset_take);
}

void offset_store_reset(struct offset_store *s)
{
	s->reset = 1;
}

int offset_store_flush(struct offset_store *s, int64_t deadline_ms, struct err *e)
{
	(void)s, (void)deadline_ms, (void)e;
	store_flushes++;
	return 0;
}

/* ---- a client ---- */

static char base[64];

static size_t collect(char *p, size_t size, size_t n, void *arg)
{
	buf_add(arg, p, size * n);
	return size * n;
}

/* One call; the status, the body in *body (reset first). */
static long call(const char *method, const char *path, const char *data, struct buf *body)
{
	CURL *h = curl_easy_init();
	char url[256];
	long status = 0;

	buf_reset(body);
	snprintf(url, sizeof(url), "%s%s", base, path);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, body);
	if (data)
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, data);
	if (curl_easy_perform(h) == CURLE_OK)
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(h);
	return status;
}

/* The body as JSON (to decref). */
static json_t *js(const struct buf *b)
{
	return json_loadb(b->data ? b->data : "", b->len, 0, NULL);
}

static int has(const struct buf *b, const char *s)
{
	return strstr(buf_cstr(b), s) != NULL;
}

/* ---- the tests ---- */

static void test_status_and_info_have_connects_shapes(void)
{
	struct buf b = BUF_INIT;
	json_t *j;

	CHECK_EQ(call("GET", "/", NULL, &b), 200);
	CHECK(has(&b, "\"version\""));
	CHECK_EQ(call("GET", "/connectors", NULL, &b), 200);
	CHECK(has(&b, "[\"snk\",\"src\"]"));
	CHECK_EQ(call("GET", "/connectors?expand=status&expand=info", NULL, &b), 200);
	j = js(&b);
	CHECK(json_object_get(json_object_get(json_object_get(j, "src"), "status"), "connector"));
	CHECK(json_object_get(json_object_get(j, "snk"), "info"));
	json_decref(j);
	CHECK_EQ(call("GET", "/connectors?expand=status,info", NULL, &b), 200);
	CHECK(has(&b, "\"info\"") && has(&b, "\"status\""));
	CHECK_EQ(call("GET", "/connectors/src/status", NULL, &b), 200);
	CHECK(has(&b, "\"connector\":{\"state\":\"RUNNING\",\"worker_id\":\"h:1\"}"));
	CHECK_EQ(call("GET", "/connectors/src/config", NULL, &b), 200);
	CHECK(has(&b, "\"connector.class\":\"file-source\""));
	CHECK_EQ(call("GET", "/connectors/snk/tasks", NULL, &b), 200);
	j = js(&b);
	CHECK_EQ(json_array_size(j), 2);
	CHECK_EQ(json_integer_value(json_object_get(json_object_get(json_array_get(j, 1), "id"), "task")), 1);
	json_decref(j);
	CHECK_EQ(call("GET", "/connectors/snk/tasks/1/status", NULL, &b), 200);
	CHECK(has(&b, "\"id\":1"));
	buf_free(&b);
}

static void test_unknown_things_answer_404_in_connects_error_body(void)
{
	struct buf b = BUF_INIT;

	CHECK_EQ(call("GET", "/connectors/nope", NULL, &b), 404);
	CHECK(has(&b, "{\"error_code\":404,\"message\":\"Connector nope not found\"}"));
	CHECK_EQ(call("GET", "/connectors/nope/status", NULL, &b), 404);
	CHECK_EQ(call("PUT", "/connectors/nope/pause", NULL, &b), 404);
	CHECK_EQ(call("GET", "/connectors/snk/tasks/2/status", NULL, &b), 404);
	CHECK(has(&b, "Task snk-2 not found"));
	CHECK_EQ(call("GET", "/connectors/snk/tasks/x/status", NULL, &b), 404);
	CHECK_EQ(call("GET", "/nowhere", NULL, &b), 404);
	CHECK_EQ(call("GET", "/connectors/src/nowhere", NULL, &b), 404);
	CHECK_EQ(call("POST", "/connectors/src/status", NULL, &b), 405);
	CHECK_EQ(call("DELETE", "/healthz", NULL, &b), 405);
	buf_free(&b);
}

static void test_controls_reach_the_worker_with_connects_statuses(void)
{
	struct buf b = BUF_INIT;

	CHECK_EQ(call("PUT", "/connectors/src/pause", NULL, &b), 202);
	CHECK(strcmp(fake.last, "pause src") == 0);
	CHECK_EQ(call("PUT", "/connectors/src/resume", NULL, &b), 202);
	CHECK(strcmp(fake.last, "resume src") == 0);
	CHECK_EQ(call("POST", "/connectors/snk/restart", NULL, &b), 204);
	CHECK(strcmp(fake.last, "restart 0 0 snk") == 0);
	CHECK_EQ(call("POST", "/connectors/snk/restart?includeTasks=true&onlyFailed=true", NULL, &b), 202);
	CHECK(strcmp(fake.last, "restart 1 1 snk") == 0);
	CHECK(has(&b, "\"tasks\""));
	CHECK_EQ(call("POST", "/connectors/snk/restart?includeTasks=maybe", NULL, &b), 400);
	CHECK(has(&b, "includeTasks"));
	CHECK_EQ(call("POST", "/connectors/snk/tasks/1/restart", NULL, &b), 204);
	CHECK(strcmp(fake.last, "restart 1 0 snk") == 0);
	CHECK_EQ(call("PUT", "/connectors/src/pause", NULL, &b), 202);
	CHECK_EQ(call("PUT", "/connectors/src/stop", NULL, &b), 204);
	CHECK(strcmp(fake.last, "stop src") == 0);
	fake.state[0] = "RUNNING";
	buf_free(&b);
}

static void test_changes_answer_405_naming_the_file(void)
{
	struct buf b = BUF_INIT;

	CHECK_EQ(call("POST", "/connectors", "{\"name\":\"new\",\"config\":{}}", &b), 405);
	CHECK(has(&b, "/etc/slog/connect.d/new.conf"));
	CHECK(has(&b, "\"error_code\":405"));
	CHECK_EQ(call("PUT", "/connectors/src/config", "{}", &b), 405);
	CHECK(has(&b, "/etc/slog/connect.d/src.conf"));
	CHECK_EQ(call("DELETE", "/connectors/snk", NULL, &b), 405);
	CHECK(has(&b, "/x/snk.conf"));
	CHECK_EQ(call("DELETE", "/connectors/nope", NULL, &b), 404);
	buf_free(&b);
}

static void test_readyz_waits_for_every_connector(void)
{
	struct buf b = BUF_INIT;

	fake.ready = 0;
	CHECK_EQ(call("GET", "/healthz", NULL, &b), 200);
	CHECK_EQ(call("GET", "/readyz", NULL, &b), 503);
	fake.ready = 1;
	CHECK_EQ(call("GET", "/readyz", NULL, &b), 200);
	buf_free(&b);
}

static void test_metrics_group_each_metric_under_its_help(void)
{
	struct buf b = BUF_INIT;
	const char *help, *a, *z, *next;

	metrics_delivered(&fake.m, 4, 40);
	CHECK_EQ(call("GET", "/metrics", NULL, &b), 200);
	help = strstr(buf_cstr(&b), "# TYPE slog_connect_records_total counter\n");
	a = strstr(buf_cstr(&b), "slog_connect_records_total{connector=\"src\"} 4\n");
	z = strstr(buf_cstr(&b), "slog_connect_records_total{connector=\"snk\"} 4\n");
	next = strstr(buf_cstr(&b), "# HELP slog_connect_bytes_total");
	REQUIRE(help && a && z && next);
	/* Both connectors' lines sit together, after the TYPE and before the next HELP. */
	CHECK(help < a && a < z && z < next);
	CHECK(has(&b, "slog_connect_connector_state{connector=\"src\",state=\"RUNNING\"} 1"));
	buf_free(&b);
}

static void test_offsets_change_only_when_stopped(void)
{
	struct buf b = BUF_INIT;

	CHECK_EQ(call("GET", "/connectors/src/offsets", NULL, &b), 200);
	CHECK(has(&b, "{\"offsets\":[{\"partition\":{\"ino\":7},\"offset\":{\"pos\":42}}]}"));
	CHECK_EQ(call("DELETE", "/connectors/src/offsets", NULL, &b), 400);
	CHECK(has(&b, "STOPPED"));
	CHECK_EQ(store.reset, 0);
	CHECK_EQ(call("PUT", "/connectors/src/stop", NULL, &b), 204);
	CHECK_EQ(call("PATCH", "/connectors/src/offsets", "{\"offsets\":[{\"partition\":{\"ino\":7},"
		      "\"offset\":{\"pos\":1}}]}", &b), 200);
	CHECK(has(&b, "altered successfully"));
	CHECK_EQ(call("PATCH", "/connectors/src/offsets", "[1]", &b), 400);
	CHECK_EQ(call("DELETE", "/connectors/src/offsets", NULL, &b), 200);
	CHECK(has(&b, "reset successfully"));
	CHECK_EQ(store.reset, 1);
	CHECK_EQ(store_flushes, 2);
	CHECK_EQ(call("GET", "/connectors/src/offsets", NULL, &b), 200);
	CHECK(has(&b, "{\"offsets\":[]}"));
	CHECK_EQ(call("POST", "/connectors/src/offsets", NULL, &b), 405);
	fake.state[0] = "RUNNING";
	buf_free(&b);
}

static void test_plugins_list_each_class_by_its_java_name(void)
{
	struct buf b = BUF_INIT;

	CHECK_EQ(call("GET", "/connector-plugins", NULL, &b), 200);
	CHECK(has(&b, "\"class\":\"org.apache.kafka.connect.file.FileStreamSourceConnector\""));
	CHECK(has(&b, "\"class\":\"http-sink\""));
	CHECK(has(&b, "\"type\":\"sink\""));
	CHECK_EQ(call("GET", "/connector-plugins/FileStreamSource/config", NULL, &b), 200);
	CHECK(has(&b, "{\"name\":\"file.poll.ms\",\"type\":\"LONG\",\"required\":false,"
		  "\"default_value\":\"250\",\"documentation\":\"how often\"}"));
	CHECK_EQ(call("GET", "/connector-plugins/nope/config", NULL, &b), 404);
	CHECK_EQ(call("PUT", "/connector-plugins/FileStreamSource/config/validate", "{}", &b), 405);
	CHECK(has(&b, "slog-connect check FILE"));
	buf_free(&b);
}

static void test_a_bad_or_taken_listener_is_refused(void)
{
	struct err e = { 0 };
	int port;
	char host[64];

	CHECK(rest_start(&fake, "https://127.0.0.1:1", &e) == NULL);
	CHECK(strstr(e.msg, "only http://") != NULL);
	CHECK(rest_start(&fake, "127.0.0.1", &e) == NULL);
	CHECK(rest_start(&fake, base, &e) == NULL);
	CHECK(http_listener_parse("http://[::1]:8083/", host, sizeof(host), &port, &e) == 0);
	CHECK(strcmp(host, "::1") == 0 && port == 8083);
}

/* control_command's output, as a string (to free). */
static char *run_control(const char *cmd, const char *name, int json, int *rc, struct err *e)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	*rc = control_command(base, cmd, name, json, f, e);
	fclose(f);
	return text;
}

static void test_the_control_commands_print_tables_and_wait(void)
{
	struct err e = { 0 };
	char *out;
	int rc;

	out = run_control("status", NULL, 0, &rc, &e);
	CHECK_EQ(rc, 0);
	CHECK(strstr(out, "NAME  TYPE    STATE    TASKS  WORKER\n") == out);
	CHECK(strstr(out, "\nsrc   source  RUNNING  1/1    h:1\n") != NULL);
	free(out);
	out = run_control("status", "snk", 0, &rc, &e);
	CHECK(strstr(out, "TASK  STATE    WORKER  TRACE\n0     RUNNING  h:1     -\n1     RUNNING  h:1     -\n") != NULL);
	free(out);
	out = run_control("pause", "src", 0, &rc, &e);
	CHECK_EQ(rc, 0);
	CHECK(strcmp(fake.last, "pause src") == 0);
	CHECK(strstr(out, "PAUSED") != NULL);
	free(out);
	out = run_control("resume", NULL, 1, &rc, &e);
	CHECK_EQ(rc, 0);
	CHECK(strstr(out, "{\"name\":\"snk\"") == out);
	CHECK(strstr(out, "\n{\"name\":\"src\"") != NULL);
	free(out);
	out = run_control("restart", "snk", 0, &rc, &e);
	CHECK_EQ(rc, 0);
	CHECK(strcmp(fake.last, "restart 1 0 snk") == 0);
	free(out);
}

static void test_the_control_commands_fail_clearly(void)
{
	struct err e = { 0 };
	char *out;
	int rc;

	out = run_control("pause", "nope", 0, &rc, &e);
	CHECK_EQ(rc, SLOG_ENOT_FOUND);
	CHECK(strstr(e.msg, "unknown connector 'nope'") != NULL);
	free(out);
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	rc = control_command("http://127.0.0.1:1", "status", NULL, 0, f, &e);
	fclose(f);
	CHECK_EQ(rc, SLOG_ENETWORK);
	CHECK(strstr(e.msg, "'http://127.0.0.1:1'") != NULL);
	free(text);
}

static const struct conf_def worker_defs[] = {
	{ .key = "connectors.dir", .type = CONF_STRING, .def = "/etc/slog/connect.d" },
	{ .key = "offset.storage.topic", .type = CONF_STRING, .def = "__connect_offsets" },
};

int main(void)
{
	struct err e = { 0 };
	struct rest_server *s;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	fake.state[0] = fake.state[1] = "RUNNING";
	metrics_init(&fake.m);
	conf_init(&fake.wc.conf, worker_defs, 2, &e);
	fake.wc.brokers = (char *)"127.0.0.1:1";
	s = rest_start(&fake, "http://127.0.0.1:0", &e);
	if (!s) {
		unit_diag("rest_start: %s", e.msg);
		return 1;
	}
	snprintf(base, sizeof(base), "http://127.0.0.1:%d", rest_port(s));
	unit_run("status and info have Connect's shapes", test_status_and_info_have_connects_shapes);
	unit_run("unknown things answer 404 in Connect's error body",
		 test_unknown_things_answer_404_in_connects_error_body);
	unit_run("controls reach the worker with Connect's statuses",
		 test_controls_reach_the_worker_with_connects_statuses);
	unit_run("changes answer 405 naming the file", test_changes_answer_405_naming_the_file);
	unit_run("readyz waits for every connector", test_readyz_waits_for_every_connector);
	unit_run("metrics group each metric under its help",
		 test_metrics_group_each_metric_under_its_help);
	unit_run("offsets change only when stopped", test_offsets_change_only_when_stopped);
	unit_run("plugins list each class by its Java name",
		 test_plugins_list_each_class_by_its_java_name);
	unit_run("a bad or taken listener is refused", test_a_bad_or_taken_listener_is_refused);
	unit_run("the control commands print tables and wait",
		 test_the_control_commands_print_tables_and_wait);
	unit_run("the control commands fail clearly", test_the_control_commands_fail_clearly);
	rest_stop(s);
	metrics_destroy(&fake.m);
	conf_free(&fake.wc.conf);
	curl_global_cleanup();
	return unit_done();
}
