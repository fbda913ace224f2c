/*
 * unit.c: the unit test harness.  See unit.h.
 */
#include "unit.h"

#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "units.h"

static int tests_run, tests_failed, cur_failed;
static uint64_t seed, rng;
static int seeded;
static char tmpdir[256];

static void seed_init(void)
{
	const char *s = getenv("SLOG_TEST_SEED");
	int64_t v;

	if (seeded)
		return;
	seeded = 1;
	if (s && units_parse_int(s, 0, INT64_MAX, &v, NULL) == 0) {
		seed = (uint64_t)v;
	} else {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		seed = ((uint64_t)ts.tv_sec * 1000003u) ^ (uint64_t)ts.tv_nsec ^ (uint64_t)getpid();
		seed &= INT64_MAX;
	}
	rng = seed ? seed : 1;
	printf("# seed %llu (replay with SLOG_TEST_SEED=%llu)\n", (unsigned long long)seed,
	       (unsigned long long)seed);
}

uint64_t unit_seed(void)
{
	seed_init();
	return seed;
}

uint64_t unit_rand(void)
{
	/* xorshift64*: fast, good enough, and reproducible from the seed. */
	seed_init();
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545f4914f6cdd1dull;
}

uint64_t unit_rand_below(uint64_t n)
{
	return n ? unit_rand() % n : 0;
}

void unit_rand_bytes(void *p, size_t n)
{
	unsigned char *b = p;

	while (n >= 8) {
		uint64_t r = unit_rand();
		memcpy(b, &r, 8);
		b += 8;
		n -= 8;
	}
	if (n) {
		uint64_t r = unit_rand();
		memcpy(b, &r, n);
	}
}

void unit_diag(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

int unit_check(int ok, const char *expr, const char *file, int line)
{
	if (!ok) {
		cur_failed++;
		printf("#   check failed: %s\n#   at %s:%d\n", expr, file, line);
	}
	return ok;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

const char *unit_tmpdir(void)
{
	if (!tmpdir[0]) {
		const char *base = getenv("TMPDIR");
		snprintf(tmpdir, sizeof(tmpdir), "%s/slog-unit-XXXXXX", base ? base : "/tmp");
		if (!mkdtemp(tmpdir)) {
			perror("mkdtemp");
			abort();
		}
	}
	return tmpdir;
}

void unit_run(const char *name, void (*fn)(void))
{
	const char *only = getenv("SLOG_TEST_ONLY");

	if (only && !strstr(name, only))
		return;
	seed_init();
	cur_failed = 0;
	tmpdir[0] = '\0';
	fn();
	tests_run++;
	if (cur_failed) {
		tests_failed++;
		printf("not ok %d - %s\n", tests_run, name);
		if (tmpdir[0])
			printf("#   files kept in %s\n", tmpdir);
	} else {
		printf("ok %d - %s\n", tests_run, name);
		if (tmpdir[0])
			nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	}
	fflush(stdout);
}

int unit_done(void)
{
	printf("1..%d\n", tests_run);
	return tests_failed ? 1 : 0;
}
