/*
 * test_compress.c: the codecs' bounds against hostile frames.
 *
 * A zstd frame states its content size in its header, and the sender
 * chooses that number.  Decompression must size its memory by the bytes
 * that actually come out, never by the claim, and must stop at the
 * caller's limit however small the input.
 */
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "batch.h"
#include "compress.h"
#include "unit.h"
#include "xalloc.h"

/* A frame of n zero bytes that does not declare its size. */
static void undeclared_frame(struct buf *out, size_t n)
{
	ZSTD_CCtx *c = ZSTD_createCCtx();
	uint8_t *zeros = xcalloc(1, n);
	size_t got;

	ZSTD_CCtx_setParameter(c, ZSTD_c_contentSizeFlag, 0);
	buf_grow(out, ZSTD_compressBound(n));
	got = ZSTD_compress2(c, out->data, ZSTD_compressBound(n), zeros, n);
	buf_commit(out, ZSTD_isError(got) ? 0 : got);
	ZSTD_freeCCtx(c);
	free(zeros);
}

/* A truncated frame whose header declares `declared` bytes. */
static void lying_frame(struct buf *out, unsigned long long declared)
{
	ZSTD_CCtx *c = ZSTD_createCCtx();
	uint8_t *zeros = xcalloc(1, 64 << 10);
	ZSTD_inBuffer in = { zeros, 64 << 10, 0 };
	ZSTD_outBuffer o;

	ZSTD_CCtx_setPledgedSrcSize(c, declared);
	buf_grow(out, 4096);
	o.dst = out->data;
	o.size = 4096;
	o.pos = 0;
	/* Flush, not end: the frame stops short of what it declared. */
	ZSTD_compressStream2(c, &o, &in, ZSTD_e_flush);
	buf_commit(out, o.pos);
	ZSTD_freeCCtx(c);
	free(zeros);
}

static void test_declared_size_is_not_trusted(void)
{
	struct buf z = BUF_INIT, out = BUF_INIT;
	struct err e;

	lying_frame(&z, BATCH_MAX_RECORDS_BYTES);
	REQUIRE(z.len > 0 && z.len < 512);
	REQUIRE_EQ(ZSTD_getFrameContentSize(z.data, z.len), BATCH_MAX_RECORDS_BYTES);
	CHECK_EQ(decompress_append(CODEC_ZSTD, z.data, z.len, BATCH_MAX_RECORDS_BYTES, &out, &e),
		 SLOG_ECORRUPT_MESSAGE);
	CHECK_EQ(out.len, 0);
	/* The output held 64 KiB at most: the buffer never grew towards 512 MiB. */
	CHECK(out.cap <= (1u << 20));
	unit_diag("  %zu-byte frame declaring %u bytes: buffer capacity %zu, error \"%s\"", z.len,
		  BATCH_MAX_RECORDS_BYTES, out.cap, e.msg);
	buf_free(&z);
	buf_free(&out);
}

static void test_a_stream_gives_output_in_bounded_steps(void)
{
	struct buf z = BUF_INIT, out = BUF_INIT;
	uint8_t *zeros = xcalloc(1, 8 << 20);
	struct decompress_stream s;
	struct err e;
	size_t total = 0;
	int rc;

	REQUIRE(compress_append(CODEC_ZSTD, 0, zeros, 8 << 20, &z, &e) == 0);
	REQUIRE(decompress_stream_begin(&s, CODEC_ZSTD, z.data, z.len, 8 << 20, &e) == 0);
	do {
		buf_reset(&out);
		rc = decompress_stream_read(&s, &out, 100000, &e);
		CHECK(out.len <= 100000);
		total += out.len;
	} while (rc == 1);
	CHECK_EQ(rc, 0);
	CHECK_EQ(total, 8 << 20);
	CHECK(out.cap <= (1u << 20));
	decompress_stream_end(&s);
	/* A frame that declares more than the limit is refused at once; one
	 * that does not say fails once its output passes the limit. */
	CHECK_EQ(decompress_stream_begin(&s, CODEC_ZSTD, z.data, z.len, 3 << 20, &e),
		 SLOG_EMESSAGE_TOO_LARGE);
	decompress_stream_end(&s);
	buf_reset(&z);
	undeclared_frame(&z, 8 << 20);
	REQUIRE(z.len > 0);
	REQUIRE(decompress_stream_begin(&s, CODEC_ZSTD, z.data, z.len, 3 << 20, &e) == 0);
	total = 0;
	do {
		buf_reset(&out);
		rc = decompress_stream_read(&s, &out, 1 << 16, &e);
		total += out.len;
	} while (rc == 1);
	CHECK_EQ(rc, SLOG_EMESSAGE_TOO_LARGE);
	CHECK(total <= (3u << 20) + (1u << 16));
	decompress_stream_end(&s);
	free(zeros);
	buf_free(&z);
	buf_free(&out);
}

int main(void)
{
	unit_run("a zstd frame's declared size does not size the output buffer",
		 test_declared_size_is_not_trusted);
	unit_run("a zstd stream gives its output in bounded steps, up to its limit",
		 test_a_stream_gives_output_in_bounded_steps);
	return unit_done();
}
