/*
 * group_show.c: the commands of slog-groups that show: list and
 * describe.  Text for people (aligned tables), --json for programs (the
 * broker's own JSON, one document on one line).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "cli.h"
#include "groups_cmd.h"
#include "table.h"

int cmd_list(struct cluster *cl, const struct groups_opts *o)
{
	json_t *resp, *g, *kept = json_array();
	struct err e;
	size_t i;

	if (http_json(&cl->boot, "GET", "/v1/groups", NULL, o->deadline_ms, &resp, &e)) {
		cli_error("cannot list groups: %s", e.msg);
		json_decref(kept);
		return 1;
	}
	json_array_foreach(json_object_get(resp, "groups"), i, g) {
		const char *state = json_string_value(json_object_get(g, "state"));
		if (!o->state || (state && strcasecmp(state, o->state) == 0))
			json_array_append(kept, g);
	}
	json_decref(resp);
	if (o->json) {
		cli_print_json(json_pack("{s:o}", "groups", kept));
		return 0;
	}
	json_array_foreach(kept, i, g)
		printf("%s\n", json_string_value(json_object_get(g, "group")));
	json_decref(kept);
	return 0;
}

/* A number, or "-" for null. */
static const char *num(char *out, size_t size, json_t *v)
{
	if (!json_is_integer(v))
		snprintf(out, size, "-");
	else
		snprintf(out, size, "%lld", (long long)json_integer_value(v));
	return out;
}

static const char *str(json_t *v)
{
	return json_is_string(v) ? json_string_value(v) : "-";
}

/* [{"topic":"t","partitions":[0,1]}] as "t:0,1 u:3". */
static void assignment_text(struct buf *b, json_t *a)
{
	json_t *item, *p;
	size_t i, k;

	json_array_foreach(a, i, item) {
		buf_addf(b, "%s%s:", i ? " " : "", str(json_object_get(item, "topic")));
		json_array_foreach(json_object_get(item, "partitions"), k, p)
			buf_addf(b, "%s%lld", k ? "," : "", (long long)json_integer_value(p));
	}
	if (b->len == 0)
		buf_adds(b, "-");
}

static void print_group(json_t *g)
{
	json_t *coord = json_object_get(g, "coordinator"), *p, *m;
	struct table tab;
	size_t i;

	printf("Group: %s  State: %s  Members: %zu  Coordinator: %lld (%s:%lld)  Epoch: %lld  "
	       "Total lag: %lld\n",
	       str(json_object_get(g, "group")), str(json_object_get(g, "state")),
	       json_array_size(json_object_get(g, "members")),
	       (long long)json_integer_value(json_object_get(coord, "node_id")),
	       str(json_object_get(coord, "host")),
	       (long long)json_integer_value(json_object_get(coord, "port")),
	       (long long)json_integer_value(json_object_get(g, "group_epoch")),
	       (long long)json_integer_value(json_object_get(g, "lag")));
	table_init(&tab, "TOPIC", "PARTITION", "CURRENT-OFFSET", "LOG-START-OFFSET", "LOG-END-OFFSET",
		   "LAG", "MEMBER-ID", "CLIENT-ID", NULL);
	tab.indent = "  ";
	json_array_foreach(json_object_get(g, "partitions"), i, p) {
		char a[32], b[32], c[32], d[32], f[32];
		table_row(&tab, str(json_object_get(p, "topic")),
			  num(a, sizeof(a), json_object_get(p, "partition")),
			  num(b, sizeof(b), json_object_get(p, "offset")),
			  num(c, sizeof(c), json_object_get(p, "log_start_offset")),
			  num(d, sizeof(d), json_object_get(p, "log_end_offset")),
			  num(f, sizeof(f), json_object_get(p, "lag")), str(json_object_get(p, "member_id")),
			  str(json_object_get(p, "client_id")), NULL);
	}
	table_print(&tab, stdout);
	table_free(&tab);
	if (json_array_size(json_object_get(g, "members")) == 0)
		return;
	printf("  Members:\n");
	table_init(&tab, "MEMBER-ID", "EPOCH", "CLIENT-ID", "HOST", "SESSION-MS", "ASSIGNMENT", NULL);
	tab.indent = "    ";
	json_array_foreach(json_object_get(g, "members"), i, m) {
		struct buf assigned = BUF_INIT;
		char a[32], b[32];
		assignment_text(&assigned, json_object_get(m, "assignment"));
		table_row(&tab, str(json_object_get(m, "member_id")),
			  num(a, sizeof(a), json_object_get(m, "member_epoch")),
			  str(json_object_get(m, "client_id")), str(json_object_get(m, "host")),
			  num(b, sizeof(b), json_object_get(m, "session_timeout_ms")), assigned.data, NULL);
		buf_free(&assigned);
	}
	table_print(&tab, stdout);
	table_free(&tab);
}

int cmd_describe(struct cluster *cl, const struct groups_opts *o, char **groups, int n)
{
	json_t *all = json_array(), *g;
	int status = 0;
	struct err e;
	size_t i;

	for (int k = 0; k < n; k++) {
		if (cluster_group_json(cl, "GET", groups[k], "", NULL, o->deadline_ms, &g, &e)) {
			cli_error("cannot describe group '%s': %s", groups[k], e.msg);
			status = 1;
			continue;
		}
		if (o->max_lag >= 0 && json_integer_value(json_object_get(g, "lag")) > o->max_lag) {
			cli_error("group '%s' lags by %lld records, more than %lld", groups[k],
				  (long long)json_integer_value(json_object_get(g, "lag")),
				  (long long)o->max_lag);
			status = 1;
		}
		json_array_append_new(all, g);
	}
	if (o->json) {
		cli_print_json(json_pack("{s:o}", "groups", all));
		return status;
	}
	json_array_foreach(all, i, g) {
		if (i)
			printf("\n");
		print_group(g);
	}
	json_decref(all);
	return status;
}
