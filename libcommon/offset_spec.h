/*
 * offset_spec.h: where slog-consume starts (and stops), from -o.
 *
 *   beginning (start, earliest, oldest)   the log start of each partition
 *   end (latest, newest)                  the end: only new records
 *   N                                     offset N
 *   -N                                    N records before the end
 *   +N                                    N records after the log start
 *   N:M  N:  :M                           from offset N (or the start),
 *                                         stopping before offset M
 *   N:end  :end                           ... stopping at the end as it
 *                                         was at start (as -e does)
 *   @T                                    the first record at or after time T
 *   @T1:T2  @T1:  @:T2  @T1:end           from T1 (or the start), stopping
 *                                         at T2 (exclusive) or at the end
 *   stored                                with -g: the group's committed offset
 *   s@T, e@T                              kcat's spellings of @T and of @:T
 *   P=START                               partition P starts at START (any
 *                                         form above without a stop)
 *
 * A time T is what units_parse_time() reads: seconds or ms since the
 * epoch, a date and time, or -DURATION before now (@-1h).  A date and
 * time has colons of its own, so @T is first read as one time; only if
 * it is none is it split into T1:T2, at the colon where both sides read
 * as times.  (Read as a range, @2026-11-30T07:40:10 would end at 10 s
 * after the epoch, before it starts: whole, it is what was meant.)
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
	int64_t n;           /* the offset, count or start time */
	int64_t stop_ts;     /* stop at records this new (exclusive); -1: no stop */
	int64_t stop_offset; /* stop before this offset; -1: no stop */
	int stop_at_end;     /* :end, stop at the end as it was at start */
};

/* One partition's own start, from -o P=START. */
struct partition_start {
	int32_t partition;
	struct offset_spec spec;
};

int offset_spec_parse(const char *s, int64_t now_ms, struct offset_spec *o, struct err *e);

/* Does s say P=START?  Then 1, with the partition and its start in *ps
 * (or -1 with e set when either part is bad); 0 when s is no such thing. */
int offset_spec_parse_partition(const char *s, int64_t now_ms, struct partition_start *ps,
				struct err *e);

/* Does o stop anywhere (a range)? */
int offset_spec_stops(const struct offset_spec *o);

#endif
