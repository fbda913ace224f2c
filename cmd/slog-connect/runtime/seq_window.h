/*
 * seq_window.h: the highest n such that records 1..n are all done, when
 * they finish in any order.
 *
 * A source's records are numbered 1, 2, 3, ... as it hands them over;
 * partitions are acknowledged in any order, and a failed record may be
 * done only after its dead letter is acknowledged, long after the records
 * behind it.  Progress may be saved only up to the first record not yet
 * done (Kafka Connect's SubmittedRecords keeps the same rule), so the
 * window keeps one flag for each number above done_upto up to the
 * highest one done, and moves done_upto over the gapless run of flags.
 *
 * Memory is a ring of flags as wide as the distance between the oldest
 * record not done and the newest one done: bounded by what a writer may
 * keep unacknowledged.  Pure; single-threaded.
 */
#ifndef SLOG_SEQ_WINDOW_H
#define SLOG_SEQ_WINDOW_H

#include <stddef.h>
#include <stdint.h>

struct seq_window {
	uint64_t done_upto;   /* every n <= done_upto is done */
	uint8_t *flags;       /* flags[n % cap]: n is done, for done_upto < n */
	size_t cap;           /* a power of two, or 0 */
};

void seq_window_init(struct seq_window *w);
void seq_window_free(struct seq_window *w);

/* Record n (> done_upto, not done before) is done; returns done_upto. */
uint64_t seq_window_done(struct seq_window *w, uint64_t n);

#endif
