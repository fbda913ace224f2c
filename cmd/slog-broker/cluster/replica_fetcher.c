/*
 * replica_fetcher.c: the follower's fetches (replica_fetcher.h).
 *
 * Not built yet: followers fetch nothing.
 */
#include <stddef.h>

#include "cluster/replica_fetcher.h"

struct replica_fetcher *replica_fetcher_start(struct broker *b)
{
	(void)b;
	return NULL;
}

void replica_fetcher_stop(struct replica_fetcher *f)
{
	(void)f;
}

void replica_fetcher_poke(struct replica_fetcher *f)
{
	(void)f;
}
