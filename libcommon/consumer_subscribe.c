/*
 * consumer_subscribe.c: the topics a group member subscribes to.  See
 * consumer.h.
 *
 * The topics named are subscribed to as they are.  With a regex, the
 * cluster's topics are listed again every topics_refresh_ms, and every
 * one that matches joins the subscription (Kafka's consumer re-evaluates
 * a pattern subscription each metadata.max.age.ms the same way): the
 * next heartbeat tells the group, whose assignor then gives the new
 * topic's partitions to its members.  The list is kept sorted so that
 * "changed" is one comparison.
 */
#include <stdlib.h>
#include <string.h>

#include "consumer_internal.h"
#include "xalloc.h"

#define REFRESH_MS 5000

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int listed(char *const *v, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i], name) == 0)
			return 1;
	return 0;
}

static void free_list(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

int subscribe_refresh(struct consumer *c, int64_t deadline, int *changed, struct err *e)
{
	const struct consumer_opts *o = c->o;
	char **matched = NULL, **v;
	size_t nmatched = 0, n = 0;

	*changed = 0;
	c->next_refresh = clock_mono_ms() + (o->topics_refresh_ms > 0 ? o->topics_refresh_ms
								     : REFRESH_MS);
	if (o->topics_regex &&
	    cluster_topic_names(c->cl, o->topics_regex, deadline, &matched, &nmatched, e))
		return e->code;
	v = xcalloc((size_t)o->ntopics + nmatched + 1, sizeof(*v));
	for (int i = 0; i < o->ntopics; i++)
		if (!listed(v, n, o->topics[i]))
			v[n++] = xstrdup(o->topics[i]);
	for (size_t i = 0; i < nmatched; i++)
		if (!listed(v, n, matched[i]))
			v[n++] = xstrdup(matched[i]);
	cluster_names_free(matched, nmatched);
	if (n)
		qsort(v, n, sizeof(*v), by_name);
	if (cluster_names_equal(v, n, c->subs, c->nsubs)) {
		free_list(v, n);
		return 0;
	}
	free_list(c->subs, c->nsubs);
	c->subs = v;
	c->nsubs = n;
	*changed = 1;
	return 0;
}

int subscribe_named(const struct consumer *c, const char *topic)
{
	for (int i = 0; i < c->o->ntopics; i++)
		if (strcmp(c->o->topics[i], topic) == 0)
			return 1;
	return 0;
}

void subscribe_free(struct consumer *c)
{
	free_list(c->subs, c->nsubs);
	c->subs = NULL;
	c->nsubs = 0;
}
