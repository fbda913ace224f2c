/*
 * record_format.h: how a record prints, by a format string of kcat's tokens
 * and more: slog-consume -f, and slog-produce's delivery report.
 *
 *   %s %v   value              %S   value length (-1 for null)
 *   %k      key                %K   key length (-1 for null)
 *   %t      topic              %p   partition
 *   %o      offset             %T   timestamp (ms since the epoch)
 *   %h      headers as name=value,name=value
 *   %l      lag: the partition's high watermark - offset - 1
 *   %[      the partition's log start offset
 *   %]      the partition's high watermark
 *   %d      timestamp as ISO 8601 UTC with ms (2026-11-22T10:00:00.123Z)
 *   %d{FMT} timestamp through strftime(3) in local time
 *   %%      a percent sign
 *   \n \t \r \\ \0  the usual escapes, and \xNN (two hex digits) for any byte
 *
 * The format is compiled once into a list of pieces; printing a record
 * appends to a buffer and allocates nothing.  A null key or value prints
 * as nothing, or as null_text (-Z) when set.
 */
#ifndef SLOG_RECORD_FORMAT_H
#define SLOG_RECORD_FORMAT_H

#include <stdint.h>

#include "buf.h"
#include "err.h"
#include "record.h"

struct format;

/* Compile fmt; NULL with the reason in e if it has an unknown token. */
struct format *format_compile(const char *fmt, struct err *e);
void format_free(struct format *f);

void format_record(const struct format *f, struct buf *out, const char *topic, int32_t partition,
		   const struct record *r, const char *null_text);

/* Where the record's partition stood when it was read, for %l %[ %];
 * -1 where unknown (and format_record() knows neither: they print -1). */
struct format_marks {
	int64_t log_start;
	int64_t high_watermark;
};

void format_record_marked(const struct format *f, struct buf *out, const char *topic,
			  int32_t partition, const struct record *r, const char *null_text,
			  const struct format_marks *m);

#endif
