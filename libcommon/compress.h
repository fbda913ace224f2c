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
 * Returns 0, SLOG_ECORRUPT_MESSAGE for bad or oversized data, or
 * SLOG_EUNSUPPORTED_COMPRESSION_TYPE.
 */
int decompress_append(int codec, const void *in, size_t len, size_t max_out,
		      struct buf *out, struct err *e);

#endif
