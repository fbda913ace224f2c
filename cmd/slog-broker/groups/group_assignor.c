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

void group_assign(struct ga_member *m, size_t nm, const struct ga_topic *t, size_t nt)
{
	size_t *first = xcalloc(nt + 1, sizeof(size_t)), total = 0;
	size_t *quota = xcalloc(nm + 1, sizeof(size_t)), *caps = xcalloc(nm + 1, sizeof(size_t));
	int *owner; /* per partition: member index, -1 unassigned */

	for (size_t i = 0; i < nt; i++) {
		first[i] = total;
		total += (size_t)(t[i].partitions > 0 ? t[i].partitions : 0);
	}
	owner = xcalloc(total + 1, sizeof(int));
	for (size_t i = 0; i < total; i++)
		owner[i] = -1;
	for (size_t k = 0; k < nm; k++) {
		m[k].target = NULL;
		m[k].ntarget = 0;
	}

	/* 1. Quotas: each partition to the eligible member with the least,
	 *    its previous owner first among equals. */
	for (size_t ti = 0; ti < nt; ti++) {
		for (int32_t p = 0; p < t[ti].partitions; p++) {
			int best = -1;
			for (size_t k = 0; k < nm; k++) {
				if (!subscribes(&m[k], (int)ti))
					continue;
				if (best < 0 || quota[k] < quota[best] ||
				    (quota[k] == quota[best] && had(&m[k], (int)ti, p) &&
				     !had(&m[best], (int)ti, p)))
					best = (int)k;
			}
			if (best >= 0)
				quota[best]++;
		}
	}
	/* 2. Keep what was had, up to the quota. */
	for (size_t k = 0; k < nm; k++) {
		for (size_t i = 0; i < m[k].nprev && m[k].ntarget < quota[k]; i++) {
			const struct ga_tp *tp = &m[k].prev[i];
			size_t s;
			if (tp->topic < 0 || (size_t)tp->topic >= nt || tp->partition < 0 ||
			    tp->partition >= t[tp->topic].partitions || !subscribes(&m[k], tp->topic))
				continue;
			s = slot(first, tp->topic, tp->partition);
			if (owner[s] >= 0)
				continue;
			owner[s] = (int)k;
			give(&m[k], &caps[k], tp->topic, tp->partition);
		}
	}
	/* 3. The rest to eligible members with room, fewest first; when every
	 *    eligible member is full (unlike subscriptions), to the fewest. */
	for (size_t ti = 0; ti < nt; ti++) {
		for (int32_t p = 0; p < t[ti].partitions; p++) {
			size_t s = slot(first, (int)ti, p);
			int best = -1, best_any = -1;
			if (owner[s] >= 0)
				continue;
			for (size_t k = 0; k < nm; k++) {
				if (!subscribes(&m[k], (int)ti))
					continue;
				if (best_any < 0 || m[k].ntarget < m[best_any].ntarget)
					best_any = (int)k;
				if (m[k].ntarget < quota[k] &&
				    (best < 0 || m[k].ntarget < m[best].ntarget))
					best = (int)k;
			}
			if (best < 0)
				best = best_any;
			if (best < 0)
				continue; /* nobody subscribes */
			owner[s] = best;
			give(&m[best], &caps[best], (int)ti, p);
		}
	}
	free(first);
	free(quota);
	free(caps);
	free(owner);
}
