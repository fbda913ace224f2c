/*
 * test_backoff.c: the waits between a client's retries.
 */
#include "backoff.h"
#include "clock.h"
#include "err.h"
#include "unit.h"

static void test_the_wait_starts_short_and_doubles_up_to_one_second(void)
{
	struct backoff b = { 0 };
	const int64_t want[] = { 50, 100, 200, 400, 800, 1000, 1000, 1000 };

	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		CHECK_EQ(backoff_next(&b), want[i]);
}

static void test_a_success_starts_the_waits_over(void)
{
	struct backoff b = { 0 };

	backoff_next(&b);
	backoff_next(&b);
	backoff_reset(&b);
	CHECK_EQ(backoff_next(&b), 50);
}

static void test_a_retry_is_never_planned_past_the_deadline(void)
{
	struct backoff b = { 0 };

	CHECK_EQ(backoff_until(&b, 1000, 5000), 1050);
	CHECK_EQ(backoff_until(&b, 1000, 1070), 1070);
	CHECK_EQ(backoff_until(&b, 1000, 900), 900);
}

static void test_sleeping_past_the_deadline_says_time_is_up(void)
{
	struct backoff b = { 0 };
	int64_t start = clock_mono_ms();

	CHECK_EQ(backoff_sleep(&b, start + 10), SLOG_EREQUEST_TIMED_OUT);
	CHECK(clock_mono_ms() - start < 45);
	CHECK_EQ(backoff_sleep(&b, clock_mono_ms() + 5000), 0);
}

int main(void)
{
	unit_run("the wait starts short and doubles up to one second",
		 test_the_wait_starts_short_and_doubles_up_to_one_second);
	unit_run("a success starts the waits over", test_a_success_starts_the_waits_over);
	unit_run("a retry is never planned past the deadline",
		 test_a_retry_is_never_planned_past_the_deadline);
	unit_run("sleeping past the deadline says time is up",
		 test_sleeping_past_the_deadline_says_time_is_up);
	return unit_done();
}
