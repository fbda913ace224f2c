/*
 * input.h: slog-produce's input, turned into records.
 *
 * Reads stdin or the files named on the command line, one after the
 * other, in large chunks, and splits them at the record delimiter (-D,
 * any bytes; none at all means each file is one record).  Each record
 * is then one of:
 *
 *   plain   the bytes are the value; -K DELIM splits off a key at the
 *           first DELIM; -k gives every record the same key
 *   -J      a JSON object in the NDJSON record shape (ndjson.h)
 *
 * Records point into the input buffer and are valid until the next call
 * that reads; the producer encodes them into batches at once, so input
 * bytes are copied once, into a batch.  Records are numbered from 1
 * ("line N" in messages) across all inputs.
 */
#ifndef SLOG_INPUT_H
#define SLOG_INPUT_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "err.h"
#include "ndjson.h"

struct input_opts {
	const char *delim;   /* record delimiter bytes (after escapes) */
	size_t delim_len;    /* 0: each file is one record */
	const char *key_delim;
	size_t key_delim_len;
	int json;            /* -J */
	int64_t max_record;  /* larger records are an error (bounded memory) */
};

struct input_record {
	struct record rec;   /* key, value, headers (-J) */
	const char *topic;   /* -J: the line's topic, or NULL */
	int32_t partition;   /* -J: the line's partition, or -1 */
	int has_timestamp;
	int64_t line;
	const char *raw;     /* the record's bytes as read, without the delimiter */
	size_t raw_len;
};

struct input {
	struct input_opts o;
	char **files;        /* NULL: stdin */
	int nfiles, next_file;
	int fd;              /* being read, -1 between files */
	struct buf buf;      /* unread bytes of the current input start at pos */
	size_t pos;
	int eof;             /* of the current input */
	int done;            /* every input read */
	int64_t line;
	struct ndjson_record nr;
};

int input_open(struct input *in, const struct input_opts *o, char **files, int nfiles,
	       struct err *e);
void input_close(struct input *in);

/* The descriptor to poll for readability, or -1 when no read is needed now. */
int input_fd(struct input *in);

/*
 * Read once (one read(2), which must not block: call when input_fd() is
 * readable or is a regular file).  Returns 0, or an error reading.
 */
int input_fill(struct input *in, struct err *e);

/*
 * The next complete record: 1 and r filled, 0 when more input is needed
 * (or all is done: see in->done), or SLOG_EINVALID_RECORD for a line that
 * does not parse (e names the line; the producer stops reading there).
 */
int input_next(struct input *in, struct input_record *r, struct err *e);

/* Append r as it was read, and the delimiter (-T). */
void input_copy(const struct input *in, const struct input_record *r, struct buf *out);

#endif
