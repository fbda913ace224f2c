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
};

static void test_config_file_env_and_command_line_layer(void)
{
	struct conf c;
	struct err e;
	char path[512];
	FILE *f;

	REQUIRE(conf_init(&c, defs, sizeof(defs) / sizeof(defs[0]), &e) == 0);
	CHECK_EQ(conf_get_num(&c, "log.segment.bytes"), 1LL << 30);
	CHECK_EQ(conf_get_num(&c, "log.retention.ms"), 604800000);
	CHECK(conf_get_bool(&c, "log.flush.on.ack"));
	snprintf(path, sizeof(path), "%s/broker.conf", unit_tmpdir());
	f = fopen(path, "w");
	fprintf(f, "# a comment\n\nnum.partitions = 3\nlog.segment.bytes=512MiB\n"
		   "log.dirs = \"/var/lib/slog\"\ncleanup.policy = compact\n");
	fclose(f);
	REQUIRE(conf_load_file(&c, path, &e) == 0);
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
	char path[512];
	FILE *f;

	REQUIRE(conf_init(&c, defs, sizeof(defs) / sizeof(defs[0]), &e) == 0);
	CHECK_EQ(conf_set(&c, "num.partitons", "3", CONF_SRC_CMDLINE, &e), SLOG_EINVALID_CONFIG);
	CHECK(strstr(e.msg, "unknown config key 'num.partitons'") != NULL);
	CHECK_EQ(conf_set(&c, "num.partitions", "lots", CONF_SRC_CMDLINE, &e), SLOG_EINVALID_CONFIG);
	CHECK(strstr(e.msg, "num.partitions") != NULL);
	CHECK_EQ(conf_set(&c, "cleanup.policy", "shred", CONF_SRC_CMDLINE, &e), SLOG_EINVALID_CONFIG);
	CHECK(strstr(e.msg, "delete|compact") != NULL);
	CHECK_EQ(conf_set_pair(&c, "no-equals-sign", CONF_SRC_CMDLINE, &e), SLOG_EINVALID_CONFIG);
	snprintf(path, sizeof(path), "%s/bad.conf", unit_tmpdir());
	f = fopen(path, "w");
	fprintf(f, "num.partitions = 2\n\nlog.segment.bytes = 1 bushel\n");
	fclose(f);
	CHECK_EQ(conf_load_file(&c, path, &e), SLOG_EINVALID_CONFIG);
	unit_diag("%s", e.msg);
	CHECK(strstr(e.msg, ":3:") != NULL && strstr(e.msg, "log.segment.bytes") != NULL);
	CHECK_EQ(conf_load_file(&c, "/nonexistent/slog.conf", &e), SLOG_EINVALID_CONFIG);
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
	return unit_done();
}
