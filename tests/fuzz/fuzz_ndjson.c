/*
 * fuzz_ndjson.c: libFuzzer target for NDJSON record lines, the input of
 * `slog-produce -J` and of the broker's NDJSON produce path.
 *
 * The input is split into lines as the broker splits a request body, and
 * each line goes to ndjson_parse().  A line that parses must survive the
 * trip the broker gives it: written back as NDJSON it parses to the same
 * record, and put into a batch (zstd, so the compressed path runs too) it
 * validates as a producer's batch and reads back the same bytes.  Any
 * difference aborts; crashes and overreads are found by ASan and UBSan.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "batch_builder.h"
#include "batch_check.h"
#include "batch_iter.h"
#include "compress.h"
#include "fuzz.h"
#include "ndjson.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Same bytes, or both null. */
static int same(const uint8_t *a, int32_t alen, const uint8_t *b, int32_t blen)
{
	return alen == blen && (alen <= 0 || memcmp(a, b, (size_t)alen) == 0);
}

static void check_rewrite(const struct ndjson_record *nr)
{
	static struct ndjson_record again;
	static int ready;
	struct record r = nr->rec;
	struct buf out = BUF_INIT;
	struct err e;

	if (!ready) {
		ndjson_record_init(&again);
		ready = 1;
	}
	if (!nr->has_timestamp)
		r.timestamp = 0; /* the broker's clock would stamp it */
	ndjson_write(&out, nr->topic ? nr->topic : "t", nr->partition >= 0 ? nr->partition : 0, &r);
	FUZZ_CHECK(out.len > 0 && out.data[out.len - 1] == '\n');
	FUZZ_CHECK(ndjson_parse(&again, out.data, out.len - 1, &e) == 0);
	FUZZ_CHECK(same(again.rec.key, again.rec.key_len, nr->rec.key, nr->rec.key_len));
	FUZZ_CHECK(same(again.rec.value, again.rec.value_len, nr->rec.value, nr->rec.value_len));
	FUZZ_CHECK(again.rec.header_count == nr->rec.header_count);
	/* -1 is written as null: "no time", which the broker stamps. */
	if (r.timestamp == -1)
		FUZZ_CHECK(!again.has_timestamp);
	else
		FUZZ_CHECK(again.has_timestamp && again.rec.timestamp == r.timestamp);
	buf_free(&out);
}

static void check_batch(const struct record *r)
{
	static struct buf scratch = BUF_INIT;
	struct batch_builder bb;
	struct buf batch = BUF_INIT;
	struct batch_iter it;
	struct record back;
	struct err e;

	batch_builder_init(&bb, CODEC_ZSTD, 1);
	if (batch_builder_add(&bb, r) == 0 && batch_builder_finish(&bb, &batch, &e) == 0) {
		const uint8_t *p = (const uint8_t *)batch.data;
		int rc = batch_validate(p, batch.len, BATCH_CHECK_PRODUCE, NULL, &scratch, &e);
		/* NDJSON reads any timestamp; a produced batch takes none below 0. */
		FUZZ_CHECK(r->timestamp < 0 ? rc == SLOG_EINVALID_TIMESTAMP : rc == 0);
		FUZZ_CHECK(batch_iter_init(&it, p, batch.len, &scratch, &e) == 0);
		FUZZ_CHECK(batch_iter_next(&it, &back, &e) == 1);
		FUZZ_CHECK(same(back.key, back.key_len, r->key, r->key_len));
		FUZZ_CHECK(same(back.value, back.value_len, r->value, r->value_len));
		FUZZ_CHECK(back.header_count == r->header_count);
	}
	batch_builder_free(&bb);
	buf_free(&batch);
}

static void parse_line(const char *line, size_t len, void *arg)
{
	static struct ndjson_record nr;
	static int ready;
	struct err e;

	(void)arg;
	if (!ready) {
		ndjson_record_init(&nr);
		ready = 1;
	}
	if (ndjson_parse(&nr, line, len, &e) == 0) {
		check_rewrite(&nr);
		check_batch(&nr.rec);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_lines((const char *)data, size, parse_line, NULL);
	return 0;
}
