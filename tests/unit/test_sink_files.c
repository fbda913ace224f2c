/*
 * test_sink_files.c: the file sink's paths, formats, rolls and restarts,
 * without a broker (sink_path.h, sink_format.h, sink_files.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "buf.h"
#include "connectors/sink_files.h"
#include "connectors/sink_format.h"
#include "connectors/sink_path.h"
#include "unit.h"

/* The whole of path as text ("" when it is missing). */
static void read_all(const char *path, struct buf *out)
{
	char chunk[4096];
	size_t n;
	FILE *f = fopen(path, "r");

	buf_reset(out);
	if (!f)
		return;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_add(out, chunk, n);
	fclose(f);
}

/* The file name (in the test's directory) holds exactly want. */
static int tmp_file_is(const char *name, const char *want)
{
	char path[600];
	struct buf b = BUF_INIT;

	snprintf(path, sizeof(path), "%s/%s", unit_tmpdir(), name);
	read_all(path, &b);
	int ok = strcmp(buf_cstr(&b), want) == 0;
	if (!ok)
		unit_diag("  %s holds '%s', expected '%s'", path, buf_cstr(&b), want);
	buf_free(&b);
	return ok;
}

static int exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0;
}

static void test_path_takes_topic_partition_index_and_time(void)
{
	struct buf out = BUF_INIT;
	struct err e;
	struct tm tm = { .tm_year = 126, .tm_mon = 10, .tm_mday = 30, .tm_hour = 12, .tm_isdst = -1 };
	int64_t wall = (int64_t)mktime(&tm) * 1000;

	CHECK_EQ(sink_path_expand("/d/%t/%Y-%m-%d/%t-%p.log", "orders", 3, 0, wall, &out, &e), 0);
	CHECK(strcmp(buf_cstr(&out), "/d/orders/2026-11-30/orders-3.log") == 0);
	CHECK_EQ(sink_path_expand("/d/%t-%p.log", "a", 0, 2, wall, &out, &e), 0);
	CHECK(strcmp(buf_cstr(&out), "/d/a-0.log.2") == 0);
	CHECK_EQ(sink_path_expand("/d/%t.%i.log", "a", 0, 2, wall, &out, &e), 0);
	CHECK(strcmp(buf_cstr(&out), "/d/a.2.log") == 0);
	CHECK_EQ(sink_path_expand("/d/100%%-%H", "a", 0, 0, wall, &out, &e), 0);
	CHECK(strcmp(buf_cstr(&out), "/d/100%-12") == 0);
	CHECK(sink_path_has_time("/d/%Y/%t"));
	CHECK(!sink_path_has_time("/d/%t-%p-%i%%"));
	CHECK_EQ(sink_path_check("/d/", &e), SLOG_EINVALID_CONFIG);
	CHECK_EQ(sink_path_check("", &e), SLOG_EINVALID_CONFIG);
	buf_free(&out);
}

static void test_formats_write_values_ndjson_and_f_formats(void)
{
	struct buf out = BUF_INIT;
	struct err e;
	struct crec r;

	crec_init(&r);
	crec_set_topic(&r, "t");
	r.partition = 1;
	r.offset = 7;
	r.timestamp = 1000;
	crec_set_key(&r, "k", 1);
	crec_set_value(&r, "v", 1);
	struct sink_format *f = sink_format_new("value", &e);
	REQUIRE(f);
	sink_format_write(f, &r, &out);
	CHECK(strcmp(buf_cstr(&out), "v\n") == 0);
	sink_format_free(f);

	f = sink_format_new("%k\\t%s\\n", &e);
	REQUIRE(f);
	buf_reset(&out);
	sink_format_write(f, &r, &out);
	CHECK(strcmp(buf_cstr(&out), "k\tv\n") == 0);
	sink_format_free(f);

	f = sink_format_new("ndjson", &e);
	REQUIRE(f);
	CHECK(sink_format_is_ndjson(f));
	buf_reset(&out);
	sink_format_write(f, &r, &out);
	CHECK(strstr(buf_cstr(&out), "\"offset\":7") != NULL);
	CHECK(out.len > 0 && out.data[out.len - 1] == '\n');
	sink_format_free(f);

	CHECK(sink_format_new("json", &e) == NULL);
	CHECK_EQ(e.code, SLOG_EINVALID_CONFIG);
	crec_free(&r);
	buf_free(&out);
}

static struct sink_files *open_files(const char *tmpl, int64_t max_bytes, int64_t roll_ms,
				     int64_t idle_ms)
{
	struct sink_files_opts o = { tmpl, max_bytes, roll_ms, idle_ms, 1 };
	struct err e;
	struct sink_files *sf = sink_files_new(&o, &e);
	if (!sf)
		unit_diag("  %s", e.msg);
	return sf;
}

static void put(struct sink_files *sf, const char *topic, int32_t p, const char *line, int64_t now)
{
	struct err e;
	int rc = sink_files_write(sf, topic, p, line, strlen(line), 0, now, &e);
	if (!CHECK(rc == 0))
		unit_diag("  %s", e.msg);
}

static void test_partitions_get_their_own_files_in_new_directories(void)
{
	char tmpl[512];
	struct err e;

	snprintf(tmpl, sizeof(tmpl), "%s/out/%%t/%%p.txt", unit_tmpdir());
	struct sink_files *sf = open_files(tmpl, 0, 0, 0);
	REQUIRE(sf);
	put(sf, "a", 0, "x\n", 0);
	put(sf, "a", 1, "y\n", 0);
	put(sf, "a", 0, "z\n", 0);
	CHECK_EQ(sink_files_flush(sf, 0, &e), 0);
	CHECK(tmp_file_is("out/a/0.txt", "x\nz\n"));
	CHECK(tmp_file_is("out/a/1.txt", "y\n"));
	CHECK_EQ(sink_files_open_count(sf), 2);
	sink_files_release(sf, "a", 1);
	CHECK_EQ(sink_files_open_count(sf), 1);
	sink_files_free(sf);
}

static void test_size_rolls_before_a_record_would_cross_the_limit(void)
{
	char tmpl[512];
	struct err e;

	snprintf(tmpl, sizeof(tmpl), "%s/log", unit_tmpdir());
	struct sink_files *sf = open_files(tmpl, 10, 0, 0);
	REQUIRE(sf);
	put(sf, "t", 0, "aaaa\n", 0);
	put(sf, "t", 0, "bbbb\n", 0);
	put(sf, "t", 0, "cccc\n", 0);
	put(sf, "t", 0, "a line longer than ten\n", 0);
	put(sf, "t", 0, "d\n", 0);
	CHECK_EQ(sink_files_flush(sf, 0, &e), 0);
	CHECK(tmp_file_is("log", "aaaa\nbbbb\n"));
	CHECK(tmp_file_is("log.1", "cccc\n"));
	CHECK(tmp_file_is("log.2", "a line longer than ten\n"));
	CHECK(tmp_file_is("log.3", "d\n"));
	sink_files_free(sf);

	/* A restart appends to the last file, and rolls from there. */
	sf = open_files(tmpl, 10, 0, 0);
	REQUIRE(sf);
	put(sf, "t", 0, "eeee\n", 0);
	put(sf, "t", 0, "ffff\n", 0);
	CHECK_EQ(sink_files_flush(sf, 0, &e), 0);
	CHECK(tmp_file_is("log.3", "d\neeee\n"));
	CHECK(tmp_file_is("log.4", "ffff\n"));
	sink_files_free(sf);
}

static void test_time_rolls_and_idle_files_close(void)
{
	char tmpl[512];
	struct err e;

	snprintf(tmpl, sizeof(tmpl), "%s/r-%%i.log", unit_tmpdir());
	struct sink_files *sf = open_files(tmpl, 0, 1000, 0);
	REQUIRE(sf);
	put(sf, "t", 0, "one\n", 0);
	put(sf, "t", 0, "two\n", 999);
	put(sf, "t", 0, "three\n", 1000);
	CHECK_EQ(sink_files_flush(sf, 1500, &e), 0);
	CHECK_EQ(sink_files_open_count(sf), 1);
	CHECK_EQ(sink_files_flush(sf, 2000, &e), 0);
	CHECK_EQ(sink_files_open_count(sf), 0);
	put(sf, "t", 0, "four\n", 2100);
	CHECK_EQ(sink_files_flush(sf, 2100, &e), 0);
	CHECK(tmp_file_is("r-0.log", "one\ntwo\n"));
	CHECK(tmp_file_is("r-1.log", "three\n"));
	CHECK(tmp_file_is("r-2.log", "four\n"));
	sink_files_free(sf);

	snprintf(tmpl, sizeof(tmpl), "%s/idle.log", unit_tmpdir());
	sf = open_files(tmpl, 0, 0, 500);
	REQUIRE(sf);
	put(sf, "t", 0, "a\n", 0);
	CHECK_EQ(sink_files_flush(sf, 100, &e), 0);
	CHECK_EQ(sink_files_open_count(sf), 1);
	CHECK_EQ(sink_files_flush(sf, 600, &e), 0);
	CHECK_EQ(sink_files_open_count(sf), 0);
	put(sf, "t", 0, "b\n", 700);
	CHECK_EQ(sink_files_flush(sf, 700, &e), 0);
	CHECK(tmp_file_is("idle.log", "a\nb\n"));
	sink_files_free(sf);
}

static void test_partitions_naming_one_file_share_it(void)
{
	char tmpl[512];
	struct err e;

	snprintf(tmpl, sizeof(tmpl), "%s/all-%%t.log", unit_tmpdir());
	struct sink_files *sf = open_files(tmpl, 0, 0, 0);
	REQUIRE(sf);
	put(sf, "t", 0, "a\n", 0);
	put(sf, "t", 1, "b\n", 0);
	CHECK_EQ(sink_files_open_count(sf), 1);
	sink_files_release(sf, "t", 0);
	CHECK_EQ(sink_files_open_count(sf), 1);
	put(sf, "t", 1, "c\n", 0);
	CHECK_EQ(sink_files_flush(sf, 0, &e), 0);
	CHECK(tmp_file_is("all-t.log", "a\nb\nc\n"));
	snprintf(tmpl, sizeof(tmpl), "%s/all-t.log", unit_tmpdir());
	sink_files_release(sf, "t", 1);
	CHECK_EQ(sink_files_open_count(sf), 0);
	CHECK(exists(tmpl));
	sink_files_free(sf);
}

static void test_an_unwritable_directory_is_an_error_naming_it(void)
{
	struct err e;
	struct sink_files *sf = open_files("/proc/no-such-dir/x/%t.log", 0, 0, 0);
	REQUIRE(sf);
	CHECK_EQ(sink_files_write(sf, "t", 0, "a\n", 2, 0, 0, &e), SLOG_EIO);
	CHECK(strstr(e.msg, "/proc/no-such-dir") != NULL);
	sink_files_free(sf);
}

int main(void)
{
	unit_run("path takes topic, partition, index and time", test_path_takes_topic_partition_index_and_time);
	unit_run("formats write values, ndjson and -f formats", test_formats_write_values_ndjson_and_f_formats);
	unit_run("partitions get their own files in new directories",
		 test_partitions_get_their_own_files_in_new_directories);
	unit_run("size rolls before a record would cross the limit",
		 test_size_rolls_before_a_record_would_cross_the_limit);
	unit_run("time rolls and idle files close", test_time_rolls_and_idle_files_close);
	unit_run("partitions naming one file share it", test_partitions_naming_one_file_share_it);
	unit_run("an unwritable directory is an error naming it",
		 test_an_unwritable_directory_is_an_error_naming_it);
	return unit_done();
}
