/*
 * sink_files.h: the files a file sink writes, their rolls and their
 * durability.
 *
 * Each record goes to the file its partition's template names now
 * (sink_path.h); partitions whose paths expand alike share one file.
 * Bytes are buffered per file and written in large pieces; a file rolls
 * (the next roll index, a new file) before a record would take it past
 * max_bytes, once it has been open roll_ms, and when the template's time
 * moves on (hourly paths); a file no record reached for idle_close_ms is
 * closed and reopened for appending when a record comes.
 *
 * The promise the sink's commit rests on: after sink_files_flush()
 * returned 0 every byte written so far is in its file and, with fsync
 * on, on the disk (each file fsynced, and the directory of each file
 * created, so the file's name survives a crash too).  A file already
 * there is appended to, never truncated: restarts from the committed
 * offsets add at most duplicates.
 *
 * All calls may block on the disk.  One task uses a sink_files: no lock.
 */
#ifndef SLOG_SINK_FILES_H
#define SLOG_SINK_FILES_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

struct sink_files_opts {
	const char *path_template; /* borrowed for the sink_files' life */
	int64_t max_bytes;         /* 0: no size roll */
	int64_t roll_ms;           /* 0: no time roll */
	int64_t idle_close_ms;     /* 0: kept open until released */
	int fsync;                 /* fsync on flush */
};

struct sink_files;

/* NULL with e when the template is not one (sink_path_check). */
struct sink_files *sink_files_new(const struct sink_files_opts *o, struct err *e);
/* Close every file (without a flush: what was not flushed was not committed). */
void sink_files_free(struct sink_files *sf);

/*
 * Add one record's bytes for topic's partition, at wall_ms (for the
 * template) and now_ms (monotonic, for rolls and idleness).  May write
 * and open files; SLOG_EIO naming the file on failure.
 */
int sink_files_write(struct sink_files *sf, const char *topic, int32_t partition, const void *p,
		     size_t n, int64_t wall_ms, int64_t now_ms, struct err *e);

/* Write and (with fsync) sync everything, then close the files due to roll or idle. */
int sink_files_flush(struct sink_files *sf, int64_t now_ms, struct err *e);

/* The partition is given up: close the files only it used (after a flush). */
void sink_files_release(struct sink_files *sf, const char *topic, int32_t partition);

/* Files open now (for tests and metrics). */
size_t sink_files_open_count(const struct sink_files *sf);

#endif
