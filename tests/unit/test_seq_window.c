/*
 * test_seq_window.c: done_upto over records that finish in any order, as
 * a writer's partitions acknowledge them.
 */
#include <stdlib.h>
#include <string.h>

#include "runtime/seq_window.h"
#include "unit.h"

static void test_in_order(void)
{
	struct seq_window w;

	seq_window_init(&w);
	CHECK_EQ(w.done_upto, 0);
	for (uint64_t n = 1; n <= 1000; n++)
		CHECK_EQ(seq_window_done(&w, n), n);
	seq_window_free(&w);
}

static void test_gap_holds_progress(void)
{
	struct seq_window w;

	seq_window_init(&w);
	/* Another partition answers first: 2 and 3 wait for 1. */
	CHECK_EQ(seq_window_done(&w, 2), 0);
	CHECK_EQ(seq_window_done(&w, 3), 0);
	CHECK_EQ(seq_window_done(&w, 5), 0);
	CHECK_EQ(seq_window_done(&w, 1), 3);
	/* A dead letter acknowledged long after the records behind it. */
	for (uint64_t n = 6; n <= 500; n++)
		CHECK_EQ(seq_window_done(&w, n), 3);
	CHECK_EQ(seq_window_done(&w, 4), 500);
	/* Done twice, or below done_upto: nothing moves. */
	CHECK_EQ(seq_window_done(&w, 4), 500);
	seq_window_free(&w);
}

/* A window far wider than its first ring keeps every flag as it grows. */
static void test_grows_across_wraps(void)
{
	struct seq_window w;

	seq_window_init(&w);
	for (uint64_t n = 1; n <= 40; n++)
		seq_window_done(&w, n);
	for (uint64_t n = 42; n <= 5000; n += 2)
		CHECK_EQ(seq_window_done(&w, n), 40);
	for (uint64_t n = 43; n < 5000; n += 2)
		CHECK_EQ(seq_window_done(&w, n), 40);
	CHECK_EQ(seq_window_done(&w, 41), 5000);
	seq_window_free(&w);
}

/* Random orders: done_upto is always the longest run of done from 1. */
static void test_random_orders(void)
{
	enum { N = 3000 };
	uint64_t *order = malloc(N * sizeof(*order));
	unsigned char *done = calloc(N + 2, 1);

	for (int round = 0; round < 20; round++) {
		struct seq_window w;
		uint64_t expect = 0;

		for (uint64_t i = 0; i < N; i++)
			order[i] = i + 1;
		/* Partial shuffles: records stay near their place, as acks do. */
		for (uint64_t i = 0; i < N; i++) {
			uint64_t j = i + unit_rand_below(round % 2 ? 64 : N - i);
			uint64_t t;
			if (j >= N)
				j = N - 1;
			t = order[i], order[i] = order[j], order[j] = t;
		}
		memset(done, 0, N + 2);
		seq_window_init(&w);
		for (uint64_t i = 0; i < N; i++) {
			done[order[i]] = 1;
			while (done[expect + 1])
				expect++;
			if (seq_window_done(&w, order[i]) != expect) {
				CHECK_EQ(w.done_upto, expect);
				break;
			}
		}
		CHECK_EQ(w.done_upto, N);
		seq_window_free(&w);
	}
	free(order);
	free(done);
}

int main(void)
{
	unit_run("records done in order move done_upto one by one", test_in_order);
	unit_run("a record not done holds done_upto however many follow", test_gap_holds_progress);
	unit_run("the window grows and keeps every flag", test_grows_across_wraps);
	unit_run("any order: done_upto is the run of done records from 1", test_random_orders);
	return unit_done();
}
