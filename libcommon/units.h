/*
 * units.h: the one bounded parser for numbers a user types.
 *
 * Every number from the command line, a config file or a query string
 * goes through here (never atoi): the whole string must be the number,
 * the result must fit the range, and sizes and durations take units.
 *
 *   sizes      4096  64k  512MiB  1GB  1.5GiB   (k/M/G/T and KiB.. are
 *              1024-based, KB/MB/GB/TB 1000-based, as dd and systemd read them)
 *   durations  500ms  10s  5m  1h  7d  2w  1.5h (a bare number is in the
 *              caller's unit, milliseconds for *.ms keys)
 *
 * Functions return 0 or SLOG_EINVALID_CONFIG with the reason in e; the
 * caller adds the name of what it was parsing.
 */
#ifndef SLOG_UNITS_H
#define SLOG_UNITS_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

int units_parse_int(const char *s, int64_t min, int64_t max, int64_t *out, struct err *e);
int units_parse_bytes(const char *s, int64_t min, int64_t max, int64_t *out, struct err *e);
int units_parse_duration(const char *s, int64_t bare_unit_ms, int64_t min, int64_t max,
			 int64_t *out_ms, struct err *e);
int units_parse_bool(const char *s, int *out, struct err *e);

/* "1.5 GiB", "512 B": for humans, not for parsing back. */
/*
 * A point in time, in ms since the epoch: a number since the epoch
 * (seconds if it has 10 digits or fewer, ms if 11 or more, as rpk reads
 * them; 1500ms or 1796021410s say the unit outright), a date YYYY-MM-DD,
 * a date and time YYYY-MM-DDTHH:MM[:SS] (local time, or UTC with a
 * trailing Z), or -DURATION before now_ms (-1h).
 */
int units_parse_time(const char *s, int64_t now_ms, int64_t *out, struct err *e);

void units_format_bytes(char *out, size_t size, int64_t bytes);

#endif
