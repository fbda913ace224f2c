/*
 * test_config.c: sizes, durations and integers with units; config files,
 * environment overrides and the errors that name the key.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "unit.h"
#include "units.h"

static void test_sizes_take_units(void)
{
	int64_t v;
	struct err e;

	CHECK(units_parse_bytes("4096", 0, INT64_MAX, &v, &e) == 0 && v == 4096);
	CHECK(units_parse_bytes("64k", 0, INT64_MAX, &v, &e) == 0 && v == 65536);
	CHECK(units_parse_bytes("512MiB", 0, INT64_MAX, &v, &e) == 0 && v == 512LL << 20);
	CHECK(units_parse_bytes("1GB", 0, INT64_MAX, &v, &e) == 0 && v == 1000000000);
	CHECK(units_parse_bytes("1.5GiB", 0, INT64_MAX, &v, &e) == 0 && v == 3LL << 29);
	CHECK(units_parse_bytes("-1", -1, INT64_MAX, &v, &e) == 0 && v == -1);
	CHECK_EQ(units_parse_bytes("12 parsecs", 0, INT64_MAX, &v, &e), SLOG_EINVALID_CONFIG);
	CHECK(strstr(e.msg, "unknown unit") != NULL);
	CHECK_EQ(units_parse_bytes("", 0, INT64_MAX, &v, &e), SLOG_EINVALID_CONFIG);
	CHECK_EQ(units_parse_bytes("99999999TiB", 0, INT64_MAX, &v, &e), SLOG_EINVALID_CONFIG);
	CHECK_EQ(units_parse_bytes("2GiB", 0, 1 << 30, &v, &e), SLOG_EINVALID_CONFIG);
	CHECK(strstr(e.msg, "out of range") != NULL);
}

static void test_durations_take_units(void)
{
	int64_t v;
	struct err e;

	CHECK(units_parse_duration("500ms", 1, 0, INT64_MAX, &v, &e) == 0 && v == 500);
	CHECK(units_parse_duration("10s", 1, 0, INT64_MAX, &v, &e) == 0 && v == 10000);
	CHECK(units_parse_duration("7d", 1, 0, INT64_MAX, &v, &e) == 0 && v == 604800000);
	CHECK(units_parse_duration("1.5h", 1, 0, INT64_MAX, &v, &e) == 0 && v == 5400000);
	CHECK(units_parse_duration("2w", 1, 0, INT64_MAX, &v, &e) == 0 && v == 1209600000);
	/* A bare number is in the key's own unit: hours for *.hours keys. */
	CHECK(units_parse_duration("168", 3600000, 0, INT64_MAX, &v, &e) == 0 && v == 604800000);
	CHECK_EQ(units_parse_duration("soon", 1, 0, INT64_MAX, &v, &e), SLOG_EINVALID_CONFIG);
}

static void test_integers_are_whole_and_bounded(void)
{
	int64_t v;

	CHECK(units_parse_int("42", 0, 100, &v, NULL) == 0 && v == 42);
	CHECK(units_parse_int("-7", -10, 10, &v, NULL) == 0 && v == -7);
	CHECK_EQ(units_parse_int("42x", 0, 100, &v, NULL), SLOG_EINVALID_CONFIG);
	CHECK_EQ(units_parse_int("4.2", 0, 100, &v, NULL), SLOG_EINVALID_CONFIG);
	CHECK_EQ(units_parse_int("101", 0, 100, &v, NULL), SLOG_EINVALID_CONFIG);
	CHECK_EQ(units_parse_int("99999999999999999999", 0, INT64_MAX, &v, NULL), SLOG_EINVALID_CONFIG);
	CHECK(units_parse_int("9223372036854775807", 0, INT64_MAX, &v, NULL) == 0 && v == INT64_MAX);
}

static const struct conf_def defs[] = {
	{ "num.partitions", CONF_INT, "1", 1, 100000, 0, NULL, "partitions of a new topic" },
	{ "log.segment.bytes", CONF_BYTES, "1GiB", 14, 1LL << 31, 0, NULL, "segment size" },
	{ "log.retention.ms", CONF_DURATION, "7d", -1, INT64_MAX, 1, NULL, "retention" },
	{ "log.flush.on.ack", CONF_BOOL, "true", 0, 1, 0, NULL, "fsync before acks=all" },
	{ "cleanup.policy", CONF_ENUM, "delete", 0, 0, 0, "delete|compact|compact,delete", "policy" },
	{ "log.dirs", CONF_STRING, "./slog-data", 0, 0, 0, NULL, "data directories" },
	{ "log.retention.hours", CONF_DURATION, "168", -1, INT64_MAX, 3600000, NULL, "in hours" },
};

/* Write text to the file name in the test's directory and load it into c. */
static int load_text(struct conf *c, const char *name, const char *text, struct err *e)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", unit_tmpdir(), name);
	f = fopen(path, "w");
	if (!f)
		return err_set(e, SLOG_EIO, "cannot write %s", path);
	fputs(text, f);
	fclose(f);
	return conf_load_file(c, path, e);
}

static void test_config_file_env_and_command_line_layer(void)
{
	struct conf c;
	struct err e;

	REQUIRE(conf_init(&c, defs, sizeof(defs) / sizeof(defs[0]), &e) == 0);
	CHECK_EQ(conf_get_num(&c, "log.segment.bytes"), 1LL << 30);
	CHECK_EQ(conf_get_num(&c, "log.retention.ms"), 604800000);
	CHECK(conf_get_bool(&c, "log.flush.on.ack"));
	REQUIRE(load_text(&c, "broker.conf",
			  "# a comment\n\nnum.partitions = 3\nlog.segment.bytes=512MiB\n"
			  "log.dirs = \"/var/lib/slog\"\ncleanup.policy = compact\n", &e) == 0);
	CHECK_EQ(conf_get_num(&c, "num.partitions"), 3);
	CHECK_EQ(conf_get_num(&c, "log.segment.bytes"), 512LL << 20);
	CHECK(strcmp(conf_get_str(&c, "log.dirs"), "/var/lib/slog") == 0);
	CHECK(strcmp(conf_get_str(&c, "cleanup.policy"), "compact") == 0);
	CHECK_EQ(conf_get_source(&c, "num.partitions"), CONF_SRC_FILE);
	setenv("SLOG_NUM_PARTITIONS", "6", 1);
	REQUIRE(conf_load_env(&c, "SLOG_", &e) == 0);
	unsetenv("SLOG_NUM_PARTITIONS");
	CHECK_EQ(conf_get_num(&c, "num.partitions"), 6);
	CHECK_EQ(conf_get_source(&c, "num.partitions"), CONF_SRC_ENV);
	REQUIRE(conf_set_pair(&c, "num.partitions=9", CONF_SRC_CMDLINE, &e) == 0);
	CHECK_EQ(conf_get_num(&c, "num.partitions"), 9);
	conf_free(&c);
}

static void test_config_errors_name_the_key_and_line(void)
{
	struct conf c;
	struct err e;

	REQUIRE(conf_init(&c, defs, sizeof(defs) / sizeof(defs[0]), &e) == 0);
	CHECK_EQ(conf_set(&c, "num.partitons", "3", CONF_SRC_CMDLINE, &e), SLOG_EINVALID_CONFIG);
	CHECK(strstr(e.msg, "unknown config key 'num.partitons'") != NULL);
	CHECK_EQ(conf_set(&c, "num.partitions", "lots", CONF_SRC_CMDLINE, &e), SLOG_EINVALID_CONFIG);
	CHECK(strstr(e.msg, "num.partitions") != NULL);
	CHECK_EQ(conf_set(&c, "cleanup.policy", "shred", CONF_SRC_CMDLINE, &e), SLOG_EINVALID_CONFIG);
	CHECK(strstr(e.msg, "delete|compact") != NULL);
	CHECK_EQ(conf_set_pair(&c, "no-equals-sign", CONF_SRC_CMDLINE, &e), SLOG_EINVALID_CONFIG);
	CHECK_EQ(load_text(&c, "bad.conf", "num.partitions = 2\n\nlog.segment.bytes = 1 bushel\n", &e),
		 SLOG_EINVALID_CONFIG);
	unit_diag("%s", e.msg);
	CHECK(strstr(e.msg, ":3:") != NULL && strstr(e.msg, "log.segment.bytes") != NULL);
	CHECK_EQ(conf_load_file(&c, "/nonexistent/slog.conf", &e), SLOG_EINVALID_CONFIG);
	conf_free(&c);
}

static void test_a_hash_after_whitespace_starts_a_comment(void)
{
	struct conf c;
	struct err e;
	char src[600];

	REQUIRE(conf_init(&c, defs, sizeof(defs) / sizeof(defs[0]), &e) == 0);
	REQUIRE(load_text(&c, "comments.conf",
			  "num.partitions = 4 # four\nlog.dirs = /srv/a#1\t# data\n"
			  "cleanup.policy = \"compact\"  # table\n", &e) == 0);
	CHECK_EQ(conf_get_num(&c, "num.partitions"), 4);
	CHECK(strcmp(conf_get_str(&c, "log.dirs"), "/srv/a#1") == 0);
	CHECK(strcmp(conf_get_str(&c, "cleanup.policy"), "compact") == 0);
	conf_format_source(&c, 5, src, sizeof(src));
	CHECK(strstr(src, "file ") == src && strstr(src, "comments.conf:2") != NULL);
	REQUIRE(load_text(&c, "quoted.conf", "log.dirs = \"/srv/b #2\" # quoted\n", &e) == 0);
	CHECK(strcmp(conf_get_str(&c, "log.dirs"), "/srv/b #2") == 0);
	conf_free(&c);
}

static void test_values_remember_where_they_were_set(void)
{
	struct conf c;
	struct err e;
	char src[600];

	REQUIRE(conf_init(&c, defs, sizeof(defs) / sizeof(defs[0]), &e) == 0);
	setenv("SLOG_LOG_DIRS", "/from/env", 1);
	REQUIRE(conf_load_env(&c, "SLOG_", &e) == 0);
	unsetenv("SLOG_LOG_DIRS");
	conf_format_source(&c, 5, src, sizeof(src));
	CHECK(strcmp(src, "env SLOG_LOG_DIRS") == 0);
	REQUIRE(conf_set_pair_from(&c, "num.partitions=2", CONF_SRC_CMDLINE, "-X", &e) == 0);
	conf_format_source(&c, 0, src, sizeof(src));
	CHECK(strcmp(src, "command line -X") == 0);
	err_set(&e, SLOG_EINVALID_CONFIG, "too few");
	conf_wrap_key(&c, "num.partitions", &e);
	CHECK(strcmp(e.msg, "-X num.partitions: too few") == 0);
	CHECK_EQ(conf_set_pair_from(&c, "num.partitions=x", CONF_SRC_CMDLINE, "--set", &e),
		 SLOG_EINVALID_CONFIG);
	CHECK(strncmp(e.msg, "--set num.partitions: ", 22) == 0);
	conf_format_source(&c, 1, src, sizeof(src));
	CHECK(strcmp(src, "default") == 0);
	conf_free(&c);
}

static void test_hours_print_in_hours_and_set_back_exactly(void)
{
	static const char *const in[] = { "168", "1.5", "20m", "1ms", "0.25", "-1" };
	static const char *const out[] = { "168", "1.5", "1200000ms", "1ms", "0.25", "-1" };
	struct conf c;
	struct err e;
	char text[64];

	REQUIRE(conf_init(&c, defs, sizeof(defs) / sizeof(defs[0]), &e) == 0);
	for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		int64_t before;
		REQUIRE(conf_set(&c, "log.retention.hours", in[i], CONF_SRC_CMDLINE, &e) == 0);
		before = conf_get_num(&c, "log.retention.hours");
		conf_format(&c, 6, text, sizeof(text));
		unit_diag("%s -> %lld ms -> %s", in[i], (long long)before, text);
		CHECK(strcmp(text, out[i]) == 0);
		REQUIRE(conf_set(&c, "log.retention.hours", text, CONF_SRC_CMDLINE, &e) == 0);
		CHECK_EQ(conf_get_num(&c, "log.retention.hours"), before);
	}
	conf_free(&c);
}

int main(void)
{
	unit_run("sizes take units", test_sizes_take_units);
	unit_run("durations take units", test_durations_take_units);
	unit_run("integers are whole and bounded", test_integers_are_whole_and_bounded);
	unit_run("config file, environment and command line layer in order",
		 test_config_file_env_and_command_line_layer);
	unit_run("config errors name the key and the line", test_config_errors_name_the_key_and_line);
	unit_run("a # after whitespace starts a comment", test_a_hash_after_whitespace_starts_a_comment);
	unit_run("values remember where they were set", test_values_remember_where_they_were_set);
	unit_run("hours print in hours and set back exactly",
		 test_hours_print_in_hours_and_set_back_exactly);
	return unit_done();
}
