/*
 * seq_window.c: done_upto over records finishing out of order.  See
 * seq_window.h.
 */
#include "runtime/seq_window.h"

#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

void seq_window_init(struct seq_window *w)
{
	memset(w, 0, sizeof(*w));
}

void seq_window_free(struct seq_window *w)
{
	free(w->flags);
	memset(w, 0, sizeof(*w));
}

/* Room for every number up to n: a wider ring, each flag moved to its new place. */
static void reach(struct seq_window *w, uint64_t n)
{
	size_t cap = w->cap ? w->cap : 64;
	uint8_t *flags;

	while (n - w->done_upto >= cap)
		cap *= 2;
	if (cap == w->cap)
		return;
	flags = xcalloc(cap, 1);
	for (uint64_t k = w->done_upto + 1; w->cap && k < w->done_upto + 1 + w->cap; k++)
		flags[k & (cap - 1)] = w->flags[k & (w->cap - 1)];
	free(w->flags);
	w->flags = flags;
	w->cap = cap;
}

uint64_t seq_window_done(struct seq_window *w, uint64_t n)
{
	if (n <= w->done_upto)
		return w->done_upto;
	reach(w, n);
	w->flags[n & (w->cap - 1)] = 1;
	while (w->flags[(w->done_upto + 1) & (w->cap - 1)]) {
		w->flags[(w->done_upto + 1) & (w->cap - 1)] = 0;
		w->done_upto++;
	}
	return w->done_upto;
}
