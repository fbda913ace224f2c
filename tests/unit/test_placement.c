/*
 * test_placement.c: where a topic's replicas go.
 *
 * Replicas are distinct brokers, leaders spread evenly, partitions added
 * later continue the round-robin, the start point decides the first
 * leader, and a replication factor above the available brokers is refused
 * naming both numbers.
 */
#include <string.h>

#include "cluster/placement.h"
#include "log.h"
#include "unit.h"

static const int32_t brokers[] = { 1, 2, 3 };

static void test_replicas_are_distinct_and_leaders_spread(void)
{
	int32_t out[6 * 2], led[4] = { 0 };
	struct err e;

	REQUIRE(placement_assign(brokers, 3, 2, 0, 6, 7, out, &e) == 0);
	for (int p = 0; p < 6; p++) {
		CHECK(out[p * 2] != out[p * 2 + 1]);
		led[out[p * 2]]++;
	}
	for (int b = 1; b <= 3; b++)
		CHECK_EQ(led[b], 2);
}

static void test_added_partitions_continue_the_round_robin(void)
{
	int32_t all[8], first[3], rest[5];
	struct err e;

	REQUIRE(placement_assign(brokers, 3, 1, 0, 8, 5, all, &e) == 0);
	REQUIRE(placement_assign(brokers, 3, 1, 0, 3, 5, first, &e) == 0);
	REQUIRE(placement_assign(brokers, 3, 1, 3, 8, 5, rest, &e) == 0);
	CHECK(memcmp(all, first, sizeof(first)) == 0);
	CHECK(memcmp(all + 3, rest, sizeof(rest)) == 0);
}

static void test_the_start_picks_the_first_leader(void)
{
	int32_t a, b;
	struct err e;

	REQUIRE(placement_assign(brokers, 3, 1, 0, 1, 0, &a, &e) == 0);
	REQUIRE(placement_assign(brokers, 3, 1, 0, 1, 1, &b, &e) == 0);
	CHECK_EQ(a, 1);
	CHECK_EQ(b, 2);
}

static void test_too_large_a_replication_factor_is_refused(void)
{
	int32_t out[4];
	struct err e;

	CHECK_EQ(placement_assign(brokers, 2, 3, 0, 1, 0, out, &e), SLOG_EINVALID_REPLICATION_FACTOR);
	CHECK(strstr(e.msg, "replication factor 3 is larger than the 2 available brokers") != NULL);
	CHECK_EQ(placement_assign(brokers, 0, 1, 0, 1, 0, out, &e), SLOG_EINVALID_REPLICATION_FACTOR);
	CHECK_EQ(placement_assign(brokers, 3, 0, 0, 1, 0, out, &e), SLOG_EINVALID_REPLICATION_FACTOR);
}

int main(void)
{
	log_set_level(LOG_LEVEL_ERROR);
	unit_run("replicas are distinct brokers and leaders spread evenly",
		 test_replicas_are_distinct_and_leaders_spread);
	unit_run("partitions added later continue the round-robin",
		 test_added_partitions_continue_the_round_robin);
	unit_run("the start point picks the first leader", test_the_start_picks_the_first_leader);
	unit_run("a replication factor above the available brokers is refused",
		 test_too_large_a_replication_factor_is_refused);
	return unit_done();
}
