/*
 * test_source_acks.c: a position comes back only once every record up to
 * it is done, in order, across the ring's growth and wrap.
 */
#include "connectors/source_acks.h"
#include "unit.h"

static int64_t last_pos;
static int calls;

static void take(void *arg, void *owner, int64_t pos)
{
	CHECK(owner == arg);
	CHECK(pos > last_pos);
	last_pos = pos;
	calls++;
}

static void test_positions_come_back_in_order_only_when_done(void)
{
	struct source_acks a;
	source_acks_init(&a);
	int owner;
	last_pos = 0;
	calls = 0;
	source_acks_push(&a, 1, &owner, 10);
	source_acks_push(&a, 1, &owner, 20); /* a skipped line after record 1 */
	source_acks_push(&a, 2, &owner, 30);
	source_acks_advance(&a, 0, take, &owner);
	CHECK_EQ(calls, 0);
	source_acks_advance(&a, 1, take, &owner);
	CHECK_EQ(calls, 2);
	CHECK_EQ(last_pos, 20);
	CHECK_EQ(source_acks_pending(&a), 1);
	source_acks_advance(&a, 5, take, &owner);
	CHECK_EQ(last_pos, 30);
	CHECK_EQ(source_acks_pending(&a), 0);
	source_acks_free(&a);
}

static void test_the_ring_grows_and_wraps(void)
{
	struct source_acks a;
	source_acks_init(&a);
	int owner;
	last_pos = 0;
	calls = 0;
	uint64_t seq = 0, done = 0;
	for (int round = 0; round < 50; round++) {
		int n = (int)unit_rand_below(3000) + 1;
		for (int i = 0; i < n; i++) {
			seq++;
			source_acks_push(&a, seq, &owner, (int64_t)seq * 10);
		}
		done += unit_rand_below(seq - done + 1);
		source_acks_advance(&a, done, take, &owner);
		CHECK_EQ(source_acks_pending(&a), seq - done);
	}
	source_acks_advance(&a, seq, take, &owner);
	CHECK_EQ(calls, (int)seq);
	CHECK_EQ(last_pos, (int64_t)seq * 10);
	source_acks_free(&a);
}

int main(void)
{
	unit_run("positions come back in order only when done",
		 test_positions_come_back_in_order_only_when_done);
	unit_run("the ring grows and wraps", test_the_ring_grows_and_wraps);
	return unit_done();
}
