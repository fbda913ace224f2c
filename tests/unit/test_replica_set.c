/*
 * test_replica_set.c: the leader's view of a partition's replicas.
 *
 * Kafka's rules on durable offsets: the high watermark is the lowest DO
 * of the leader and the maximal ISR, never goes back and stands still
 * below min.insync.replicas; a follower leaves the ISR when it has not
 * caught up for the lag time and joins once it fsynced up to the HW and
 * the epoch's start, eligible, with the current incarnation; an
 * expansion counts at once, a shrink only once committed; a new leader
 * epoch forgets every follower's position.
 */
#include <string.h>

#include "meta/meta_state.h"
#include "replica/replica_set.h"
#include "unit.h"

#define LAG 1000

/* A partition record led by leader over replicas, with isr. */
struct rec {
	int32_t replicas[REPLICA_SET_MAX], isr[REPLICA_SET_MAX];
	struct meta_partition mp;
};

static void rec_init(struct rec *r, int32_t leader, int32_t epoch, int32_t pepoch,
		     const int32_t *replicas, int32_t nr, const int32_t *isr, int32_t ni)
{
	memset(r, 0, sizeof(*r));
	memcpy(r->replicas, replicas, (size_t)nr * sizeof(*replicas));
	memcpy(r->isr, isr, (size_t)ni * sizeof(*isr));
	r->mp.replicas = r->replicas;
	r->mp.nreplicas = nr;
	r->mp.isr = r->isr;
	r->mp.nisr = ni;
	r->mp.leader = leader;
	r->mp.last_leader = -1;
	r->mp.leader_epoch = epoch;
	r->mp.partition_epoch = pepoch;
}

static const int32_t three[] = { 1, 2, 3 };

/* Node 1 leads {1,2,3}, all in sync, min.insync.replicas min_isr, its
 * LEO leo at time 0; followers eligible. */
static void leader_of_three(struct replica_set *rs, int64_t min_isr, int64_t leo)
{
	struct rec r;

	rset_init(rs, 1);
	rec_init(&r, 1, 5, 10, three, 3, three, 3);
	REQUIRE_EQ(rset_apply(rs, &r.mp, min_isr, leo, 0), REPLICA_LEADER);
	rset_set_eligible(rs, 2, 1);
	rset_set_eligible(rs, 3, 1);
}

/* Node 1 leads {1,2,3} from epoch_start, with {1,2} in sync and
 * min.insync.replicas 1; followers eligible. */
static void leader_with_two_in_sync(struct replica_set *rs, int64_t epoch_start)
{
	struct rec r;
	const int32_t isr1[] = { 1, 2 };

	rset_init(rs, 1);
	rec_init(&r, 1, 5, 10, three, 3, isr1, 2);
	rset_apply(rs, &r.mp, 1, epoch_start, 0);
	rset_set_eligible(rs, 2, 1);
	rset_set_eligible(rs, 3, 1);
}

/* The HW with the leader fsynced to 100 and a LEO of 100, at now. */
static int64_t hw_at(const struct replica_set *rs, int64_t hw, int64_t now)
{
	return rset_high_watermark(rs, hw, 100, 100, LAG, now);
}

static void test_roles(void)
{
	struct replica_set rs;
	struct rec r;

	rset_init(&rs, 2);
	rec_init(&r, 1, 0, 0, three, 3, three, 3);
	CHECK_EQ(rset_apply(&rs, &r.mp, 2, 0, 0), REPLICA_FOLLOWER);
	CHECK_EQ(rs.leader, 1);
	rec_init(&r, -1, 1, 1, three, 3, three, 1);
	CHECK_EQ(rset_apply(&rs, &r.mp, 2, 0, 0), REPLICA_NONE);
	rset_init(&rs, 4);
	rec_init(&r, 1, 0, 0, three, 3, three, 3);
	CHECK_EQ(rset_apply(&rs, &r.mp, 2, 0, 0), REPLICA_NONE);
	rset_init(&rs, 1);
	CHECK_EQ(rset_apply(&rs, &r.mp, 2, 7, 0), REPLICA_LEADER);
	CHECK_EQ(rs.epoch_start, 7);
	CHECK_EQ(rs.nf, 2);
	/* min.insync.replicas above the replication factor means all of them. */
	CHECK_EQ(rset_apply(&rs, &r.mp, 5, 7, 0), REPLICA_LEADER);
	CHECK_EQ(rs.min_isr, 3);
}

static void test_hw_is_lowest_durable_offset(void)
{
	struct replica_set rs;

	leader_of_three(&rs, 2, 0);
	/* Members that have not fetched in this epoch hold it. */
	CHECK_EQ(hw_at(&rs, 0, 10), 0);
	CHECK_EQ(rset_fetched(&rs, 2, "b2", 100, 80, 0, 100, 10), 0);
	CHECK_EQ(hw_at(&rs, 0, 10), 0);
	CHECK_EQ(rset_fetched(&rs, 3, "b3", 100, 60, 0, 100, 10), 0);
	/* Fetched to 100, fsynced to 60: the DO counts, not the LEO. */
	CHECK_EQ(hw_at(&rs, 0, 10), 60);
	/* The leader's own DO counts too (D1). */
	CHECK_EQ(rset_high_watermark(&rs, 0, 50, 100, LAG, 10), 50);
	/* Never past the leader's LEO. */
	rset_fetched(&rs, 2, "b2", 100, 100, 0, 100, 10);
	rset_fetched(&rs, 3, "b3", 100, 100, 0, 100, 10);
	CHECK_EQ(rset_high_watermark(&rs, 0, 100, 90, LAG, 10), 90);
	CHECK_EQ(rset_fetched(&rs, 9, "b9", 100, 100, 0, 100, 10), -1);
}

static void test_hw_never_goes_back(void)
{
	struct replica_set rs;

	leader_of_three(&rs, 2, 0);
	rset_fetched(&rs, 2, "b2", 100, 100, 0, 100, 10);
	rset_fetched(&rs, 3, "b3", 100, 100, 0, 100, 10);
	CHECK_EQ(hw_at(&rs, 0, 10), 100);
	/* A member reporting less (it truncated) does not move it back. */
	rset_fetched(&rs, 3, "b3", 40, 40, 0, 100, 20);
	CHECK_EQ(hw_at(&rs, 100, 20), 100);
}

static void test_hw_frozen_below_min_isr(void)
{
	struct replica_set rs;
	struct rec r;
	const int32_t isr[] = { 1 };

	rset_init(&rs, 1);
	rec_init(&r, 1, 5, 10, three, 3, isr, 1);
	rset_apply(&rs, &r.mp, 2, 0, 0);
	CHECK(!rset_enough_replicas(&rs));
	CHECK(!rset_enough_after_append(&rs));
	/* The leader alone has everything fsynced: nothing commits. */
	CHECK_EQ(hw_at(&rs, 30, 10), 30);
	rec_init(&r, 1, 5, 11, three, 3, three, 2);
	rset_apply(&rs, &r.mp, 2, 0, 0);
	CHECK(rset_enough_replicas(&rs));
	rset_fetched(&rs, 2, "b2", 100, 100, 0, 100, 10);
	CHECK_EQ(hw_at(&rs, 30, 10), 100);
}

/*
 * A follower always a little behind a stream of small appends: each
 * fetch reaches the LEO the leader had at the fetch before, so it stays
 * caught up; one that never reaches it ages out, however often it
 * fetches.
 */
static void test_caught_up_time(void)
{
	struct replica_set rs;
	int32_t isr[REPLICA_SET_MAX], n;
	int64_t leo = 100;

	leader_of_three(&rs, 1, 0);
	/* Follower 2 fsyncs what the last fetch brought; 3 falls behind. */
	for (int64_t t = 100; t <= 3000; t += 100) {
		int64_t prev = rs.f[0].leader_leo_at_fetch < 0 ? 0 : rs.f[0].leader_leo_at_fetch;

		leo += 5;
		rset_fetched(&rs, 2, "b2", prev, prev, 0, leo, t);
		rset_fetched(&rs, 3, "b3", 50, 50, 0, leo, t);
	}
	CHECK(3000 - rset_follower(&rs, 2)->last_caught_up_ms <= 100);
	CHECK_EQ(rset_follower(&rs, 3)->last_caught_up_ms, 0);
	CHECK_EQ(rset_isr_wanted(&rs, 50, LAG, 3000, NULL, isr, &n), 1);
	CHECK_EQ(n, 2);
	CHECK_EQ(isr[0], 1);
	CHECK_EQ(isr[1], 2);
	/* Reaching the LEO counts on the DO: fetched all, fsynced less. */
	rset_fetched(&rs, 3, "b3", leo, leo - 1, 0, leo, 3100);
	CHECK_EQ(rset_follower(&rs, 3)->last_caught_up_ms, 0);
	rset_fetched(&rs, 3, "b3", leo, leo, 0, leo, 3200);
	CHECK_EQ(rset_follower(&rs, 3)->last_caught_up_ms, 3200);
}

static void test_shrink_after_lag(void)
{
	struct replica_set rs;
	int32_t isr[REPLICA_SET_MAX], n;

	leader_of_three(&rs, 1, 0);
	/* Reset members have the lag time from the epoch's start. */
	CHECK_EQ(rset_isr_wanted(&rs, 0, LAG, LAG, NULL, isr, &n), 0);
	rset_fetched(&rs, 2, "b2", 0, 0, 0, 0, 500);
	CHECK_EQ(rset_isr_wanted(&rs, 0, LAG, LAG + 400, NULL, isr, &n), 1);
	CHECK_EQ(n, 2);
	CHECK_EQ(isr[1], 2);
	/* A shrink counts only once committed. */
	rset_change_sent(&rs, isr, n);
	CHECK(rs.change_pending);
	CHECK(rset_in_max_isr(&rs, 3));
	CHECK_EQ(rset_isr_wanted(&rs, 0, LAG, LAG + 400, NULL, isr, &n), 0);
}

static void test_expand_rules(void)
{
	struct replica_set rs;
	const char *epochs[REPLICA_SET_MAX] = { "b2", "b3" };
	int32_t isr[REPLICA_SET_MAX], n;

	leader_with_two_in_sync(&rs, 50); /* the epoch starts at 50 */
	rset_fetched(&rs, 2, "b2", 100, 100, 0, 100, 10);
	/* Below the HW (60): no. */
	rset_fetched(&rs, 3, "b3", 59, 59, 0, 100, 10);
	CHECK_EQ(rset_isr_wanted(&rs, 60, LAG, 10, epochs, isr, &n), 0);
	/* At the HW but below the epoch's start (KAFKA-7128): no. */
	rset_fetched(&rs, 3, "b3", 49, 49, 0, 100, 10);
	CHECK_EQ(rset_isr_wanted(&rs, 40, LAG, 10, epochs, isr, &n), 0);
	/* Fetched to the HW but fsynced below it: no. */
	rset_fetched(&rs, 3, "b3", 70, 55, 0, 100, 10);
	CHECK_EQ(rset_isr_wanted(&rs, 60, LAG, 10, epochs, isr, &n), 0);
	/* Fsynced to the HW and the epoch start, but a stale incarnation. */
	rset_fetched(&rs, 3, "old", 70, 70, 0, 100, 10);
	CHECK_EQ(rset_isr_wanted(&rs, 60, LAG, 10, epochs, isr, &n), 0);
	/* The current incarnation, but fenced or shutting down. */
	rset_fetched(&rs, 3, "b3", 70, 70, 0, 100, 10);
	rset_set_eligible(&rs, 3, 0);
	CHECK_EQ(rset_isr_wanted(&rs, 60, LAG, 10, epochs, isr, &n), 0);
	rset_set_eligible(&rs, 3, 1);
	CHECK_EQ(rset_isr_wanted(&rs, 60, LAG, 10, epochs, isr, &n), 1);
	CHECK_EQ(n, 3);
	/* An expansion counts at once: the new member holds the HW. */
	rset_change_sent(&rs, isr, n);
	CHECK(rset_in_max_isr(&rs, 3));
	CHECK(!rset_in_isr(&rs, 3));
	CHECK_EQ(rset_high_watermark(&rs, 60, 100, 100, LAG, 10), 70);
}

static void test_revert_on_failure(void)
{
	struct replica_set rs;
	struct rec r;
	int32_t isr[REPLICA_SET_MAX], n;

	leader_with_two_in_sync(&rs, 0);
	rset_fetched(&rs, 2, "b2", 100, 100, 0, 100, 10);
	rset_fetched(&rs, 3, "b3", 100, 100, 0, 100, 10);
	REQUIRE_EQ(rset_isr_wanted(&rs, 100, LAG, 10, NULL, isr, &n), 1);
	rset_change_sent(&rs, isr, n);
	CHECK_EQ(rs.nmax_isr, 3);
	rset_change_failed(&rs);
	CHECK(!rs.change_pending);
	CHECK_EQ(rs.nmax_isr, 2);
	CHECK(!rset_in_max_isr(&rs, 3));
	/* Once it commits, the record ends the change. */
	REQUIRE_EQ(rset_isr_wanted(&rs, 100, LAG, 10, NULL, isr, &n), 1);
	rset_change_sent(&rs, isr, n);
	rec_init(&r, 1, 5, 11, three, 3, three, 3);
	rset_apply(&rs, &r.mp, 1, 0, 20);
	CHECK(!rs.change_pending);
	CHECK(rset_in_isr(&rs, 3));
	/* The followers' positions carry over within an epoch. */
	CHECK_EQ(rset_follower(&rs, 3)->durable, 100);
}

static void test_new_epoch_resets(void)
{
	struct replica_set rs;
	struct rec r;
	const int32_t isr1[] = { 1, 2 };

	leader_with_two_in_sync(&rs, 0);
	rset_fetched(&rs, 2, "b2", 100, 100, 0, 100, 10);
	rset_fetched(&rs, 3, "b3", 100, 100, 0, 100, 10);
	rec_init(&r, 1, 6, 11, three, 3, isr1, 2);
	rset_apply(&rs, &r.mp, 1, 120, 500);
	CHECK_EQ(rs.epoch_start, 120);
	CHECK_EQ(rset_follower(&rs, 2)->durable, -1);
	CHECK_EQ(rset_follower(&rs, 2)->leo, -1);
	CHECK_EQ(rset_follower(&rs, 2)->last_caught_up_ms, 500);
	CHECK_EQ(rset_follower(&rs, 3)->last_caught_up_ms, 0);
	/* Eligibility is the brokers', not the epoch's: it stays. */
	CHECK(rset_follower(&rs, 2)->eligible);
	/* No commit until every member fetched in the new epoch. */
	CHECK_EQ(rset_high_watermark(&rs, 100, 120, 120, LAG, 600), 100);
}

/* An eligible non-member at the HW holds it while caught up, so that it
 * can reach the HW and join; one that stops fetching lets it go. */
static void test_eligible_non_member_holds_hw_while_caught_up(void)
{
	struct replica_set rs;

	leader_with_two_in_sync(&rs, 0);
	rset_fetched(&rs, 2, "b2", 100, 100, 0, 100, 10);
	rset_fetched(&rs, 3, "b3", 100, 70, 0, 70, 10);
	CHECK_EQ(hw_at(&rs, 60, 10), 70);
	CHECK_EQ(hw_at(&rs, 70, 10 + LAG + 1), 100);
}

/* A replica the record marks offline (its log dir failed) neither holds
 * the HW while it looks caught up nor is asked back into the ISR: it
 * stopped fetching, and the controller would refuse it (D7). */
static void test_an_offline_follower_neither_holds_the_hw_nor_joins(void)
{
	struct replica_set rs;
	struct rec r;
	const int32_t isr1[] = { 1, 2 }, off[] = { 3 };
	const char *epochs[REPLICA_SET_MAX] = { "b2", "b3" };
	int32_t isr[REPLICA_SET_MAX], n;

	leader_with_two_in_sync(&rs, 0);
	rset_fetched(&rs, 2, "b2", 100, 100, 0, 100, 10);
	rset_fetched(&rs, 3, "b3", 100, 70, 0, 70, 10);
	CHECK_EQ(hw_at(&rs, 60, 10), 70);
	rec_init(&r, 1, 5, 11, three, 3, isr1, 2);
	r.mp.offline = (int32_t *)off;
	r.mp.noffline = 1;
	rset_apply(&rs, &r.mp, 1, 0, 10);
	CHECK_EQ(hw_at(&rs, 70, 10), 100);
	rset_fetched(&rs, 3, "b3", 100, 100, 0, 100, 20);
	CHECK_EQ(rset_isr_wanted(&rs, 100, LAG, 20, epochs, isr, &n), 0);
	/* The record that brings it back online lets it join again. */
	r.mp.offline = NULL;
	r.mp.noffline = 0;
	r.mp.partition_epoch = 12;
	rset_apply(&rs, &r.mp, 1, 0, 20);
	CHECK_EQ(rset_isr_wanted(&rs, 100, LAG, 20, epochs, isr, &n), 1);
	CHECK_EQ(n, 3);
}

int main(void)
{
	unit_run("the record gives the role, the epoch's start and min.insync.replicas", test_roles);
	unit_run("the HW is the lowest durable offset of the leader and the ISR",
		 test_hw_is_lowest_durable_offset);
	unit_run("the HW never goes back", test_hw_never_goes_back);
	unit_run("below min.insync.replicas the HW stands still", test_hw_frozen_below_min_isr);
	unit_run("small appends cannot keep a slow follower caught up", test_caught_up_time);
	unit_run("a member not caught up for the lag time leaves; a shrink waits for its commit",
		 test_shrink_after_lag);
	unit_run("a follower joins at the HW and the epoch start, eligible, current, at once",
		 test_expand_rules);
	unit_run("a failed change reverts to the committed ISR", test_revert_on_failure);
	unit_run("a new leader epoch forgets every follower's position", test_new_epoch_resets);
	unit_run("an eligible follower at the HW holds it only while caught up",
		 test_eligible_non_member_holds_hw_while_caught_up);
	unit_run("an offline follower neither holds the HW nor joins the ISR",
		 test_an_offline_follower_neither_holds_the_hw_nor_joins);
	return unit_done();
}
