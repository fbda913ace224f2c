/*
 * topic_show.c: the commands of slog-topics that show: list, describe,
 * offsets.  Text for people (aligned tables), --format json for programs
 * (the broker's own JSON, one document on one line).
 *
 * In a cluster any broker describes every topic from its metadata, but
 * only a partition's leader knows its offsets and size: a description
 * takes those from each leader in turn (topic_get), and list offsets
 * asks each partition's leader.
 */
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "topics_cmd.h"
#include "units.h"
#include "table.h"

/* GET path from the broker at url, on a connection of its own. */
static int get_from(const char *url, const char *path, int64_t deadline_ms, json_t **out,
		    struct err *e)
{
	struct http_client c;
	int rc = http_client_init(&c, url, e);

	if (!rc)
		rc = http_json(&c, "GET", path, NULL, deadline_ms, out, e);
	http_client_free(&c);
	return rc;
}

/* The fields only a partition's leader knows. */
static const char *const leader_fields[] = { "log_start_offset", "high_watermark",
					     "log_end_offset", "size_bytes", "offline", NULL };

/* Copy the leader's fields of d's partitions into t's that lack them. */
static void merge_offsets(json_t *t, json_t *d)
{
	json_t *parts = json_object_get(t, "partitions"), *dp;
	size_t i;

	json_array_foreach(json_object_get(d, "partitions"), i, dp) {
		json_int_t n = json_integer_value(json_object_get(dp, "partition"));
		json_t *p = json_array_get(parts, (size_t)n);

		if (!p || json_object_get(p, "high_watermark") || !json_object_get(dp, "high_watermark"))
			continue;
		for (const char *const *k = leader_fields; *k; k++)
			if (json_object_get(dp, *k))
				json_object_set(p, *k, json_object_get(dp, *k));
	}
}

/*
 * A broker describes the offsets of the partitions it leads only: ask
 * each other leader for its own, once.  A leader that does not answer
 * leaves its partitions without offsets (shown as "-").
 */
static void offsets_from_leaders(const struct topics_opts *o, const char *path, json_t *t)
{
	json_t *asked = json_object(), *p;
	size_t i;

	json_array_foreach(json_object_get(t, "partitions"), i, p) {
		const char *url = json_string_value(json_object_get(p, "leader_url"));
		json_t *d;

		if (json_object_get(p, "high_watermark") || !url || json_object_get(asked, url))
			continue;
		json_object_set_new(asked, url, json_true());
		if (get_from(url, path, o->deadline_ms, &d, NULL) == 0) {
			merge_offsets(t, d);
			json_decref(d);
		}
	}
	json_decref(asked);
}

int topic_get(struct cluster *cl, const struct topics_opts *o, const char *name, json_t **out,
	      struct err *e)
{
	struct buf path = BUF_INIT;
	int rc;

	buf_adds(&path, "/v1/topics/");
	http_escape(&path, name);
	rc = cluster_json(cl, "GET", path.data, NULL, o->deadline_ms, out, e);
	if (!rc)
		offsets_from_leaders(o, path.data, *out);
	buf_free(&path);
	return rc;
}

void topic_totals(json_t *t, int64_t *records, int64_t *bytes)
{
	json_t *p;
	size_t i;

	*records = *bytes = 0;
	json_array_foreach(json_object_get(t, "partitions"), i, p) {
		/* Below the high watermark; compaction may have removed some. */
		*records += json_integer_value(json_object_get(p, "high_watermark")) -
			    json_integer_value(json_object_get(p, "log_start_offset"));
		*bytes += json_integer_value(json_object_get(p, "size_bytes"));
	}
}

const char *topic_config_value(json_t *t, const char *key)
{
	json_t *c;
	size_t i;

	json_array_foreach(json_object_get(t, "configs"), i, c)
		if (strcmp(json_string_value(json_object_get(c, "name")), key) == 0)
			return json_string_value(json_object_get(c, "value"));
	return NULL;
}

/* list -l's line of one topic, from its description. */
static json_t *long_entry(json_t *t)
{
	int64_t records, bytes;
	const char *policy = topic_config_value(t, "cleanup.policy");

	topic_totals(t, &records, &bytes);
	return json_pack("{s:O, s:O, s:O, s:I, s:O, s:I, s:I, s:s}", "name",
			 json_object_get(t, "name"), "id", json_object_get(t, "id"), "internal",
			 json_object_get(t, "internal"), "partitions",
			 (json_int_t)json_array_size(json_object_get(t, "partitions")),
			 "replication_factor", json_object_get(t, "replication_factor"), "records",
			 (json_int_t)records, "size_bytes", (json_int_t)bytes, "cleanup_policy",
			 policy ? policy : "");
}

static void print_long(json_t *topics)
{
	struct table tab;
	json_t *t;
	size_t i;

	table_init(&tab, "NAME", "PARTITIONS", "REPLICAS", "RECORDS", "SIZE", "CLEANUP-POLICY", NULL);
	json_array_foreach(topics, i, t) {
		char c[4][32];
		snprintf(c[0], 32, "%lld", json_integer_value(json_object_get(t, "partitions")));
		snprintf(c[1], 32, "%lld",
			 json_integer_value(json_object_get(t, "replication_factor")));
		snprintf(c[2], 32, "%lld", json_integer_value(json_object_get(t, "records")));
		units_format_bytes(c[3], 32, json_integer_value(json_object_get(t, "size_bytes")));
		table_row(&tab, json_string_value(json_object_get(t, "name")), c[0], c[1], c[2], c[3],
			  json_string_value(json_object_get(t, "cleanup_policy")), NULL);
	}
	table_print(&tab, stdout);
	table_free(&tab);
}

/*
 * The topics of the listing that -r keeps; with -l, each described in
 * full (a topic deleted since the listing is simply gone).
 */
static json_t *list_select(struct cluster *cl, const struct topics_opts *o, json_t *listed,
			   int *status)
{
	json_t *kept = json_array(), *t;
	size_t i;

	json_array_foreach(listed, i, t) {
		const char *name = json_string_value(json_object_get(t, "name"));
		json_t *d;
		struct err e;

		if (o->re && regexec(o->re, name, 0, NULL, 0) != 0)
			continue;
		if (!o->long_list) {
			json_array_append(kept, t);
		} else if (topic_get(cl, o, name, &d, &e) == 0) {
			json_array_append_new(kept, long_entry(d));
			json_decref(d);
		} else if (e.code != SLOG_EUNKNOWN_TOPIC_OR_PARTITION) {
			cli_error("cannot describe topic '%s': %s", name, e.msg);
			*status = 1;
		}
	}
	return kept;
}

int cmd_list(struct cluster *cl, const struct topics_opts *o)
{
	json_t *resp, *kept, *t;
	int status = 0;
	struct err e;
	size_t i;

	if (cluster_json(cl, "GET", "/v1/topics", NULL, o->deadline_ms, &resp, &e)) {
		cli_error("cannot list topics: %s", e.msg);
		return 1;
	}
	kept = list_select(cl, o, json_object_get(resp, "topics"), &status);
	json_decref(resp);
	if (o->format == FORMAT_JSON) {
		cli_print_json(json_pack("{s:o}", "topics", kept));
		return status;
	}
	if (o->long_list)
		print_long(kept);
	else
		json_array_foreach(kept, i, t)
			printf("%s\n", json_string_value(json_object_get(t, "name")));
	json_decref(kept);
	return status;
}

/* A number, or "-" when the description has none (an unknown offset). */
static const char *num(char *out, size_t size, json_t *v)
{
	if (!json_is_integer(v))
		snprintf(out, size, "-");
	else
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

/* Under the table, a partition's move in progress, its eligible leader
 * replicas (KIP-966) and its offline replicas, as Kafka's describe adds
 * them. */
static void print_moves(json_t *p)
{
	json_t *adding = json_object_get(p, "adding"), *removing = json_object_get(p, "removing");
	json_t *elr = json_object_get(p, "elr"), *off = json_object_get(p, "offline_replicas");
	char a[256], r[256];
	long long n = (long long)json_integer_value(json_object_get(p, "partition"));

	if (json_array_size(adding) || json_array_size(removing))
		printf("  Partition %lld is moving: adding %s, removing %s\n", n,
		       json_array_size(adding) ? int_list(a, sizeof(a), adding) : "none",
		       json_array_size(removing) ? int_list(r, sizeof(r), removing) : "none");
	if (json_array_size(elr))
		printf("  Partition %lld eligible leaders (ELR): %s\n", n, int_list(a, sizeof(a), elr));
	if (json_array_size(off))
		printf("  Partition %lld offline replicas (log dir failed): %s\n", n,
		       int_list(a, sizeof(a), off));
}

static void print_partitions(json_t *parts)
{
	struct table tab;
	json_t *p;
	size_t i;

	table_init(&tab, "PARTITION", "LEADER", "EPOCH", "REPLICAS", "ISR", "LOG-START",
		   "HIGH-WATERMARK", "SIZE", NULL);
	tab.indent = "  ";
	json_array_foreach(parts, i, p) {
		char a[32], b[32], c[32], d[256], e[256], f[32], g[32], h[32];
		json_t *size = json_object_get(p, "size_bytes");
		if (json_is_integer(size))
			units_format_bytes(h, sizeof(h), json_integer_value(size));
		else
			snprintf(h, sizeof(h), "-");
		table_row(&tab, num(a, sizeof(a), json_object_get(p, "partition")),
			  num(b, sizeof(b), json_object_get(p, "leader")),
			  num(c, sizeof(c), json_object_get(p, "leader_epoch")),
			  int_list(d, sizeof(d), json_object_get(p, "replicas")),
			  int_list(e, sizeof(e), json_object_get(p, "isr")),
			  num(f, sizeof(f), json_object_get(p, "log_start_offset")),
			  num(g, sizeof(g), json_object_get(p, "high_watermark")), h, NULL);
	}
	table_print(&tab, stdout);
	table_free(&tab);
	json_array_foreach(parts, i, p)
		print_moves(p);
}

/*
 * A description.  Filtered by health, it has only the partitions or the
 * configs that match, or neither: the header then gives no count.
 */
static void print_topic(json_t *t, int filtered)
{
	struct table tab;
	json_t *c;
	size_t i;

	printf("Topic: %s  Id: %s", json_string_value(json_object_get(t, "name")),
	       json_string_value(json_object_get(t, "id")));
	if (!filtered)
		printf("  Partitions: %zu", json_array_size(json_object_get(t, "partitions")));
	printf("  Replication factor: %lld%s\n",
	       (long long)json_integer_value(json_object_get(t, "replication_factor")),
	       json_is_true(json_object_get(t, "internal")) ? "  (internal)" : "");
	if (json_object_get(t, "partitions"))
		print_partitions(json_object_get(t, "partitions"));
	if (!json_object_get(t, "configs"))
		return;
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

/* The descriptions of the topics named, or of every topic when n is 0. */
static json_t *describe_all(struct cluster *cl, const struct topics_opts *o, char **names, int n,
			    int *status)
{
	json_t *all = json_array(), *list = NULL, *t, *d;
	struct err e;
	size_t i;

	if (n == 0) {
		if (cluster_json(cl, "GET", "/v1/topics", NULL, o->deadline_ms, &list, &e)) {
			cli_error("cannot list topics: %s", e.msg);
			*status = 1;
			return all;
		}
		json_array_foreach(json_object_get(list, "topics"), i, t) {
			const char *name = json_string_value(json_object_get(t, "name"));
			if (topic_get(cl, o, name, &d, &e) == 0) {
				json_array_append_new(all, d);
			} else if (e.code != SLOG_EUNKNOWN_TOPIC_OR_PARTITION) {
				/* (A topic deleted since the listing is simply gone.) */
				cli_error("cannot describe topic '%s': %s", name, e.msg);
				*status = 1;
			}
		}
		json_decref(list);
	}
	for (int k = 0; k < n; k++) {
		if (topic_get(cl, o, names[k], &d, &e)) {
			cli_error("cannot describe topic '%s': %s", names[k], e.msg);
			*status = 1;
			continue;
		}
		json_array_append_new(all, d);
	}
	return all;
}

int cmd_describe(struct cluster *cl, const struct topics_opts *o, char **names, int n)
{
	int status = 0;
	json_t *all = describe_all(cl, o, names, n, &status), *t;
	size_t i;

	if (o->health) {
		/* For cron and monitoring: anything shown is something wrong. */
		json_t *matched = topics_health_filter(all, o->health);
		json_decref(all);
		all = matched;
		if (json_array_size(all))
			status = 1;
	}
	if (o->format == FORMAT_JSON) {
		cli_print_json(json_pack("{s:o}", "topics", all));
		return status;
	}
	json_array_foreach(all, i, t) {
		if (i)
			printf("\n");
		print_topic(t, o->health != 0);
	}
	json_decref(all);
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
		char c[4][32], leader[300];
		for (int k = 0; k < (o->at ? 3 : 2); k++) {
			json_t *r;
			buf_reset(&path);
			buf_adds(&path, "/v1/topics/");
			http_escape(&path, name);
			buf_addf(&path, "/partitions/%d/offsets?at=", p);
			http_escape(&path, ats[k]);
			snprintf(leader, sizeof(leader), "%s", tm.leader[p]);
			if (cluster_partition_json(cl, name, p, leader, sizeof(leader), path.data,
						   o->deadline_ms, &r, &e)) {
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
	if (o->format == FORMAT_JSON)
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
