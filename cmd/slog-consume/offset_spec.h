/*
 * offset_spec.h: where slog-consume starts (and stops), from -o.
 *
 *   beginning (start, earliest, oldest)   the log start of each partition
 *   end (latest, newest)                  the end: only new records
 *   N                                     offset N
 *   -N                                    N records before the end
 *   +N                                    N records after the log start
 *   @T                                    the first record at or after time T
 *   @T1:T2                                from T1, stopping at T2 (exclusive)
 *   stored                                with -g: the group's committed offset
 *   s@T, e@T                              kcat's spellings of @T and of :T2
 *
 * A time T is what units_parse_time() reads: ms since the epoch, a date
 * and time, or -DURATION before now (@-1h).
 */
#ifndef SLOG_OFFSET_SPEC_H
#define SLOG_OFFSET_SPEC_H

#include <stdint.h>

#include "err.h"

enum offset_kind {
	OFF_BEGINNING, OFF_END, OFF_ABSOLUTE, OFF_FROM_END, OFF_FROM_START, OFF_TIME,
	OFF_STORED, /* -g: the group's offset, else the beginning */
};

struct offset_spec {
	enum offset_kind kind;
	int64_t n;       /* the offset, count or start time */
	int64_t stop_ts; /* stop at records this new (exclusive); -1: no stop */
};

int offset_spec_parse(const char *s, int64_t now_ms, struct offset_spec *o, struct err *e);

#endif
