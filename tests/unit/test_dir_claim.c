/*
 * test_dir_claim.c: one partition log per directory in a process.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "storage/partition_log.h"
#include "unit.h"

static int open_log(const char *dir, struct plog **l, struct err *e)
{
	struct plog_config cfg;
	struct plog_open_opts o = { .now_ms = 1000 };

	plog_config_default(&cfg);
	return plog_open(dir, &cfg, &o, l, NULL, e);
}

static void test_a_directory_held_by_a_log_is_refused(void)
{
	char dir[4200], alias[4300];
	struct plog *a = NULL, *b = NULL;
	struct err e;

	snprintf(dir, sizeof(dir), "%s/t-0", unit_tmpdir());
	snprintf(alias, sizeof(alias), "%s/alias", unit_tmpdir());
	REQUIRE(open_log(dir, &a, &e) == 0);
	CHECK_EQ(open_log(dir, &b, &e), SLOG_ESTORAGE);
	CHECK(strstr(e.msg, "another log") != NULL);
	/* The same directory by another name is the same directory. */
	REQUIRE(symlink(dir, alias) == 0);
	CHECK_EQ(open_log(alias, &b, &e), SLOG_ESTORAGE);
	REQUIRE(plog_close(a, &e) == 0);
	/* Once closed, it opens again. */
	REQUIRE(open_log(dir, &a, &e) == 0);
	CHECK(plog_close(a, &e) == 0);
}

static void test_two_directories_open_side_by_side(void)
{
	char d1[4200], d2[4200];
	struct plog *a = NULL, *b = NULL;
	struct err e;

	snprintf(d1, sizeof(d1), "%s/t-0", unit_tmpdir());
	snprintf(d2, sizeof(d2), "%s/t-1", unit_tmpdir());
	REQUIRE(open_log(d1, &a, &e) == 0);
	CHECK(open_log(d2, &b, &e) == 0);
	CHECK(plog_close(a, &e) == 0);
	if (b)
		CHECK(plog_close(b, &e) == 0);
}

int main(void)
{
	unit_run("a directory another log holds is refused, under any name",
		 test_a_directory_held_by_a_log_is_refused);
	unit_run("two directories open side by side", test_two_directories_open_side_by_side);
	return unit_done();
}
