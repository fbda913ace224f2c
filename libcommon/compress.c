/*
 * compress.c: zstd through per-thread contexts.  See compress.h.
 *
 * Decompression always streams, because producers do not all record the
 * content size in the frame (Java's zstd output stream does not) and a
 * batch may hold several frames.  The content size, when present, can only
 * refuse a frame that declares more than the caller allows: it is the
 * sender's number, so memory grows with the bytes that really come out.
 * A stream borrows the thread's cached context while it runs, so a reader
 * that keeps a stream open across other decompression still works.
 */
#include "compress.h"

#include <pthread.h>
#include <string.h>
#include <zstd.h>

/* The smallest step of streamed output, and the first of a whole one. */
#define STEP_MIN ((size_t)64 << 10)

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

/* Take the thread's cached context, or a new one when it is in use. */
static ZSTD_DCtx *dctx_take(void)
{
	ZSTD_DCtx *d = thread_dctx();

	if (d)
		pthread_setspecific(dctx_key, NULL);
	return d;
}

/* Give a context back to the thread's cache, or free it if one is there. */
static void dctx_give(ZSTD_DCtx *d)
{
	if (!d)
		return;
	if (pthread_getspecific(dctx_key)) {
		ZSTD_freeDCtx(d);
		return;
	}
	ZSTD_DCtx_reset(d, ZSTD_reset_session_only);
	pthread_setspecific(dctx_key, d);
}

int decompress_stream_begin(struct decompress_stream *s, int codec, const void *in, size_t len,
			    size_t max_out, struct err *e)
{
	unsigned long long declared;

	memset(s, 0, sizeof(*s));
	s->codec = codec;
	s->in = in;
	s->in_len = len;
	s->max_out = max_out;
	if (codec == CODEC_NONE)
		return 0;
	if (codec != CODEC_ZSTD)
		return unsupported(e, codec);
	/* The declared size may refuse a frame early; it never sizes memory. */
	declared = ZSTD_getFrameContentSize(in, len);
	if (declared == ZSTD_CONTENTSIZE_ERROR)
		return err_set(e, SLOG_ECORRUPT_MESSAGE, "zstd: not a zstd frame");
	if (declared != ZSTD_CONTENTSIZE_UNKNOWN && declared > max_out)
		return err_set(e, SLOG_EMESSAGE_TOO_LARGE,
			       "zstd: frame declares %llu bytes, over the limit of %zu", declared, max_out);
	s->zctx = dctx_take();
	if (!s->zctx)
		return err_set(e, SLOG_ENOMEM, "zstd: cannot create a decompression context");
	return 0;
}

static int stream_too_big(struct decompress_stream *s, struct err *e)
{
	return err_set(e, SLOG_EMESSAGE_TOO_LARGE, "%srecords expand beyond the limit of %zu bytes",
		       s->codec == CODEC_ZSTD ? "zstd: " : "", s->max_out);
}

/* One call of the decoder into out's free room, at most room bytes. */
static int zstd_step(struct decompress_stream *s, struct buf *out, size_t room, struct err *e)
{
	ZSTD_inBuffer zin = { s->in, s->in_len, s->in_pos };
	ZSTD_outBuffer zout = { buf_reserve(out, room), room, 0 };
	size_t ret = ZSTD_decompressStream(s->zctx, &zout, &zin);

	if (ZSTD_isError(ret))
		return err_set(e, SLOG_ECORRUPT_MESSAGE, "zstd: %s", ZSTD_getErrorName(ret));
	buf_commit(out, zout.pos);
	s->in_pos = zin.pos;
	s->produced += zout.pos;
	if (ret == 0 && zin.pos == zin.size)
		s->done = 1; /* every frame complete, all input used */
	else if (zin.pos == zin.size && zout.pos < zout.size)
		return err_set(e, SLOG_ECORRUPT_MESSAGE, "zstd: truncated frame");
	return 0;
}

int decompress_stream_read(struct decompress_stream *s, struct buf *out, size_t want,
			   struct err *e)
{
	size_t start = out->len;

	if (s->codec == CODEC_NONE) {
		size_t n = s->in_len - s->in_pos < want ? s->in_len - s->in_pos : want;
		if (s->in_len > s->max_out)
			return stream_too_big(s, e);
		buf_add(out, s->in + s->in_pos, n);
		s->in_pos += n;
		s->produced += n;
		s->done = s->in_pos == s->in_len;
		return !s->done;
	}
	while (!s->done && out->len - start < want) {
		/* Room for one byte past the limit, so excess shows up; and no
		 * more than doubles out, so memory follows the real output. */
		size_t room = want - (out->len - start), left = s->max_out - s->produced + 1;
		size_t step = out->len > STEP_MIN ? out->len : STEP_MIN;
		int rc;

		if (room > left)
			room = left;
		rc = zstd_step(s, out, room < step ? room : step, e);

		if (rc)
			return rc;
		if (s->produced > s->max_out)
			return stream_too_big(s, e);
	}
	return !s->done;
}

void decompress_stream_end(struct decompress_stream *s)
{
	dctx_give(s->zctx);
	s->zctx = NULL;
}

int decompress_append(int codec, const void *in, size_t len, size_t max_out,
		      struct buf *out, struct err *e)
{
	struct decompress_stream s;
	size_t start = out->len;
	int rc = decompress_stream_begin(&s, codec, in, len, max_out, e);

	/* Steps double with the output so far: memory follows real bytes. */
	while (rc >= 0) {
		size_t step = out->len - start > STEP_MIN ? out->len - start : STEP_MIN;
		rc = decompress_stream_read(&s, out, step, e);
		if (rc != 1)
			break;
	}
	decompress_stream_end(&s);
	if (rc < 0)
		buf_setlen(out, start);
	return rc < 0 ? rc : 0;
}
