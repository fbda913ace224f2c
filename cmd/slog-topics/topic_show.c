/*
 * topic_show.c: the commands of slog-topics that show: list, describe,
 * offsets.  Text for people (aligned tables), --json for programs (the
 * broker's own JSON, one document on one line).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "topics_cmd.h"
#include "units.h"
#include "table.h"

int cmd_list(struct cluster *cl, const struct topics_opts *o)
{
	json_t *resp, *t;
	struct err e;
	size_t i;

	if (http_json(&cl->boot, "GET", "/v1/topics", NULL, o->deadline_ms, &resp, &e)) {
		cli_error("cannot list topics: %s", e.msg);
		return 1;
	}
	if (o->json) {
		cli_print_json(resp);
	} else {
		json_array_foreach(json_object_get(resp, "topics"), i, t)
			printf("%s\n", json_string_value(json_object_get(t, "name")));
		json_decref(resp);
	}
	return 0;
}

static const char *num(char *out, size_t size, json_t *v)
{
	snprintf(out, size, "%lld", (long long)json_integer_value(v));
	return out;
}

static const char *int_list(char *out, size_t size, json_t *arr)
{
	size_t i, n = 0;
	json_t *v;

	out[0] = '\0';
	json_array_foreach(arr, i, v)
		n += (size_t)snprintf(out + n, n < size ? size - n : 0, "%s%lld", i ? "," : "",
				      (long long)json_integer_value(v));
	return out;
}

static void print_topic(json_t *t)
{
	struct table tab;
	json_t *p, *c;
	size_t i;

	printf("Topic: %s  Id: %s  Partitions: %zu  Replication factor: %lld%s\n",
	       json_string_value(json_object_get(t, "name")), json_string_value(json_object_get(t, "id")),
	       json_array_size(json_object_get(t, "partitions")),
	       (long long)json_integer_value(json_object_get(t, "replication_factor")),
	       json_is_true(json_object_get(t, "internal")) ? "  (internal)" : "");
	table_init(&tab, "PARTITION", "LEADER", "EPOCH", "REPLICAS", "ISR", "LOG-START",
		   "HIGH-WATERMARK", "SIZE", NULL);
	tab.indent = "  ";
	json_array_foreach(json_object_get(t, "partitions"), i, p) {
		char a[32], b[32], c2[32], d[256], e2[256], f[32], g[32], h[32];
		units_format_bytes(h, sizeof(h), json_integer_value(json_object_get(p, "size_bytes")));
		table_row(&tab, num(a, sizeof(a), json_object_get(p, "partition")),
			  num(b, sizeof(b), json_object_get(p, "leader")),
			  num(c2, sizeof(c2), json_object_get(p, "leader_epoch")),
			  int_list(d, sizeof(d), json_object_get(p, "replicas")),
			  int_list(e2, sizeof(e2), json_object_get(p, "isr")),
			  num(f, sizeof(f), json_object_get(p, "log_start_offset")),
			  num(g, sizeof(g), json_object_get(p, "high_watermark")), h, NULL);
	}
	table_print(&tab, stdout);
	table_free(&tab);
	printf("  Configs:\n");
	table_init(&tab, "NAME", "VALUE", "SOURCE", NULL);
	tab.indent = "    ";
	json_array_foreach(json_object_get(t, "configs"), i, c)
		table_row(&tab, json_string_value(json_object_get(c, "name")),
			  json_string_value(json_object_get(c, "value")),
			  json_string_value(json_object_get(c, "source")), NULL);
	table_print(&tab, stdout);
	table_free(&tab);
}

int cmd_describe(struct cluster *cl, const struct topics_opts *o, char **names, int n)
{
	json_t *all = json_array(), *list = NULL;
	struct buf path = BUF_INIT;
	int status = 0;
	struct err e;

	if (n == 0) {
		/* Every topic. */
		json_t *t;
		size_t i;
		if (http_json(&cl->boot, "GET", "/v1/topics", NULL, o->deadline_ms, &list, &e)) {
			cli_error("cannot list topics: %s", e.msg);
			json_decref(all);
			return 1;
		}
		json_array_foreach(json_object_get(list, "topics"), i, t) {
			json_t *d;
			buf_reset(&path);
			buf_adds(&path, "/v1/topics/");
			http_escape(&path, json_string_value(json_object_get(t, "name")));
			if (http_json(&cl->boot, "GET", path.data, NULL, o->deadline_ms, &d, &e) == 0) {
				json_array_append_new(all, d);
			} else if (e.code != SLOG_EUNKNOWN_TOPIC_OR_PARTITION) {
				/* (A topic deleted since the listing is simply gone.) */
				cli_error("cannot describe topic '%s': %s",
					  json_string_value(json_object_get(t, "name")), e.msg);
				status = 1;
			}
		}
	}
	for (int i = 0; i < n; i++) {
		json_t *d;
		buf_reset(&path);
		buf_adds(&path, "/v1/topics/");
		http_escape(&path, names[i]);
		if (http_json(&cl->boot, "GET", path.data, NULL, o->deadline_ms, &d, &e)) {
			cli_error("cannot describe topic '%s': %s", names[i], e.msg);
			status = 1;
			continue;
		}
		json_array_append_new(all, d);
	}
	if (o->json) {
		cli_print_json(json_pack("{s:O}", "topics", all));
	} else {
		json_t *t;
		size_t i;
		json_array_foreach(all, i, t) {
			if (i)
				printf("\n");
			print_topic(t);
		}
	}
	json_decref(all);
	json_decref(list);
	buf_free(&path);
	return status;
}

int cmd_offsets(struct cluster *cl, const struct topics_opts *o, const char *name)
{
	struct topic_meta tm;
	struct buf path = BUF_INIT;
	json_t *out = json_array();
	struct table tab;
	struct err e;
	int status = 0;

	if (cluster_topic(cl, name, 0, o->deadline_ms, &tm, &e)) {
		cli_error("%s", e.msg);
		json_decref(out);
		return 1;
	}
	table_init(&tab, "PARTITION", "EARLIEST", "LATEST", o->at ? "AT" : NULL, NULL);
	for (int32_t p = 0; p < tm.partitions; p++) {
		const char *ats[3] = { "earliest", "latest", o->at };
		json_int_t v[3] = { -1, -1, -1 };
		char c[4][32];
		for (int k = 0; k < (o->at ? 3 : 2); k++) {
			json_t *r;
			buf_reset(&path);
			buf_adds(&path, "/v1/topics/");
			http_escape(&path, name);
			buf_addf(&path, "/partitions/%d/offsets?at=", p);
			http_escape(&path, ats[k]);
			if (http_json(&cl->boot, "GET", path.data, NULL, o->deadline_ms, &r, &e)) {
				cli_error("%s-%d: %s", name, p, e.msg);
				status = 1;
				continue;
			}
			v[k] = json_integer_value(json_object_get(r, "offset"));
			json_decref(r);
		}
		json_array_append_new(out, json_pack("{s:i, s:I, s:I}", "partition", p, "earliest", v[0],
						     "latest", v[1]));
		if (o->at)
			json_object_set_new(json_array_get(out, (size_t)p), "at", json_integer(v[2]));
		snprintf(c[0], 32, "%d", p);
		snprintf(c[1], 32, "%lld", (long long)v[0]);
		snprintf(c[2], 32, "%lld", (long long)v[1]);
		snprintf(c[3], 32, "%lld", (long long)v[2]);
		table_row(&tab, c[0], c[1], c[2], c[3], NULL);
	}
	if (o->json)
		cli_print_json(json_pack("{s:s, s:o}", "topic", name, "partitions", out));
	else {
		table_print(&tab, stdout);
		json_decref(out);
	}
	table_free(&tab);
	topic_meta_free(&tm);
	buf_free(&path);
	return status;
}
