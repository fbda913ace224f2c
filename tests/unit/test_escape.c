/*
 * test_escape.c: the backslash escapes of -f, --report-format, -D and -K.
 */
#include "escape.h"
#include "unit.h"

/* The byte of one escape, or -1000 + the error. */
static int one(const char *p, int *used)
{
	char b = 0;
	enum escape_rc rc = escape_decode(p, &b, used);

	return rc == ESCAPE_OK ? (unsigned char)b : -1000 + rc;
}

static void test_each_escape_gives_its_byte(void)
{
	int used;

	CHECK_EQ(one("n", &used), '\n');
	CHECK_EQ(used, 1);
	CHECK_EQ(one("t", &used), '\t');
	CHECK_EQ(one("r", &used), '\r');
	CHECK_EQ(one("0", &used), 0);
	CHECK_EQ(one("\\", &used), '\\');
	CHECK_EQ(one("x41rest", &used), 'A');
	CHECK_EQ(used, 3);
	CHECK_EQ(one("xfF", &used), 0xff);
}

static void test_bad_escapes_are_named(void)
{
	int used;

	CHECK_EQ(one("x4", &used), -1000 + ESCAPE_BAD_HEX);
	CHECK_EQ(one("xg1", &used), -1000 + ESCAPE_BAD_HEX);
	CHECK_EQ(one("x", &used), -1000 + ESCAPE_BAD_HEX);
	CHECK_EQ(one("q", &used), -1000 + ESCAPE_UNKNOWN);
	CHECK_EQ(one("", &used), -1000 + ESCAPE_UNKNOWN);
}

int main(void)
{
	unit_run("each escape gives its byte", test_each_escape_gives_its_byte);
	unit_run("bad escapes are named", test_bad_escapes_are_named);
	return unit_done();
}
