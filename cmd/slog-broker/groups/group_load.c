/*
 * group_load.c: which __consumer_offsets partitions' groups are loaded,
 * and in which leader epoch.  See group_coordinator.h.
 *
 * A partition's groups are read back once per leader epoch led here.
 * While one request reads them back, the others about those groups are
 * told COORDINATOR_NOT_AVAILABLE and retry, as Kafka's clients do while
 * a coordinator loads (COORDINATOR_LOAD_IN_PROGRESS): no request ever
 * sees a half-loaded group, nor one left from an earlier epoch.
 */
#include <string.h>

#include "groups/group_internal.h"
#include "xalloc.h"

/* The load state of partition, made when first asked (lock held). */
static struct gc_load *load_of(struct group_coordinator *gc, int32_t partition)
{
	size_t want = (size_t)partition + 1;

	if (gc->nloads < want) {
		gc->loads = xrealloc(gc->loads, want * sizeof(*gc->loads));
		for (size_t i = gc->nloads; i < want; i++)
			gc->loads[i] = (struct gc_load){ .epoch = -1 };
		gc->nloads = want;
	}
	return &gc->loads[partition];
}

/* Forget the groups of partition (of count) (lock held). */
static void unload(struct group_coordinator *gc, int32_t partition, int32_t count)
{
	for (size_t i = gc->ngroups; i-- > 0;)
		if (gc_partition_for(gc->groups[i]->name, count) == partition)
			group_remove(gc, i);
}

enum gc_load_state gc_load_begin(struct group_coordinator *gc, int32_t partition, int32_t count,
				 int32_t epoch)
{
	enum gc_load_state st = GC_LOADED;
	struct gc_load *l;

	pthread_mutex_lock(&gc->lock);
	l = load_of(gc, partition);
	if (l->loading) {
		st = GC_LOADING;
	} else if (l->epoch != epoch) {
		unload(gc, partition, count);
		l->loading = 1;
		st = GC_LOAD_NOW;
	}
	pthread_mutex_unlock(&gc->lock);
	return st;
}

void gc_load_end(struct group_coordinator *gc, int32_t partition, int32_t epoch, int ok)
{
	struct gc_load *l;

	pthread_mutex_lock(&gc->lock);
	l = load_of(gc, partition);
	l->loading = 0;
	l->epoch = ok ? epoch : -1;
	pthread_mutex_unlock(&gc->lock);
}
