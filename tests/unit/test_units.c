/*
 * test_units.c: the time grammar of units_parse_time (slog-consume -o @T,
 * slog-groups --to-datetime, slog-topics offsets --at).
 */
#include <stdlib.h>
#include <time.h>

#include "err.h"
#include "units.h"
#include "unit.h"

#define NOW 1796021410123LL /* 2026-11-30T...: any fixed "now" */

static int64_t t(const char *s)
{
	int64_t v = -42;
	struct err e;

	if (units_parse_time(s, NOW, &v, &e))
		return -1;
	return v;
}

static void test_ten_digits_or_fewer_are_seconds(void)
{
	CHECK_EQ(t("1796021410"), 1796021410000LL);
	CHECK_EQ(t("0"), 0);
	CHECK_EQ(t("86400"), 86400000LL);
}

static void test_eleven_digits_or_more_are_milliseconds(void)
{
	CHECK_EQ(t("1796021410123"), 1796021410123LL);
	CHECK_EQ(t("10000000000"), 10000000000LL);
	CHECK_EQ(t("999999999999"), 999999999999LL);
}

static void test_a_unit_says_which_one(void)
{
	CHECK_EQ(t("1500ms"), 1500);
	CHECK_EQ(t("2s"), 2000);
	CHECK_EQ(t("1796021410123ms"), 1796021410123LL);
	CHECK_EQ(t("1796021410s"), 1796021410000LL);
	CHECK_EQ(t("12x"), -1);
	CHECK_EQ(t("ms"), -1);
}

static void test_dates_with_and_without_seconds(void)
{
	setenv("TZ", "UTC", 1);
	tzset();
	CHECK_EQ(t("2026-11-30"), 1795996800000LL);
	CHECK_EQ(t("2026-11-30T00:00:00Z"), 1795996800000LL);
	CHECK_EQ(t("2026-11-30T07:40:10Z"), t("2026-11-30T07:40Z") + 10000);
	CHECK_EQ(t("2026-11-30T07:40:10"), t("2026-11-30T07:40:10Z"));
	CHECK_EQ(t("1970-01-01T00:00:02Z"), 2000);
	CHECK_EQ(t("2026-11-30T07:40:"), -1);
	CHECK_EQ(t("2026-11-30T07"), -1);
}

static void test_durations_go_back_from_now(void)
{
	CHECK_EQ(t("-1h"), NOW - 3600000);
	CHECK_EQ(t("-90s"), NOW - 90000);
	CHECK_EQ(t("-x"), -1);
}

int main(void)
{
	unit_run("ten digits or fewer are seconds", test_ten_digits_or_fewer_are_seconds);
	unit_run("eleven digits or more are milliseconds", test_eleven_digits_or_more_are_milliseconds);
	unit_run("a unit says which one", test_a_unit_says_which_one);
	unit_run("dates with and without seconds", test_dates_with_and_without_seconds);
	unit_run("durations go back from now", test_durations_go_back_from_now);
	return unit_done();
}
