/*
 * offset_table.c: a group's committed offsets.  See offset_table.h.
 */
#include "groups/offset_table.h"

#include <stdlib.h>
#include <string.h>

#include "sorted.h"
#include "xalloc.h"

int gc_tp_cmp(const struct gc_tp *a, const struct gc_tp *b)
{
	int c = strcmp(a->topic, b->topic);

	if (c)
		return c;
	return a->partition < b->partition ? -1 : a->partition > b->partition;
}

static int entry_cmp(const void *key, const void *elem)
{
	return gc_tp_cmp(key, &((const struct offset_entry *)elem)->tp);
}

static size_t locate(const struct offset_table *t, const struct gc_tp *tp, int *found)
{
	return sorted_locate(t->v, t->n, sizeof(*t->v), tp, entry_cmp, found);
}

const struct offset_entry *offtab_find(const struct offset_table *t, const struct gc_tp *tp)
{
	int found;
	size_t at = locate(t, tp, &found);

	return found ? &t->v[at] : NULL;
}

void offtab_apply(struct offset_table *t, const struct gc_offset *o, int64_t log_offset)
{
	int found;
	size_t at = locate(t, &o->tp, &found);
	struct offset_entry *oe;

	if (!found) {
		t->v = xgrow(t->v, &t->cap, t->n + 1, sizeof(*t->v));
		memmove(t->v + at + 1, t->v + at, (t->n - at) * sizeof(*t->v));
		t->n++;
		memset(&t->v[at], 0, sizeof(t->v[at]));
		t->v[at].tp = o->tp;
		t->v[at].log_offset = -1;
	}
	oe = &t->v[at];
	if (log_offset < oe->log_offset)
		return;
	oe->log_offset = log_offset;
	oe->offset = o->offset;
	oe->commit_ms = o->commit_ms;
	free(oe->metadata);
	oe->metadata = o->metadata ? xstrdup(o->metadata) : NULL;
}

int offtab_forget(struct offset_table *t, const struct gc_tp *tp)
{
	int found;
	size_t at = locate(t, tp, &found);

	if (!found)
		return 0;
	free(t->v[at].metadata);
	memmove(t->v + at, t->v + at + 1, (t->n - at - 1) * sizeof(*t->v));
	t->n--;
	return 1;
}

int64_t offtab_newest_commit(const struct offset_table *t, int64_t since)
{
	int64_t newest = since;

	for (size_t i = 0; i < t->n; i++)
		if (t->v[i].commit_ms > newest)
			newest = t->v[i].commit_ms;
	return newest;
}

void offtab_free(struct offset_table *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->v[i].metadata);
	free(t->v);
	memset(t, 0, sizeof(*t));
}
