/*
 * group_change.c: the commands of slog-groups that change groups:
 * reset-offsets, delete and delete-offsets.
 *
 * reset-offsets works out a plan (each partition's current and new
 * offset), prints it, and commits it only with --execute, as Kafka's
 * kafka-consumer-groups does.  The plan printed with --format csv is the
 * file --from-file reads, so a plan can be saved, edited and applied.  A group with live members is refused: its
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
	int64_t want;      /* --to-group, --from-file: the offset asked for */
	int64_t target;
};

/* A plan in the making. */
struct plan {
	struct cluster *cl;
	const struct groups_opts *o;
	json_t *current;   /* the group's offsets: [{"topic","partition","offset"}] */
	json_t *source;    /* --to-group: the other group's */
	struct plan_row *rows;
	size_t n, cap;
};

/* A partition's offset "at" earliest, latest or a time in ms. */
static int offset_at(struct cluster *cl, const char *topic, int32_t p, const char *at,
		     int64_t deadline, int64_t *out, struct err *e)
{
	struct buf path = BUF_INIT;
	char leader[300];
	json_t *j;
	int rc;

	buf_adds(&path, "/v1/topics/");
	http_escape(&path, topic);
	buf_addf(&path, "/partitions/%d/offsets?at=%s", p, at);
	/* Asked of the partition's leader: a NOT_LEADER answer leads there. */
	snprintf(leader, sizeof(leader), "%s", cl->boot_url);
	rc = cluster_partition_json(cl, topic, p, leader, sizeof(leader), path.data, deadline, &j, e);
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

/* A group's committed offset of topic-p, or -1. */
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
	/* As Kafka's --to-current: a partition without an offset gets the log end. */
	case RESET_CURRENT: want = r->current >= 0 ? r->current : end; break;
	case RESET_GROUP:
	case RESET_FILE: want = r->want; break;
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

/* The topic's partition count; a partition it lacks is an error. */
static int partition_count(struct plan *pl, const char *topic, const int32_t *parts, int nparts,
			   int32_t *count, struct err *e)
{
	struct topic_meta tm;
	int rc = cluster_topic(pl->cl, topic, 0, pl->o->deadline_ms, &tm, e);

	if (rc)
		return rc;
	*count = tm.partitions;
	topic_meta_free(&tm);
	for (int k = 0; k < nparts; k++)
		if (parts[k] >= *count)
			return err_set(e, SLOG_EUNKNOWN_TOPIC_OR_PARTITION,
				       "topic '%s' has no partition %d (it has %d)", topic, parts[k],
				       *count);
	return 0;
}

/* Add topic-p to the plan, unless it is there already (-t t -t t:0). */
static int add_row(struct plan *pl, const char *topic, int32_t p, int64_t want, struct err *e)
{
	struct plan_row *r;
	int rc;

	for (size_t i = 0; i < pl->n; i++)
		if (pl->rows[i].partition == p && strcmp(pl->rows[i].topic, topic) == 0)
			return 0;
	pl->rows = xgrow(pl->rows, &pl->cap, pl->n + 1, sizeof(*pl->rows));
	r = &pl->rows[pl->n];
	*r = (struct plan_row){ topic, p, committed_of(pl->current, topic, p), want, 0 };
	rc = target_of(pl->cl, pl->o, r, e);
	if (!rc)
		pl->n++;
	return rc;
}

/* Every partition of one -t scope. */
static int plan_scope(struct plan *pl, const struct topic_scope *sc, struct err *e)
{
	int32_t count;
	int rc = partition_count(pl, sc->topic, sc->partitions, sc->npartitions, &count, e);

	for (int32_t p = 0; !rc && p < count; p++) {
		int64_t want = -1;
		int wanted = sc->npartitions == 0;
		for (int k = 0; k < sc->npartitions; k++)
			wanted |= sc->partitions[k] == p;
		if (!wanted)
			continue;
		if (pl->o->to == RESET_GROUP) {
			want = committed_of(pl->source, sc->topic, p);
			if (want < 0) {
				cli_error("group '%s' has no offset for %s-%d: left as it is",
					  pl->o->from_group, sc->topic, p);
				continue;
			}
		}
		rc = add_row(pl, sc->topic, p, want, e);
	}
	return rc;
}

/* --from-file: its lines, each checked against its topic. */
static int plan_file(struct plan *pl, struct err *e)
{
	int rc = 0;

	for (size_t i = 0; !rc && i < pl->o->nfile; i++) {
		const struct file_offset *f = &pl->o->file[i];
		int32_t count;
		rc = partition_count(pl, f->topic, &f->partition, 1, &count, e);
		if (!rc)
			rc = add_row(pl, f->topic, f->partition, f->offset, e);
	}
	return rc;
}

/* One scope per topic of offsets (--all-topics, --to-group without -t). */
static struct topic_scope *scopes_of(json_t *offsets, int *n)
{
	struct topic_scope *v = xcalloc(json_array_size(offsets) + 1, sizeof(*v));
	json_t *item;
	size_t i;

	*n = 0;
	json_array_foreach(offsets, i, item) {
		const char *t = json_string_value(json_object_get(item, "topic"));
		int seen = 0;
		for (int k = 0; k < *n; k++)
			seen |= strcmp(v[k].topic, t) == 0;
		if (!seen)
			v[(*n)++].topic = t;
	}
	return v;
}

static int plan_build(struct plan *pl, const char *group, struct err *e)
{
	const struct groups_opts *o = pl->o;
	struct topic_scope *scopes = o->scopes;
	int nscopes = o->nscopes, rc = 0;

	if (o->to == RESET_FILE)
		return plan_file(pl, e);
	if (o->all_topics || !nscopes) {
		json_t *from = o->all_topics ? pl->current : pl->source;
		if (json_array_size(from) == 0)
			return err_set(e, SLOG_EGROUP_ID_NOT_FOUND, "group '%s' has no committed offsets",
				       o->all_topics ? group : o->from_group);
		scopes = scopes_of(from, &nscopes);
	}
	for (int s = 0; !rc && s < nscopes; s++)
		rc = plan_scope(pl, &scopes[s], e);
	if (scopes != o->scopes)
		free(scopes);
	return rc;
}

static void print_plan(const char *group, const struct plan_row *v, size_t n,
		       enum out_format format, int executed)
{
	struct table tab;
	json_t *list;

	if (format == FORMAT_CSV) {
		/* Kafka's --export form, which --from-file reads back. */
		for (size_t i = 0; i < n; i++)
			printf("%s,%d,%lld\n", v[i].topic, v[i].partition, (long long)v[i].target);
		return;
	}
	if (format == FORMAT_JSON) {
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

/* A group's committed offsets into *out: [{"topic","partition","offset"}]. */
static int offsets_of(struct cluster *cl, const struct groups_opts *o, const char *group,
		      json_t **out, struct err *e)
{
	json_t *resp;
	int rc = cluster_group_json(cl, "GET", group, "/offsets", NULL, o->deadline_ms, &resp, e);

	*out = NULL;
	if (!rc) {
		*out = json_incref(json_object_get(resp, "offsets"));
		json_decref(resp);
	}
	return rc;
}

int cmd_reset_offsets(struct cluster *cl, const struct groups_opts *o, const char *group)
{
	struct plan pl = { .cl = cl, .o = o };
	struct err e;
	int rc;

	if (check_inactive(cl, o, group))
		return 1;
	rc = offsets_of(cl, o, group, &pl.current, &e);
	if (!rc && o->to == RESET_GROUP)
		rc = offsets_of(cl, o, o->from_group, &pl.source, &e);
	if (!rc)
		rc = plan_build(&pl, group, &e);
	if (!rc && o->execute)
		rc = commit_plan(cl, o, group, pl.rows, pl.n, &e);
	if (rc) {
		cli_error("cannot reset the offsets of group '%s': %s", group, e.msg);
	} else {
		print_plan(group, pl.rows, pl.n, o->format, o->execute);
		if (!o->execute)
			cli_error("nothing changed: this is the plan; add --execute to apply it");
	}
	json_decref(pl.current);
	json_decref(pl.source);
	free(pl.rows);
	return rc ? 1 : 0;
}

/* DELETE .../offsets?topic=T[&partitions=..]: the partitions deleted appended to gone. */
static int delete_scope(struct cluster *cl, const struct groups_opts *o, const char *group,
			const struct topic_scope *sc, json_t *gone, struct err *e)
{
	struct buf path = BUF_INIT;
	json_t *resp;
	int rc;

	buf_adds(&path, "/offsets?topic=");
	http_escape(&path, sc->topic);
	for (int k = 0; k < sc->npartitions; k++)
		buf_addf(&path, "%s%d", k ? "," : "&partitions=", sc->partitions[k]);
	rc = cluster_group_json(cl, "DELETE", group, path.data, NULL, o->deadline_ms, &resp, e);
	buf_free(&path);
	if (rc)
		return rc;
	if (json_array_size(json_object_get(resp, "partitions")) == 0)
		cli_error("group '%s' has no committed offset of topic '%s'%s to delete", group,
			  sc->topic, sc->npartitions ? " in those partitions" : "");
	json_array_extend(gone, json_object_get(resp, "partitions"));
	json_decref(resp);
	return 0;
}

int cmd_delete_offsets(struct cluster *cl, const struct groups_opts *o, const char *group)
{
	json_t *gone = json_array(), *p;
	struct table tab;
	int status = 0;
	struct err e;
	size_t i;

	for (int s = 0; s < o->nscopes; s++) {
		if (delete_scope(cl, o, group, &o->scopes[s], gone, &e)) {
			cli_error("cannot delete the offsets of group '%s' of topic '%s': %s", group,
				  o->scopes[s].topic, e.msg);
			status = 1;
		}
	}
	if (o->format == FORMAT_JSON) {
		cli_print_json(json_pack("{s:s, s:o}", "group", group, "partitions", gone));
		return status;
	}
	table_init(&tab, "TOPIC", "PARTITION", NULL);
	json_array_foreach(gone, i, p) {
		char n[16];
		snprintf(n, sizeof(n), "%lld", (long long)json_integer_value(json_object_get(p, "partition")));
		table_row(&tab, json_string_value(json_object_get(p, "topic")), n, NULL);
	}
	table_print(&tab, stdout);
	table_free(&tab);
	json_decref(gone);
	return status;
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
