/*
 * mirror_groups.c: consumer groups fail over with their offsets.
 *
 * Exact mode keeps offsets: a record is at the same offset on both
 * clusters, so a group's committed offset means the same on the target
 * and is copied as it is, with no translation (KIP-1279's way, and
 * Cluster Linking's), every sync.group.offsets.interval.seconds.
 *
 * Three rules keep a copy safe for a consumer that moves over:
 *   - only groups with no member on the target get offsets (the target's
 *     administrative commit refuses the others: NON_EMPTY_GROUP), as MM2
 *     syncs only groups idle downstream: a group running there owns its
 *     positions;
 *   - a target offset is never moved back: the target group may have
 *     read further (it ran there once, or a faster commit came first);
 *   - an offset is copied only up to what the copy holds committed (its
 *     high watermark): a group that read past what the mirror has copied
 *     resumes on the target where the copy ends, and reads the rest as
 *     the mirror brings it, never past records it has not seen.
 * The first rule makes it at least once: a group moved over re-reads
 * what it read on the source after the last sync, never less.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "connectors/mirror_internal.h"
#include "log.h"

/* The copy's high watermark of topic-partition, cached in hws for the round. */
static int64_t copy_hw(struct cluster *dst, json_t *hws, const char *topic, int32_t partition)
{
	char key[300], path[400], leader[300] = "";
	json_t *j = NULL, *v;
	struct err e;
	int64_t hw = -1;

	snprintf(key, sizeof(key), "%s/%d", topic, partition);
	v = json_object_get(hws, key);
	if (v)
		return json_integer_value(v);
	snprintf(path, sizeof(path), "/v1/topics/%s/partitions/%d/offsets?at=latest", topic,
		 partition);
	if (cluster_find_leader(dst, topic, partition, mirror_deadline(), leader, sizeof(leader),
				&e) == 0 &&
	    cluster_partition_json(dst, topic, partition, leader, sizeof(leader), path,
				   mirror_deadline(), &j, &e) == 0)
		hw = json_integer_value(json_object_get(j, "offset"));
	json_decref(j);
	json_object_set_new(hws, key, json_integer(hw));
	return hw;
}

static int name_in(char *const *names, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(names[i], name) == 0)
			return 1;
	return 0;
}

/* A group's committed offsets on cl, as "topic/partition" -> offset. */
static int offsets_of(struct cluster *cl, const char *group, json_t **out, struct err *e)
{
	json_t *j = NULL, *o;
	size_t i;
	int rc = cluster_group_json(cl, "GET", group, "/offsets", NULL, mirror_deadline(), &j, e);

	*out = json_object();
	json_array_foreach(json_object_get(j, "offsets"), i, o) {
		char key[300];

		snprintf(key, sizeof(key), "%s/%lld", json_string_value(json_object_get(o, "topic")),
			 (long long)json_integer_value(json_object_get(o, "partition")));
		json_object_set(*out, key, json_object_get(o, "offset"));
	}
	json_decref(j);
	return rc;
}

/* The entries of the source's commits that move the target's forward. */
static json_t *forward_offsets(struct mirror *m, struct cluster *dst, json_t *source,
			       json_t *target, json_t *hws)
{
	json_t *list = json_array(), *o;
	size_t i;

	json_array_foreach(source, i, o) {
		const char *topic = json_string_value(json_object_get(o, "topic"));
		int32_t p = (int32_t)json_integer_value(json_object_get(o, "partition"));
		int64_t off = json_integer_value(json_object_get(o, "offset")), hw, have;
		char key[300];

		if (!topic || !mirror_copies(m, topic))
			continue;
		hw = copy_hw(dst, hws, topic, p);
		if (hw < 0)
			continue;
		if (off > hw)
			off = hw;
		snprintf(key, sizeof(key), "%s/%d", topic, p);
		have = json_is_integer(json_object_get(target, key)) ?
			json_integer_value(json_object_get(target, key)) : -1;
		if (off <= have)
			continue;
		json_array_append_new(list, json_pack("{s:s, s:i, s:I}", "topic", topic, "partition",
						      p, "offset", (json_int_t)off));
	}
	return list;
}

/* Copy one group's offsets; 0 also when its target group has members. */
static int sync_group(struct mirror *m, struct cluster *src, struct cluster *dst,
		      const char *group, json_t *hws, struct err *e)
{
	json_t *sj = NULL, *target = NULL, *list = NULL, *body;
	int rc = cluster_group_json(src, "GET", group, "/offsets", NULL, mirror_deadline(), &sj, e);

	if (!rc)
		rc = offsets_of(dst, group, &target, e);
	if (!rc)
		list = forward_offsets(m, dst, json_object_get(sj, "offsets"), target, hws);
	if (!rc && json_array_size(list)) {
		body = json_pack("{s:O}", "offsets", list);
		rc = cluster_group_json(dst, "POST", group, "/offsets", body, mirror_deadline(),
					NULL, e);
		json_decref(body);
		if (rc == SLOG_ENON_EMPTY_GROUP)
			rc = 0; /* running on the target: its members own its offsets */
		else if (!rc)
			task_log(m->t, LOG_LEVEL_DEBUG, "group '%s': %zu offsets copied", group,
				 json_array_size(list));
	}
	json_decref(sj);
	json_decref(target);
	json_decref(list);
	return rc;
}

int mirror_groups_sync(struct mirror *m, struct cluster *src, struct cluster *dst,
		       struct err *e)
{
	json_t *groups = NULL, *g, *hws = json_object();
	size_t i;
	int rc = cluster_groups(src, mirror_deadline(), &groups, e);

	json_array_foreach(groups, i, g) {
		const char *name = json_string_value(json_object_get(g, "group"));
		struct err ge;

		if (!name || !mirror_filter_match(&m->conf.groups, name))
			continue;
		if (sync_group(m, src, dst, name, hws, &ge))
			task_log(m->t, LOG_LEVEL_WARN, "group '%s': offsets not copied: %s", name,
				 ge.msg);
	}
	json_decref(groups);
	json_decref(hws);
	return rc;
}

/*
 * Exact mode resumes at the copy's log end: the source group's offset
 * of a partition must not be past it, or the copy would get a gap (a copy
 * deleted and made again, or emptied, while the group kept its offsets).
 * Its commits follow the target's acknowledgements, so this moves an
 * offset back only after such a loss, and only while the group has no
 * member (between two runs of this task's engine, with no other copy of
 * the connector running): the engine then starts from the copy's end.
 */
int mirror_resume_at_copy(struct mirror *m, struct cluster *src, struct cluster *dst,
			  char *const *topics, size_t n, struct err *e)
{
	json_t *committed = NULL, *hws = json_object(), *list = json_array(), *v, *body;
	const char *key;
	int rc = offsets_of(src, m->conf.group, &committed, e);

	json_object_foreach(committed, key, v) {
		const char *slash = strrchr(key, '/');
		char topic[256];
		int64_t hw;

		if (!slash || (size_t)(slash - key) >= sizeof(topic))
			continue;
		snprintf(topic, sizeof(topic), "%.*s", (int)(slash - key), key);
		if (!name_in(topics, n, topic))
			continue;
		hw = copy_hw(dst, hws, topic, (int32_t)strtol(slash + 1, NULL, 10));
		if (hw >= 0 && json_integer_value(v) > hw)
			json_array_append_new(list, json_pack("{s:s, s:i, s:I}", "topic", topic,
				"partition", (int)strtol(slash + 1, NULL, 10), "offset", (json_int_t)hw));
	}
	if (!rc && json_array_size(list)) {
		task_log(m->t, LOG_LEVEL_WARN, "%zu partitions of group %s are past their copy's end: "
			 "copying them again from there", json_array_size(list), m->conf.group);
		body = json_pack("{s:O}", "offsets", list);
		rc = cluster_group_json(src, "POST", m->conf.group, "/offsets", body,
					mirror_deadline(), NULL, e);
		json_decref(body);
	}
	json_decref(committed);
	json_decref(hws);
	json_decref(list);
	return rc;
}
