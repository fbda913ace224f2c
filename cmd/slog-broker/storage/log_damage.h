/*
 * log_damage.h: the offset ranges of a partition log that recovery found
 * damaged, kept so that no reader is served their bytes.
 *
 * A batch whose CRC fails with valid batches after it is not a torn tail:
 * cutting the log there would throw away acknowledged records and hand
 * their offsets out again.  Recovery keeps such a batch in place and
 * records its range here instead; a read of those offsets answers
 * CORRUPT_MESSAGE naming the range, and a read running into them stops
 * before.  (A replica will later fetch the range from another replica.)
 * The list is saved in the partition directory ("damaged-offsets"), so a
 * clean start, which does not CRC-check old segments, still knows.
 *
 * The owning log's lock guards a struct log_damage.
 */
#ifndef SLOG_LOG_DAMAGE_H
#define SLOG_LOG_DAMAGE_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

struct log_damage_range {
	int64_t first, last; /* offsets (last < first: bytes that stand for none) */
	int64_t seg_base;    /* the segment holding the bytes */
	uint64_t pos, end;   /* the bytes in its .log */
};

struct log_damage {
	struct log_damage_range *v; /* sorted by first */
	size_t n, cap;
};

/* Where a read must stop short in one segment (pos UINT64_MAX: nowhere). */
struct log_damage_clip {
	uint64_t pos, end;
	int64_t first, last;
};

void log_damage_free(struct log_damage *d);
void log_damage_add(struct log_damage *d, const struct log_damage_range *r);

/* Forget ranges at or after offset (truncation), or before it (retention). */
void log_damage_drop_from(struct log_damage *d, int64_t offset);
void log_damage_drop_before(struct log_damage *d, int64_t offset);

/*
 * For a read at offset in the segment at seg_base whose walk starts at
 * *start_hint: SLOG_ECORRUPT_MESSAGE naming the range if offset is
 * damaged; else move *start_hint past damage wholly before offset, and
 * fill clip with the first damage the read could reach.
 */
int log_damage_plan(const struct log_damage *d, int64_t seg_base, int64_t offset,
		    uint64_t *start_hint, struct log_damage_clip *clip, struct err *e);

/*
 * Cut a region [pos, pos + *length) short at the clip: *length and
 * *next_offset are lowered.  SLOG_ECORRUPT_MESSAGE if it starts inside.
 */
int log_damage_clip_region(const struct log_damage_clip *c, uint64_t pos, uint64_t *length,
			   int64_t *next_offset, struct err *e);

/* "<dir>/damaged-offsets": replace it (remove it when empty), or read it. */
int log_damage_save(const struct log_damage *d, const char *dir, struct err *e);
int log_damage_load(struct log_damage *d, const char *dir, struct err *e);

#endif
