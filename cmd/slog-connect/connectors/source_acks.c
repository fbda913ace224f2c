/*
 * source_acks.c: the ring of (sequence, position) pairs between a source
 * and its writer (source_acks.h).
 */
#include <string.h>

#include "connectors/source_acks.h"
#include "xalloc.h"

void source_acks_init(struct source_acks *a)
{
	memset(a, 0, sizeof(*a));
}

void source_acks_free(struct source_acks *a)
{
	free(a->ring);
	source_acks_init(a);
}

/* Double the ring, unwrapping it so that head is 0.  The size stays a
 * power of two, so an index wraps with a mask, not a division. */
static void grow(struct source_acks *a)
{
	size_t cap = a->cap ? a->cap * 2 : 1024;
	struct ack_entry *ring = xmalloc(cap * sizeof(*ring));
	for (size_t i = 0; i < a->n; i++)
		ring[i] = a->ring[(a->head + i) & (a->cap - 1)];
	free(a->ring);
	a->ring = ring;
	a->cap = cap;
	a->head = 0;
}

void source_acks_push(struct source_acks *a, uint64_t seq, void *owner, int64_t pos)
{
	if (a->n == a->cap)
		grow(a);
	struct ack_entry *en = &a->ring[(a->head + a->n) & (a->cap - 1)];
	en->seq = seq;
	en->owner = owner;
	en->pos = pos;
	a->n++;
}

void source_acks_advance(struct source_acks *a, uint64_t done,
			 void (*fn)(void *arg, void *owner, int64_t pos), void *arg)
{
	while (a->n && a->ring[a->head].seq <= done) {
		struct ack_entry en = a->ring[a->head];
		a->head = (a->head + 1) & (a->cap - 1);
		a->n--;
		fn(arg, en.owner, en.pos);
	}
}

size_t source_acks_pending(const struct source_acks *a)
{
	return a->n;
}
