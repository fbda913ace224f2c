/*
 * batch_iter.h: read the records of one batch, in offset order.
 *
 *   struct batch_iter it;
 *   struct record r;
 *   if (batch_iter_init(&it, p, len, &scratch, &e) == 0)
 *       while ((rc = batch_iter_next(&it, &r, &e)) > 0)
 *           use(&r);            // r borrows from p or scratch
 *
 * The iterator checks every length it reads (a truncated or lying record
 * is an error, never an overread) and, at the end, that the batch held
 * exactly recordCount records and no stray bytes.  It does not check the
 * CRC; batch_validate() (batch_check.h) does that (and uses this iterator for the rest).
 *
 * A compressed batch is decompressed once, into scratch, which the caller
 * owns and may reuse across batches so that reading allocates nothing per
 * batch in the steady state.  Records then point into scratch: they are
 * valid until scratch is next used.
 *
 * batch_iter_open() reads a compressed batch in steps instead: scratch
 * holds a window of about one record, and the records may expand to at
 * most max_records_bytes.  A batch of a few KiB can expand to hundreds of
 * MiB; streamed, reading it costs a record's worth of memory, and work up
 * to the limit.  Records are then valid only until the next call, and the
 * reader must call batch_iter_close().
 */
#ifndef SLOG_BATCH_ITER_H
#define SLOG_BATCH_ITER_H

#include <stddef.h>
#include <stdint.h>

#include "batch.h"
#include "buf.h"
#include "compress.h"
#include "err.h"
#include "record.h"

struct batch_iter {
	struct batch_header h;
	const uint8_t *p, *end; /* records not yet read */
	int32_t index;          /* records read so far */
	struct buf *window;     /* streamed: the caller's scratch, else NULL */
	struct decompress_stream z;
};

/*
 * Start reading the batch p[0..len) (len at least its size).  Returns 0,
 * SLOG_ECORRUPT_MESSAGE, or SLOG_EUNSUPPORTED_COMPRESSION_TYPE.
 * scratch may be NULL for batches known to be uncompressed.
 */
int batch_iter_init(struct batch_iter *it, const uint8_t *p, size_t len,
		    struct buf *scratch, struct err *e);

/*
 * Start reading p[0..len) in steps (see above).  Returns 0,
 * SLOG_ECORRUPT_MESSAGE, SLOG_EUNSUPPORTED_COMPRESSION_TYPE, or
 * SLOG_EMESSAGE_TOO_LARGE for records beyond max_records_bytes (also
 * possible from batch_iter_next() as the records come out).  After a 0,
 * call batch_iter_close() whether or not every record was read.
 */
int batch_iter_open(struct batch_iter *it, const uint8_t *p, size_t len,
		    size_t max_records_bytes, struct buf *window, struct err *e);
void batch_iter_close(struct batch_iter *it);

/* 1 with the next record in r, 0 at a well-formed end, <0 on error. */
int batch_iter_next(struct batch_iter *it, struct record *r, struct err *e);

#endif
