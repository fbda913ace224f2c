/*
 * group_admin.c: the views of groups that administrators ask for: list,
 * describe with lag, what a delete removes, and which groups expired.
 * They read the members and the offsets together, and (describe) the
 * logs' ends through the caller's gc_log_range_fn.  See
 * group_coordinator.h.
 */
#include <stdlib.h>
#include <string.h>

#include "groups/group_internal.h"
#include "xalloc.h"

void gc_list(struct group_coordinator *gc, struct gc_summary **v, size_t *n)
{
	pthread_mutex_lock(&gc->lock);
	*v = xcalloc(gc->ngroups + 1, sizeof(**v));
	*n = gc->ngroups;
	for (size_t i = 0; i < gc->ngroups; i++) {
		const struct group *g = gc->groups[i];
		snprintf((*v)[i].group, sizeof((*v)[i].group), "%s", g->name);
		(*v)[i].state = group_state(g);
		(*v)[i].members = g->nmembers;
	}
	pthread_mutex_unlock(&gc->lock);
}

static void member_view(const struct member *m, struct gc_member_view *out)
{
	snprintf(out->member_id, sizeof(out->member_id), "%s", m->id);
	out->member_epoch = m->epoch;
	snprintf(out->client_id, sizeof(out->client_id), "%s", m->client_id);
	snprintf(out->host, sizeof(out->host), "%s", m->host);
	out->session_ms = m->session_ms;
	out->subscription = xcalloc(m->ntopics + 1, sizeof(char *));
	for (size_t i = 0; i < m->ntopics; i++)
		out->subscription[i] = xstrdup(m->topics[i]);
	out->nsubscription = m->ntopics;
	tpl_copy(&m->answer, &out->assignment);
	tpl_copy(&m->target, &out->target);
}

/* Who was told it may own tp, or NULL. */
static const struct gc_member_view *holder(const struct gc_group_view *v, const struct gc_tp *tp)
{
	for (size_t k = 0; k < v->nmembers; k++) {
		const struct gc_tp_list *l = &v->members[k].assignment;
		for (size_t i = 0; i < l->n; i++)
			if (gc_tp_cmp(&l->v[i], tp) == 0)
				return &v->members[k];
	}
	return NULL;
}

/* One partition's line: committed offset, log, lag, holder. */
static void partition_view(const struct group *g, struct gc_group_view *v, const struct gc_tp *tp,
			   gc_log_range_fn log_range, void *arg, struct gc_partition_view *out)
{
	const struct offset_entry *oe = offtab_find(&g->offsets, tp);

	out->tp = *tp;
	out->has_offset = oe != NULL;
	out->offset = oe ? oe->offset : -1;
	out->metadata = oe && oe->metadata ? xstrdup(oe->metadata) : NULL;
	out->has_log = log_range(arg, tp, &out->log_start, &out->log_end) == 0;
	if (oe && out->has_log) {
		/* A committed offset past the end (a recreated topic) is no lag. */
		out->has_lag = 1;
		out->lag = out->log_end > oe->offset ? out->log_end - oe->offset : 0;
		v->known_lag += out->lag;
	} else {
		v->unknown_lag_partitions++;
	}
	out->holder = holder(v, tp);
}

int gc_describe(struct group_coordinator *gc, const char *group, gc_log_range_fn log_range,
		void *arg, struct gc_group_view *out, struct err *e)
{
	struct tpl all = { 0 };
	struct group *g;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&gc->lock);
	g = group_find(gc, group);
	if (!g) {
		rc = err_set(e, SLOG_EGROUP_ID_NOT_FOUND, "group %s does not exist", group);
		goto out;
	}
	snprintf(out->group, sizeof(out->group), "%s", g->name);
	out->state = group_state(g);
	out->group_epoch = g->epoch;
	out->members = xcalloc(g->nmembers + 1, sizeof(*out->members));
	out->nmembers = g->nmembers;
	for (size_t k = 0; k < g->nmembers; k++) {
		member_view(g->members[k], &out->members[k]);
		for (size_t i = 0; i < g->members[k]->answer.n; i++)
			tpl_add(&all, &g->members[k]->answer.v[i]);
	}
	for (size_t i = 0; i < g->offsets.n; i++)
		tpl_add(&all, &g->offsets.v[i].tp);
	out->partitions = xcalloc(all.n + 1, sizeof(*out->partitions));
	out->npartitions = all.n;
	for (size_t i = 0; i < all.n; i++)
		partition_view(g, out, &all.v[i], log_range, arg, &out->partitions[i]);
out:
	pthread_mutex_unlock(&gc->lock);
	tpl_free(&all);
	return rc;
}

void gc_group_view_free(struct gc_group_view *v)
{
	for (size_t k = 0; k < v->nmembers; k++) {
		struct gc_member_view *m = &v->members[k];
		for (size_t i = 0; i < m->nsubscription; i++)
			free(m->subscription[i]);
		free(m->subscription);
		gc_tp_list_free(&m->assignment);
		gc_tp_list_free(&m->target);
	}
	free(v->members);
	for (size_t i = 0; i < v->npartitions; i++)
		free(v->partitions[i].metadata);
	free(v->partitions);
	memset(v, 0, sizeof(*v));
}

/* The partitions of g's offsets, of topic (NULL: every topic) and of the
 * given partitions (NULL: all). */
static void offsets_of(const struct group *g, const char *topic, const int32_t *partitions,
		       size_t npartitions, struct gc_tp_list *out)
{
	out->v = xcalloc(g->offsets.n + 1, sizeof(*out->v));
	out->n = 0;
	for (size_t i = 0; i < g->offsets.n; i++) {
		const struct gc_tp *tp = &g->offsets.v[i].tp;
		int in = !partitions;
		if (topic && strcmp(tp->topic, topic) != 0)
			continue;
		for (size_t k = 0; !in && k < npartitions; k++)
			in = partitions[k] == tp->partition;
		if (in)
			out->v[out->n++] = *tp;
	}
}

int gc_delete_plan(struct group_coordinator *gc, const char *group, struct gc_tp_list *gone,
		   struct err *e)
{
	struct group *g;
	int rc = 0;

	memset(gone, 0, sizeof(*gone));
	pthread_mutex_lock(&gc->lock);
	g = group_find(gc, group);
	if (!g)
		rc = err_set(e, SLOG_EGROUP_ID_NOT_FOUND, "group %s does not exist", group);
	else if (g->nmembers)
		rc = err_set(e, SLOG_ENON_EMPTY_GROUP,
			     "group %s has %zu active members: stop them before deleting it", group,
			     g->nmembers);
	else
		offsets_of(g, NULL, NULL, 0, gone);
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

int gc_delete_offsets_plan(struct group_coordinator *gc, const char *group, const char *topic,
			   const int32_t *partitions, size_t npartitions, struct gc_tp_list *gone,
			   struct err *e)
{
	const struct member *m;
	struct group *g;
	int rc = 0;

	memset(gone, 0, sizeof(*gone));
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
		offsets_of(g, topic, partitions, npartitions, gone);
	}
	pthread_mutex_unlock(&gc->lock);
	return rc;
}

void gc_expired(struct group_coordinator *gc, int64_t retention_ms, int64_t now_ms,
		struct gc_expired_group **v, size_t *n)
{
	pthread_mutex_lock(&gc->lock);
	*v = xcalloc(gc->ngroups + 1, sizeof(**v));
	*n = 0;
	for (size_t i = 0; i < gc->ngroups; i++) {
		const struct group *g = gc->groups[i];
		if (g->nmembers || g->offsets.n == 0 ||
		    now_ms - offtab_newest_commit(&g->offsets, g->empty_since_ms) < retention_ms)
			continue;
		snprintf((*v)[*n].group, sizeof((*v)[*n].group), "%s", g->name);
		offsets_of(g, NULL, NULL, 0, &(*v)[*n].offsets);
		(*n)++;
	}
	pthread_mutex_unlock(&gc->lock);
}

void gc_expired_free(struct gc_expired_group *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		gc_tp_list_free(&v[i].offsets);
	free(v);
}
