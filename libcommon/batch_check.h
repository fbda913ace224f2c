/*
 * batch_check.h: batch_validate(), the one check of a batch from outside
 * (network or disk): header, CRC, codec and, at the fuller levels, every
 * record.  It lives apart from batch.h because it walks the records with
 * batch_iter.h, which itself reads headers with batch.h: batch.h stays
 * the header and CRC only, below both.
 */
#ifndef SLOG_BATCH_CHECK_H
#define SLOG_BATCH_CHECK_H

#include <stddef.h>
#include <stdint.h>

#include "batch.h"
#include "buf.h"
#include "err.h"

/* How much batch_validate() checks. */
enum batch_check {
	/* Header and CRC only: recovery, where the body was checked on append. */
	BATCH_CHECK_CRC = 1,
	/* Everything: CRC, decompression, every record within bounds, record
	 * count, offset deltas strictly increasing up to lastOffsetDelta,
	 * maxTimestamp equal to the largest record timestamp. */
	BATCH_CHECK_FULL = 2,
	/* FULL, plus what a producer's batch must be: at least one record,
	 * offset deltas exactly 0..count-1, no control or transaction bits. */
	BATCH_CHECK_PRODUCE = 3,
};

/*
 * Check the batch in p[0..len): len must be exactly its size.  On success
 * fills h (if not NULL) and returns 0; otherwise returns
 * SLOG_ECORRUPT_MESSAGE (CRC, bounds, structure),
 * SLOG_EUNSUPPORTED_COMPRESSION_TYPE, SLOG_EMESSAGE_TOO_LARGE (records
 * expand beyond BATCH_MAX_RECORDS_BYTES) or, at BATCH_CHECK_PRODUCE,
 * SLOG_EINVALID_RECORD or SLOG_EINVALID_TIMESTAMP (a negative record
 * timestamp), with the reason in e.  Records are decompressed in steps
 * into scratch (reused across calls, may be NULL), which holds about one
 * record at a time.
 */
int batch_validate(const uint8_t *p, size_t len, enum batch_check level,
		   struct batch_header *h, struct buf *scratch, struct err *e);

/* The same, with the records' decompressed size bounded by
 * max_records_bytes: the work and memory spent on a batch stay within it. */
int batch_validate_within(const uint8_t *p, size_t len, enum batch_check level,
			  size_t max_records_bytes, struct batch_header *h, struct buf *scratch,
			  struct err *e);

#endif
