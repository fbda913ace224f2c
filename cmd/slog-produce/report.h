/*
 * report.h: slog-produce's delivery report (-O, --report-format).
 *
 * One line per acknowledged record, in the order acknowledgements come:
 * by default "partition offset" (DESIGN §6); with --report-format, a format of
 * slog-consume -f's tokens (record_format.h), or "json" for one NDJSON
 * object per record with its topic, partition, offset, timestamp and key
 * (ndjson_write_head()).
 *
 * The report needs nothing kept per record: when a batch is acknowledged
 * its bytes are still at hand, so they are read again (batch_iter.h) for
 * the keys and timestamps, and the offsets follow from the base offset
 * the broker gave the batch.
 */
#ifndef SLOG_REPORT_H
#define SLOG_REPORT_H

#include <stdint.h>

#include "buf.h"
#include "err.h"

#define REPORT_DEFAULT_FORMAT "%p %o\n"

struct report;

/* fmt: a format string, or "json".  NULL with the reason in e when fmt is bad. */
struct report *report_new(const char *fmt, struct err *e);
void report_free(struct report *rp);

/*
 * Append a line for each record of the batch data[0..len), acknowledged
 * at base_offset of topic's partition.  SLOG_ECORRUPT_MESSAGE only if the
 * batch cannot be read back (the producer built it: a bug).
 */
int report_batch(struct report *rp, struct buf *out, const char *topic, int32_t partition,
		 int64_t base_offset, const void *data, size_t len, struct err *e);

#endif
