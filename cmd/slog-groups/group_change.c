/*
 * group_change.c: the commands of slog-groups that change groups:
 * reset-offsets and delete.
 *
 * reset-offsets works out a plan (each partition's current and new
 * offset), prints it, and commits it only with --execute, as Kafka's
 * kafka-consumer-groups does.  A group with live members is refused: its
 * members would overwrite the new offsets with their next commit.  A
 * group that does not exist yet is made by the commit.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cli.h"
#include "groups_cmd.h"
#include "table.h"
#include "xalloc.h"

struct plan_row {
	const char *topic;
	int32_t partition;
	int64_t current;   /* -1: no committed offset */
	int64_t target;
};

/* A partition's offset "at" earliest, latest or a time in ms. */
static int offset_at(struct cluster *cl, const char *topic, int32_t p, const char *at,
		     int64_t deadline, int64_t *out, struct err *e)
{
	struct buf path = BUF_INIT;
	json_t *j;
	int rc;

	buf_adds(&path, "/v1/topics/");
	http_escape(&path, topic);
	buf_addf(&path, "/partitions/%d/offsets?at=%s", p, at);
	rc = http_json(&cl->boot, "GET", path.data, NULL, deadline, &j, e);
	buf_free(&path);
	if (!rc) {
		*out = json_integer_value(json_object_get(j, "offset"));
		json_decref(j);
	}
	return rc;
}

/* The group must have no members; a missing group is fine (it is made). */
static int check_inactive(struct cluster *cl, const struct groups_opts *o, const char *group)
{
	json_t *g;
	struct err e;
	size_t members;

	if (cluster_group_json(cl, "GET", group, "", NULL, o->deadline_ms, &g, &e)) {
		if (e.code == SLOG_EGROUP_ID_NOT_FOUND)
			return 0;
		cli_error("cannot describe group '%s': %s", group, e.msg);
		return 1;
	}
	members = json_array_size(json_object_get(g, "members"));
	json_decref(g);
	if (members == 0)
		return 0;
	cli_error("group '%s' has %zu active member%s: offsets can only be reset while the group "
		  "is inactive; stop its consumers first", group, members, members == 1 ? "" : "s");
	return 1;
}

/* The group's committed offset of topic-p, or -1. */
static int64_t committed_of(json_t *offsets, const char *topic, int32_t p)
{
	json_t *item;
	size_t i;

	json_array_foreach(offsets, i, item)
		if (json_integer_value(json_object_get(item, "partition")) == p &&
		    strcmp(json_string_value(json_object_get(item, "topic")), topic) == 0)
			return json_integer_value(json_object_get(item, "offset"));
	return -1;
}

/* Where one partition goes. */
static int target_of(struct cluster *cl, const struct groups_opts *o, struct plan_row *r,
		     struct err *e)
{
	int64_t start, end, want = 0;
	char ms[32];
	int rc;

	rc = offset_at(cl, r->topic, r->partition, "earliest", o->deadline_ms, &start, e);
	if (!rc)
		rc = offset_at(cl, r->topic, r->partition, "latest", o->deadline_ms, &end, e);
	if (rc)
		return rc;
	switch (o->to) {
	case RESET_EARLIEST: want = start; break;
	case RESET_LATEST: want = end; break;
	case RESET_OFFSET: want = o->value; break;
	case RESET_SHIFT:
		if (r->current < 0)
			return err_set(e, SLOG_EINVALID_REQUEST,
				       "%s-%d has no committed offset to shift", r->topic, r->partition);
		want = o->value < 0 && r->current < -o->value ? 0 : r->current + o->value;
		break;
	case RESET_TIME:
		snprintf(ms, sizeof(ms), "%lld", (long long)o->value);
		rc = offset_at(cl, r->topic, r->partition, ms, o->deadline_ms, &want, e);
		if (rc)
			return rc;
		break;
	case RESET_NONE: break;
	}
	/* As Kafka does: an offset outside the log is moved to its edge. */
	if (want < start || want > end)
		cli_error("%s-%d: offset %lld is outside the log [%lld, %lld]; using %lld", r->topic,
			  r->partition, (long long)want, (long long)start, (long long)end,
			  (long long)(want < start ? start : end));
	r->target = want < start ? start : want > end ? end : want;
	return 0;
}

/* Every partition in scope, with its current offset. */
static int plan_rows(struct cluster *cl, const struct groups_opts *o, json_t *offsets,
		     struct plan_row **out, size_t *n, struct err *e)
{
	size_t cap = 0;

	*out = NULL;
	*n = 0;
	for (int s = 0; s < o->nscopes; s++) {
		const struct topic_scope *sc = &o->scopes[s];
		struct topic_meta tm;
		int rc = cluster_topic(cl, sc->topic, 0, o->deadline_ms, &tm, e);
		int32_t count;
		if (rc)
			return rc;
		count = tm.partitions;
		topic_meta_free(&tm);
		for (int k = 0; k < sc->npartitions; k++)
			if (sc->partitions[k] >= count)
				return err_set(e, SLOG_EUNKNOWN_TOPIC_OR_PARTITION,
					       "topic '%s' has no partition %d (it has %d)", sc->topic,
					       sc->partitions[k], count);
		for (int32_t p = 0; p < count; p++) {
			int wanted = sc->npartitions == 0;
			for (int k = 0; k < sc->npartitions; k++)
				wanted |= sc->partitions[k] == p;
			for (size_t i = 0; wanted && i < *n; i++) /* -t t -t t:0 names 0 twice */
				wanted = !((*out)[i].partition == p && strcmp((*out)[i].topic, sc->topic) == 0);
			if (!wanted)
				continue;
			*out = xgrow(*out, &cap, *n + 1, sizeof(**out));
			(*out)[*n] = (struct plan_row){ sc->topic, p, committed_of(offsets, sc->topic, p), 0 };
			rc = target_of(cl, o, &(*out)[*n], e);
			if (rc)
				return rc;
			(*n)++;
		}
	}
	return 0;
}

static void print_plan(const char *group, const struct plan_row *v, size_t n, int json,
		       int executed)
{
	struct table tab;
	json_t *list;

	if (json) {
		list = json_array();
		for (size_t i = 0; i < n; i++) {
			json_t *row = json_pack("{s:s, s:i, s:I}", "topic", v[i].topic, "partition",
						v[i].partition, "new_offset", (json_int_t)v[i].target);
			json_object_set_new(row, "current_offset",
					    v[i].current < 0 ? json_null() : json_integer(v[i].current));
			json_array_append_new(list, row);
		}
		cli_print_json(json_pack("{s:s, s:b, s:o}", "group", group, "executed", executed,
					 "partitions", list));
		return;
	}
	table_init(&tab, "GROUP", "TOPIC", "PARTITION", "CURRENT-OFFSET", "NEW-OFFSET", NULL);
	for (size_t i = 0; i < n; i++) {
		char p[16], c[32], t[32];
		snprintf(p, sizeof(p), "%d", v[i].partition);
		if (v[i].current < 0)
			snprintf(c, sizeof(c), "-");
		else
			snprintf(c, sizeof(c), "%lld", (long long)v[i].current);
		snprintf(t, sizeof(t), "%lld", (long long)v[i].target);
		table_row(&tab, group, v[i].topic, p, c, t, NULL);
	}
	table_print(&tab, stdout);
	table_free(&tab);
}

static int commit_plan(struct cluster *cl, const struct groups_opts *o, const char *group,
		       const struct plan_row *v, size_t n, struct err *e)
{
	json_t *list = json_array(), *body;
	int rc;

	for (size_t i = 0; i < n; i++)
		json_array_append_new(list, json_pack("{s:s, s:i, s:I}", "topic", v[i].topic, "partition",
						      v[i].partition, "offset", (json_int_t)v[i].target));
	body = json_pack("{s:o}", "offsets", list);
	rc = cluster_group_json(cl, "POST", group, "/offsets", body, o->deadline_ms, NULL, e);
	json_decref(body);
	return rc;
}

int cmd_reset_offsets(struct cluster *cl, const struct groups_opts *o, const char *group)
{
	struct buf what = BUF_INIT;
	struct plan_row *rows = NULL;
	json_t *current = NULL;
	size_t n = 0;
	struct err e;
	int rc;

	if (check_inactive(cl, o, group))
		return 1;
	buf_adds(&what, "/offsets?topics=");
	for (int s = 0; s < o->nscopes; s++) {
		if (s)
			buf_addc(&what, ',');
		http_escape(&what, o->scopes[s].topic);
	}
	rc = cluster_group_json(cl, "GET", group, what.data, NULL, o->deadline_ms, &current, &e);
	if (!rc)
		rc = plan_rows(cl, o, json_object_get(current, "offsets"), &rows, &n, &e);
	if (!rc && o->execute)
		rc = commit_plan(cl, o, group, rows, n, &e);
	if (rc) {
		cli_error("cannot reset the offsets of group '%s': %s", group, e.msg);
	} else {
		print_plan(group, rows, n, o->json, o->execute);
		if (!o->execute)
			cli_error("nothing changed: this is the plan; add --execute to apply it");
	}
	json_decref(current);
	buf_free(&what);
	free(rows);
	return rc ? 1 : 0;
}

int cmd_delete(struct cluster *cl, const struct groups_opts *o, char **groups, int n)
{
	int status = 0;
	struct err e;

	for (int i = 0; i < n; i++) {
		int rc = cluster_group_json(cl, "DELETE", groups[i], "", NULL, o->deadline_ms, NULL, &e);
		if (rc == SLOG_EGROUP_ID_NOT_FOUND && o->if_exists)
			continue;
		if (rc) {
			cli_error("cannot delete group '%s': %s", groups[i], e.msg);
			status = 1;
		}
	}
	return status;
}
