/*
 * test_partition_change.c: the controller's rules for a partition's
 * record (meta/partition_change.h).
 *
 * Elections follow ISR, ELR, last leader, unclean (opt-in), none; every
 * leader change bumps the leader epoch and every change the partition
 * epoch; the ISR never empties; an AlterPartition is refused for each
 * reason Kafka's controller has; a move adds, waits for the ISR, then
 * drops the old replicas; a replica on an offline log dir leaves the ISR
 * and the ELR and is never elected until its broker restarts.
 */
#include <string.h>

#include "log.h"
#include "meta/partition_change.h"
#include "unit.h"
#include "xalloc.h"

/* Brokers 1..9: alive when their bit is set. */
static unsigned alive_mask;

static int is_alive(void *arg, int32_t broker)
{
	(void)arg;
	return broker > 0 && broker < 10 && (alive_mask >> broker & 1);
}

static struct pc_ctx ctx(int32_t min_isr, int unclean)
{
	return (struct pc_ctx){ .alive = is_alive, .min_isr = min_isr, .unclean = unclean };
}

static int32_t *ids(const int32_t *v, int32_t n)
{
	return n ? xmemdup(v, (size_t)n * sizeof(*v)) : NULL;
}

/* A placement: replicas, ISR, leader, epochs 5 and 7. */
static void make(struct meta_partition *p, const int32_t *r, int32_t nr, const int32_t *isr,
		 int32_t ni, int32_t leader)
{
	memset(p, 0, sizeof(*p));
	p->replicas = ids(r, nr);
	p->nreplicas = nr;
	p->isr = ids(isr, ni);
	p->nisr = ni;
	p->leader = leader;
	p->last_leader = -1;
	p->leader_epoch = 5;
	p->partition_epoch = 7;
}

static int same(const int32_t *v, int32_t n, const int32_t *want, int32_t nwant)
{
	return n == nwant && (n == 0 || memcmp(v, want, (size_t)n * sizeof(*v)) == 0);
}

#define SAME(v, n, ...)                                                            \
	CHECK(same(v, n, (const int32_t[]){ __VA_ARGS__ },                         \
		   (int32_t)(sizeof((const int32_t[]){ __VA_ARGS__ }) / sizeof(int32_t))))

static const int32_t R123[] = { 1, 2, 3 };

static void test_a_valid_leader_is_kept(void)
{
	struct meta_partition p;
	struct pc_ctx c = ctx(1, 0);

	alive_mask = 0xe;
	make(&p, R123, 3, R123, 3, 2);
	CHECK_EQ(pc_elect(&p, &c), 0);
	CHECK_EQ(p.leader, 2);
	CHECK_EQ(p.leader_epoch, 5);
	CHECK_EQ(p.partition_epoch, 7);
	pc_free(&p);
}

static void test_a_fenced_leader_moves_to_the_first_alive_isr_member(void)
{
	struct meta_partition p;
	struct pc_ctx c = ctx(1, 0);

	alive_mask = 1u << 3;
	make(&p, R123, 3, R123, 3, 1);
	CHECK_EQ(pc_fence(&p, 1, &c), 1);
	CHECK_EQ(p.leader, 3); /* 2 is not alive either */
	SAME(p.isr, p.nisr, 2, 3);
	CHECK_EQ(p.leader_epoch, 6);
	CHECK_EQ(p.partition_epoch, 8);
	CHECK_EQ(p.nelr, 0);
	pc_free(&p);
}

static void test_the_last_isr_member_stays_and_the_leader_becomes_none(void)
{
	struct meta_partition p;
	struct pc_ctx c = ctx(1, 0);
	const int32_t isr[] = { 1 };

	alive_mask = 0xc;
	make(&p, R123, 3, isr, 1, 1);
	CHECK_EQ(pc_fence(&p, 1, &c), 1);
	CHECK_EQ(p.leader, -1);
	CHECK_EQ(p.last_leader, 1);
	SAME(p.isr, p.nisr, 1);
	CHECK_EQ(p.leader_epoch, 6);
	CHECK_EQ(p.partition_epoch, 8);
	/* It returns: it leads again, with a new epoch. */
	alive_mask = 0xe;
	CHECK_EQ(pc_elect(&p, &c), 1);
	CHECK_EQ(p.leader, 1);
	CHECK_EQ(p.last_leader, -1);
	CHECK_EQ(p.leader_epoch, 7);
	CHECK_EQ(p.partition_epoch, 9);
	pc_free(&p);
}

static void test_members_leaving_below_min_isr_go_to_the_elr(void)
{
	struct meta_partition p;
	struct pc_ctx c = ctx(2, 0);

	alive_mask = 0x6; /* 1, 2 */
	make(&p, R123, 3, R123, 3, 1);
	CHECK_EQ(pc_fence(&p, 3, &c), 1);
	SAME(p.isr, p.nisr, 1, 2);
	CHECK_EQ(p.nelr, 0);        /* still at min.insync.replicas */
	CHECK_EQ(p.leader_epoch, 5); /* same leader */
	CHECK_EQ(p.partition_epoch, 8);
	alive_mask = 0x2;
	CHECK_EQ(pc_fence(&p, 2, &c), 1);
	SAME(p.isr, p.nisr, 1);
	SAME(p.elr, p.nelr, 2);
	pc_free(&p);
}

static void test_the_elr_empties_when_min_isr_changes(void)
{
	struct meta_partition p;
	struct pc_ctx c = ctx(3, 0);

	alive_mask = 0x6;
	make(&p, R123, 3, R123, 3, 1);
	pc_fence(&p, 3, &c);
	SAME(p.elr, p.nelr, 3);
	CHECK_EQ(pc_clear_elr(&p), 1);
	CHECK_EQ(p.nelr, 0);
	CHECK_EQ(p.partition_epoch, 9);
	CHECK_EQ(p.leader_epoch, 5);
	CHECK_EQ(pc_clear_elr(&p), 0);
	pc_free(&p);
}

static void test_the_elr_elects_when_no_isr_member_is_alive(void)
{
	struct meta_partition p;
	struct pc_ctx c = ctx(2, 0);
	const int32_t isr[] = { 1, 2 };

	alive_mask = 0x2;
	make(&p, R123, 3, isr, 2, 1);
	pc_fence(&p, 2, &c); /* ISR {1}, ELR {2} */
	alive_mask = 0;
	pc_fence(&p, 1, &c); /* 1 stays, leaderless */
	CHECK_EQ(p.leader, -1);
	SAME(p.elr, p.nelr, 2);
	alive_mask = 0x4; /* 2 returns first */
	CHECK_EQ(pc_elect(&p, &c), 1);
	CHECK_EQ(p.leader, 2);
	SAME(p.isr, p.nisr, 2);
	SAME(p.elr, p.nelr, 1); /* the old member waits in the ELR */
	pc_free(&p);
}

static void test_the_last_leader_elects_when_isr_and_elr_are_gone(void)
{
	struct meta_partition p;
	struct pc_ctx c = ctx(1, 0);
	const int32_t isr[] = { 2 };

	alive_mask = 0x2;
	make(&p, R123, 3, isr, 1, -1);
	p.last_leader = 1;
	CHECK_EQ(pc_elect(&p, &c), 1);
	CHECK_EQ(p.leader, 1);
	SAME(p.isr, p.nisr, 1);
	CHECK_EQ(p.leader_epoch, 6);
	pc_free(&p);
}

static void test_an_unclean_election_needs_the_topic_to_allow_it(void)
{
	struct meta_partition p;
	struct pc_ctx clean = ctx(1, 0), unclean = ctx(1, 1);
	const int32_t isr[] = { 1 };

	alive_mask = 0x8; /* only 3, out of sync */
	make(&p, R123, 3, isr, 1, -1);
	CHECK_EQ(pc_elect(&p, &clean), 0);
	CHECK_EQ(p.leader, -1);
	CHECK_EQ(pc_elect(&p, &unclean), 1);
	CHECK_EQ(p.leader, 3);
	SAME(p.isr, p.nisr, 3);
	CHECK_EQ(p.leader_epoch, 6);
	pc_free(&p);
	/* Below min.insync.replicas too, no old member is eligible after it. */
	unclean.min_isr = 2;
	make(&p, R123, 3, isr, 1, -1);
	CHECK_EQ(pc_elect(&p, &unclean), 1);
	CHECK_EQ(p.leader, 3);
	CHECK_EQ(p.nelr, 0);
	pc_free(&p);
}

static void test_no_alive_replica_leaves_the_partition_leaderless(void)
{
	struct meta_partition p;
	struct pc_ctx c = ctx(1, 1);

	alive_mask = 0;
	make(&p, R123, 3, R123, 3, 2);
	CHECK_EQ(pc_fence(&p, 2, &c), 1);
	CHECK_EQ(p.leader, -1);
	CHECK_EQ(p.last_leader, 2);
	CHECK(p.nisr >= 1);
	pc_free(&p);
}

static void test_the_preferred_replica_takes_leadership_back(void)
{
	struct meta_partition p;
	struct pc_ctx c = ctx(1, 0);
	const int32_t isr[] = { 2, 3 };

	alive_mask = 0xe;
	make(&p, R123, 3, isr, 2, 2);
	CHECK_EQ(pc_preferred(&p, &c), 0); /* 1 is not in the ISR */
	free(p.isr);
	p.isr = ids(R123, 3);
	p.nisr = 3;
	CHECK_EQ(pc_preferred(&p, &c), 1);
	CHECK_EQ(p.leader, 1);
	CHECK_EQ(p.leader_epoch, 6);
	CHECK_EQ(pc_preferred(&p, &c), 0);
	alive_mask = 0xc;
	p.leader = 2;
	CHECK_EQ(pc_preferred(&p, &c), 0); /* 1 is not alive */
	pc_free(&p);
}

static struct pc_alter alter(int32_t broker, int32_t le, int32_t pe, const int32_t *isr,
			     int32_t n)
{
	return (struct pc_alter){ broker, le, pe, isr, n };
}

static void test_an_alter_replaces_the_isr(void)
{
	struct meta_partition p;
	struct pc_ctx c = ctx(1, 0);
	const int32_t isr[] = { 1 }, grown[] = { 3, 1 };
	struct pc_alter a = alter(1, 5, 7, grown, 2);
	struct err e;

	alive_mask = 0xe;
	make(&p, R123, 3, isr, 1, 1);
	REQUIRE_EQ(pc_alter(&p, &a, &c, &e), 0);
	SAME(p.isr, p.nisr, 1, 3); /* in replica order */
	CHECK_EQ(p.leader_epoch, 5);
	CHECK_EQ(p.partition_epoch, 8);
	/* The same ISR again changes nothing. */
	a.partition_epoch = 8;
	REQUIRE_EQ(pc_alter(&p, &a, &c, &e), 0);
	CHECK_EQ(p.partition_epoch, 8);
	pc_free(&p);
}

static void test_an_alter_is_refused_for_each_reason(void)
{
	struct meta_partition p;
	struct pc_ctx c = ctx(1, 0);
	const int32_t isr[] = { 1, 2 }, ok[] = { 1, 2, 3 }, noleader[] = { 2, 3 };
	const int32_t stranger[] = { 1, 4 }, twice[] = { 1, 1 };
	struct err e;
	struct {
		struct pc_alter a;
		int code;
	} cases[] = {
		{ alter(1, 4, 7, ok, 3), SLOG_EFENCED_LEADER_EPOCH },
		{ alter(1, 6, 7, ok, 3), SLOG_ENOT_CONTROLLER },
		{ alter(2, 5, 7, ok, 3), SLOG_EINVALID_REQUEST },
		{ alter(1, 5, 6, ok, 3), SLOG_EINVALID_UPDATE_VERSION },
		{ alter(1, 5, 8, ok, 3), SLOG_EINVALID_UPDATE_VERSION },
		{ alter(1, 5, 7, noleader, 2), SLOG_EINVALID_REQUEST },
		{ alter(1, 5, 7, stranger, 2), SLOG_EINVALID_REQUEST },
		{ alter(1, 5, 7, twice, 2), SLOG_EINVALID_REQUEST },
		{ alter(1, 5, 7, ok, 0), SLOG_EINVALID_REQUEST },
		{ alter(1, 5, 7, ok, 3), SLOG_EINELIGIBLE_REPLICA }, /* 3 is fenced */
	};

	alive_mask = 0x6;
	make(&p, R123, 3, isr, 2, 1);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		e.code = 0;
		CHECK_EQ(pc_alter(&p, &cases[i].a, &c, &e), cases[i].code);
		CHECK_EQ(e.code, cases[i].code);
		CHECK_EQ(p.partition_epoch, 7);
		SAME(p.isr, p.nisr, 1, 2);
	}
	pc_free(&p);
}

static void test_an_alter_shrinking_below_min_isr_fills_the_elr(void)
{
	struct meta_partition p;
	struct pc_ctx c = ctx(2, 0);
	const int32_t shrunk[] = { 1 };
	struct pc_alter a = alter(1, 5, 7, shrunk, 1);
	struct err e;

	alive_mask = 0xe;
	make(&p, R123, 3, R123, 3, 1);
	REQUIRE_EQ(pc_alter(&p, &a, &c, &e), 0);
	SAME(p.isr, p.nisr, 1);
	SAME(p.elr, p.nelr, 2, 3);
	/* Back at min.insync.replicas: the ELR empties. */
	a = alter(1, 5, 8, (const int32_t[]){ 1, 2 }, 2);
	REQUIRE_EQ(pc_alter(&p, &a, &c, &e), 0);
	SAME(p.isr, p.nisr, 1, 2);
	CHECK_EQ(p.nelr, 0);
	pc_free(&p);
}

static void test_a_move_adds_then_drops_once_in_sync(void)
{
	struct meta_partition p;
	struct pc_ctx c = ctx(1, 0);
	const int32_t target[] = { 4, 2, 3 }, in_sync[] = { 1, 2, 3, 4 };
	struct pc_alter a = alter(1, 5, 8, in_sync, 4);
	struct err e;

	alive_mask = 0x1e;
	make(&p, R123, 3, R123, 3, 1);
	REQUIRE_EQ(pc_reassign(&p, target, 3, &c, &e), 0);
	SAME(p.replicas, p.nreplicas, 4, 2, 3, 1);
	SAME(p.adding, p.nadding, 4);
	SAME(p.removing, p.nremoving, 1);
	CHECK_EQ(p.partition_epoch, 8);
	CHECK_EQ(p.leader, 1);
	CHECK_EQ(pc_reassign(&p, R123, 3, &c, &e), SLOG_EREASSIGNMENT_IN_PROGRESS);
	CHECK_EQ(pc_reassign_complete(&p, &c), 0); /* 4 is not in sync */
	/* The leader adds 4 to the ISR: the move completes in that change. */
	REQUIRE_EQ(pc_alter(&p, &a, &c, &e), 0);
	SAME(p.replicas, p.nreplicas, 4, 2, 3);
	SAME(p.isr, p.nisr, 4, 2, 3);
	CHECK_EQ(p.nadding, 0);
	CHECK_EQ(p.nremoving, 0);
	CHECK_EQ(p.leader, 4); /* the removed leader moved */
	CHECK_EQ(p.leader_epoch, 6);
	CHECK_EQ(p.partition_epoch, 9);
	pc_free(&p);
}

static void test_a_move_completes_from_the_duty_too(void)
{
	struct meta_partition p;
	struct pc_ctx c = ctx(1, 0);
	const int32_t target[] = { 2, 3, 4 };
	struct err e;

	alive_mask = 0x1e;
	make(&p, R123, 3, R123, 3, 2);
	REQUIRE_EQ(pc_reassign(&p, target, 3, &c, &e), 0);
	free(p.isr);
	p.isr = ids((const int32_t[]){ 2, 3, 4, 1 }, 4);
	p.nisr = 4;
	CHECK_EQ(pc_reassign_complete(&p, &c), 1);
	SAME(p.replicas, p.nreplicas, 2, 3, 4);
	SAME(p.isr, p.nisr, 2, 3, 4);
	CHECK_EQ(p.leader, 2);
	CHECK_EQ(p.leader_epoch, 6); /* replicas removed: bumped all the same */
	pc_free(&p);
}

static void test_a_move_to_fewer_replicas_in_sync_ends_at_once(void)
{
	struct meta_partition p;
	struct pc_ctx c = ctx(1, 0);
	const int32_t target[] = { 2, 3 };
	struct err e;

	alive_mask = 0xe;
	make(&p, R123, 3, R123, 3, 1);
	REQUIRE_EQ(pc_reassign(&p, target, 2, &c, &e), 0);
	SAME(p.replicas, p.nreplicas, 2, 3);
	SAME(p.isr, p.nisr, 2, 3);
	CHECK_EQ(p.nremoving, 0);
	CHECK_EQ(p.leader, 2);
	CHECK_EQ(p.leader_epoch, 6);
	CHECK_EQ(p.partition_epoch, 8);
	pc_free(&p);
}

static void test_a_move_is_refused_for_a_bad_target(void)
{
	struct meta_partition p;
	struct pc_ctx c = ctx(1, 0);
	struct err e;

	alive_mask = 0xe;
	make(&p, R123, 3, R123, 3, 1);
	CHECK_EQ(pc_reassign(&p, R123, 0, &c, &e), SLOG_EINVALID_REPLICATION_FACTOR);
	CHECK_EQ(pc_reassign(&p, (const int32_t[]){ 1, 1 }, 2, &c, &e), SLOG_EINVALID_REQUEST);
	CHECK_EQ(pc_reassign(&p, (const int32_t[]){ 0, 1 }, 2, &c, &e), SLOG_EINVALID_REQUEST);
	CHECK_EQ(pc_reassign(&p, R123, 3, &c, &e), 0); /* the same: nothing */
	CHECK_EQ(p.partition_epoch, 7);
	CHECK_EQ(pc_reassign(&p, (const int32_t[]){ 3, 2, 1 }, 3, &c, &e), 0);
	SAME(p.replicas, p.nreplicas, 3, 2, 1); /* only reordered */
	CHECK_EQ(p.nadding, 0);
	CHECK_EQ(p.partition_epoch, 8);
	pc_free(&p);
}

static void test_copies_compare_equal_until_changed(void)
{
	struct meta_partition p, q;
	struct pc_ctx c = ctx(1, 0);

	alive_mask = 0x4;
	make(&p, R123, 3, R123, 3, 1);
	pc_copy(&q, &p);
	CHECK(!pc_changed(&p, &q));
	pc_fence(&q, 1, &c);
	CHECK(pc_changed(&p, &q));
	pc_free(&p);
	pc_free(&q);
}

/* ---- replicas on an offline log dir (replication spec D7) ---- */

static void test_an_offline_leader_moves_to_another_isr_member(void)
{
	struct meta_partition p;
	struct pc_ctx c = ctx(2, 0);

	alive_mask = 0xe; /* its broker still heartbeats: only its dir failed */
	make(&p, R123, 3, R123, 3, 1);
	CHECK_EQ(pc_replica_offline(&p, 1, &c), 1);
	CHECK_EQ(p.leader, 2);
	SAME(p.isr, p.nisr, 2, 3);
	SAME(p.offline, p.noffline, 1);
	CHECK_EQ(p.nelr, 0);
	CHECK_EQ(p.leader_epoch, 6);
	CHECK_EQ(p.partition_epoch, 8);
	/* Reported again at the next heartbeat: nothing more to change. */
	CHECK_EQ(pc_replica_offline(&p, 1, &c), 0);
	CHECK_EQ(p.partition_epoch, 8);
	/* Alive, but never elected while its replica is offline. */
	CHECK_EQ(pc_fence(&p, 2, &c), 1);
	CHECK_EQ(p.leader, 3);
	pc_free(&p);
}

static void test_an_offline_follower_leaves_the_isr_and_the_leader_stays(void)
{
	struct meta_partition p;
	struct pc_ctx c = ctx(2, 0);

	alive_mask = 0xe;
	make(&p, R123, 3, R123, 3, 1);
	CHECK_EQ(pc_replica_offline(&p, 3, &c), 1);
	CHECK_EQ(p.leader, 1);
	SAME(p.isr, p.nisr, 1, 2);
	SAME(p.offline, p.noffline, 3);
	CHECK_EQ(p.leader_epoch, 5);
	CHECK_EQ(p.partition_epoch, 8);
	/* Not a replica of this partition: nothing to mark. */
	CHECK_EQ(pc_replica_offline(&p, 4, &c), 0);
	pc_free(&p);
}

static void test_an_offline_replica_never_goes_to_the_elr(void)
{
	struct meta_partition p;
	struct pc_ctx c = ctx(2, 0);
	const int32_t isr[] = { 1, 2 }, one[] = { 1 };

	alive_mask = 0xe;
	/* Leaving below min.insync.replicas would put a fenced one there. */
	make(&p, R123, 3, isr, 2, 1);
	CHECK_EQ(pc_replica_offline(&p, 2, &c), 1);
	SAME(p.isr, p.nisr, 1);
	CHECK_EQ(p.nelr, 0);
	pc_free(&p);
	/* An ELR member whose dir fails leaves the ELR. */
	make(&p, R123, 3, one, 1, 1);
	p.elr = ids((const int32_t[]){ 3 }, 1);
	p.nelr = 1;
	CHECK_EQ(pc_replica_offline(&p, 3, &c), 1);
	CHECK_EQ(p.nelr, 0);
	SAME(p.offline, p.noffline, 3);
	pc_free(&p);
}

static void test_an_offline_last_isr_member_keeps_leading_until_it_restarts(void)
{
	struct meta_partition p;
	struct pc_ctx c = ctx(2, 0);
	const int32_t isr[] = { 1 };

	alive_mask = 0xe;
	make(&p, R123, 3, isr, 1, 1);
	CHECK_EQ(pc_replica_offline(&p, 1, &c), 1);
	/* The others lack what it acknowledged: it stays, and leads what it
	 * fsynced, since nobody else may. */
	CHECK_EQ(p.leader, 1);
	SAME(p.isr, p.nisr, 1);
	SAME(p.offline, p.noffline, 1);
	CHECK_EQ(p.leader_epoch, 5);
	CHECK_EQ(pc_elect(&p, &c), 0);
	/* Fenced, it leads nothing. */
	alive_mask = 0xc;
	CHECK_EQ(pc_elect(&p, &c), 1);
	CHECK_EQ(p.leader, -1);
	CHECK_EQ(p.last_leader, 1);
	/* Alive again in the same process: still offline, not elected. */
	alive_mask = 0xe;
	CHECK_EQ(pc_elect(&p, &c), 0);
	CHECK_EQ(p.leader, -1);
	/* It restarts: registered fenced, its replica online again ... */
	alive_mask = 0xc;
	CHECK_EQ(pc_restarted(&p, 1, &c), 1);
	CHECK_EQ(p.noffline, 0);
	CHECK_EQ(p.leader, -1);
	/* ... and leads once alive. */
	alive_mask = 0xe;
	CHECK_EQ(pc_elect(&p, &c), 1);
	CHECK_EQ(p.leader, 1);
	pc_free(&p);
}

static void test_an_unclean_election_passes_over_an_offline_replica(void)
{
	struct meta_partition p;
	struct pc_ctx c = ctx(1, 1);
	const int32_t isr[] = { 1 };

	alive_mask = 0xe;
	make(&p, R123, 3, isr, 1, 1);
	CHECK_EQ(pc_replica_offline(&p, 1, &c), 1);
	CHECK_EQ(p.leader, 2);
	SAME(p.isr, p.nisr, 2);
	SAME(p.offline, p.noffline, 1);
	pc_free(&p);
}

static void test_an_offline_replica_may_not_join_the_isr(void)
{
	struct meta_partition p;
	struct pc_ctx c = ctx(1, 0);
	const int32_t all[] = { 1, 2, 3 };
	struct pc_alter a = alter(1, 5, 8, all, 3);
	struct err e;

	alive_mask = 0xe;
	make(&p, R123, 3, R123, 3, 1);
	CHECK_EQ(pc_replica_offline(&p, 3, &c), 1);
	CHECK_EQ(pc_alter(&p, &a, &c, &e), SLOG_EINELIGIBLE_REPLICA);
	SAME(p.isr, p.nisr, 1, 2);
	/* Nor lead by preference. */
	p.leader = 2;
	CHECK_EQ(pc_replica_offline(&p, 1, &c), 1);
	CHECK_EQ(pc_preferred(&p, &c), 0);
	CHECK_EQ(p.leader, 2);
	pc_free(&p);
}

static void test_a_restart_brings_an_offline_replica_back_as_a_follower(void)
{
	struct meta_partition p;
	struct pc_ctx c = ctx(2, 0);

	alive_mask = 0xe;
	make(&p, R123, 3, R123, 3, 1);
	CHECK_EQ(pc_replica_offline(&p, 1, &c), 1);
	alive_mask = 0xc; /* registered again: fenced first */
	CHECK_EQ(pc_restarted(&p, 1, &c), 1);
	CHECK_EQ(p.noffline, 0);
	CHECK_EQ(p.leader, 2);
	SAME(p.isr, p.nisr, 2, 3);
	/* It joins the ISR again by the usual rules. */
	alive_mask = 0xe;
	{
		const int32_t all[] = { 1, 2, 3 };
		struct pc_alter a = alter(2, p.leader_epoch, p.partition_epoch, all, 3);
		struct err e;

		CHECK_EQ(pc_alter(&p, &a, &c, &e), 0);
		SAME(p.isr, p.nisr, 1, 2, 3);
	}
	pc_free(&p);
}

static void test_a_move_forgets_an_offline_replica_it_drops(void)
{
	struct meta_partition p;
	struct pc_ctx c = ctx(1, 0);
	const int32_t target[] = { 2, 3 };
	struct err e;

	alive_mask = 0xe;
	make(&p, R123, 3, R123, 3, 2);
	CHECK_EQ(pc_replica_offline(&p, 1, &c), 1);
	CHECK_EQ(pc_reassign(&p, target, 2, &c, &e), 0);
	SAME(p.replicas, p.nreplicas, 2, 3);
	CHECK_EQ(p.noffline, 0);
	pc_free(&p);
}

int main(void)
{
	log_set_level(LOG_LEVEL_ERROR);
	unit_run("a valid leader is kept", test_a_valid_leader_is_kept);
	unit_run("a fenced leader moves to the first alive ISR member",
		 test_a_fenced_leader_moves_to_the_first_alive_isr_member);
	unit_run("the last ISR member stays and the leader becomes none",
		 test_the_last_isr_member_stays_and_the_leader_becomes_none);
	unit_run("members leaving below min.insync.replicas go to the ELR",
		 test_members_leaving_below_min_isr_go_to_the_elr);
	unit_run("the ELR empties when min.insync.replicas changes",
		 test_the_elr_empties_when_min_isr_changes);
	unit_run("the ELR elects when no ISR member is alive",
		 test_the_elr_elects_when_no_isr_member_is_alive);
	unit_run("the last leader elects when ISR and ELR are gone",
		 test_the_last_leader_elects_when_isr_and_elr_are_gone);
	unit_run("an unclean election needs the topic to allow it",
		 test_an_unclean_election_needs_the_topic_to_allow_it);
	unit_run("no alive replica leaves the partition leaderless",
		 test_no_alive_replica_leaves_the_partition_leaderless);
	unit_run("the preferred replica takes leadership back",
		 test_the_preferred_replica_takes_leadership_back);
	unit_run("an alter replaces the ISR", test_an_alter_replaces_the_isr);
	unit_run("an alter is refused for each reason", test_an_alter_is_refused_for_each_reason);
	unit_run("an alter shrinking below min.insync.replicas fills the ELR",
		 test_an_alter_shrinking_below_min_isr_fills_the_elr);
	unit_run("a move adds, then drops once in sync", test_a_move_adds_then_drops_once_in_sync);
	unit_run("a move completes from the duty too", test_a_move_completes_from_the_duty_too);
	unit_run("a move to fewer replicas in sync ends at once",
		 test_a_move_to_fewer_replicas_in_sync_ends_at_once);
	unit_run("a move is refused for a bad target", test_a_move_is_refused_for_a_bad_target);
	unit_run("copies compare equal until changed", test_copies_compare_equal_until_changed);
	unit_run("an offline leader moves to another ISR member",
		 test_an_offline_leader_moves_to_another_isr_member);
	unit_run("an offline follower leaves the ISR and the leader stays",
		 test_an_offline_follower_leaves_the_isr_and_the_leader_stays);
	unit_run("an offline replica never goes to the ELR", test_an_offline_replica_never_goes_to_the_elr);
	unit_run("an offline last ISR member keeps leading until it restarts",
		 test_an_offline_last_isr_member_keeps_leading_until_it_restarts);
	unit_run("an unclean election passes over an offline replica",
		 test_an_unclean_election_passes_over_an_offline_replica);
	unit_run("an offline replica may not join the ISR", test_an_offline_replica_may_not_join_the_isr);
	unit_run("a restart brings an offline replica back as a follower",
		 test_a_restart_brings_an_offline_replica_back_as_a_follower);
	unit_run("a move forgets an offline replica it drops",
		 test_a_move_forgets_an_offline_replica_it_drops);
	return unit_done();
}
