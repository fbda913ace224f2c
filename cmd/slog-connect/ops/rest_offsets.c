/*
 * rest_offsets.c: a connector's offsets over REST (rest_offsets.h).
 *
 * Sources read and write the offset topic through offset_store.h, the
 * same code their tasks use, so what GET shows is what a task would
 * resume from.  Sinks' progress is their group's commits: the broker's
 * group calls read them, an administrative commit sets them (accepted
 * only while the group has no members, which a STOPPED connector's
 * group has not) and deleting the group resets them.
 */
#include "ops/rest_offsets.h"

#include <string.h>

#include "clock.h"
#include "cluster_client.h"
#include "http_client.h"
#include "ops/http_serve.h"
#include "runtime/connector_conf.h"
#include "runtime/offset_store.h"
#include "runtime/worker.h"

#define OFFSETS_DEADLINE_MS 15000

struct offsets_call {
	struct worker *w;
	struct http_req *r;
	const char *name;
	int sink;
	char group[300];
	int64_t deadline;
};

static void answer_err(struct http_req *r, int rc, const struct err *e)
{
	http_reply_error(r, err_http_status(rc), "%s", e->msg);
}

static int open_store(struct offsets_call *c, struct offset_store **s, struct err *e)
{
	const struct worker_conf *wc = worker_conf(c->w);
	const char *topic = conf_get_str(&wc->conf, "offset.storage.topic");
	return offset_store_open(wc->brokers, topic ? topic : "__connect_offsets", c->name,
				 c->deadline, s, e);
}

/* The group's commits in Connect's sink shape. */
static int sink_offsets(struct offsets_call *c, json_t **out, struct err *e)
{
	struct cluster cl;
	json_t *ans = NULL, *o;
	size_t i;
	int rc = cluster_connect(&cl, worker_conf(c->w)->brokers, c->deadline, e);

	if (!rc)
		rc = cluster_group_json(&cl, "GET", c->group, "/offsets", NULL, c->deadline, &ans, e);
	if (!rc) {
		*out = json_array();
		json_array_foreach(json_object_get(ans, "offsets"), i, o)
			json_array_append_new(*out, json_pack("{s:{s:O, s:O}, s:{s:O}}", "partition",
						"kafka_topic", json_object_get(o, "topic"),
						"kafka_partition", json_object_get(o, "partition"),
						"offset", "kafka_offset", json_object_get(o, "offset")));
	}
	json_decref(ans);
	cluster_close(&cl);
	return rc;
}

static void get_offsets(struct offsets_call *c)
{
	struct err e = { 0 };
	struct offset_store *s;
	json_t *list = NULL;
	int rc;

	if (c->sink) {
		rc = sink_offsets(c, &list, &e);
	} else {
		rc = open_store(c, &s, &e);
		if (!rc) {
			list = offset_store_list(s);
			offset_store_close(s);
		}
	}
	if (rc)
		answer_err(c->r, rc, &e);
	else
		http_reply_json(c->r, 200, json_pack("{s:o}", "offsets", list));
}

/* A sink's changes: commits for the offsets given, deletions for nulls. */
static int alter_sink(struct offsets_call *c, json_t *offsets, struct err *e)
{
	struct cluster cl;
	json_t *commits = json_array(), *o;
	size_t i;
	int rc = cluster_connect(&cl, worker_conf(c->w)->brokers, c->deadline, e);

	json_array_foreach(offsets, i, o) {
		json_t *p = json_object_get(o, "partition");
		json_t *t = json_object_get(p, "kafka_topic"), *n = json_object_get(p, "kafka_partition");
		json_t *off = json_object_get(json_object_get(o, "offset"), "kafka_offset");
		if (rc)
			break;
		if (!json_is_string(t) || !json_is_integer(n)) {
			rc = err_set(e, SLOG_EINVALID_REQUEST, "offsets[%zu]: a sink's partition is "
				     "{\"kafka_topic\":...,\"kafka_partition\":...}", i);
		} else if (json_is_integer(off)) {
			json_array_append_new(commits, json_pack("{s:O, s:O, s:O}", "topic", t,
								 "partition", n, "offset", off));
		} else {
			struct buf suffix = BUF_INIT;
			buf_adds(&suffix, "/offsets?topic=");
			http_escape(&suffix, json_string_value(t));
			buf_addf(&suffix, "&partitions=%lld", (long long)json_integer_value(n));
			rc = cluster_group_json(&cl, "DELETE", c->group, buf_cstr(&suffix), NULL,
						c->deadline, NULL, e);
			buf_free(&suffix);
			if (rc == SLOG_EGROUP_ID_NOT_FOUND)
				rc = 0;
		}
	}
	if (!rc && json_array_size(commits))
		rc = cluster_group_json(&cl, "POST", c->group, "/offsets",
					json_pack("{s:O}", "offsets", commits), c->deadline, NULL, e);
	json_decref(commits);
	cluster_close(&cl);
	return rc;
}

static int alter_source(struct offsets_call *c, json_t *offsets, struct err *e)
{
	struct offset_store *s;
	json_t *o;
	size_t i;
	int rc = open_store(c, &s, e);

	if (rc)
		return rc;
	json_array_foreach(offsets, i, o) {
		json_t *p = json_object_get(o, "partition"), *off = json_object_get(o, "offset");
		if (!json_is_object(p) || !(json_is_object(off) || json_is_null(off) || !off)) {
			rc = err_set(e, SLOG_EINVALID_REQUEST, "offsets[%zu]: each entry is "
				     "{\"partition\":{...},\"offset\":{...} or null}", i);
			break;
		}
		offset_store_put(s, p, json_is_object(off) ? json_incref(off) : NULL);
	}
	if (!rc)
		rc = offset_store_flush(s, c->deadline, e);
	offset_store_close(s);
	return rc;
}

static int reset_offsets(struct offsets_call *c, struct err *e)
{
	struct offset_store *s;
	struct cluster cl;
	int rc;

	if (c->sink) {
		rc = cluster_connect(&cl, worker_conf(c->w)->brokers, c->deadline, e);
		if (!rc)
			rc = cluster_group_json(&cl, "DELETE", c->group, "", NULL, c->deadline, NULL, e);
		cluster_close(&cl);
		return rc == SLOG_EGROUP_ID_NOT_FOUND ? 0 : rc;
	}
	rc = open_store(c, &s, e);
	if (rc)
		return rc;
	offset_store_reset(s);
	rc = offset_store_flush(s, c->deadline, e);
	offset_store_close(s);
	return rc;
}

static void change_offsets(struct offsets_call *c, int reset)
{
	struct err e = { 0 };
	json_t *body = NULL, *offsets = NULL;
	int rc;

	if (!reset) {
		body = json_loadb(c->r->body.data ? c->r->body.data : "", c->r->body.len, 0, NULL);
		offsets = json_object_get(body, "offsets");
		if (!json_is_array(offsets)) {
			http_reply_error(c->r, 400, "the body must be {\"offsets\":[{\"partition\":{...},"
				   "\"offset\":{...}},...]}");
			json_decref(body);
			return;
		}
		rc = c->sink ? alter_sink(c, offsets, &e) : alter_source(c, offsets, &e);
	} else {
		rc = reset_offsets(c, &e);
	}
	json_decref(body);
	if (rc)
		answer_err(c->r, rc, &e);
	else
		http_reply_json(c->r, 200, json_pack("{s:s}", "message",
			reset ? "The offsets for this connector have been reset successfully"
			      : "The offsets for this connector have been altered successfully"));
}

void rest_offsets(struct worker *w, struct http_req *r, const char *name)
{
	struct offsets_call c = { .w = w, .r = r, .name = name };
	const char *m = r->method;
	json_t *st;

	if (strcmp(m, "GET") && strcmp(m, "PATCH") && strcmp(m, "DELETE")) {
		http_reply_error(r, 405, "HTTP 405 Method Not Allowed: %s %s", m, r->path);
		return;
	}
	st = rest_found(worker_status(w, name));
	if (!st) {
		http_reply_error(r, 404, "Connector %s not found", name);
		return;
	}
	const char *type = json_string_value(json_object_get(st, "type"));
	c.sink = type && strcmp(type, "sink") == 0;
	snprintf(c.group, sizeof(c.group), "connect-%s", name);
	c.deadline = clock_mono_ms() + OFFSETS_DEADLINE_MS;
	const char *state = json_string_value(json_object_get(json_object_get(st, "connector"), "state"));
	if (strcmp(m, "GET") == 0)
		get_offsets(&c);
	else if (!state || strcmp(state, "STOPPED") != 0)
		http_reply_error(r, 400, "connector %s is %s: its offsets change only while it is STOPPED "
			   "(PUT /connectors/%s/stop first)", name, state ? state : "not stopped", name);
	else
		change_offsets(&c, strcmp(m, "DELETE") == 0);
	json_decref(st);
}
