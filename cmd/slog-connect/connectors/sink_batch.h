/*
 * sink_batch.h: records a sink holds until their delivery is settled.
 *
 * The HTTP and exec sinks send records in groups, and must keep each
 * one until its group was delivered, or was dead-lettered record by
 * record: the crec the runner hands to put() is the runner's and changes
 * at the next record, so the batch keeps its own copies.  The copies'
 * buffers stay across batches (crec_reset), so a steady stream allocates
 * nothing.
 */
#ifndef SLOG_SINK_BATCH_H
#define SLOG_SINK_BATCH_H

#include <stddef.h>
#include <stdint.h>

#include "runtime/connect_record.h"

struct sink_batch {
	struct crec *recs;   /* recs[0..n) held; [n..cap) spare */
	size_t n, cap;
	size_t bytes;        /* key and value bytes held */
	int64_t first_ms;    /* monotonic time the first record came */
};

void sink_batch_init(struct sink_batch *b);
void sink_batch_free(struct sink_batch *b);
/* Drop the records, keeping the allocations. */
void sink_batch_clear(struct sink_batch *b);

/* Copy r in (at now_ms, monotonic). */
void sink_batch_add(struct sink_batch *b, const struct crec *r, int64_t now_ms);

/* Drop the first k records (settled), keeping the others in order. */
void sink_batch_drop_front(struct sink_batch *b, size_t k);

/* Copy src into dst, replacing what dst held (both owned). */
void sink_crec_copy(struct crec *dst, const struct crec *src);

#endif
