/*
 * test_group_assignor.c: assignments are complete, exclusive, balanced
 * and sticky.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "groups/group_assignor.h"
#include "unit.h"
#include "xalloc.h"

#define MAXM 16

static char ids[MAXM][16];
static int all_topics[4] = { 0, 1, 2, 3 };

static void setup_members(struct ga_member *m, int n, int ntopics)
{
	for (int i = 0; i < n; i++) {
		snprintf(ids[i], sizeof(ids[i]), "m%02d", i);
		m[i] = (struct ga_member){ .id = ids[i], .topics = all_topics, .ntopics = (size_t)ntopics };
	}
}

/* Every partition owned exactly once; counts within one of each other. */
static int check(struct ga_member *m, int n, const struct ga_topic *t, int nt, int balanced)
{
	int seen[4][64] = { { 0 } };
	size_t lo = SIZE_MAX, hi = 0;

	for (int i = 0; i < n; i++) {
		for (size_t k = 0; k < m[i].ntarget; k++)
			seen[m[i].target[k].topic][m[i].target[k].partition]++;
		if (m[i].ntarget < lo)
			lo = m[i].ntarget;
		if (m[i].ntarget > hi)
			hi = m[i].ntarget;
	}
	for (int ti = 0; ti < nt; ti++)
		for (int p = 0; p < t[ti].partitions; p++)
			if (!CHECK(seen[ti][p] == 1)) {
				unit_diag("topic %d partition %d owned %d times", ti, p, seen[ti][p]);
				return 0;
			}
	if (balanced && !CHECK(hi - lo <= 1)) {
		unit_diag("counts from %zu to %zu", lo, hi);
		return 0;
	}
	return 1;
}

/* Make each member's target its previous assignment for the next round. */
static void carry(struct ga_member *m, int n, struct ga_tp **store)
{
	for (int i = 0; i < n; i++) {
		free(store[i]);
		store[i] = m[i].target;
		m[i].prev = store[i];
		m[i].nprev = m[i].ntarget;
		m[i].target = NULL;
	}
}

static size_t moved(struct ga_member *m, int n)
{
	size_t kept = 0, total = 0;

	for (int i = 0; i < n; i++) {
		total += m[i].ntarget;
		for (size_t k = 0; k < m[i].ntarget; k++)
			for (size_t j = 0; j < m[i].nprev; j++)
				if (m[i].prev[j].topic == m[i].target[k].topic &&
				    m[i].prev[j].partition == m[i].target[k].partition)
					kept++;
	}
	return total - kept;
}

static void test_three_members_on_six_partitions_own_two_each(void)
{
	struct ga_topic t[1] = { { "t", 6 } };
	struct ga_member m[3];

	setup_members(m, 3, 1);
	group_assign(m, 3, t, 1);
	check(m, 3, t, 1, 1);
	for (int i = 0; i < 3; i++) {
		CHECK_EQ(m[i].ntarget, 2);
		free(m[i].target);
	}
}

static void test_joining_and_leaving_move_as_few_partitions_as_possible(void)
{
	struct ga_topic t[1] = { { "t", 12 } };
	struct ga_member m[MAXM];
	struct ga_tp *store[MAXM] = { 0 };

	setup_members(m, 3, 1);
	group_assign(m, 3, t, 1);
	REQUIRE(check(m, 3, t, 1, 1));
	carry(m, 3, store);
	/* A fourth joins: 12/3 = 4 each -> 3 each: exactly 3 partitions move. */
	setup_members(m + 3, 1, 1);
	snprintf(ids[3], sizeof(ids[3]), "m03");
	m[3].id = ids[3];
	m[3].prev = NULL;
	m[3].nprev = 0;
	group_assign(m, 4, t, 1);
	REQUIRE(check(m, 4, t, 1, 1));
	CHECK_EQ(moved(m, 4), 3);
	carry(m, 4, store);
	/* The second leaves: its 3 partitions move, nothing else. */
	free(store[1]);
	memmove(&m[1], &m[2], 2 * sizeof(m[0]));
	memmove(&store[1], &store[2], 2 * sizeof(store[0]));
	store[3] = NULL;
	group_assign(m, 3, t, 1);
	REQUIRE(check(m, 3, t, 1, 1));
	CHECK_EQ(moved(m, 3), 3); /* the leaver's three, and only those */
	for (int i = 0; i < 3; i++)
		CHECK(m[i].ntarget - m[i].nprev == 1); /* every survivor kept all it had */
	for (int i = 0; i < 3; i++) {
		CHECK_EQ(m[i].ntarget, 4);
		free(m[i].target);
		free(store[i]);
	}
}

static void test_partitions_added_to_a_topic_are_spread(void)
{
	struct ga_topic t[1] = { { "t", 4 } };
	struct ga_member m[2];
	struct ga_tp *store[2] = { 0 };

	setup_members(m, 2, 1);
	group_assign(m, 2, t, 1);
	carry(m, 2, store);
	t[0].partitions = 10;
	group_assign(m, 2, t, 1);
	REQUIRE(check(m, 2, t, 1, 1));
	CHECK_EQ(moved(m, 2), 6); /* only the new ones are placed */
	for (int i = 0; i < 2; i++) {
		free(m[i].target);
		free(store[i]);
	}
}

static void test_members_get_only_topics_they_subscribe_to(void)
{
	struct ga_topic t[2] = { { "a", 4 }, { "b", 2 } };
	static const int only_a[1] = { 0 }, only_b[1] = { 1 };
	struct ga_member m[3];

	setup_members(m, 3, 2);
	m[0].topics = only_a;
	m[0].ntopics = 1;
	m[2].topics = only_b;
	m[2].ntopics = 1;
	group_assign(m, 3, t, 2);
	check(m, 3, t, 2, 0);
	for (size_t k = 0; k < m[0].ntarget; k++)
		CHECK_EQ(m[0].target[k].topic, 0);
	for (size_t k = 0; k < m[2].ntarget; k++)
		CHECK_EQ(m[2].target[k].topic, 1);
	for (int i = 0; i < 3; i++)
		free(m[i].target);
}

static void test_random_groups_stay_complete_exclusive_and_balanced(void)
{
	struct ga_topic t[4];
	struct ga_member m[MAXM];
	struct ga_tp *store[MAXM] = { 0 };
	int n = 1;

	for (int i = 0; i < 4; i++) {
		t[i].name = "t";
		t[i].partitions = 1 + (int32_t)unit_rand_below(16);
	}
	setup_members(m, MAXM, 4);
	for (int round = 0; round < 200; round++) {
		int change = (int)unit_rand_below(3);
		if (change == 0 && n < MAXM) {
			m[n].prev = NULL;
			m[n].nprev = 0;
			n++;
		} else if (change == 1 && n > 1) {
			int gone = (int)unit_rand_below((uint64_t)n);
			free(store[gone]);
			memmove(&m[gone], &m[gone + 1], (size_t)(n - gone - 1) * sizeof(m[0]));
			memmove(&store[gone], &store[gone + 1], (size_t)(n - gone - 1) * sizeof(store[0]));
			n--;
			store[n] = NULL;
			/* keep ids sorted: they are, since removal keeps order */
		} else {
			t[unit_rand_below(4)].partitions += (int32_t)unit_rand_below(3);
		}
		group_assign(m, (size_t)n, t, 4);
		if (!check(m, n, t, 4, 1)) {
			unit_diag("round %d, %d members", round, n);
			break;
		}
		carry(m, n, store);
	}
	for (int i = 0; i < MAXM; i++)
		free(store[i]);
}

int main(void)
{
	unit_run("three members on six partitions own two each",
		 test_three_members_on_six_partitions_own_two_each);
	unit_run("joining and leaving move as few partitions as possible",
		 test_joining_and_leaving_move_as_few_partitions_as_possible);
	unit_run("partitions added to a topic are spread", test_partitions_added_to_a_topic_are_spread);
	unit_run("members get only topics they subscribe to",
		 test_members_get_only_topics_they_subscribe_to);
	unit_run("random groups stay complete, exclusive and balanced",
		 test_random_groups_stay_complete_exclusive_and_balanced);
	return unit_done();
}
