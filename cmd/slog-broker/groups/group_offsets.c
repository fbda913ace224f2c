/*
 * group_offsets.c: committed offsets in memory, and the views of groups
 * that administrators ask for (list, describe with lag, delete, expiry).
 * See group_coordinator.h.
 */
#include <stdlib.h>
#include <string.h>

#include "broker.h"
#include "groups/group_internal.h"
#include "replica/registry.h"
#include "sorted.h"
#include "xalloc.h"

static int offset_tp_cmp(const void *key, const void *elem)
{
	return tp_cmp(key, &((const struct offset_entry *)elem)->tp);
}

static size_t off_locate(const struct group *g, const struct gc_tp *tp, int *found)
{
	return sorted_locate(g->offs, g->noffs, sizeof(*g->offs), tp, offset_tp_cmp, found);
}

static const struct offset_entry *off_find(const struct group *g, const struct gc_tp *tp)
{
	int found;
	size_t at = off_locate(g, tp, &found);

	return found ? &g->offs[at] : NULL;
}

void group_offsets_free(struct group *g)
{
	for (size_t i = 0; i < g->noffs; i++)
		free(g->offs[i].metadata);
	free(g->offs);
	g->offs = NULL;
	g->noffs = g->offs_cap = 0;
}

int gc_commit_check(struct group_coordinator *gc, const char *group, const char *member_id,
		    int32_t member_epoch, const struct gc_offset *v, size_t n, struct err *e)
{
	struct group *g;
	struct member *m;
	int rc = 0;

	if (gc_group_name_valid(group, e))
		return SLOG_EINVALID_GROUP_ID;
	pthread_mutex_lock(&gc->lock);
	g = group_find(gc, group);
	if (member_id[0] == '\0') {
		if (member_epoch != -1)
			rc = err_set(e, SLOG_EINVALID_REQUEST,
				     "a commit without a member_id has member_epoch -1");
		else if (g && g->nmembers)
			rc = err_set(e, SLOG_ENON_EMPTY_GROUP,
				     "group %s has %zu active members: only they commit its offsets "
				     "until they stop", group, g->nmembers);
		goto out;
	}
	m = g ? member_find(g, member_id) : NULL;
	if (!m) {
		rc = err_set(e, SLOG_EUNKNOWN_MEMBER_ID, "member %s is not in group %s", member_id, group);
		goto out;
	}
	if (member_epoch != m->epoch) {
		rc = err_set(e, SLOG_ESTALE_MEMBER_EPOCH,
			     "member %s of group %s is at epoch %d, the commit says %d: heartbeat, "
			     "then commit again", member_id, group, m->epoch, member_epoch);
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		if (!tpl_has(&m->answer, &v[i].tp) && !tpl_has(&m->owned, &v[i].tp)) {
			rc = err_set(e, SLOG_ESTALE_MEMBER_EPOCH,
				     "member %s of group %s does not own %s-%d at epoch %d", member_id,
				     group, v[i].tp.topic, v[i].tp.partition, m->epoch);
			break;
		}
	}
out:
	pthread_mutex_unlock(&gc->lock);
	return rc;
}

void gc_commit_apply(struct group_coordinator *gc, const char *group, const struct gc_offset *v,
		     size_t n, int64_t first_log_offset)
{
	struct group *g;

	if (n == 0) /* an empty commit: nothing to remember, no group to make */
		return;
	pthread_mutex_lock(&gc->lock);
	g = group_find(gc, group);
	if (!g) {
		/* Made by a commit (a replay, an administrator): its age is its
		 * commits' age. */
		g = group_get(gc, group);
		g->empty_since_ms = 0;
	}
	for (size_t i = 0; i < n; i++) {
		int found;
		size_t at = off_locate(g, &v[i].tp, &found);
		struct offset_entry *oe;

		if (!found) {
			g->offs = xgrow(g->offs, &g->offs_cap, g->noffs + 1, sizeof(*g->offs));
			memmove(g->offs + at + 1, g->offs + at, (g->noffs - at) * sizeof(*g->offs));
			g->noffs++;
			memset(&g->offs[at], 0, sizeof(g->offs[at]));
			g->offs[at].tp = v[i].tp;
			g->offs[at].log_offset = -1;
		}
		oe = &g->offs[at];
		/* Two commits racing to the log: the one written later wins, in
		 * memory as after a replay. */
		if (first_log_offset + (int64_t)i < oe->log_offset)
			continue;
		oe->log_offset = first_log_offset + (int64_t)i;
		oe->offset = v[i].offset;
		oe->commit_ms = v[i].commit_ms;
		free(oe->metadata);
		oe->metadata = v[i].metadata ? xstrdup(v[i].metadata) : NULL;
	}
	pthread_mutex_unlock(&gc->lock);
}

void gc_offset_forget(struct group_coordinator *gc, const char *group, const struct gc_tp *tp)
{
	struct group *g;
	int found;
	size_t at;

	pthread_mutex_lock(&gc->lock);
	g = group_find(gc, group);
	if (g) {
		at = off_locate(g, tp, &found);
		if (found) {
			free(g->offs[at].metadata);
			memmove(g->offs + at, g->offs + at + 1, (g->noffs - at - 1) * sizeof(*g->offs));
			g->noffs--;
		}
		group_drop_if_unused(gc, g);
	}
	pthread_mutex_unlock(&gc->lock);
}

static int wanted(const char *topic, const char *const *topics, size_t n)
{
	if (!topics)
		return 1;
	for (size_t i = 0; i < n; i++)
		if (strcmp(topics[i], topic) == 0)
			return 1;
	return 0;
}

static json_t *offset_json(const struct offset_entry *oe)
{
	return json_pack("{s:s, s:i, s:I, s:s?, s:I}", "topic", oe->tp.topic, "partition",
			 oe->tp.partition, "offset", (json_int_t)oe->offset, "metadata", oe->metadata,
			 "commit_timestamp", (json_int_t)oe->commit_ms);
}

json_t *gc_offsets(struct group_coordinator *gc, const char *group, const char *const *topics,
		   size_t ntopics)
{
	json_t *out = json_array();
	struct group *g;

	pthread_mutex_lock(&gc->lock);
	g = group_find(gc, group);
	for (size_t i = 0; g && i < g->noffs; i++)
		if (wanted(g->offs[i].tp.topic, topics, ntopics))
			json_array_append_new(out, offset_json(&g->offs[i]));
	pthread_mutex_unlock(&gc->lock);
	return out;
}

json_t *gc_list(struct group_coordinator *gc)
{
	json_t *out = json_array();

	pthread_mutex_lock(&gc->lock);
	for (size_t i = 0; i < gc->ngroups; i++) {
		const struct group *g = gc->groups[i];
		json_array_append_new(out, json_pack("{s:s, s:s, s:i}", "group", g->name, "state",
						     group_state(g), "members", (int)g->nmembers));
	}
	pthread_mutex_unlock(&gc->lock);
	return out;
}

static json_t *member_json(const struct member *m)
{
	json_t *subs = json_array();

	for (size_t i = 0; i < m->ntopics; i++)
		json_array_append_new(subs, json_string(m->topics[i]));
	return json_pack("{s:s, s:i, s:s, s:s, s:I, s:o, s:o, s:o}", "member_id", m->id,
			 "member_epoch", m->epoch, "client_id", m->client_id, "host", m->host,
			 "session_timeout_ms", (json_int_t)m->session_ms, "subscription", subs,
			 "assignment", tpl_json(&m->answer), "target", tpl_json(&m->target));
}

/* Who was told it may own tp, or NULL. */
static const struct member *holder(const struct group *g, const struct gc_tp *tp)
{
	for (size_t k = 0; k < g->nmembers; k++)
		if (tpl_has(&g->members[k]->answer, tp))
			return g->members[k];
	return NULL;
}

/* One partition's line: committed offset, log end, lag, holder. */
static json_t *partition_json(struct broker *b, const struct group *g, const struct gc_tp *tp,
			      int64_t *total_lag, int *unknown)
{
	const struct offset_entry *oe = off_find(g, tp);
	const struct member *m = holder(g, tp);
	struct topic *t = broker_topic(b, tp->topic);
	struct partition *p = t ? topic_partition(t, tp->partition) : NULL;
	json_t *j = json_pack("{s:s, s:i}", "topic", tp->topic, "partition", tp->partition);
	int64_t end = p ? (int64_t)p->hw : -1;

	json_object_set_new(j, "offset", oe ? json_integer(oe->offset) : json_null());
	json_object_set_new(j, "metadata", oe && oe->metadata ? json_string(oe->metadata) : json_null());
	if (p) {
		int64_t start;
		plog_offsets(p->log, &start, NULL);
		json_object_set_new(j, "log_start_offset", json_integer(start));
	} else {
		json_object_set_new(j, "log_start_offset", json_null());
	}
	json_object_set_new(j, "log_end_offset", p ? json_integer(end) : json_null());
	if (oe && p) {
		/* A committed offset past the end (a recreated topic) is no lag. */
		int64_t lag = end > oe->offset ? end - oe->offset : 0;
		json_object_set_new(j, "lag", json_integer(lag));
		*total_lag += lag;
	} else {
		json_object_set_new(j, "lag", json_null());
		(*unknown)++;
	}
	json_object_set_new(j, "member_id", m ? json_string(m->id) : json_null());
	json_object_set_new(j, "client_id", m ? json_string(m->client_id) : json_null());
	return j;
}

json_t *gc_describe(struct group_coordinator *gc, const char *group)
{
	json_t *members, *parts, *out = NULL;
	struct tpl all = { 0 };
	int64_t total_lag = 0;
	int unknown = 0;
	struct group *g;

	pthread_mutex_lock(&gc->lock);
	g = group_find(gc, group);
	if (!g)
		goto out;
	members = json_array();
	for (size_t k = 0; k < g->nmembers; k++) {
		json_array_append_new(members, member_json(g->members[k]));
		for (size_t i = 0; i < g->members[k]->answer.n; i++)
			tpl_add(&all, &g->members[k]->answer.v[i]);
	}
	for (size_t i = 0; i < g->noffs; i++)
		tpl_add(&all, &g->offs[i].tp);
	parts = json_array();
	for (size_t i = 0; i < all.n; i++)
		json_array_append_new(parts, partition_json(gc->b, g, &all.v[i], &total_lag, &unknown));
	/* A partition without a committed offset (or without a log) has a lag
	 * nobody knows: the total is then unknown, not the sum of the rest,
	 * which is only a lower bound. */
	out = json_pack("{s:s, s:s, s:i, s:o, s:o, s:o, s:I, s:i}", "group", g->name, "state",
			group_state(g), "group_epoch", g->epoch, "members", members, "partitions", parts,
			"lag", unknown ? json_null() : json_integer(total_lag), "known_lag",
			(json_int_t)total_lag, "unknown_lag_partitions", unknown);
out:
	pthread_mutex_unlock(&gc->lock);
	tpl_free(&all);
	return out;
}

static json_t *tps_json(const struct group *g)
{
	json_t *gone = json_array();

	for (size_t i = 0; i < g->noffs; i++)
		json_array_append_new(gone, json_pack("{s:s, s:i}", "topic", g->offs[i].tp.topic,
						      "partition", g->offs[i].tp.partition));
	return gone;
}

int gc_delete_plan(struct group_coordinator *gc, const char *group, json_t **gone,
		   struct err *e)
{
	struct group *g;
	int rc = 0;

	*gone = NULL;
	pthread_mutex_lock(&gc->lock);
	g = group_find(gc, group);
	if (!g)
		rc = err_set(e, SLOG_EGROUP_ID_NOT_FOUND, "group %s does not exist", group);
	else if (g->nmembers)
		rc = err_set(e, SLOG_ENON_EMPTY_GROUP,
			     "group %s has %zu active members: stop them before deleting it", group,
			     g->nmembers);
	else
		*gone = tps_json(g);
	pthread_mutex_unlock(&gc->lock);
	return rc;
}

/* A member that subscribes to topic, or NULL. */
static const struct member *subscriber(const struct group *g, const char *topic)
{
	for (size_t k = 0; k < g->nmembers; k++)
		for (size_t i = 0; i < g->members[k]->ntopics; i++)
			if (strcmp(g->members[k]->topics[i], topic) == 0)
				return g->members[k];
	return NULL;
}

static int in_list(int32_t p, const int32_t *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (v[i] == p)
			return 1;
	return 0;
}

int gc_delete_offsets_plan(struct group_coordinator *gc, const char *group, const char *topic,
			   const int32_t *partitions, size_t npartitions, json_t **gone,
			   struct err *e)
{
	const struct member *m;
	struct group *g;
	int rc = 0;

	*gone = NULL;
	pthread_mutex_lock(&gc->lock);
	g = group_find(gc, group);
	m = g ? subscriber(g, topic) : NULL;
	if (!g) {
		rc = err_set(e, SLOG_EGROUP_ID_NOT_FOUND, "group %s does not exist", group);
	} else if (m) {
		/* Its next commit would bring the offsets back. */
		rc = err_set(e, SLOG_EGROUP_SUBSCRIBED_TO_TOPIC,
			     "member %s (client %s) of group %s is subscribed to topic '%s': stop "
			     "it before deleting the group's offsets of the topic", m->id, m->client_id,
			     group, topic);
	} else {
		*gone = json_array();
		for (size_t i = 0; i < g->noffs; i++)
			if (strcmp(g->offs[i].tp.topic, topic) == 0 &&
			    (!partitions || in_list(g->offs[i].tp.partition, partitions, npartitions)))
				json_array_append_new(*gone, json_pack("{s:s, s:i}", "topic", topic,
								       "partition",
								       g->offs[i].tp.partition));
	}
	pthread_mutex_unlock(&gc->lock);
	return rc;
}

json_t *gc_expired(struct group_coordinator *gc, int64_t retention_ms, int64_t now_ms)
{
	json_t *out = json_array();

	pthread_mutex_lock(&gc->lock);
	for (size_t i = 0; i < gc->ngroups; i++) {
		const struct group *g = gc->groups[i];
		int64_t newest = g->empty_since_ms;
		if (g->nmembers || g->noffs == 0)
			continue;
		for (size_t k = 0; k < g->noffs; k++)
			if (g->offs[k].commit_ms > newest)
				newest = g->offs[k].commit_ms;
		if (now_ms - newest >= retention_ms)
			json_array_append_new(out, json_pack("{s:s, s:o}", "group", g->name, "offsets",
							     tps_json(g)));
	}
	pthread_mutex_unlock(&gc->lock);
	return out;
}
