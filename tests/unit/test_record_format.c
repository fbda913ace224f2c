/*
 * test_record_format.c: the -f format of slog-consume (and of
 * slog-produce's delivery report).
 */
#include <string.h>

#include "buf.h"
#include "record_format.h"
#include "unit.h"

/* The record printed by fmt ("" if it does not compile). */
static const char *show(struct buf *out, const char *fmt, const struct format_marks *m)
{
	struct record r = { .offset = 7, .timestamp = 2000, .key = (const uint8_t *)"k", .key_len = 1,
			    .value = NULL, .value_len = -1 };
	struct format *f;
	struct err e;

	buf_reset(out);
	f = format_compile(fmt, &e);
	if (!f)
		return "";
	format_record_marked(f, out, "t", 3, &r, "~", m);
	format_free(f);
	return buf_cstr(out);
}

static void test_marks_print_lag_log_start_and_high_watermark(void)
{
	struct format_marks m = { 2, 10 };
	struct buf out = BUF_INIT;

	CHECK(strcmp(show(&out, "%t-%p@%o %l %[ %]", &m), "t-3@7 2 2 10") == 0);
	CHECK(strcmp(show(&out, "%l %[ %]", NULL), "-1 -1 -1") == 0);
	buf_free(&out);
}

static void test_hex_escapes_make_any_byte(void)
{
	struct buf out = BUF_INIT;

	CHECK(strcmp(show(&out, "%k\\x2c\\x7E\\x41", NULL), "k,~A") == 0);
	CHECK(memcmp(show(&out, "\\x00", NULL), "", 1) == 0 && out.len == 1);
	CHECK(strcmp(show(&out, "\\x4", NULL), "") == 0 && out.len == 0);
	CHECK(strcmp(show(&out, "\\xg0", NULL), "") == 0);
	CHECK(strcmp(show(&out, "\\", NULL), "") == 0);
	buf_free(&out);
}

static void test_null_prints_as_the_given_text(void)
{
	struct buf out = BUF_INIT;

	CHECK(strcmp(show(&out, "[%s] %S", NULL), "[~] -1") == 0);
	buf_free(&out);
}

int main(void)
{
	unit_run("marks print lag, log start and high watermark",
		 test_marks_print_lag_log_start_and_high_watermark);
	unit_run("hex escapes make any byte", test_hex_escapes_make_any_byte);
	unit_run("null prints as the given text", test_null_prints_as_the_given_text);
	return unit_done();
}
