/*
 * test_batch.c: the record batch codec.
 *
 * Round trips of random batches (both codecs, sizes up to 1 MiB), a
 * batch written by a real Kafka broker decoded and re-encoded byte for
 * byte, single-byte corruption detected everywhere the CRC covers, and
 * hostile input (mutated bytes with a recomputed CRC, truncations, zstd
 * bombs) refused without a crash or an out-of-bounds read.  Run under
 * ASan by `make check`, where every input sits in an exact-size
 * allocation so that a one-byte overread is caught.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "batch.h"
#include "batch_builder.h"
#include "batch_check.h"
#include "batch_iter.h"
#include "compress.h"
#include "endian_io.h"
#include "unit.h"
#include "xalloc.h"

#define POOL_SIZE (2u << 20)
static uint8_t *pool; /* first half random, second half compressible text */

static void pool_init(void)
{
	static const char words[] = "offset partition topic record batch leader replica ";

	if (pool)
		return;
	pool = xmalloc(POOL_SIZE);
	unit_rand_bytes(pool, POOL_SIZE / 2);
	for (size_t i = POOL_SIZE / 2; i < POOL_SIZE; i++)
		pool[i] = (uint8_t)words[(i * 7 + i / 13) % (sizeof(words) - 1)];
}

/* A random slice of the pool, or NULL (len -1) with probability null_pct. */
static void random_bytes_field(const uint8_t **p, int32_t *len, size_t max, int null_pct)
{
	if ((int)unit_rand_below(100) < null_pct) {
		*p = NULL;
		*len = -1;
		return;
	}
	*len = (int32_t)unit_rand_below(max + 1);
	*p = pool + unit_rand_below(POOL_SIZE - (size_t)*len + 1);
}

struct gen_batch {
	struct record recs[4096];
	struct record_header hdrs[4096][3];
	int n;
};

/* Fill g with records adding up to about target bytes. */
static void gen_records(struct gen_batch *g, size_t target)
{
	size_t used = 0;
	int64_t ts = (int64_t)unit_rand_below(2000000000000ll);

	g->n = 0;
	do {
		struct record *r = &g->recs[g->n];
		size_t left = target > used ? target - used : 0;
		size_t vmax = left > 64 ? left : 64;

		memset(r, 0, sizeof(*r));
		random_bytes_field(&r->key, &r->key_len, 40, 15);
		random_bytes_field(&r->value, &r->value_len,
				   unit_rand_below(4) ? vmax / (1 + unit_rand_below(8)) : vmax, 5);
		r->timestamp = ts + (int64_t)unit_rand_below(20000) - 10000;
		r->header_count = (uint32_t)unit_rand_below(4);
		for (uint32_t h = 0; h < r->header_count; h++) {
			struct record_header *hd = &g->hdrs[g->n][h];
			random_bytes_field(&hd->key, &hd->key_len, 16, 0);
			random_bytes_field(&hd->value, &hd->value_len, 32, 20);
		}
		r->headers = r->header_count ? g->hdrs[g->n] : NULL;
		used += 20 + (size_t)(r->key_len > 0 ? r->key_len : 0) +
			(size_t)(r->value_len > 0 ? r->value_len : 0);
		g->n++;
	} while (used < target && g->n < 4096);
}

static int same_bytes(const uint8_t *a, int32_t alen, const uint8_t *b, int32_t blen)
{
	return alen == blen && (alen <= 0 || memcmp(a, b, (size_t)alen) == 0);
}

/* Compare decoded records with what was built; 1 when equal. */
static int records_match(const struct gen_batch *g, const uint8_t *p, size_t len,
			 int64_t base_offset, struct buf *scratch)
{
	struct batch_iter it;
	struct record r;
	struct err e;
	int i = 0, rc;

	if (!CHECK(batch_iter_init(&it, p, len, scratch, &e) == 0))
		return unit_diag("%s", e.msg), 0;
	while ((rc = batch_iter_next(&it, &r, &e)) > 0) {
		const struct record *w = &g->recs[i];
		struct header_iter hw, hr;
		struct record_header a, b;

		if (!CHECK(i < g->n) || !CHECK(r.offset == base_offset + i) ||
		    !CHECK(r.timestamp == w->timestamp) ||
		    !CHECK(same_bytes(r.key, r.key_len, w->key, w->key_len)) ||
		    !CHECK(same_bytes(r.value, r.value_len, w->value, w->value_len)) ||
		    !CHECK(r.header_count == w->header_count))
			return unit_diag("record %d", i), 0;
		record_headers_begin(w, &hw);
		record_headers_begin(&r, &hr);
		while (record_headers_next(&hw, &a)) {
			if (!CHECK(record_headers_next(&hr, &b)) ||
			    !CHECK(same_bytes(a.key, a.key_len, b.key, b.key_len)) ||
			    !CHECK(same_bytes(a.value, a.value_len, b.value, b.value_len)))
				return unit_diag("record %d header", i), 0;
		}
		i++;
	}
	if (!CHECK(rc == 0) || !CHECK(i == g->n))
		return unit_diag("rc %d, %d of %d records: %s", rc, i, g->n, rc ? e.msg : ""), 0;
	return 1;
}

static int build(struct gen_batch *g, int codec, struct buf *out)
{
	struct batch_builder bb;
	struct err e;
	int rc = 0;

	batch_builder_init(&bb, codec, 0);
	for (int i = 0; i < g->n && !rc; i++)
		rc = batch_builder_add(&bb, &g->recs[i]);
	if (!rc)
		rc = batch_builder_finish(&bb, out, &e);
	batch_builder_free(&bb);
	return rc;
}

static struct gen_batch gb;

static void test_random_batches_round_trip(void)
{
	struct buf out = BUF_INIT, scratch = BUF_INIT;
	size_t total = 0;

	pool_init();
	for (int i = 0; i < 10000; i++) {
		/* Log-uniform sizes: many small batches, some near 1 MiB. */
		size_t target = (size_t)exp((double)unit_rand_below(1000) / 1000.0 * log(1 << 20));
		int codec = unit_rand_below(2) ? CODEC_ZSTD : CODEC_NONE;
		struct batch_header h;
		struct err e;
		uint8_t *exact;

		if (i == 0)
			target = 0;
		if (i == 1)
			target = 1 << 20;
		gen_records(&gb, target);
		buf_reset(&out);
		REQUIRE(build(&gb, codec, &out) == 0);
		exact = xmemdup(out.data, out.len);
		if (!CHECK(batch_validate(exact, out.len, BATCH_CHECK_PRODUCE, &h, &scratch, &e) == 0)) {
			unit_diag("batch %d (%s, %d records): %s", i, codec_name(codec), gb.n, e.msg);
			free(exact);
			break;
		}
		CHECK_EQ(h.record_count, gb.n);
		CHECK_EQ(batch_codec(&h), codec);
		if (!records_match(&gb, exact, out.len, 0, &scratch)) {
			unit_diag("batch %d (%s)", i, codec_name(codec));
			free(exact);
			break;
		}
		total += out.len;
		free(exact);
	}
	unit_diag("%.1f MiB of batches round-tripped", (double)total / (1 << 20));
	buf_free(&out);
	buf_free(&scratch);
}

/* Written by a Kafka 0.11 broker: offset 0, leader epoch 1, value "123". */
static const uint8_t kafka_batch[71] = {
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, /* baseOffset */
	0x00, 0x00, 0x00, 0x3b,                         /* batchLength 59 */
	0x00, 0x00, 0x00, 0x01,                         /* leader epoch */
	0x02,                                           /* magic */
	0x03, 0x18, 0xa2, 0x70,                         /* crc */
	0x00, 0x00,                                     /* attributes */
	0x00, 0x00, 0x00, 0x00,                         /* lastOffsetDelta */
	0x00, 0x00, 0x01, 0x5d, 0xff, 0x7b, 0x06, 0x3c, /* baseTimestamp */
	0x00, 0x00, 0x01, 0x5d, 0xff, 0x7b, 0x06, 0x3c, /* maxTimestamp */
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, /* producerId */
	0xff, 0xff,                                     /* producerEpoch */
	0xff, 0xff, 0xff, 0xff,                         /* baseSequence */
	0x00, 0x00, 0x00, 0x01,                         /* recordCount */
	0x12, 0x00, 0x00, 0x00, 0x01, 0x06, 0x31, 0x32, 0x33, 0x00, /* the record */
};

static void test_kafka_written_batch_decodes_and_reencodes_identically(void)
{
	struct batch_header h;
	struct batch_iter it;
	struct batch_builder bb;
	struct buf out = BUF_INIT;
	struct record r;
	struct err e;

	REQUIRE(batch_validate(kafka_batch, sizeof(kafka_batch), BATCH_CHECK_PRODUCE, &h, NULL, &e) == 0);
	CHECK_EQ(h.base_offset, 0);
	CHECK_EQ(h.leader_epoch, 1);
	CHECK_EQ(h.record_count, 1);
	CHECK_EQ(h.producer_id, -1);
	REQUIRE(batch_iter_init(&it, kafka_batch, sizeof(kafka_batch), NULL, &e) == 0);
	REQUIRE(batch_iter_next(&it, &r, &e) == 1);
	CHECK(r.key == NULL && r.key_len == -1);
	CHECK(r.value_len == 3 && memcmp(r.value, "123", 3) == 0);
	CHECK_EQ(r.timestamp, 0x15dff7b063cll);
	CHECK_EQ(batch_iter_next(&it, &r, &e), 0);

	/* Our builder, given the same record, writes the same bytes. */
	batch_builder_init(&bb, CODEC_NONE, 0);
	REQUIRE(batch_builder_add(&bb, &r) == 0);
	REQUIRE(batch_builder_finish(&bb, &out, &e) == 0);
	batch_set_leader_epoch((uint8_t *)out.data, 1);
	CHECK_EQ(out.len, sizeof(kafka_batch));
	CHECK(memcmp(out.data, kafka_batch, sizeof(kafka_batch)) == 0);
	batch_builder_free(&bb);
	buf_free(&out);
}

/* A few small batches of varied shape for the corruption tests. */
static int small_batch(int seed_kind, struct buf *out)
{
	size_t target = 40 + unit_rand_below(seed_kind % 2 ? 600 : 2000);

	gen_records(&gb, target);
	buf_reset(out);
	return build(&gb, seed_kind % 3 == 0 ? CODEC_ZSTD : CODEC_NONE, out);
}

static void test_flipping_any_byte_is_detected(void)
{
	static const uint8_t masks[] = { 0x01, 0x80, 0xff, 0x5a };
	struct buf out = BUF_INIT, scratch = BUF_INIT;
	int flips = 0;

	pool_init();
	for (int k = 0; k < 12; k++) {
		REQUIRE(small_batch(k, &out) == 0);
		for (size_t pos = 0; pos < out.len; pos++) {
			for (size_t m = 0; m < sizeof(masks); m++) {
				uint8_t *p = xmemdup(out.data, out.len);
				struct err e;
				int rc;

				p[pos] ^= masks[m];
				rc = batch_validate(p, out.len, BATCH_CHECK_FULL, NULL, &scratch, &e);
				if (pos < BATCH_OFF_LENGTH ||
				    (pos >= BATCH_OFF_LEADER_EPOCH && pos < BATCH_OFF_MAGIC)) {
					/* baseOffset and leader epoch are outside the CRC by
					 * design (the broker stamps them); the records must
					 * still read back intact. */
					int64_t base = (int64_t)be64_get(p);
					if (rc == 0 && !records_match(&gb, p, out.len, base, &scratch))
						unit_diag("batch %d byte %zu", k, pos);
				} else if (!CHECK(rc != 0)) {
					unit_diag("batch %d (%zu bytes): flip 0x%02x at byte %zu passed",
						  k, out.len, masks[m], pos);
					free(p);
					goto out;
				}
				flips++;
				free(p);
			}
		}
	}
out:
	unit_diag("%d single-byte corruptions tried", flips);
	buf_free(&out);
	buf_free(&scratch);
}

/* Recompute length and CRC so that mutations reach the record decoder. */
static void fix_header(uint8_t *p, size_t len)
{
	be32_put(p + BATCH_OFF_LENGTH, (uint32_t)(len - BATCH_LOG_OVERHEAD));
	be32_put(p + BATCH_OFF_CRC, batch_crc_compute(p, len));
}

static void test_hostile_batches_never_crash(void)
{
	struct buf out = BUF_INIT, scratch = BUF_INIT;
	int accepted = 0, rejected = 0;

	pool_init();
	for (int k = 0; k < 3000; k++) {
		size_t len;
		uint8_t *p;
		struct err e;
		int rc, mutations;

		REQUIRE(small_batch(k, &out) == 0);
		/* Keep the header intact sometimes, truncate or extend others. */
		len = out.len;
		switch (unit_rand_below(3)) {
		case 0:
			len = BATCH_HEADER_SIZE + unit_rand_below(out.len - BATCH_HEADER_SIZE + 1);
			break;
		case 1:
			len = out.len + unit_rand_below(16);
			break;
		}
		p = xmalloc(len);
		memcpy(p, out.data, len < out.len ? len : out.len);
		if (len > out.len)
			unit_rand_bytes(p + out.len, len - out.len);
		mutations = (int)unit_rand_below(6);
		for (int i = 0; i < mutations; i++) {
			size_t pos = BATCH_OFF_ATTRIBUTES + 2 + unit_rand_below(len - BATCH_OFF_ATTRIBUTES - 2);
			p[pos] = (uint8_t)unit_rand();
		}
		fix_header(p, len);
		rc = batch_validate(p, len, BATCH_CHECK_FULL, NULL, &scratch, &e);
		if (rc == 0)
			accepted++;
		else
			rejected++;
		free(p);
	}
	unit_diag("%d mutated batches accepted, %d rejected, none crashed", accepted, rejected);
	CHECK(rejected > 0);
	buf_free(&out);
	buf_free(&scratch);
}

static void test_validation_names_each_failure(void)
{
	struct buf out = BUF_INIT, scratch = BUF_INIT;
	struct record r = { .key = (const uint8_t *)"k", .key_len = 1,
			    .value = (const uint8_t *)"value", .value_len = 5, .timestamp = 1000 };
	struct batch_builder bb;
	struct err e;
	uint8_t *p;

	batch_builder_init(&bb, CODEC_NONE, 0);
	batch_builder_add(&bb, &r);
	r.timestamp = 2000;
	batch_builder_add(&bb, &r);
	REQUIRE(batch_builder_finish(&bb, &out, &e) == 0);
	p = (uint8_t *)out.data;

	CHECK_EQ(batch_validate(p, out.len - 1, BATCH_CHECK_FULL, NULL, NULL, &e), SLOG_ECORRUPT_MESSAGE);
	CHECK(strstr(e.msg, "length") != NULL);
	p[BATCH_OFF_MAGIC] = 1;
	CHECK_EQ(batch_validate(p, out.len, BATCH_CHECK_FULL, NULL, NULL, &e), SLOG_ECORRUPT_MESSAGE);
	CHECK(strstr(e.msg, "magic") != NULL);
	p[BATCH_OFF_MAGIC] = 2;
	p[out.len - 1] ^= 1;
	CHECK_EQ(batch_validate(p, out.len, BATCH_CHECK_FULL, NULL, NULL, &e), SLOG_ECORRUPT_MESSAGE);
	CHECK(strstr(e.msg, "CRC") != NULL);
	p[out.len - 1] ^= 1;

	/* One record fewer than the count says. */
	be32_put(p + BATCH_OFF_RECORD_COUNT, 3);
	fix_header(p, out.len);
	CHECK_EQ(batch_validate(p, out.len, BATCH_CHECK_FULL, NULL, NULL, &e), SLOG_ECORRUPT_MESSAGE);
	unit_diag("count 3 of 2: %s", e.msg);
	be32_put(p + BATCH_OFF_RECORD_COUNT, 2);

	/* A max timestamp that is not the records' maximum. */
	be64_put(p + BATCH_OFF_MAX_TIMESTAMP, 1500);
	fix_header(p, out.len);
	CHECK_EQ(batch_validate(p, out.len, BATCH_CHECK_FULL, NULL, NULL, &e), SLOG_ECORRUPT_MESSAGE);
	CHECK(strstr(e.msg, "max timestamp") != NULL);
	be64_put(p + BATCH_OFF_MAX_TIMESTAMP, 2000);

	/* Codecs slog does not read. */
	be16_put(p + BATCH_OFF_ATTRIBUTES, CODEC_GZIP);
	fix_header(p, out.len);
	CHECK_EQ(batch_validate(p, out.len, BATCH_CHECK_FULL, NULL, NULL, &e),
		 SLOG_EUNSUPPORTED_COMPRESSION_TYPE);
	CHECK(strstr(e.msg, "gzip") != NULL);
	be16_put(p + BATCH_OFF_ATTRIBUTES, 0);

	/* A producer's batch must have dense deltas 0..n-1. */
	be32_put(p + BATCH_OFF_LAST_OFFSET_DELTA, 5);
	fix_header(p, out.len);
	CHECK_EQ(batch_validate(p, out.len, BATCH_CHECK_FULL, NULL, NULL, &e), 0);
	CHECK_EQ(batch_validate(p, out.len, BATCH_CHECK_PRODUCE, NULL, NULL, &e), SLOG_EINVALID_RECORD);
	be32_put(p + BATCH_OFF_LAST_OFFSET_DELTA, 1);
	fix_header(p, out.len);
	CHECK_EQ(batch_validate(p, out.len, BATCH_CHECK_PRODUCE, NULL, &scratch, &e), 0);

	batch_builder_free(&bb);
	buf_free(&out);
	buf_free(&scratch);
}

static void test_null_and_empty_keys_and_values_stay_distinct(void)
{
	struct buf out = BUF_INIT;
	struct batch_builder bb;
	struct batch_iter it;
	struct record r, in[4] = {
		{ .key = NULL, .key_len = -1, .value = NULL, .value_len = -1 },
		{ .key = (const uint8_t *)"", .key_len = 0, .value = (const uint8_t *)"", .value_len = 0 },
		{ .key = NULL, .key_len = -1, .value = (const uint8_t *)"", .value_len = 0 },
		{ .key = (const uint8_t *)"", .key_len = 0, .value = NULL, .value_len = -1 },
	};
	struct err e;

	batch_builder_init(&bb, CODEC_ZSTD, 0);
	for (int i = 0; i < 4; i++)
		batch_builder_add(&bb, &in[i]);
	REQUIRE(batch_builder_finish(&bb, &out, &e) == 0);
	struct buf scratch = BUF_INIT;
	REQUIRE(batch_iter_init(&it, (uint8_t *)out.data, out.len, &scratch, &e) == 0);
	for (int i = 0; i < 4; i++) {
		REQUIRE(batch_iter_next(&it, &r, &e) == 1);
		CHECK_EQ(r.key_len, in[i].key_len);
		CHECK_EQ(r.value_len, in[i].value_len);
		CHECK((r.key == NULL) == (in[i].key == NULL));
		CHECK((r.value == NULL) == (in[i].value == NULL));
	}
	batch_builder_free(&bb);
	buf_free(&out);
	buf_free(&scratch);
}

static void test_zstd_bomb_is_refused(void)
{
	struct buf z = BUF_INIT, out = BUF_INIT;
	uint8_t *zeros = xcalloc(1, 4 << 20);
	struct err e;

	REQUIRE(compress_append(CODEC_ZSTD, 0, zeros, 4 << 20, &z, &e) == 0);
	CHECK(z.len < 4096);
	CHECK_EQ(decompress_append(CODEC_ZSTD, z.data, z.len, 1 << 20, &out, &e),
		 SLOG_EMESSAGE_TOO_LARGE);
	CHECK_EQ(out.len, 0);
	CHECK_EQ(decompress_append(CODEC_ZSTD, z.data, z.len, 4 << 20, &out, &e), 0);
	CHECK_EQ(out.len, 4 << 20);
	/* Truncated and garbage frames are errors too. */
	buf_reset(&out);
	CHECK_EQ(decompress_append(CODEC_ZSTD, z.data, z.len - 3, 8 << 20, &out, &e),
		 SLOG_ECORRUPT_MESSAGE);
	CHECK_EQ(decompress_append(CODEC_ZSTD, "garbage!", 8, 8 << 20, &out, &e),
		 SLOG_ECORRUPT_MESSAGE);
	free(zeros);
	buf_free(&z);
	buf_free(&out);
}

static void test_negative_timestamps_are_refused_at_produce(void)
{
	static const int64_t stamps[] = { -5, -1, 0 };
	struct buf out = BUF_INIT, scratch = BUF_INIT;
	struct err e;

	for (size_t i = 0; i < sizeof(stamps) / sizeof(stamps[0]); i++) {
		for (int codec = CODEC_NONE; codec <= CODEC_ZSTD; codec += CODEC_ZSTD) {
			struct batch_builder bb;
			struct record r = { .key_len = -1, .value = (const uint8_t *)"x",
					    .value_len = 1, .timestamp = stamps[i] };
			int want = stamps[i] < 0 ? SLOG_EINVALID_TIMESTAMP : 0;

			buf_reset(&out);
			batch_builder_init(&bb, codec, 0);
			REQUIRE(batch_builder_add(&bb, &r) == 0);
			REQUIRE(batch_builder_finish(&bb, &out, &e) == 0);
			batch_builder_free(&bb);
			CHECK_EQ(batch_validate((uint8_t *)out.data, out.len, BATCH_CHECK_PRODUCE, NULL,
						&scratch, &e), want);
			if (want)
				CHECK(strstr(e.msg, "is negative") != NULL);
			/* Data already stored is read as it is. */
			CHECK_EQ(batch_validate((uint8_t *)out.data, out.len, BATCH_CHECK_FULL, NULL,
						&scratch, &e), 0);
		}
	}
	buf_free(&out);
	buf_free(&scratch);
}

/* Records read whole and streamed are the same; the stream stays small. */
static void test_a_streamed_batch_reads_like_a_whole_one(void)
{
	struct buf out = BUF_INIT, whole = BUF_INIT, window = BUF_INIT;
	struct batch_builder bb;
	struct batch_iter a, b;
	struct record ra, rb;
	struct err e;
	int n = 0, rc;

	pool_init();
	batch_builder_init(&bb, CODEC_ZSTD, 0);
	for (int i = 0; i < 300; i++) {
		struct record r = { .key_len = -1, .value = pool + POOL_SIZE / 2 + i,
				    .value_len = 20000 + i, .timestamp = 1000 + i };
		REQUIRE(batch_builder_add(&bb, &r) == 0);
	}
	REQUIRE(batch_builder_finish(&bb, &out, &e) == 0);
	batch_builder_free(&bb);
	REQUIRE(batch_iter_init(&a, (uint8_t *)out.data, out.len, &whole, &e) == 0);
	REQUIRE(batch_iter_open(&b, (uint8_t *)out.data, out.len, 64 << 20, &window, &e) == 0);
	while ((rc = batch_iter_next(&a, &ra, &e)) == 1) {
		REQUIRE_EQ(batch_iter_next(&b, &rb, &e), 1);
		CHECK_EQ(ra.offset, rb.offset);
		CHECK_EQ(ra.timestamp, rb.timestamp);
		REQUIRE_EQ(ra.value_len, rb.value_len);
		CHECK(memcmp(ra.value, rb.value, (size_t)ra.value_len) == 0);
		n++;
	}
	CHECK_EQ(rc, 0);
	CHECK_EQ(batch_iter_next(&b, &rb, &e), 0);
	CHECK_EQ(n, 300);
	CHECK(whole.len > 6000000);
	CHECK(window.cap <= 256 << 10);
	batch_iter_close(&b);
	/* Under a smaller limit the same batch is refused (at once, as its
	 * frame declares its size). */
	rc = batch_iter_open(&b, (uint8_t *)out.data, out.len, 1 << 20, &window, &e);
	CHECK_EQ(rc, SLOG_EMESSAGE_TOO_LARGE);
	buf_free(&out);
	buf_free(&whole);
	buf_free(&window);
}

int main(void)
{
	unit_run("10,000 random batches round-trip exactly (both codecs, up to 1 MiB)",
		 test_random_batches_round_trip);
	unit_run("a batch written by Kafka decodes and re-encodes byte for byte",
		 test_kafka_written_batch_decodes_and_reencodes_identically);
	unit_run("flipping any single byte of a batch is detected",
		 test_flipping_any_byte_is_detected);
	unit_run("hostile batches (mutated, truncated, extended) never crash",
		 test_hostile_batches_never_crash);
	unit_run("validation names each failure", test_validation_names_each_failure);
	unit_run("null and empty keys and values stay distinct",
		 test_null_and_empty_keys_and_values_stay_distinct);
	unit_run("a zstd bomb is refused", test_zstd_bomb_is_refused);
	unit_run("negative timestamps are refused in produced batches",
		 test_negative_timestamps_are_refused_at_produce);
	unit_run("a streamed batch reads like a whole one, in a record's worth of memory",
		 test_a_streamed_batch_reads_like_a_whole_one);
	free(pool);
	return unit_done();
}
