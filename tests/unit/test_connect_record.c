/*
 * test_connect_record.c: slog-connect's owned record: bytes, nulls and
 * headers survive the trips to and from batches and NDJSON.
 */
#include <string.h>

#include "batch_builder.h"
#include "batch_iter.h"
#include "ndjson.h"
#include "runtime/connect_record.h"
#include "unit.h"

static int bytes_are(const struct buf *b, const char *s)
{
	return b->len == strlen(s) && memcmp(buf_cstr(b), s, b->len) == 0;
}

static void test_null_and_empty_stay_apart(void)
{
	struct crec r;
	crec_init(&r);
	crec_set_key(&r, NULL, -1);
	crec_set_value(&r, "", 0);
	CHECK(r.null_key);
	CHECK(!r.null_value);
	CHECK_EQ(r.value.len, 0);
	crec_reset(&r);
	CHECK(!r.null_key);
	CHECK_EQ(r.partition, -1);
	CHECK_EQ(r.timestamp, -1);
	crec_free(&r);
}

static void test_headers_keep_order_and_repeats_and_drop_by_name(void)
{
	struct crec r;
	crec_init(&r);
	crec_add_header(&r, "a", "1", 1);
	crec_add_header(&r, "b", NULL, -1);
	crec_add_header(&r, "a", "3", 1);
	REQUIRE_EQ(r.nheaders, 3);
	const struct crec_header *h = crec_find_header(&r, "a");
	REQUIRE(h != NULL);
	CHECK(bytes_are(&h->value, "3"));
	CHECK(crec_find_header(&r, "b")->null_value);
	CHECK_EQ(crec_drop_header(&r, "a"), 2);
	REQUIRE_EQ(r.nheaders, 1);
	CHECK(bytes_are(&r.headers[0].key, "b"));
	CHECK(crec_find_header(&r, "a") == NULL);
	/* The dropped slots' buffers are reused, not leaked (ASan). */
	crec_add_header(&r, "c", "x", 1);
	CHECK(bytes_are(&r.headers[1].value, "x"));
	crec_free(&r);
}

static void test_a_record_goes_through_a_batch_unchanged(void)
{
	struct crec r, back;
	crec_init(&r);
	crec_init(&back);
	crec_set_key(&r, "k\0y", 3);
	crec_set_value(&r, NULL, -1);
	r.timestamp = 1700000000123;
	crec_add_header(&r, "h", "v", 1);
	crec_add_header(&r, "n", NULL, -1);

	struct record_header hdrs[2];
	struct record view;
	crec_view(&r, &view, hdrs);
	struct batch_builder bb;
	struct buf out = BUF_INIT, scratch = BUF_INIT;
	struct err e;
	batch_builder_init(&bb, 0, 0);
	REQUIRE(batch_builder_add(&bb, &view) == 0);
	REQUIRE(batch_builder_finish(&bb, &out, &e) == 0);

	struct batch_iter it;
	struct record got;
	REQUIRE(batch_iter_init(&it, (const uint8_t *)out.data, out.len, &scratch, &e) == 0);
	REQUIRE(batch_iter_next(&it, &got, &e) == 1);
	got.offset = 41;
	got.timestamp = it.h.base_timestamp;
	REQUIRE(crec_from_record(&back, "t", 3, &got, &e) == 0);
	CHECK(bytes_are(&back.topic, "t"));
	CHECK_EQ(back.partition, 3);
	CHECK_EQ(back.offset, 41);
	CHECK_EQ(back.timestamp, 1700000000123);
	CHECK(back.key.len == 3 && memcmp(back.key.data, "k\0y", 3) == 0);
	CHECK(back.null_value);
	REQUIRE_EQ(back.nheaders, 2);
	CHECK(bytes_are(&back.headers[0].value, "v"));
	CHECK(back.headers[1].null_value);

	batch_builder_free(&bb);
	buf_free(&out);
	buf_free(&scratch);
	crec_free(&r);
	crec_free(&back);
}

static void test_ndjson_round_trip_is_lossless(void)
{
	struct crec r;
	struct ndjson_record nr;
	struct buf line = BUF_INIT;
	struct err e;
	crec_init(&r);
	ndjson_record_init(&nr);
	const char *in = "{\"topic\":\"t\",\"partition\":1,\"key\":null,\"value_b64\":\"/w==\","
			 "\"headers\":[{\"key\":\"a\",\"value\":\"b\"}]}";
	REQUIRE(crec_parse_ndjson(&r, &nr, in, strlen(in), &e) == 0);
	CHECK(bytes_are(&r.topic, "t"));
	CHECK_EQ(r.partition, 1);
	CHECK(r.null_key);
	CHECK(r.value.len == 1 && (unsigned char)r.value.data[0] == 0xff);
	r.offset = 5;
	r.timestamp = 9;
	crec_write_ndjson(&r, &line);
	CHECK(strcmp(buf_cstr(&line),
		     "{\"topic\":\"t\",\"partition\":1,\"offset\":5,\"timestamp\":9,\"key\":null,"
		     "\"value_b64\":\"/w==\",\"headers\":[{\"key\":\"a\",\"value\":\"b\"}]}\n") == 0);
	CHECK(crec_parse_ndjson(&r, &nr, "{\"nope\":1}", 10, &e) == SLOG_EINVALID_RECORD);
	buf_free(&line);
	ndjson_record_free(&nr);
	crec_free(&r);
}

int main(void)
{
	unit_run("null and empty stay apart", test_null_and_empty_stay_apart);
	unit_run("headers keep order and repeats, and drop by name",
		 test_headers_keep_order_and_repeats_and_drop_by_name);
	unit_run("a record goes through a batch unchanged", test_a_record_goes_through_a_batch_unchanged);
	unit_run("ndjson round trip is lossless", test_ndjson_round_trip_is_lossless);
	return unit_done();
}
