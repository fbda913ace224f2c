/*
 * file_tail.h: follow files by name, as tail -F does, through rotation
 * and truncation.
 *
 * The tailer is given globs (file.paths, comma-separated; a pattern
 * without wildcards names one file).  Each scan runs the globs again, so
 * a file that appears later is followed from its first byte.
 *
 * A file is known by its identity, not its name: device and inode AND a
 * fingerprint, the CRC32C of its first 256 bytes.  Each check alone is
 * fooled: an inode is reused after a delete, and two logs often begin
 * with the same header lines.  A file shorter than 256 bytes carries the
 * CRC of the bytes it has and their number (fp_len < 256): until it
 * reaches 256 bytes it is known by device and inode, and that short
 * fingerprint is checked against the same bytes of a file found later.
 * When an open file's first fp_len bytes change under us (truncated and
 * written again faster than we looked), that is a truncation.
 *
 *   rename   the name now leads to another file.  The old file stays open
 *            and is read to its end; it closes once at its end and either
 *            the new file has data (the writer moved on) or
 *            file.rotate.wait.ms passed since the rename was seen.  Only
 *            then is the new file opened, so the old file's last lines
 *            come before the new file's first ones.  A renamed file whose
 *            new name the globs still match simply goes on under that name.
 *   delete   likewise: read to the end, closed after the wait.
 *   truncate (copytruncate, or `> file`): size below our position, or the
 *            fingerprinted bytes changed.  Reading restarts at 0; counted
 *            in truncations and logged.
 *
 * inotify (on the globs' directories) wakes the caller at once; without
 * it (or with file.inotify=false) the caller polls every file.poll.ms.
 * Either way the caller scans at least every poll interval.
 *
 * Use: file_tail_scan() after each wake-up, then file_tail_next() until
 * it returns 0, acting on each event; then wait on file_tail_fd() (may
 * be -1) for at most the poll interval.  Single-threaded.
 */
#ifndef SLOG_FILE_TAIL_H
#define SLOG_FILE_TAIL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "err.h"

#define TAIL_FP_BYTES 256

struct tail_file {
	char *path;            /* the name it was last found under */
	dev_t dev;
	ino_t ino;
	uint32_t fp;           /* CRC32C of the first fp_len bytes */
	size_t fp_len;         /* TAIL_FP_BYTES once the file has that many */
	int64_t pos;           /* the next byte read() returns */
	int64_t size;          /* at the last scan */
	uint64_t truncations;
	int draining;          /* its name leads elsewhere: read to the end, then closed */
	void *user;            /* the caller's, e.g. its framing state */
	/* the tailer's own */
	int fd;
	int seen, at_eof;
	int64_t drain_since_ms;
	int64_t scan_size;
};

/* Where to start a file just opened: its saved position, or -1 for none. */
typedef int64_t (*tail_start_fn)(void *arg, const struct tail_file *f);

struct tail_opts {
	const char *paths;     /* comma-separated globs */
	const char *literal;   /* one more path taken as written (Kafka's `file`), or NULL */
	int64_t poll_ms;       /* file.poll.ms */
	int64_t rotate_wait_ms;
	int inotify;           /* use it when the kernel has it */
	int from_end;          /* read.from = end: files of the first scan without a saved position */
	tail_start_fn start_at;
	void *arg;
	const char *log_prefix; /* the connector's name, before each log line; may be NULL */
};

enum tail_event_type {
	TAIL_OPENED = 1,       /* f was opened at f->pos; set f->user */
	TAIL_READABLE,         /* f has bytes past f->pos: call file_tail_read() */
	TAIL_TRUNCATED,        /* f restarts at 0 (f->pos is 0 now) */
	TAIL_CLOSING,          /* f is read to its end and goes at the next call: free f->user */
};

struct tail_event {
	enum tail_event_type type;
	struct tail_file *f;
};

struct file_tail;

/* SLOG_EINVALID_CONFIG for a bad pattern (none given, too long). */
int file_tail_new(const struct tail_opts *o, struct file_tail **out, struct err *e);
void file_tail_free(struct file_tail *t);

/* The inotify descriptor to wait on, or -1 (poll every file.poll.ms). */
int file_tail_fd(const struct file_tail *t);

/*
 * Look: drain inotify, run the globs, stat the files, detect renames,
 * deletes and truncations, open new files (calling start_at).  Files that
 * cannot be opened are logged once each and tried again at the next scan.
 */
int file_tail_scan(struct file_tail *t, struct err *e);

/*
 * Follow path although the globs do not match it: a file renamed away
 * while we were not running (found by its saved identity).  It is read
 * from its saved position (start_at) to its end, then closed as a
 * rotated file is.  0, 1 when it was followed already, or SLOG_EIO.
 */
int file_tail_adopt(struct file_tail *t, const char *path, struct err *e);

/* The next thing to act on: 1 with *ev, 0 when nothing is left until the
 * next scan.  Every OPENED of a scan comes before any other event. */
int file_tail_next(struct file_tail *t, struct tail_event *ev);

/*
 * Read up to cap bytes of f at f->pos into dst; advances f->pos.  Returns
 * the count, 0 at the end (f is then not READABLE again until it grows),
 * or SLOG_EIO.
 */
ssize_t file_tail_read(struct file_tail *t, struct tail_file *f, void *dst, size_t cap,
		       struct err *e);

/* A path the globs match that could not be opened at the last try, or NULL. */
const char *file_tail_unreadable(const struct file_tail *t);

/* Every open file is at its end and nothing waits to be opened. */
int file_tail_idle(const struct file_tail *t);

/* Call fn for each open file (lag gauges, progress). */
void file_tail_each(struct file_tail *t, void (*fn)(void *arg, struct tail_file *f), void *arg);

/* Fingerprint a file's first bytes (up to TAIL_FP_BYTES) read from fd at 0. */
int tail_fingerprint(int fd, uint32_t *fp, size_t *fp_len);

/* "1c2d3e4f" for a full fingerprint, "1c2d3e4f/37" for a short one. */
void tail_fp_format(uint32_t fp, size_t fp_len, char *out, size_t size);
/* The reverse; 0, or -1 when s is not one of those forms. */
int tail_fp_parse(const char *s, uint32_t *fp, size_t *fp_len);

/* f's current first fp_len bytes have fingerprint fp (a saved one): 1, else 0. */
int tail_fp_matches(const struct tail_file *f, uint32_t fp, size_t fp_len);

#endif
