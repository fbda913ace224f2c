/*
 * test_line_framing.c: lines, delimiters, long lines and NDJSON frames,
 * whatever sizes the reads come in.
 */
#include <string.h>

#include "connectors/line_framing.h"
#include "unit.h"

static void opts(struct framing_opts *o, enum frame_format fmt, const char *delim, size_t max,
		 enum long_line on_long)
{
	memset(o, 0, sizeof(*o));
	o->format = fmt;
	o->max_bytes = max;
	o->on_long = on_long;
	struct err e;
	framing_parse_delimiter(delim, o, &e);
}

static void start(struct framer *fr, enum frame_format fmt, const char *delim, size_t max,
		  enum long_line on_long, int64_t pos)
{
	struct framing_opts o;
	opts(&o, fmt, delim, max, on_long);
	framer_init(fr, &o, pos);
}

/* Feed s in reads of chunk bytes; collect frames as "text|start-end;". */
static int feed(struct framer *fr, const char *s, size_t chunk, struct buf *out, struct err *e)
{
	size_t n = strlen(s);
	for (size_t at = 0; at < n; at += chunk) {
		size_t k = n - at < chunk ? n - at : chunk;
		memcpy(framer_space(fr, k), s + at, k);
		framer_commit(fr, k);
		struct frame f;
		int rc;
		while ((rc = framer_next(fr, &f, e)) == 1)
			buf_addf(out, "%.*s%s|%lld-%lld;", (int)f.len, f.p, f.truncated ? "+" : "",
				 (long long)f.start, (long long)f.end);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static void test_lines_come_whole_whatever_the_read_sizes(void)
{
	const char *in = "alpha\nbeta\n\ngamma\n";
	const char *want = "alpha|0-6;beta|6-11;|11-12;gamma|12-18;";
	for (size_t chunk = 1; chunk <= 20; chunk++) {
		struct framer fr;
		start(&fr, FRAME_LINES, "\\n", 100, LONG_FAIL, 0);
		struct buf out = BUF_INIT;
		struct err e;
		CHECK_EQ(feed(&fr, in, chunk, &out, &e), 0);
		if (!CHECK(strcmp(buf_cstr(&out), want) == 0))
			unit_diag("chunk %zu: %s", chunk, buf_cstr(&out));
		buf_free(&out);
		framer_free(&fr);
	}
}

static void test_an_unterminated_line_waits_until_the_stream_ends(void)
{
	struct framer fr;
	start(&fr, FRAME_LINES, "\\n", 100, LONG_FAIL, 1000);
	struct buf out = BUF_INIT;
	struct err e;
	feed(&fr, "one\ntwo", 3, &out, &e);
	CHECK(strcmp(buf_cstr(&out), "one|1000-1004;") == 0);
	CHECK_EQ(framer_pending(&fr), 3);
	struct frame f;
	REQUIRE_EQ(framer_flush(&fr, &f), 1);
	CHECK(f.len == 3 && memcmp(f.p, "two", 3) == 0);
	CHECK_EQ(f.start, 1004);
	CHECK_EQ(f.end, 1007);
	CHECK_EQ(framer_flush(&fr, &f), 0);
	buf_free(&out);
	framer_free(&fr);
}

static void test_a_two_byte_delimiter_split_across_reads(void)
{
	struct framing_opts o;
	opts(&o, FRAME_LINES, "\\r\\n", 100, LONG_FAIL);
	CHECK_EQ(o.delim_len, 2);
	for (size_t chunk = 1; chunk <= 4; chunk++) {
		struct framer fr;
		framer_init(&fr, &o, 0);
		struct buf out = BUF_INIT;
		struct err e;
		feed(&fr, "a\rb\r\ncd\r\n", chunk, &out, &e);
		CHECK(strcmp(buf_cstr(&out), "a\rb|0-5;cd|5-9;") == 0);
		buf_free(&out);
		framer_free(&fr);
	}
}

static void test_delimiter_escapes_and_bad_ones(void)
{
	struct framing_opts o;
	struct err e;
	CHECK_EQ(framing_parse_delimiter("\\x1e", &o, &e), 0);
	CHECK(o.delim_len == 1 && o.delim[0] == 0x1e);
	CHECK_EQ(framing_parse_delimiter("\\0", &o, &e), 0);
	CHECK(o.delim_len == 1 && o.delim[0] == 0);
	CHECK_EQ(framing_parse_delimiter("||", &o, &e), 0);
	CHECK_EQ(o.delim_len, 2);
	CHECK_EQ(framing_parse_delimiter("\\q", &o, &e), SLOG_EINVALID_CONFIG);
	CHECK_EQ(framing_parse_delimiter("", &o, &e), SLOG_EINVALID_CONFIG);
}

static void test_long_lines_are_skipped_truncated_or_fail(void)
{
	const char *in = "short\nthis-line-is-long\nok\n";
	struct {
		enum long_line how;
		const char *want;
		int rc;
	} cases[] = {
		{ LONG_SKIP, "short|0-6;ok|24-27;", 0 },
		{ LONG_TRUNCATE, "short|0-6;this-lin+|6-24;ok|24-27;", 0 },
		{ LONG_FAIL, "short|0-6;", SLOG_EMESSAGE_TOO_LARGE },
	};
	for (size_t c = 0; c < 3; c++) {
		/* Whole, and in reads smaller than the limit (the line is cut before its end is seen). */
		for (size_t chunk = 3; chunk <= 64; chunk += 61) {
			struct framer fr;
			start(&fr, FRAME_LINES, "\\n", 8, cases[c].how, 0);
			struct buf out = BUF_INIT;
			struct err e;
			CHECK_EQ(feed(&fr, in, chunk, &out, &e), cases[c].rc);
			const char *got = buf_cstr(&out);
			if (cases[c].how == LONG_TRUNCATE && chunk == 3)
				/* cut when 11 bytes were seen: it ends where the framer was */
				CHECK(strncmp(got, "short|0-6;this-lin+|6-", 22) == 0 && strstr(got, "ok|24-27;"));
			else if (!CHECK(strcmp(got, cases[c].want) == 0))
				unit_diag("case %zu chunk %zu: %s", c, chunk, got);
			buf_free(&out);
			framer_free(&fr);
		}
	}
}

static void test_bytes_frames_everything_at_the_end(void)
{
	struct framer fr;
	start(&fr, FRAME_BYTES, "\\n", 1 << 20, LONG_FAIL, 0);
	struct buf out = BUF_INIT;
	struct err e;
	feed(&fr, "a\nb\nc", 2, &out, &e);
	CHECK_EQ(out.len, 0);
	struct frame f;
	REQUIRE_EQ(framer_flush(&fr, &f), 1);
	CHECK(f.len == 5 && memcmp(f.p, "a\nb\nc", 5) == 0);
	CHECK_EQ(f.end, 5);
	buf_free(&out);
	framer_free(&fr);
}

static void test_ndjson_lines_keep_keys_and_headers_and_bad_ones_fail(void)
{
	struct framer fr;
	start(&fr, FRAME_NDJSON, "\\n", 1 << 20, LONG_FAIL, 0);
	const char *in = "{\"key\":\"k1\",\"value\":\"v1\",\"headers\":[{\"key\":\"h\",\"value\":\"x\"}]}\n"
			 "   \n{\"value\":1}\n";
	size_t n = strlen(in);
	memcpy(framer_space(&fr, n), in, n);
	framer_commit(&fr, n);
	struct ndjson_record scratch;
	ndjson_record_init(&scratch);
	struct crec r;
	crec_init(&r);
	struct frame f;
	struct err e;
	REQUIRE_EQ(framer_next(&fr, &f, &e), 1);
	REQUIRE_EQ(framer_to_record(&fr, &f, &r, &scratch, &e), 1);
	CHECK(r.key.len == 2 && memcmp(r.key.data, "k1", 2) == 0);
	CHECK(r.value.len == 2 && memcmp(r.value.data, "v1", 2) == 0);
	CHECK(crec_find_header(&r, "h") != NULL);
	REQUIRE_EQ(framer_next(&fr, &f, &e), 1);
	CHECK_EQ(framer_to_record(&fr, &f, &r, &scratch, &e), 0);
	REQUIRE_EQ(framer_next(&fr, &f, &e), 1);
	CHECK_EQ(framer_to_record(&fr, &f, &r, &scratch, &e), SLOG_EINVALID_RECORD);
	crec_free(&r);
	ndjson_record_free(&scratch);
	framer_free(&fr);
}

int main(void)
{
	unit_run("lines come whole whatever the read sizes", test_lines_come_whole_whatever_the_read_sizes);
	unit_run("an unterminated line waits until the stream ends",
		 test_an_unterminated_line_waits_until_the_stream_ends);
	unit_run("a two-byte delimiter split across reads", test_a_two_byte_delimiter_split_across_reads);
	unit_run("delimiter escapes and bad ones", test_delimiter_escapes_and_bad_ones);
	unit_run("long lines are skipped, truncated or fail", test_long_lines_are_skipped_truncated_or_fail);
	unit_run("bytes frames everything at the end", test_bytes_frames_everything_at_the_end);
	unit_run("ndjson lines keep keys and headers, and bad ones fail",
		 test_ndjson_lines_keep_keys_and_headers_and_bad_ones_fail);
	return unit_done();
}
