/*
 * test_transform_exec.c: the exec transform with real children (jq,
 * cat, and children that die or hang: a record fails, never a hang), and
 * `slog-connect transform`'s NDJSON pipe.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "transform_fixture.h"
#include "transforms/transform_pipe.h"
#include "unit.h"
#include "xalloc.h"

static void test_exec_with_jq_rewrites_and_drops(void)
{
	struct tfix f;
	struct crec r;
	struct err e;
	tf_begin(&f, &r);
	tf_transform(&f, "jq", "type=exec",
		  "exec.command=jq -c --unbuffered 'if .value == \"drop\" then null else "
		  ".value |= ascii_upcase | .headers += [{\"key\":\"by\",\"value\":\"jq\"}] end'",
		  NULL);
	struct transform_chain *tc = tf_chain(&f);
	REQUIRE(tc);
	for (int i = 0; i < 3; i++) {
		tf_rec(&r, "t", "k", "hello");
		r.timestamp = 42;
		CHECK_EQ(transform_chain_apply(tc, &r, &e), 1);
		CHECK(tf_is(&r.value, "HELLO"));
		CHECK(tf_is(&r.key, "k"));
		CHECK(tf_is(&r.topic, "t"));
		CHECK_EQ(r.timestamp, 42);
		CHECK(tf_header(&r, "by") && strcmp(tf_header(&r, "by"), "jq") == 0);
	}
	CHECK_EQ(tf_run(tc, &r, "t", "k", "drop", &e), 0);
	CHECK_EQ(tf_run(tc, &r, "t", "k", "after", &e), 1);
	CHECK(tf_is(&r.value, "AFTER"));
	tf_finish(tc, &r, &f);
}

static void test_exec_with_cat_keeps_records_of_any_size(void)
{
	struct tfix f;
	struct crec r;
	struct err e;
	tf_begin(&f, &r);
	tf_transform(&f, "cat", "type=exec", "exec.command=cat", NULL);
	struct transform_chain *tc = tf_chain(&f);
	REQUIRE(tc);
	/* Larger than a pipe holds: cat answers while we still write. */
	size_t n = 1 << 20;
	char *big = xmalloc(n + 1);
	memset(big, 'x', n);
	big[n] = '\0';
	tf_rec(&r, "t", NULL, big);
	crec_add_header(&r, "h", "\x01\xff", 2);
	CHECK_EQ(transform_chain_apply(tc, &r, &e), 1);
	CHECK_EQ(r.value.len, n);
	CHECK(r.null_key);
	const struct crec_header *h = crec_find_header(&r, "h");
	CHECK(h && h->value.len == 2 && memcmp(h->value.data, "\x01\xff", 2) == 0);
	free(big);
	tf_finish(tc, &r, &f);
}

static void test_exec_child_that_dies_fails_the_record_and_restarts(void)
{
	struct tfix f;
	struct crec r;
	struct err e;
	tf_begin(&f, &r);
	/* Answers one record, then dies before the second. */
	tf_transform(&f, "once", "type=exec", "exec.shell=true",
		  "exec.command=read -r l; printf '%s\\n' \"$l\"; read -r l; exit 3", NULL);
	struct transform_chain *tc = tf_chain(&f);
	REQUIRE(tc);
	int64_t t0 = clock_mono_ms();
	CHECK_EQ(tf_run(tc, &r, "t", "k", "1", &e), 1);
	CHECK_EQ(tf_run(tc, &r, "t", "k", "2", &e), SLOG_EIO);
	CHECK(strstr(e.msg, "transforms.once: exec '") == e.msg);
	CHECK(strstr(e.msg, "closed its output (exit 3)") != NULL);
	unit_diag("  %s", e.msg);
	CHECK_EQ(tf_run(tc, &r, "t", "k", "3", &e), 1); /* a new child */
	CHECK(tf_is(&r.value, "3"));
	CHECK(clock_mono_ms() - t0 < 4000);
	tf_finish(tc, &r, &f);
}

static void test_exec_child_that_hangs_times_out(void)
{
	struct tfix f;
	struct crec r;
	struct err e;
	tf_begin(&f, &r);
	tf_transform(&f, "slow", "type=exec", "exec.command=sleep 60", "exec.timeout.ms=200ms", NULL);
	struct transform_chain *tc = tf_chain(&f);
	REQUIRE(tc);
	int64_t t0 = clock_mono_ms();
	CHECK_EQ(tf_run(tc, &r, "t", "k", "1", &e), SLOG_EREQUEST_TIMED_OUT);
	CHECK(strstr(e.msg, "no answer in time (killed by signal 9)") != NULL);
	CHECK_EQ(tf_run(tc, &r, "t", "k", "2", &e), SLOG_EREQUEST_TIMED_OUT);
	int64_t took = clock_mono_ms() - t0;
	CHECK(took >= 400 && took < 3000);
	t0 = clock_mono_ms();
	tf_finish(tc, &r, &f);
	CHECK(clock_mono_ms() - t0 < 3000); /* the last child is killed after its grace */
}

static void test_exec_answer_that_is_not_a_record_fails_it(void)
{
	struct tfix f;
	struct crec r;
	struct err e;
	tf_begin(&f, &r);
	tf_transform(&f, "bad", "type=exec", "exec.command=jq -c --unbuffered .value", NULL);
	struct transform_chain *tc = tf_chain(&f);
	REQUIRE(tc);
	CHECK_EQ(tf_run(tc, &r, "t", "k", "v", &e), SLOG_EINVALID_RECORD);
	CHECK(strstr(e.msg, "transforms.bad: exec 'jq -c --unbuffered .value' answered what is not a "
			    "record") == e.msg);
	tf_finish(tc, &r, &f);
}

static void test_transform_pipe_filters_ndjson_and_reports_bad_lines(void)
{
	struct tfix f;
	struct err e;
	tf_init(&f);
	tf_transform(&f, "drop", "type=filter", "value.regex=^skip", NULL);
	tf_transform(&f, "off", "type=insert-header", "header=o", "value.from=offset", NULL);
	const char *input = "{\"topic\":\"a\",\"partition\":1,\"offset\":7,\"timestamp\":9,"
			    "\"key\":\"k\",\"value\":\"v\",\"headers\":[]}\n"
			    "{\"value\":\"skip me\"}\n"
			    "\n"
			    "not json\n"
			    "{\"topic\":\"b\",\"value\":\"w\"}\n"
			    "{\"topic\":\"c\",\"headers\":{\"offset\":\"x\"}, \"offset\" : 9}\n";
	FILE *in = tmpfile();
	REQUIRE(in && fputs(input, in) >= 0);
	rewind(in);
	char *outp = NULL;
	size_t outn = 0;
	FILE *out = open_memstream(&outp, &outn);
	REQUIRE(in && out);
	int rc = transform_pipe(&f.cc, in, out, &e);
	fclose(in);
	fclose(out);
	CHECK_EQ(rc, SLOG_EINVALID_RECORD);
	CHECK(strcmp(e.msg, "transform 't.conf': 1 of 6 lines failed") == 0);
	const char *want = "{\"topic\":\"a\",\"partition\":1,\"offset\":7,\"timestamp\":9,\"key\":\"k\","
			   "\"value\":\"v\",\"headers\":[{\"key\":\"o\",\"value\":\"7\"}]}\n"
			   "{\"topic\":\"b\",\"partition\":null,\"offset\":null,\"timestamp\":null,\"key\":null,"
			   "\"value\":\"w\",\"headers\":[{\"key\":\"o\",\"value\":\"-1\"}]}\n"
			   "{\"topic\":\"c\",\"partition\":null,\"offset\":9,\"timestamp\":null,\"key\":null,"
			   "\"value\":null,\"headers\":[{\"key\":\"offset\",\"value\":\"x\"},"
			   "{\"key\":\"o\",\"value\":\"9\"}]}\n";
	if (!CHECK(outp && strcmp(outp, want) == 0))
		unit_diag("  got %s", outp);
	free(outp);
	tf_free(&f);
}

int main(void)
{
	unit_run("exec with jq rewrites and drops", test_exec_with_jq_rewrites_and_drops);
	unit_run("exec with cat keeps records of any size", test_exec_with_cat_keeps_records_of_any_size);
	unit_run("exec child that dies fails the record and restarts",
		 test_exec_child_that_dies_fails_the_record_and_restarts);
	unit_run("exec child that hangs times out", test_exec_child_that_hangs_times_out);
	unit_run("exec answer that is not a record fails it",
		 test_exec_answer_that_is_not_a_record_fails_it);
	unit_run("transform pipe filters NDJSON and reports bad lines",
		 test_transform_pipe_filters_ndjson_and_reports_bad_lines);
	return unit_done();
}
