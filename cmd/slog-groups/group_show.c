/*
 * group_show.c: the commands of slog-groups that show: list and
 * describe.  Text for people (aligned tables), --json for programs (the
 * broker's own JSON, one document on one line).
 *
 * A partition the group has no committed offset for has no lag anyone
 * knows: the consumer may start from the beginning or the end.  The total
 * is then "unknown" with the known part as a lower bound, and --max-lag
 * fails, since a monitor that passed such a group would pass one that
 * has read nothing.
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

	if (cluster_groups(cl, o->deadline_ms, &resp, &e)) {
		cli_error("cannot list groups: %s", e.msg);
		json_decref(kept);
		return 1;
	}
	json_array_foreach(resp, i, g) {
		const char *state = json_string_value(json_object_get(g, "state"));
		if (!o->state || (state && strcasecmp(state, o->state) == 0))
			json_array_append(kept, g);
	}
	json_decref(resp);
	if (o->format == FORMAT_JSON) {
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

/* "12", or "unknown (at least 4; no lag known for 1 partition)". */
static const char *total_lag(char *out, size_t size, json_t *g)
{
	json_t *lag = json_object_get(g, "lag");
	long long unknown = json_integer_value(json_object_get(g, "unknown_lag_partitions"));

	if (json_is_integer(lag))
		snprintf(out, size, "%lld", (long long)json_integer_value(lag));
	else
		snprintf(out, size, "unknown (at least %lld; no lag known for %lld partition%s)",
			 (long long)json_integer_value(json_object_get(g, "known_lag")), unknown,
			 unknown == 1 ? "" : "s");
	return out;
}

static void print_group(json_t *g)
{
	json_t *coord = json_object_get(g, "coordinator"), *p, *m;
	struct table tab;
	char lag[128];
	size_t i;

	printf("Group: %s  State: %s  Members: %zu  Coordinator: %lld (%s:%lld)  Epoch: %lld  "
	       "Total lag: %s\n",
	       str(json_object_get(g, "group")), str(json_object_get(g, "state")),
	       json_array_size(json_object_get(g, "members")),
	       (long long)json_integer_value(json_object_get(coord, "node_id")),
	       str(json_object_get(coord, "host")),
	       (long long)json_integer_value(json_object_get(coord, "port")),
	       (long long)json_integer_value(json_object_get(g, "group_epoch")),
	       total_lag(lag, sizeof(lag), g));
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

/* Members only (--members): one table over every group. */
static void print_members(json_t *all)
{
	struct table tab;
	json_t *g, *m, *a;
	size_t i, k, j;

	table_init(&tab, "GROUP", "MEMBER-ID", "EPOCH", "CLIENT-ID", "HOST", "PARTITIONS",
		   "ASSIGNMENT", NULL);
	json_array_foreach(all, i, g) {
		json_array_foreach(json_object_get(g, "members"), k, m) {
			struct buf assigned = BUF_INIT;
			size_t count = 0;
			char e[32], c[32];
			json_array_foreach(json_object_get(m, "assignment"), j, a)
				count += json_array_size(json_object_get(a, "partitions"));
			snprintf(c, sizeof(c), "%zu", count);
			assignment_text(&assigned, json_object_get(m, "assignment"));
			table_row(&tab, str(json_object_get(g, "group")), str(json_object_get(m, "member_id")),
				  num(e, sizeof(e), json_object_get(m, "member_epoch")),
				  str(json_object_get(m, "client_id")), str(json_object_get(m, "host")), c,
				  assigned.data, NULL);
			buf_free(&assigned);
		}
	}
	table_print(&tab, stdout);
	table_free(&tab);
}

/* --max-lag: 0, or 1 (said on stderr) when the lag is above max or unknown. */
static int check_lag(const char *group, json_t *g, int64_t max)
{
	struct buf none = BUF_INIT, gone = BUF_INIT;
	int64_t known = json_integer_value(json_object_get(g, "known_lag"));
	int unknown = !json_is_integer(json_object_get(g, "lag")), status = 0;
	json_t *p;
	size_t i;

	json_array_foreach(json_object_get(g, "partitions"), i, p) {
		struct buf *b = json_is_integer(json_object_get(p, "offset")) ? &gone : &none;
		if (json_is_integer(json_object_get(p, "lag")))
			continue;
		buf_addf(b, "%s%s-%lld", b->len ? ", " : "", str(json_object_get(p, "topic")),
			 (long long)json_integer_value(json_object_get(p, "partition")));
	}
	if (!unknown)
		known = json_integer_value(json_object_get(g, "lag"));
	if (none.len)
		cli_error("group '%s' has no committed offset for %s: its lag there is unknown", group,
			  none.data);
	if (gone.len)
		cli_error("group '%s' has offsets for %s, which no longer exist: its lag there is "
			  "unknown", group, gone.data);
	if (known > max)
		cli_error("group '%s' lags by %s%lld records, more than %lld", group,
			  unknown ? "at least " : "", (long long)known, (long long)max);
	if (unknown || known > max)
		status = 1;
	buf_free(&none);
	buf_free(&gone);
	return status;
}

/* --lag-only: drop the partitions whose lag is known to be 0. */
static void keep_lagging(json_t *g)
{
	json_t *kept = json_array(), *p, *lag;
	size_t i;

	json_array_foreach(json_object_get(g, "partitions"), i, p) {
		lag = json_object_get(p, "lag");
		if (!json_is_integer(lag) || json_integer_value(lag) > 0)
			json_array_append(kept, p);
	}
	json_object_set_new(g, "partitions", kept);
}

/* --members: only the group's id and members. */
static json_t *members_of(json_t *g)
{
	return json_pack("{s:O, s:O}", "group", json_object_get(g, "group"), "members",
			 json_object_get(g, "members"));
}

/* Every group's id, for describe without one; NULL (said) when the list failed. */
static json_t *every_group(struct cluster *cl, const struct groups_opts *o)
{
	json_t *resp, *names = json_array(), *g;
	struct err e;
	size_t i;

	if (cluster_groups(cl, o->deadline_ms, &resp, &e)) {
		cli_error("cannot list groups: %s", e.msg);
		json_decref(names);
		return NULL;
	}
	json_array_foreach(resp, i, g)
		json_array_append(names, json_object_get(g, "group"));
	json_decref(resp);
	return names;
}

static void print_described(const struct groups_opts *o, json_t *all)
{
	json_t *g;
	size_t i;

	if (o->format == FORMAT_JSON) {
		cli_print_json(json_pack("{s:O}", "groups", all));
		return;
	}
	if (o->members) {
		print_members(all);
		return;
	}
	json_array_foreach(all, i, g) {
		if (i)
			printf("\n");
		print_group(g);
	}
}

int cmd_describe(struct cluster *cl, const struct groups_opts *o, char **groups, int n)
{
	json_t *names = n ? json_array() : every_group(cl, o), *all = json_array(), *g, *name;
	int status = 0;
	struct err e;
	size_t k;

	if (!names) {
		json_decref(all);
		return 1;
	}
	for (int i = 0; i < n; i++)
		json_array_append_new(names, json_string(groups[i]));
	json_array_foreach(names, k, name) {
		const char *id = json_string_value(name);
		if (cluster_group_json(cl, "GET", id, "", NULL, o->deadline_ms, &g, &e)) {
			cli_error("cannot describe group '%s': %s", id, e.msg);
			status = 1;
			continue;
		}
		if (o->max_lag >= 0 && check_lag(id, g, o->max_lag))
			status = 1;
		if (o->lag_only)
			keep_lagging(g);
		if (o->members) {
			json_t *m = members_of(g);
			json_decref(g);
			g = m;
		}
		json_array_append_new(all, g);
	}
	print_described(o, all);
	json_decref(all);
	json_decref(names);
	return status;
}
