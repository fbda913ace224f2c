/*
 * unit.h: a small TAP-producing harness for slog's C unit tests.
 *
 * A test file has a main() that calls unit_run() for each test and
 * returns unit_done().  Checks record a failure and let the test go on
 * (so one run shows every broken case); REQUIRE returns from the test.
 * Output is TAP ("ok 3 - name"), which tests/run counts.
 *
 * Randomised tests take their seed from unit_seed(): the SLOG_TEST_SEED
 * environment variable if set, else the clock.  The seed is printed
 * first, so any failure can be replayed exactly.  SLOG_TEST_ONLY=text runs
 * only the tests whose names contain text.
 */
#ifndef SLOG_UNIT_H
#define SLOG_UNIT_H

#include <stddef.h>
#include <stdint.h>

#include "clock.h"

int unit_check(int ok, const char *expr, const char *file, int line);
void unit_diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void unit_run(const char *name, void (*fn)(void));
int unit_done(void);

uint64_t unit_seed(void);
uint64_t unit_rand(void);          /* from the seed: reproducible */
uint64_t unit_rand_below(uint64_t n);
void unit_rand_bytes(void *p, size_t n);

/* A fresh empty directory for this test, removed when the test passes. */
const char *unit_tmpdir(void);

#define CHECK(cond) unit_check(!!(cond), #cond, __FILE__, __LINE__)
#define REQUIRE(cond)                                                  \
	do {                                                           \
		if (!unit_check(!!(cond), #cond, __FILE__, __LINE__)) \
			return;                                        \
	} while (0)
#define CHECK_EQ(a, b)                                                          \
	do {                                                                    \
		long long a_ = (long long)(a), b_ = (long long)(b);             \
		if (!unit_check(a_ == b_, #a " == " #b, __FILE__, __LINE__))    \
			unit_diag("  got %lld, expected %lld", a_, b_);          \
	} while (0)
#define REQUIRE_EQ(a, b)                                                        \
	do {                                                                    \
		long long a_ = (long long)(a), b_ = (long long)(b);             \
		if (!unit_check(a_ == b_, #a " == " #b, __FILE__, __LINE__)) {  \
			unit_diag("  got %lld, expected %lld", a_, b_);          \
			return;                                                 \
		}                                                               \
	} while (0)

#endif
