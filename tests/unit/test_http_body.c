/*
 * test_http_body.c: an http-source body becomes records all or nothing,
 * with keys from a JSON pointer.
 */
#include <string.h>

#include "connectors/http_body.h"
#include "unit.h"

static int is(const struct buf *b, const char *s)
{
	return b->len == strlen(s) && memcmp(buf_cstr(b), s, b->len) == 0;
}

static void test_ndjson_lines_become_records_as_written(void)
{
	struct http_body b = { 0 };
	const char *body = "{\"id\": 1}\r\n\n  \n{\"id\":\"a/b\"}";
	struct err e = { 0 };

	REQUIRE(http_body_cut(&b, HTTP_BODY_NDJSON, body, strlen(body), "t", "/id", &e) == 0);
	REQUIRE_EQ(b.n, 2);
	CHECK(is(&b.recs[0].value, "{\"id\": 1}"));
	CHECK(is(&b.recs[0].key, "1"));
	CHECK(is(&b.recs[1].key, "a/b"));
	CHECK(is(&b.recs[1].topic, "t"));
	CHECK_EQ(b.bytes, 9 + 1 + 12 + 3);
	http_body_free(&b);
}

static void test_a_bad_line_anywhere_keeps_nothing(void)
{
	struct http_body b = { 0 };
	const char *body = "{\"id\":1}\n{oops\n{\"id\":3}\n";
	struct err e = { 0 };

	CHECK_EQ(http_body_cut(&b, HTTP_BODY_NDJSON, body, strlen(body), "t", NULL, &e),
		 SLOG_EINVALID_RECORD);
	CHECK(strstr(e.msg, "line 2") != NULL);
	CHECK_EQ(b.n, 0);
	CHECK_EQ(b.bytes, 0);
	http_body_free(&b);
}

static void test_a_json_array_gives_one_record_per_element(void)
{
	struct http_body b = { 0 };
	const char *body = "[{\"u\":{\"id\":7}}, 5, \"x\", {\"u\":null}]";
	struct err e = { 0 };

	REQUIRE(http_body_cut(&b, HTTP_BODY_JSON_ARRAY, body, strlen(body), "t", "/u/id", &e) == 0);
	REQUIRE_EQ(b.n, 4);
	CHECK(is(&b.recs[0].value, "{\"u\":{\"id\":7}}"));
	CHECK(is(&b.recs[0].key, "7"));
	CHECK(is(&b.recs[1].value, "5"));
	CHECK(b.recs[1].null_key);
	CHECK(is(&b.recs[2].value, "\"x\""));
	CHECK(b.recs[3].null_key);
	CHECK(http_body_cut(&b, HTTP_BODY_JSON_ARRAY, "{}", 2, "t", NULL, &e) != 0);
	CHECK(strstr(e.msg, "not a JSON array") != NULL);
	CHECK_EQ(b.n, 4);
	http_body_free(&b);
}

static void test_a_record_body_is_kept_byte_for_byte(void)
{
	struct http_body b = { 0 };
	struct err e = { 0 };

	REQUIRE(http_body_cut(&b, HTTP_BODY_RECORD, "a\0b\n", 4, "t", NULL, &e) == 0);
	REQUIRE_EQ(b.n, 1);
	CHECK_EQ(b.recs[0].value.len, 4);
	CHECK(memcmp(b.recs[0].value.data, "a\0b\n", 4) == 0);
	CHECK(http_body_cut(&b, HTTP_BODY_RECORD, "not json", 8, "t", "/k", &e) != 0);
	CHECK(strstr(e.msg, "key.pointer") != NULL);
	CHECK_EQ(b.n, 1);
	http_body_free(&b);
}

static void test_key_pointers_follow_rfc_6901(void)
{
	struct http_body b = { 0 };
	const char *body = "{\"a/b\":{\"m~n\":[10,20]}}";
	struct err e = { 0 };

	REQUIRE(http_body_cut(&b, HTTP_BODY_RECORD, body, strlen(body), "t", "/a~1b/m~0n/1", &e) == 0);
	CHECK(is(&b.recs[0].key, "20"));
	REQUIRE(http_body_cut(&b, HTTP_BODY_RECORD, body, strlen(body), "t", "/a~1b/m~0n", &e) == 0);
	CHECK(is(&b.recs[1].key, "[10,20]"));
	REQUIRE(http_body_cut(&b, HTTP_BODY_RECORD, body, strlen(body), "t", "/nope/x", &e) == 0);
	CHECK(b.recs[2].null_key);
	http_body_free(&b);
}

int main(void)
{
	unit_run("ndjson lines become records as written", test_ndjson_lines_become_records_as_written);
	unit_run("a bad line anywhere keeps nothing", test_a_bad_line_anywhere_keeps_nothing);
	unit_run("a json array gives one record per element",
		 test_a_json_array_gives_one_record_per_element);
	unit_run("a record body is kept byte for byte", test_a_record_body_is_kept_byte_for_byte);
	unit_run("key pointers follow RFC 6901", test_key_pointers_follow_rfc_6901);
	return unit_done();
}
