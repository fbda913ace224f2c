/*
 * compress.c: zstd through per-thread contexts.  See compress.h.
 *
 * Decompression always streams, because producers do not all record the
 * content size in the frame (Java's zstd output stream does not) and a
 * batch may hold several frames; the content size, when present, only
 * sizes the first allocation.
 */
#include "compress.h"

#include <pthread.h>
#include <string.h>
#include <zstd.h>

static const char *const codec_names[] = { "none", "gzip", "snappy", "lz4", "zstd" };

static pthread_key_t cctx_key, dctx_key;
static pthread_once_t ctx_once = PTHREAD_ONCE_INIT;

static void cctx_free(void *p)
{
	ZSTD_freeCCtx(p);
}

static void dctx_free(void *p)
{
	ZSTD_freeDCtx(p);
}

static void ctx_keys_init(void)
{
	pthread_key_create(&cctx_key, cctx_free);
	pthread_key_create(&dctx_key, dctx_free);
}

static ZSTD_CCtx *thread_cctx(void)
{
	ZSTD_CCtx *c;

	pthread_once(&ctx_once, ctx_keys_init);
	c = pthread_getspecific(cctx_key);
	if (!c) {
		c = ZSTD_createCCtx();
		pthread_setspecific(cctx_key, c);
	}
	return c;
}

static ZSTD_DCtx *thread_dctx(void)
{
	ZSTD_DCtx *d;

	pthread_once(&ctx_once, ctx_keys_init);
	d = pthread_getspecific(dctx_key);
	if (!d) {
		d = ZSTD_createDCtx();
		pthread_setspecific(dctx_key, d);
	}
	return d;
}

const char *codec_name(int codec)
{
	if (codec < 0 || codec > CODEC_ZSTD)
		return "unknown";
	return codec_names[codec];
}

int codec_from_name(const char *name)
{
	for (int i = 0; i <= CODEC_ZSTD; i++)
		if (strcmp(name, codec_names[i]) == 0)
			return i;
	return -1;
}

int codec_supported(int codec)
{
	return codec == CODEC_NONE || codec == CODEC_ZSTD;
}

static int unsupported(struct err *e, int codec)
{
	return err_set(e, SLOG_EUNSUPPORTED_COMPRESSION_TYPE,
		       "compression codec %d (%s) is not supported; use none or zstd",
		       codec, codec_name(codec));
}

int compress_append(int codec, int level, const void *in, size_t len,
		    struct buf *out, struct err *e)
{
	ZSTD_CCtx *c;
	size_t bound, n;

	if (codec == CODEC_NONE) {
		buf_add(out, in, len);
		return 0;
	}
	if (codec != CODEC_ZSTD)
		return unsupported(e, codec);
	c = thread_cctx();
	if (!c)
		return err_set(e, SLOG_ENOMEM, "zstd: cannot create a compression context");
	bound = ZSTD_compressBound(len);
	n = ZSTD_compressCCtx(c, buf_reserve(out, bound), bound, in, len,
			      level ? level : ZSTD_CLEVEL_DEFAULT);
	if (ZSTD_isError(n))
		return err_set(e, SLOG_EUNKNOWN, "zstd: %s", ZSTD_getErrorName(n));
	buf_commit(out, n);
	return 0;
}

int decompress_append(int codec, const void *in, size_t len, size_t max_out,
		      struct buf *out, struct err *e)
{
	ZSTD_DCtx *d;
	ZSTD_inBuffer zin = { in, len, 0 };
	unsigned long long hint;
	size_t start = out->len;

	if (codec == CODEC_NONE) {
		if (len > max_out)
			return err_set(e, SLOG_ECORRUPT_MESSAGE, "records of %zu bytes exceed the limit of %zu", len, max_out);
		buf_add(out, in, len);
		return 0;
	}
	if (codec != CODEC_ZSTD)
		return unsupported(e, codec);
	d = thread_dctx();
	if (!d)
		return err_set(e, SLOG_ENOMEM, "zstd: cannot create a decompression context");
	ZSTD_DCtx_reset(d, ZSTD_reset_session_only);
	hint = ZSTD_getFrameContentSize(in, len);
	if (hint == ZSTD_CONTENTSIZE_ERROR)
		return err_set(e, SLOG_ECORRUPT_MESSAGE, "zstd: not a zstd frame");
	if (hint != ZSTD_CONTENTSIZE_UNKNOWN && hint > max_out)
		return err_set(e, SLOG_ECORRUPT_MESSAGE,
			       "zstd: frame declares %llu bytes, over the limit of %zu", hint, max_out);
	if (hint == ZSTD_CONTENTSIZE_UNKNOWN)
		hint = len * 4 < max_out ? len * 4 : max_out;
	buf_grow(out, (size_t)hint + 1);
	for (;;) {
		size_t produced = out->len - start, ret;
		ZSTD_outBuffer zout;

		if (out->cap - out->len < 2)
			buf_grow(out, out->cap);
		zout.dst = out->data + out->len;
		zout.size = out->cap - out->len - 1;
		/* Room for one byte past the limit, so excess shows up. */
		if (zout.size > max_out - produced + 1)
			zout.size = max_out - produced + 1;
		zout.pos = 0;
		ret = ZSTD_decompressStream(d, &zout, &zin);
		if (ZSTD_isError(ret)) {
			buf_setlen(out, start);
			return err_set(e, SLOG_ECORRUPT_MESSAGE, "zstd: %s", ZSTD_getErrorName(ret));
		}
		out->len += zout.pos;
		if (out->len - start > max_out)
			goto too_big;
		if (ret == 0 && zin.pos == zin.size)
			break; /* every frame complete, all input used */
		if (zin.pos == zin.size && zout.pos < zout.size) {
			buf_setlen(out, start);
			return err_set(e, SLOG_ECORRUPT_MESSAGE, "zstd: truncated frame");
		}
	}
	out->data[out->len] = '\0';
	return 0;
too_big:
	buf_setlen(out, start);
	return err_set(e, SLOG_ECORRUPT_MESSAGE, "zstd: records expand beyond the limit of %zu bytes", max_out);
}
