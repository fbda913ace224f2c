/*
 * source_acks.h: which source position is safe to save, given the
 * writer's acknowledgements.
 *
 * A source pushes, after each record it queued, the position that record
 * ends at and the writer's sequence number for it (record_writer.h).
 * Records that never reach the writer (a blank NDJSON line, one a
 * transform dropped, one the error policy skipped) push the last sequence
 * number queued before them: their position is safe once everything
 * before them is.  source_acks_advance() then hands back, in order, every
 * position whose record is done (writer_done_upto()), so progress never
 * passes a record that was not acknowledged.
 *
 * A ring that grows to the most records in flight and then allocates no
 * more.  Single-threaded.
 */
#ifndef SLOG_SOURCE_ACKS_H
#define SLOG_SOURCE_ACKS_H

#include <stddef.h>
#include <stdint.h>

struct ack_entry {
	uint64_t seq;
	void *owner;           /* the caller's: which file, which child */
	int64_t pos;
};

struct source_acks {
	struct ack_entry *ring;
	size_t head, n, cap;
};

void source_acks_init(struct source_acks *a);
void source_acks_free(struct source_acks *a);

void source_acks_push(struct source_acks *a, uint64_t seq, void *owner, int64_t pos);

/* Pop every entry with seq <= done, oldest first, calling fn for each. */
void source_acks_advance(struct source_acks *a, uint64_t done,
			 void (*fn)(void *arg, void *owner, int64_t pos), void *arg);

/* Entries not yet done. */
size_t source_acks_pending(const struct source_acks *a);

#endif
