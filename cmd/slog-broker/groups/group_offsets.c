/*
 * group_offsets.c: commits checked against the members, applied to each
 * group's offset table, and read back.  See group_coordinator.h.
 */
#include <stdlib.h>
#include <string.h>

#include "groups/group_internal.h"
#include "xalloc.h"

/* Does the member m of group may commit v[0..n) at member_epoch? */
static int member_may_commit(const struct member *m, const char *group, int32_t member_epoch,
			     const struct gc_offset *v, size_t n, struct err *e)
{
	if (member_epoch != m->epoch)
		return err_set(e, SLOG_ESTALE_MEMBER_EPOCH,
			       "member %s of group %s is at epoch %d, the commit says %d: heartbeat, "
			       "then commit again", m->id, group, m->epoch, member_epoch);
	for (size_t i = 0; i < n; i++)
		if (!tpl_has(&m->answer, &v[i].tp) && !tpl_has(&m->owned, &v[i].tp))
			return err_set(e, SLOG_ESTALE_MEMBER_EPOCH,
				       "member %s of group %s does not own %s-%d at epoch %d", m->id,
				       group, v[i].tp.topic, v[i].tp.partition, m->epoch);
	return 0;
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
	} else {
		m = g ? member_find(g, member_id) : NULL;
		if (!m)
			rc = err_set(e, SLOG_EUNKNOWN_MEMBER_ID, "member %s is not in group %s",
				     member_id, group);
		else
			rc = member_may_commit(m, group, member_epoch, v, n, e);
	}
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
	for (size_t i = 0; i < n; i++)
		offtab_apply(&g->offsets, &v[i], first_log_offset + (int64_t)i);
	pthread_mutex_unlock(&gc->lock);
}

void gc_offset_forget(struct group_coordinator *gc, const char *group, const struct gc_tp *tp)
{
	struct group *g;

	pthread_mutex_lock(&gc->lock);
	g = group_find(gc, group);
	if (g) {
		offtab_forget(&g->offsets, tp);
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

void gc_offsets(struct group_coordinator *gc, const char *group, const char *const *topics,
		size_t ntopics, struct gc_offset_list *out)
{
	struct group *g;

	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&gc->lock);
	g = group_find(gc, group);
	if (g)
		out->v = xcalloc(g->offsets.n + 1, sizeof(*out->v));
	for (size_t i = 0; g && i < g->offsets.n; i++) {
		const struct offset_entry *oe = &g->offsets.v[i];
		if (!wanted(oe->tp.topic, topics, ntopics))
			continue;
		out->v[out->n++] = (struct gc_offset){ oe->tp, oe->offset,
						       oe->metadata ? xstrdup(oe->metadata) : NULL,
						       oe->commit_ms };
	}
	pthread_mutex_unlock(&gc->lock);
}

void gc_offset_list_free(struct gc_offset_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free((char *)l->v[i].metadata); /* the list's own copy */
	free(l->v);
	memset(l, 0, sizeof(*l));
}
