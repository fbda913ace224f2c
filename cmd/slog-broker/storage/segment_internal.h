/*
 * segment_internal.h: what segment.c and segment_recovery.c share, the
 * two halves of the segment module.  Nothing else includes this.
 */
#ifndef SLOG_SEGMENT_INTERNAL_H
#define SLOG_SEGMENT_INTERNAL_H

#include "storage/segment.h"

#define RECOVERY_CHUNK (1u << 20)
#define INDEX_MAX_BYTES (256u << 20)

void seg_reader_init(struct chunk_reader *r, const struct segment *s, const char *what,
		     uint8_t *buf, size_t cap, int owned);

/*
 * Bytes [off, off+n) of the file, or NULL with rc set: 0 when the file
 * ends first, negative on a read error.  limit is where valid data ends.
 */
const uint8_t *seg_reader_get(struct chunk_reader *r, uint64_t off, size_t n, uint64_t limit,
			      int *rc, struct err *e);

/* Account for one batch at pos: index entries, max timestamp, end offset. */
void seg_index_note(struct segment *s, const struct batch_header *h, uint64_t pos);

/* Forget the indexes (unmap or empty them). */
void seg_drop_indexes(struct segment *s);

/*
 * The batch at pos, read whole through rd: 1 when it parses and its CRC
 * matches, 2 when it parses but the CRC does not, 0 when it does not
 * parse or runs past end (why says which), or a negative read error.
 */
int seg_read_batch(struct chunk_reader *rd, uint64_t pos, uint64_t end, struct batch_header *h,
		   struct err *why, struct err *e);

#endif
