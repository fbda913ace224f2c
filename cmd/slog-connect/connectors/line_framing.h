/*
 * line_framing.h: cutting a byte stream (a file, a child's stdout) into
 * records.
 *
 * file.format says how:
 *   lines    a record per delimited line (file.delimiter, default \n; the
 *            escapes of escape.h, so \r\n, \0 or \x1e work); the delimiter
 *            is not part of the value
 *   ndjson   a line per record in slog-consume -J's shape (key, value,
 *            headers, timestamp, topic, partition kept); a line that does
 *            not parse is the caller's to hand to its error policy
 *   bytes    everything read up to an end of input is one record: a whole
 *            file for file.exit.on.eof batch loads, or each burst a
 *            spooled file gained
 *
 * max.line.bytes bounds a record; a longer one is, by on.long.line,
 * skipped up to its next delimiter (counted, logged), truncated to
 * max.line.bytes (the rest up to the delimiter dropped), or a failure.
 * A truncated line's record ends where the framer had read when it cut
 * the line, so a restart there resumes inside that line: its rest comes
 * as one more record.
 *
 * A framer owns the bytes of one stream: the caller reads straight into
 * framer_space(), commits what it read, and takes frames with
 * framer_next() until it returns 0.  A frame borrows the framer's buffer
 * until the next framer_space() or framer_reset().  An unterminated last
 * line stays pending until more comes, or until framer_flush() (the
 * stream ended: a rotated file closed, a child exited, a truncation).
 * Each frame knows the stream positions it spans, so the caller saves
 * progress at a frame's end.
 */
#ifndef SLOG_LINE_FRAMING_H
#define SLOG_LINE_FRAMING_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "conf.h"
#include "err.h"
#include "ndjson.h"
#include "runtime/connect_record.h"

enum frame_format { FRAME_LINES, FRAME_NDJSON, FRAME_BYTES };
enum long_line { LONG_SKIP, LONG_TRUNCATE, LONG_FAIL };

struct framing_opts {
	enum frame_format format;
	char delim[16];
	size_t delim_len;
	size_t max_bytes;      /* max.line.bytes */
	enum long_line on_long;
};

/* The keys, as conf_def rows for a class's table: <prefix>format and
 * <prefix>delimiter (prefix "file." or "exec."), max.line.bytes and
 * on.long.line. */
#define FRAMING_KEYS(prefix)                                                                       \
	{ prefix "format", CONF_ENUM, "lines", 0, 0, 0, "lines|ndjson|bytes",                      \
	  "how the bytes become records: delimited lines, slog-consume -J lines, or all at once" }, \
	{ prefix "delimiter", CONF_STRING, "\\n", 0, 0, 0, NULL,                                   \
	  "what ends a line (escapes: \\n \\r \\t \\0 \\\\ \\xNN)" },                               \
	{ "max.line.bytes", CONF_BYTES, "1MiB", 1, 64LL << 20, 0, NULL,                             \
	  "the longest record; see on.long.line" },                                                 \
	{ "on.long.line", CONF_ENUM, "truncate", 0, 0, 0, "skip|truncate|fail",             \
	  "a longer line is skipped, cut to max.line.bytes, or fails the task" }

/* Read the keys above into o; SLOG_EINVALID_CONFIG naming a bad delimiter. */
struct connector_conf;
int framing_opts_from_conf(const struct connector_conf *cc, const char *prefix,
			   struct framing_opts *o, struct err *e);
/* Parse a delimiter with escapes ("\\r\\n"); 0, or SLOG_EINVALID_CONFIG. */
int framing_parse_delimiter(const char *s, struct framing_opts *o, struct err *e);

struct frame {
	const char *p;
	size_t len;
	int64_t start, end;    /* stream positions: the frame's first byte, and just past its delimiter */
	int truncated;         /* cut at max.line.bytes */
};

struct framer {
	struct framing_opts o;
	struct buf buf;        /* bytes not yet framed: buf.data[head..len) */
	size_t head;
	size_t scanned;        /* bytes past head searched for a delimiter already */
	int64_t base;          /* stream position of buf.data[head] */
	int discarding;        /* inside a long line, up to its delimiter */
	int64_t skipped;       /* long lines skipped */
	int64_t cut;           /* long lines truncated */
};

void framer_init(struct framer *fr, const struct framing_opts *o, int64_t pos);
void framer_free(struct framer *fr);
/* Forget pending bytes and restart at stream position pos. */
void framer_reset(struct framer *fr, int64_t pos);

/* Room for at least want bytes after the pending ones; then commit n. */
char *framer_space(struct framer *fr, size_t want);
void framer_commit(struct framer *fr, size_t n);

/*
 * The next whole frame: 1 with *out, 0 when none is complete, or
 * SLOG_EMESSAGE_TOO_LARGE for a long line under on.long.line=fail.
 * Bytes frames come only from framer_flush().
 */
int framer_next(struct framer *fr, struct frame *out, struct err *e);

/*
 * The stream ended (or paused, for bytes): the pending bytes, if any, as
 * a last frame (1), else 0.
 */
int framer_flush(struct framer *fr, struct frame *out);

/* Bytes held, not yet framed (for lag and exit checks). */
size_t framer_pending(const struct framer *fr);

/*
 * Turn a frame into r's key, value and headers: lines and bytes set the
 * value; ndjson parses the line (crec_parse_ndjson; scratch is kept
 * across frames).  SLOG_EINVALID_RECORD for a bad line.
 */
int framer_to_record(const struct framer *fr, const struct frame *f, struct crec *r,
		     struct ndjson_record *scratch, struct err *e);

#endif
