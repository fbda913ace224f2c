/*
 * sink_path.h: the file a sink record goes to, from file.path's template.
 *
 *   %t   the record's topic          %p   its partition
 *   %i   the roll index: 0 for the first file, 1 after the first roll, ...
 *   %%   a percent sign
 *   any other %X goes to strftime(3), in local time (TZ=UTC for UTC):
 *   /data/%t/%Y-%m-%d/%t-%p.log
 *
 * %t and %p are taken before strftime sees the text (where they would
 * mean a tab and AM/PM).  A template without %i gets the index as a
 * suffix once the file has rolled: out.log, out.log.1, out.log.2, ...
 */
#ifndef SLOG_SINK_PATH_H
#define SLOG_SINK_PATH_H

#include <stdint.h>

#include "buf.h"
#include "err.h"

/* Check a template: 0, or SLOG_EINVALID_CONFIG naming what is wrong. */
int sink_path_check(const char *tmpl, struct err *e);

/*
 * Expand tmpl for topic's partition, roll index idx, at wall_ms (ms since
 * the epoch) into out (replacing what it held).  0, or SLOG_EINVALID_CONFIG
 * when the result is empty or too long for a path.
 */
int sink_path_expand(const char *tmpl, const char *topic, int32_t partition, int idx,
		     int64_t wall_ms, struct buf *out, struct err *e);

/* Whether the template changes with the time (it holds a strftime token). */
int sink_path_has_time(const char *tmpl);

#endif
