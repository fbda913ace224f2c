/*
 * compress.h: batch compression codecs (Kafka's codec ids).
 *
 * A record batch compresses everything after its 61-byte header as one
 * unit; the codec id sits in the low three bits of the batch attributes.
 * slog reads and writes none (0) and zstd (4); gzip, snappy and lz4 are
 * recognised by name and id so that errors can name them, but are refused
 * with UNSUPPORTED_COMPRESSION_TYPE.
 *
 * Contexts are cached per thread (creating a zstd context costs more than
 * compressing a small batch); they are freed when the thread exits.
 */
#ifndef SLOG_COMPRESS_H
#define SLOG_COMPRESS_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "err.h"

enum codec {
	CODEC_NONE = 0,
	CODEC_GZIP = 1,
	CODEC_SNAPPY = 2,
	CODEC_LZ4 = 3,
	CODEC_ZSTD = 4,
};

/* "none", "gzip", ... for ids 0-4; "unknown" otherwise. */
const char *codec_name(int codec);

/* The id for a name, or -1 if there is no such codec. */
int codec_from_name(const char *name);

/* Whether slog can read and write this codec. */
int codec_supported(int codec);

/*
 * Append the compressed form of in[0..len) to out.  level 0 means the
 * codec's default.  Returns 0 or a negative SLOG_E* code.
 */
int compress_append(int codec, int level, const void *in, size_t len,
		    struct buf *out, struct err *e);

/*
 * Append the decompressed form of in[0..len) to out, refusing to produce
 * more than max_out bytes (a small input must not expand without bound).
 * out grows as output arrives: a frame's declared content size is the
 * sender's claim and sizes nothing.  Returns 0, SLOG_ECORRUPT_MESSAGE for
 * bad data, SLOG_EMESSAGE_TOO_LARGE for output (declared or real) beyond
 * max_out, or SLOG_EUNSUPPORTED_COMPRESSION_TYPE.
 */
int decompress_append(int codec, const void *in, size_t len, size_t max_out,
		      struct buf *out, struct err *e);

/*
 * Decompression in steps, for readers that must not hold a whole batch's
 * records at once (a batch of a few KiB may expand to hundreds of MiB):
 *
 *   decompress_stream_begin(&s, codec, in, len, max_out, &e);
 *   while ((rc = decompress_stream_read(&s, &out, want, &e)) == 1)
 *       use and drop out's bytes;
 *   decompress_stream_end(&s);          // always, after a begin that
 *                                       // returned 0
 *
 * in must stay valid until the end.  The stream holds a zstd context of its
 * own (the thread's cached one when free), so streams may interleave.
 */
struct decompress_stream {
	int codec;
	void *zctx;          /* ZSTD_DCtx, owned */
	const uint8_t *in;
	size_t in_len, in_pos;
	size_t max_out;      /* the limit on the total output */
	size_t produced;     /* output so far */
	int done;            /* every frame complete and all input used */
};

/* 0, or SLOG_ECORRUPT_MESSAGE (not a frame), SLOG_EMESSAGE_TOO_LARGE
 * (declares more than max_out), SLOG_EUNSUPPORTED_COMPRESSION_TYPE or
 * SLOG_ENOMEM. */
int decompress_stream_begin(struct decompress_stream *s, int codec, const void *in, size_t len,
			    size_t max_out, struct err *e);

/*
 * Append up to want more bytes to out (fewer only at the end).  Returns 1
 * when more may follow, 0 once the stream is complete,
 * SLOG_ECORRUPT_MESSAGE (bad or truncated data), or SLOG_EMESSAGE_TOO_LARGE
 * (output beyond max_out).
 */
int decompress_stream_read(struct decompress_stream *s, struct buf *out, size_t want,
			   struct err *e);

void decompress_stream_end(struct decompress_stream *s);

#endif
