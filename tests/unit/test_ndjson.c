/*
 * test_ndjson.c: records written as JSON lines, whole and as their head.
 */
#include <string.h>

#include "buf.h"
#include "ndjson.h"
#include "unit.h"

static struct record rec(const char *key, int32_t key_len)
{
	struct record r = { .offset = 7, .timestamp = 1234, .key = (const uint8_t *)key,
			    .key_len = key_len, .value = (const uint8_t *)"v", .value_len = 1 };
	return r;
}

static void test_head_names_the_record_without_its_value(void)
{
	struct buf b = BUF_INIT;
	struct record r = rec("k\"1", 3);

	ndjson_write_head(&b, "t", 2, &r);
	CHECK(strcmp(buf_cstr(&b),
		     "{\"topic\":\"t\",\"partition\":2,\"offset\":7,\"timestamp\":1234,\"key\":\"k\\\"1\"}\n") == 0);
	buf_free(&b);
}

static void test_head_keys_are_null_or_base64_as_in_whole_records(void)
{
	struct buf b = BUF_INIT;
	struct record bin = rec("\x00\xff", 2), none = rec(NULL, -1);

	ndjson_write_head(&b, "t", 0, &bin);
	CHECK(strstr(buf_cstr(&b), ",\"key_b64\":\"AP8=\"}\n") != NULL);
	buf_reset(&b);
	ndjson_write_head(&b, "t", 0, &none);
	CHECK(strstr(buf_cstr(&b), ",\"key\":null}\n") != NULL);
	buf_free(&b);
}

static void test_a_whole_record_starts_with_its_head(void)
{
	struct buf head = BUF_INIT, whole = BUF_INIT;
	struct record r = rec("k", 1);

	ndjson_write_head(&head, "t", 1, &r);
	ndjson_write(&whole, "t", 1, &r);
	/* The same text up to the head's closing brace, then the value. */
	CHECK(strncmp(buf_cstr(&whole), buf_cstr(&head), head.len - 2) == 0);
	CHECK(strcmp(buf_cstr(&whole) + head.len - 2, ",\"value\":\"v\",\"headers\":[]}\n") == 0);
	buf_free(&head);
	buf_free(&whole);
}

/* A NUL inside the topic would cut its name short: "a\u0000b" is not "a". */
static void test_a_topic_with_a_nul_character_is_refused(void)
{
	static const char *const lines[] = { "{\"topic\":\"a\\u0000b\",\"value\":\"v\"}",
					     "{\"topic\":\"\\u0000\",\"value\":\"v\"}" };
	const char *plain = "{\"topic\":\"a\",\"value\":\"v\"}";
	struct ndjson_record nr;
	struct err e;

	ndjson_record_init(&nr);
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		CHECK_EQ(ndjson_parse(&nr, lines[i], strlen(lines[i]), &e), SLOG_EINVALID_RECORD);
		CHECK(nr.topic == NULL);
	}
	CHECK_EQ(ndjson_parse(&nr, plain, strlen(plain), &e), 0);
	CHECK(nr.topic && strcmp(nr.topic, "a") == 0);
	ndjson_record_free(&nr);
}

/* A record not yet placed or stamped writes null where its partition,
 * offset and time would be, and reads back as having none; a -1 typed
 * by a user is still refused (the broker's INVALID_TIMESTAMP). */
static void test_a_record_not_yet_placed_reads_back_as_none(void)
{
	struct record r = rec("k", 1);
	struct buf b = BUF_INIT;
	struct ndjson_record nr;
	struct err e;

	r.offset = -1;
	r.timestamp = -1;
	ndjson_write(&b, "t", -1, &r);
	CHECK(strncmp(buf_cstr(&b), "{\"topic\":\"t\",\"partition\":null,\"offset\":null,"
			"\"timestamp\":null,", 60) == 0);
	ndjson_record_init(&nr);
	CHECK_EQ(ndjson_parse(&nr, b.data, b.len - 1, &e), 0);
	CHECK_EQ(nr.partition, -1);
	CHECK(!nr.has_timestamp);
	CHECK_EQ(ndjson_parse(&nr, "{\"partition\":-1,\"value\":\"v\"}", 28, &e), SLOG_EINVALID_RECORD);
	ndjson_record_free(&nr);
	buf_free(&b);
}

int main(void)
{
	unit_run("the head names the record without its value", test_head_names_the_record_without_its_value);
	unit_run("head keys are null or base64 as in whole records",
		 test_head_keys_are_null_or_base64_as_in_whole_records);
	unit_run("a whole record starts with its head", test_a_whole_record_starts_with_its_head);
	unit_run("a topic with a NUL character is refused", test_a_topic_with_a_nul_character_is_refused);
	unit_run("a record not yet placed reads back as none",
		 test_a_record_not_yet_placed_reads_back_as_none);
	return unit_done();
}
