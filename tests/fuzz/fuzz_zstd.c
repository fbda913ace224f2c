/*
 * fuzz_zstd.c: libFuzzer target for the zstd path, with valid frames.
 *
 * Random bytes rarely make a zstd frame, so most of them stop at the
 * frame header.  This target also makes valid frames from the input and
 * then damages them slightly:
 *
 *   1. the input as a frame, decompressed with a bound (no more than
 *      max_out bytes may come out, whatever the frame declares);
 *   2. the input compressed, then decompressed: the same bytes, and one
 *      byte short of the bound is an error, not an overflow;
 *   3. the input cut into records of a zstd batch, which must validate as
 *      a producer's batch; then one byte of its compressed body changed
 *      (where the input's first bytes say) and the CRC made right again,
 *      so that the damaged frame reaches the decompressor and the record
 *      decoder.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "batch.h"
#include "batch_builder.h"
#include "batch_check.h"
#include "compress.h"
#include "endian_io.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_OUT (1u << 20)

static void round_trip(const uint8_t *data, size_t size)
{
	struct buf z = BUF_INIT, back = BUF_INIT;
	struct err e;

	FUZZ_CHECK(compress_append(CODEC_ZSTD, 1 + (size ? data[0] % 5 : 0), data, size, &z, &e) == 0);
	FUZZ_CHECK(decompress_append(CODEC_ZSTD, z.data, z.len, size, &back, &e) == 0);
	FUZZ_CHECK(back.len == size && (size == 0 || memcmp(back.data, data, size) == 0));
	if (size > 0) {
		buf_reset(&back);
		FUZZ_CHECK(decompress_append(CODEC_ZSTD, z.data, z.len, size - 1, &back, &e) < 0);
	}
	buf_free(&z);
	buf_free(&back);
}

/* Records of up to 64 bytes each, with a key every other record. */
static int build_batch(const uint8_t *data, size_t size, struct buf *out)
{
	struct batch_builder bb;
	struct err e;
	int rc;

	batch_builder_init(&bb, CODEC_ZSTD, 1);
	for (size_t at = 0, i = 0; at < size; i++) {
		struct record r = { .key_len = -1, .timestamp = 1700000000000 + (int64_t)i };
		size_t n = size - at < 64 ? size - at : 64;
		r.value = data + at;
		r.value_len = (int32_t)n;
		if (i % 2) {
			r.key = data + at;
			r.key_len = (int32_t)(n < 8 ? n : 8);
		}
		FUZZ_CHECK(batch_builder_add(&bb, &r) == 0);
		at += n;
	}
	rc = batch_builder_count(&bb) ? batch_builder_finish(&bb, out, &e) : -1;
	batch_builder_free(&bb);
	return rc;
}

static void damaged_batch(const uint8_t *data, size_t size)
{
	static struct buf scratch = BUF_INIT;
	struct buf batch = BUF_INIT;
	struct err e;
	uint8_t *p;
	size_t at;

	if (build_batch(data, size, &batch) == 0) {
		p = (uint8_t *)batch.data;
		FUZZ_CHECK(batch_validate(p, batch.len, BATCH_CHECK_PRODUCE, NULL, &scratch, &e) == 0);
		if (batch.len > BATCH_HEADER_SIZE && size >= 3) {
			at = BATCH_HEADER_SIZE + (size_t)be16_get(data) % (batch.len - BATCH_HEADER_SIZE);
			p[at] ^= data[2] ? data[2] : 1;
			be32_put(p + BATCH_OFF_CRC, batch_crc_compute(p, batch.len));
			batch_validate(p, batch.len, BATCH_CHECK_PRODUCE, NULL, &scratch, &e);
		}
	}
	buf_free(&batch);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf out = BUF_INIT;
	struct err e;

	if (decompress_append(CODEC_ZSTD, data, size, MAX_OUT, &out, &e) == 0)
		FUZZ_CHECK(out.len <= MAX_OUT);
	buf_free(&out);
	round_trip(data, size);
	damaged_batch(data, size);
	return 0;
}
