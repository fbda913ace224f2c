/*
 * group_json.c: the group coordinator's answers as JSON.  See
 * group_json.h.
 */
#include "http/group_json.h"

#include <string.h>

json_t *group_json_tp_list(const struct gc_tp_list *l)
{
	json_t *out = json_array(), *parts = NULL;
	const char *topic = NULL;

	for (size_t i = 0; i < l->n; i++) {
		if (!topic || strcmp(topic, l->v[i].topic) != 0) {
			topic = l->v[i].topic;
			parts = json_array();
			json_array_append_new(out, json_pack("{s:s, s:o}", "topic", topic, "partitions", parts));
		}
		json_array_append_new(parts, json_integer(l->v[i].partition));
	}
	return out;
}

json_t *group_json_offset_tps(const struct gc_offset *v, size_t n)
{
	json_t *out = json_array();

	for (size_t i = 0; i < n; i++)
		json_array_append_new(out, json_pack("{s:s, s:i}", "topic", v[i].tp.topic, "partition",
						     v[i].tp.partition));
	return out;
}

static json_t *member_json(const struct gc_member_view *m)
{
	json_t *subs = json_array();

	for (size_t i = 0; i < m->nsubscription; i++)
		json_array_append_new(subs, json_string(m->subscription[i]));
	return json_pack("{s:s, s:i, s:s, s:s, s:I, s:o, s:o, s:o}", "member_id", m->member_id,
			 "member_epoch", m->member_epoch, "client_id", m->client_id, "host", m->host,
			 "session_timeout_ms", (json_int_t)m->session_ms, "subscription", subs,
			 "assignment", group_json_tp_list(&m->assignment), "target", group_json_tp_list(&m->target));
}

static json_t *int_or_null(int known, int64_t v)
{
	return known ? json_integer(v) : json_null();
}

static json_t *partition_json(const struct gc_partition_view *p)
{
	json_t *j = json_pack("{s:s, s:i}", "topic", p->tp.topic, "partition", p->tp.partition);

	json_object_set_new(j, "offset", int_or_null(p->has_offset, p->offset));
	json_object_set_new(j, "metadata", p->metadata ? json_string(p->metadata) : json_null());
	json_object_set_new(j, "log_start_offset", int_or_null(p->has_log, p->log_start));
	json_object_set_new(j, "log_end_offset", int_or_null(p->has_log, p->log_end));
	json_object_set_new(j, "lag", int_or_null(p->has_lag, p->lag));
	json_object_set_new(j, "member_id", p->holder ? json_string(p->holder->member_id) : json_null());
	json_object_set_new(j, "client_id", p->holder ? json_string(p->holder->client_id) : json_null());
	return j;
}

json_t *group_json_view(const struct gc_group_view *v)
{
	json_t *members = json_array(), *parts = json_array();

	for (size_t k = 0; k < v->nmembers; k++)
		json_array_append_new(members, member_json(&v->members[k]));
	for (size_t i = 0; i < v->npartitions; i++)
		json_array_append_new(parts, partition_json(&v->partitions[i]));
	/* A partition without a committed offset (or without a log) has a lag
	 * nobody knows: the total is then unknown, not the sum of the rest,
	 * which is only a lower bound. */
	return json_pack("{s:s, s:s, s:i, s:o, s:o, s:o, s:I, s:i}", "group", v->group, "state",
			 v->state, "group_epoch", v->group_epoch, "members", members, "partitions",
			 parts, "lag", int_or_null(!v->unknown_lag_partitions, v->known_lag),
			 "known_lag", (json_int_t)v->known_lag, "unknown_lag_partitions",
			 v->unknown_lag_partitions);
}

json_t *group_json_summaries(const struct gc_summary *v, size_t n)
{
	json_t *out = json_array();

	for (size_t i = 0; i < n; i++)
		json_array_append_new(out, json_pack("{s:s, s:s, s:i}", "group", v[i].group, "state",
						     v[i].state, "members", (int)v[i].members));
	return out;
}

json_t *group_json_offsets(const struct gc_offset_list *l)
{
	json_t *out = json_array();

	for (size_t i = 0; i < l->n; i++)
		json_array_append_new(out, json_pack("{s:s, s:i, s:I, s:s?, s:I}", "topic",
						     l->v[i].tp.topic, "partition", l->v[i].tp.partition,
						     "offset", (json_int_t)l->v[i].offset, "metadata",
						     l->v[i].metadata, "commit_timestamp",
						     (json_int_t)l->v[i].commit_ms));
	return out;
}

json_t *group_json_answer(const struct gc_answer *a)
{
	return json_pack("{s:s, s:i, s:I, s:I, s:o, s:i}", "member_id", a->member_id, "member_epoch",
			 a->member_epoch, "heartbeat_interval_ms", (json_int_t)a->interval_ms,
			 "session_timeout_ms", (json_int_t)a->session_ms, "assignment",
			 group_json_tp_list(&a->assignment), "pending_partitions", a->pending);
}
