/*
 * group_assignor.c: balanced, sticky partition assignment.  See
 * group_assignor.h.
 */
#include "groups/group_assignor.h"

#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

static int subscribes(const struct ga_member *m, int topic)
{
	for (size_t i = 0; i < m->ntopics; i++)
		if (m->topics[i] == topic)
			return 1;
	return 0;
}

static int had(const struct ga_member *m, int topic, int32_t p)
{
	for (size_t i = 0; i < m->nprev; i++)
		if (m->prev[i].topic == topic && m->prev[i].partition == p)
			return 1;
	return 0;
}

/* Index of partition p of topic t among all partitions. */
static size_t slot(const size_t *first, int t, int32_t p)
{
	return first[t] + (size_t)p;
}

static void give(struct ga_member *m, size_t *cap, int t, int32_t p)
{
	m->target = xgrow(m->target, cap, m->ntarget + 1, sizeof(*m->target));
	m->target[m->ntarget].topic = t;
	m->target[m->ntarget].partition = p;
	m->ntarget++;
}

/* The work of one group_assign(). */
struct deal {
	struct ga_member *m;
	size_t nm;
	const struct ga_topic *t;
	size_t nt;
	size_t *first;  /* per topic: the slot of its partition 0 */
	size_t *quota;  /* per member */
	size_t *caps;   /* per member: its target's capacity */
	int *owner;     /* per partition: member index, -1 unassigned */
};

/* 1. Quotas: each partition to the eligible member with the least, its
 *    previous owner first among equals. */
static void deal_quotas(struct deal *d)
{
	for (size_t ti = 0; ti < d->nt; ti++) {
		for (int32_t p = 0; p < d->t[ti].partitions; p++) {
			int best = -1;
			for (size_t k = 0; k < d->nm; k++) {
				if (!subscribes(&d->m[k], (int)ti))
					continue;
				if (best < 0 || d->quota[k] < d->quota[best] ||
				    (d->quota[k] == d->quota[best] && had(&d->m[k], (int)ti, p) &&
				     !had(&d->m[best], (int)ti, p)))
					best = (int)k;
			}
			if (best >= 0)
				d->quota[best]++;
		}
	}
}

/* 2. Keep what was had, up to the quota. */
static void keep_previous(struct deal *d)
{
	for (size_t k = 0; k < d->nm; k++) {
		struct ga_member *m = &d->m[k];
		for (size_t i = 0; i < m->nprev && m->ntarget < d->quota[k]; i++) {
			const struct ga_tp *tp = &m->prev[i];
			size_t s;
			if (tp->topic < 0 || (size_t)tp->topic >= d->nt || tp->partition < 0 ||
			    tp->partition >= d->t[tp->topic].partitions || !subscribes(m, tp->topic))
				continue;
			s = slot(d->first, tp->topic, tp->partition);
			if (d->owner[s] >= 0)
				continue;
			d->owner[s] = (int)k;
			give(m, &d->caps[k], tp->topic, tp->partition);
		}
	}
}

/* The eligible member with room and the fewest; when every eligible
 * member is full (unlike subscriptions), the fewest; -1 if nobody
 * subscribes to topic ti. */
static int taker(const struct deal *d, size_t ti)
{
	int best = -1, best_any = -1;

	for (size_t k = 0; k < d->nm; k++) {
		const struct ga_member *m = &d->m[k];
		if (!subscribes(m, (int)ti))
			continue;
		if (best_any < 0 || m->ntarget < d->m[best_any].ntarget)
			best_any = (int)k;
		if (m->ntarget < d->quota[k] && (best < 0 || m->ntarget < d->m[best].ntarget))
			best = (int)k;
	}
	return best >= 0 ? best : best_any;
}

/* 3. The rest to eligible members with room, fewest first. */
static void place_rest(struct deal *d)
{
	for (size_t ti = 0; ti < d->nt; ti++) {
		for (int32_t p = 0; p < d->t[ti].partitions; p++) {
			size_t s = slot(d->first, (int)ti, p);
			int best;
			if (d->owner[s] >= 0)
				continue;
			best = taker(d, ti);
			if (best < 0)
				continue; /* nobody subscribes */
			d->owner[s] = best;
			give(&d->m[best], &d->caps[best], (int)ti, p);
		}
	}
}

void group_assign(struct ga_member *m, size_t nm, const struct ga_topic *t, size_t nt)
{
	struct deal d = { .m = m, .nm = nm, .t = t, .nt = nt };
	size_t total = 0;

	d.first = xcalloc(nt + 1, sizeof(size_t));
	d.quota = xcalloc(nm + 1, sizeof(size_t));
	d.caps = xcalloc(nm + 1, sizeof(size_t));
	for (size_t i = 0; i < nt; i++) {
		d.first[i] = total;
		total += (size_t)(t[i].partitions > 0 ? t[i].partitions : 0);
	}
	d.owner = xcalloc(total + 1, sizeof(int));
	for (size_t i = 0; i < total; i++)
		d.owner[i] = -1;
	for (size_t k = 0; k < nm; k++) {
		m[k].target = NULL;
		m[k].ntarget = 0;
	}
	deal_quotas(&d);
	keep_previous(&d);
	place_rest(&d);
	free(d.first);
	free(d.quota);
	free(d.caps);
	free(d.owner);
}
