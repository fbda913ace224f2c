/*
 * test_group_coordinator.c: joining, assignment, partitions moving only
 * once released, session expiry, commits fenced by member epoch, and the
 * administrator's views, on a coordinator with a fake topic table.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "groups/group_coordinator.h"
#include "log.h"
#include "unit.h"

/* The topics the coordinator sees: "t" with ntp partitions, "u" with 2. */
static int32_t ntp = 4;
static pthread_rwlock_t meta_lock = PTHREAD_RWLOCK_INITIALIZER;

static int32_t partitions(void *arg, const char *topic)
{
	(void)arg;
	if (strcmp(topic, "t") == 0)
		return ntp;
	return strcmp(topic, "u") == 0 ? 2 : 0;
}

static struct group_coordinator *start(int64_t session_ms)
{
	struct gc_config cfg = { .default_session_ms = session_ms, .min_session_ms = 10,
				 .max_session_ms = 60000, .interval_ms = 1000,
				 .meta_lock = &meta_lock, .partitions = partitions };

	ntp = 4;
	return gc_start(&cfg);
}

static const char *const topic_t[] = { "t" };

/* A heartbeat of member id (NULL: join) at epoch, reporting what it owns
 * (owned NULL: unchanged). */
static int beat(struct group_coordinator *gc, const char *id, int32_t epoch,
		const struct gc_tp_list *owned, struct gc_answer *a)
{
	struct gc_heartbeat hb = { .group = "g", .member_id = id ? id : "", .member_epoch = epoch,
				   .client_id = "c", .host = "h", .topics = topic_t, .ntopics = 1,
				   .has_topics = id == NULL };
	struct err e;
	int rc;

	if (owned) {
		hb.owned = owned->v;
		hb.nowned = owned->n;
		hb.has_owned = 1;
	}
	pthread_rwlock_rdlock(&meta_lock);
	rc = gc_heartbeat(gc, &hb, a, &e);
	pthread_rwlock_unlock(&meta_lock);
	return rc;
}

/* Heartbeat reporting its answer as owned, until it is settled. */
static void settle(struct group_coordinator *gc, struct gc_answer *a)
{
	for (int i = 0; i < 10; i++) {
		struct gc_answer next;
		char id[GC_MEMBER_ID_MAX + 1];
		memcpy(id, a->member_id, sizeof(id));
		CHECK_EQ(beat(gc, id, a->member_epoch, &a->assignment, &next), 0);
		gc_answer_free(a);
		*a = next;
		if (a->settled)
			return;
	}
}

static int holds(const struct gc_answer *a, int32_t p)
{
	for (size_t i = 0; i < a->assignment.n; i++)
		if (a->assignment.v[i].partition == p)
			return 1;
	return 0;
}

static void test_a_lone_member_joins_and_gets_every_partition(void)
{
	struct group_coordinator *gc = start(10000);
	struct gc_answer a;

	REQUIRE_EQ(beat(gc, NULL, 0, NULL, &a), 0);
	CHECK(strlen(a.member_id) > 0);
	CHECK(a.member_epoch >= 1);
	CHECK_EQ(a.assignment.n, 4);
	CHECK_EQ(a.pending, 0);
	CHECK(!a.settled); /* it owns nothing yet */
	settle(gc, &a);
	CHECK(a.settled);
	gc_answer_free(&a);
	gc_stop(gc);
}

static void test_a_partition_moves_only_after_its_owner_releases_it(void)
{
	struct group_coordinator *gc = start(10000);
	struct gc_answer a, b, b2;
	int32_t epoch_before;
	size_t moved = 0;

	REQUIRE_EQ(beat(gc, NULL, 0, NULL, &a), 0);
	settle(gc, &a);
	epoch_before = a.member_epoch;
	REQUIRE_EQ(beat(gc, NULL, 0, NULL, &b), 0);
	/* b's target is two partitions, still owned by a: it waits. */
	CHECK_EQ(b.assignment.n, 0);
	CHECK_EQ(b.pending, 2);
	/* a is told to give two up; its epoch grows. */
	{
		struct gc_answer a2;
		struct gc_tp_list still = a.assignment;
		char id[GC_MEMBER_ID_MAX + 1];
		memcpy(id, a.member_id, sizeof(id));
		REQUIRE_EQ(beat(gc, id, a.member_epoch, &still, &a2), 0);
		CHECK_EQ(a2.assignment.n, 2);
		CHECK(a2.member_epoch > epoch_before);
		/* b still waits while a says it owns all four. */
		memcpy(id, b.member_id, sizeof(id));
		REQUIRE_EQ(beat(gc, id, b.member_epoch, NULL, &b2), 0);
		CHECK_EQ(b2.assignment.n, 0);
		gc_answer_free(&b2);
		gc_answer_free(&a);
		a = a2;
	}
	settle(gc, &a); /* a reports only its two: the other two are free */
	{
		char id[GC_MEMBER_ID_MAX + 1];
		memcpy(id, b.member_id, sizeof(id));
		REQUIRE_EQ(beat(gc, id, b.member_epoch, NULL, &b2), 0);
	}
	CHECK_EQ(b2.assignment.n, 2);
	CHECK_EQ(b2.pending, 0);
	for (int32_t p = 0; p < 4; p++) {
		CHECK(holds(&a, p) != holds(&b2, p)); /* each in exactly one answer */
		moved += holds(&b2, p);
	}
	CHECK_EQ(moved, 2);
	gc_answer_free(&a);
	gc_answer_free(&b);
	gc_answer_free(&b2);
	gc_stop(gc);
}

static void test_assignment_is_sticky_when_a_member_leaves(void)
{
	struct group_coordinator *gc = start(10000);
	struct gc_answer m[3], after;
	char id[GC_MEMBER_ID_MAX + 1];
	struct err e;

	ntp = 6;
	for (int i = 0; i < 3; i++)
		REQUIRE_EQ(beat(gc, NULL, 0, NULL, &m[i]), 0);
	for (int round = 0; round < 3; round++)
		for (int i = 0; i < 3; i++)
			settle(gc, &m[i]);
	for (int i = 0; i < 3; i++)
		CHECK_EQ(m[i].assignment.n, 2);
	memcpy(id, m[2].member_id, sizeof(id));
	pthread_rwlock_rdlock(&meta_lock);
	CHECK_EQ(gc_leave(gc, "g", id, &e), 0);
	pthread_rwlock_unlock(&meta_lock);
	/* The others keep what they had and take the leaver's. */
	for (int i = 0; i < 2; i++) {
		memcpy(id, m[i].member_id, sizeof(id));
		REQUIRE_EQ(beat(gc, id, m[i].member_epoch, NULL, &after), 0);
		CHECK_EQ(after.assignment.n, 3);
		for (int32_t p = 0; p < 6; p++)
			if (holds(&m[i], p))
				CHECK(holds(&after, p));
		gc_answer_free(&after);
		gc_answer_free(&m[i]);
	}
	gc_answer_free(&m[2]);
	gc_stop(gc);
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static void test_a_silent_members_session_expires(void)
{
	struct group_coordinator *gc = start(60000);
	struct gc_heartbeat hb = { .group = "g", .member_id = "", .topics = topic_t, .ntopics = 1,
				   .has_topics = 1, .session_ms = 50 };
	struct gc_answer a, b, gone;
	char id[GC_MEMBER_ID_MAX + 1];
	struct err e;

	pthread_rwlock_rdlock(&meta_lock);
	REQUIRE_EQ(gc_heartbeat(gc, &hb, &a, &e), 0);
	pthread_rwlock_unlock(&meta_lock);
	CHECK_EQ(a.session_ms, 50);
	memcpy(id, a.member_id, sizeof(id));
	REQUIRE_EQ(beat(gc, NULL, 0, NULL, &b), 0);
	CHECK_EQ(b.assignment.n, 0); /* a's answer holds everything */
	/* b heartbeats on; a is silent past its 50 ms session. */
	for (int i = 0; i < 100 && b.assignment.n < 4; i++) {
		struct gc_answer next;
		char bid[GC_MEMBER_ID_MAX + 1];
		sleep_ms(20);
		memcpy(bid, b.member_id, sizeof(bid));
		REQUIRE_EQ(beat(gc, bid, b.member_epoch, NULL, &next), 0);
		gc_answer_free(&b);
		b = next;
	}
	CHECK_EQ(b.assignment.n, 4);
	CHECK_EQ(beat(gc, id, a.member_epoch, NULL, &gone), SLOG_EUNKNOWN_MEMBER_ID);
	gc_answer_free(&a);
	gc_answer_free(&b);
	gc_stop(gc);
}

static struct gc_offset offset_of(int32_t p, int64_t off)
{
	struct gc_offset o = { .tp.partition = p, .offset = off, .commit_ms = 1 };

	snprintf(o.tp.topic, sizeof(o.tp.topic), "t");
	return o;
}

static void test_commits_are_fenced_by_member_epoch(void)
{
	struct group_coordinator *gc = start(10000);
	struct gc_offset o = offset_of(0, 5), stranger = offset_of(3, 5);
	struct gc_offset_list l;
	struct gc_answer a, b;
	char id[GC_MEMBER_ID_MAX + 1];
	struct err e;

	ntp = 4;
	REQUIRE_EQ(beat(gc, NULL, 0, NULL, &a), 0);
	settle(gc, &a);
	memcpy(id, a.member_id, sizeof(id));
	CHECK_EQ(gc_commit_check(gc, "g", id, a.member_epoch, &o, 1, &e), 0);
	CHECK_EQ(gc_commit_check(gc, "g", id, a.member_epoch - 1, &o, 1, &e),
		 SLOG_ESTALE_MEMBER_EPOCH);
	CHECK_EQ(gc_commit_check(gc, "g", "nobody", 1, &o, 1, &e), SLOG_EUNKNOWN_MEMBER_ID);
	CHECK_EQ(gc_commit_check(gc, "g", "", -1, &o, 1, &e), SLOG_ENON_EMPTY_GROUP);
	CHECK_EQ(gc_commit_check(gc, "g", "", 3, &o, 1, &e), SLOG_EINVALID_REQUEST);
	/* b joins: a is told to give up two partitions; once it released them
	 * and b holds them, a may no longer commit them. */
	REQUIRE_EQ(beat(gc, NULL, 0, NULL, &b), 0);
	settle(gc, &a);
	settle(gc, &b);
	for (int32_t p = 0; p < 4; p++) {
		if (holds(&a, p))
			continue;
		stranger = offset_of(p, 5);
		break;
	}
	CHECK_EQ(gc_commit_check(gc, "g", id, a.member_epoch, &stranger, 1, &e),
		 SLOG_ESTALE_MEMBER_EPOCH);
	gc_commit_apply(gc, "g", &o, 1, 0);
	gc_offsets(gc, "g", NULL, 0, &l);
	REQUIRE_EQ(l.n, 1);
	CHECK_EQ(l.v[0].offset, 5);
	gc_offset_list_free(&l);
	gc_answer_free(&a);
	gc_answer_free(&b);
	gc_stop(gc);
}

/* Every partition of "t" holds offsets [10, 100); "u" has no log. */
static int log_range(void *arg, const struct gc_tp *tp, int64_t *start, int64_t *end)
{
	(void)arg;
	if (strcmp(tp->topic, "t") != 0)
		return -1;
	*start = 10;
	*end = 100;
	return 0;
}

static void test_describe_sums_the_lag_it_knows(void)
{
	struct group_coordinator *gc = start(10000);
	struct gc_offset v[] = { offset_of(0, 40), offset_of(1, 150) };
	struct gc_group_view view;
	struct gc_summary *list;
	struct gc_answer a;
	size_t n;
	struct err e;

	gc_commit_apply(gc, "g", v, 2, 0);
	REQUIRE_EQ(gc_describe(gc, "g", log_range, NULL, &view, &e), 0);
	CHECK(strcmp(view.state, "Empty") == 0);
	REQUIRE_EQ(view.npartitions, 2);
	CHECK_EQ(view.partitions[0].lag, 60);
	CHECK_EQ(view.partitions[1].lag, 0); /* past the end: no lag */
	CHECK_EQ(view.known_lag, 60);
	CHECK_EQ(view.unknown_lag_partitions, 0);
	gc_group_view_free(&view);
	/* A member holding partitions without offsets: their lag is unknown. */
	REQUIRE_EQ(beat(gc, NULL, 0, NULL, &a), 0);
	REQUIRE_EQ(gc_describe(gc, "g", log_range, NULL, &view, &e), 0);
	CHECK_EQ(view.nmembers, 1);
	CHECK_EQ(view.npartitions, 4);
	CHECK_EQ(view.unknown_lag_partitions, 2);
	CHECK(view.partitions[0].holder == &view.members[0]);
	gc_group_view_free(&view);
	CHECK_EQ(gc_describe(gc, "none", log_range, NULL, &view, &e), SLOG_EGROUP_ID_NOT_FOUND);
	gc_list(gc, &list, &n);
	REQUIRE_EQ(n, 1);
	CHECK(strcmp(list[0].group, "g") == 0 && list[0].members == 1);
	free(list);
	gc_answer_free(&a);
	gc_stop(gc);
}

static void test_delete_plans_and_expiry_name_the_offsets(void)
{
	struct group_coordinator *gc = start(10000);
	struct gc_offset v[] = { offset_of(0, 1), offset_of(1, 1), offset_of(2, 1) };
	struct gc_expired_group *x;
	struct gc_tp_list gone;
	int32_t one = 1;
	size_t n;
	struct err e;

	gc_commit_apply(gc, "g", v, 3, 0);
	REQUIRE_EQ(gc_delete_offsets_plan(gc, "g", "t", &one, 1, &gone, &e), 0);
	REQUIRE_EQ(gone.n, 1);
	CHECK_EQ(gone.v[0].partition, 1);
	gc_tp_list_free(&gone);
	REQUIRE_EQ(gc_delete_plan(gc, "g", &gone, &e), 0);
	CHECK_EQ(gone.n, 3);
	gc_tp_list_free(&gone);
	CHECK_EQ(gc_delete_plan(gc, "none", &gone, &e), SLOG_EGROUP_ID_NOT_FOUND);
	gc_expired(gc, 1000, 500, &x, &n); /* commits at 1 ms: not yet */
	CHECK_EQ(n, 0);
	gc_expired_free(x, n);
	gc_expired(gc, 1000, 1001, &x, &n);
	REQUIRE_EQ(n, 1);
	CHECK_EQ(x[0].offsets.n, 3);
	gc_expired_free(x, n);
	for (int i = 0; i < 3; i++)
		gc_offset_forget(gc, "g", &v[i].tp);
	CHECK_EQ(gc_delete_plan(gc, "g", &gone, &e), SLOG_EGROUP_ID_NOT_FOUND);
	gc_stop(gc);
}

/* The offsets of group g, of partition 0 of "t" (-1: none). */
static int64_t committed_of_g(struct group_coordinator *gc)
{
	struct gc_offset_list l;
	int64_t off;

	gc_offsets(gc, "g", NULL, 0, &l);
	off = l.n ? l.v[0].offset : -1;
	gc_offset_list_free(&l);
	return off;
}

static void test_a_new_leader_epoch_reads_the_groups_back_once(void)
{
	struct group_coordinator *gc = start(10000);
	struct gc_offset o = offset_of(0, 7);
	int32_t count = 3, part = gc_partition_for("g", count), other = (part + 1) % count;
	char id[GC_MEMBER_ID_MAX + 1];
	struct gc_answer a;

	/* What was in memory from an earlier leadership goes, members too. */
	CHECK_EQ(beat(gc, NULL, 0, NULL, &a), 0);
	gc_commit_apply(gc, "g", &o, 1, 0);
	CHECK_EQ(gc_load_begin(gc, other, count, 4), GC_LOAD_NOW);
	CHECK_EQ(committed_of_g(gc), 7); /* another partition's groups stay */
	gc_load_end(gc, other, 4, 1);
	CHECK_EQ(gc_load_begin(gc, part, count, 4), GC_LOAD_NOW);
	CHECK_EQ(committed_of_g(gc), -1);
	snprintf(id, sizeof(id), "%s", a.member_id);
	gc_answer_free(&a);
	CHECK_EQ(beat(gc, id, 1, NULL, &a), SLOG_EUNKNOWN_MEMBER_ID);
	/* Nobody else is served while it loads. */
	CHECK_EQ(gc_load_begin(gc, part, count, 4), GC_LOADING);
	gc_commit_apply(gc, "g", &o, 1, 0);
	gc_load_end(gc, part, 4, 1);
	CHECK_EQ(gc_load_begin(gc, part, count, 4), GC_LOADED);
	CHECK_EQ(committed_of_g(gc), 7);
	/* Leading it again later, after another broker did, loads again. */
	CHECK_EQ(gc_load_begin(gc, part, count, 6), GC_LOAD_NOW);
	gc_load_end(gc, part, 6, 0); /* the log could not be read */
	CHECK_EQ(gc_load_begin(gc, part, count, 6), GC_LOAD_NOW);
	gc_load_end(gc, part, 6, 1);
	gc_answer_free(&a);
	gc_stop(gc);
}

int main(void)
{
	log_set_level(LOG_LEVEL_WARN); /* joins and expiries are the tests' business */
	unit_run("a lone member joins and gets every partition",
		 test_a_lone_member_joins_and_gets_every_partition);
	unit_run("a partition moves only after its owner releases it",
		 test_a_partition_moves_only_after_its_owner_releases_it);
	unit_run("assignment is sticky when a member leaves",
		 test_assignment_is_sticky_when_a_member_leaves);
	unit_run("a silent member's session expires", test_a_silent_members_session_expires);
	unit_run("commits are fenced by member epoch", test_commits_are_fenced_by_member_epoch);
	unit_run("describe sums the lag it knows", test_describe_sums_the_lag_it_knows);
	unit_run("delete plans and expiry name the offsets",
		 test_delete_plans_and_expiry_name_the_offsets);
	unit_run("a new leader epoch reads the groups back once",
		 test_a_new_leader_epoch_reads_the_groups_back_once);
	return unit_done();
}
