/*
 * test_offset_table.c: a group's committed offsets stay sorted, the
 * commit written later to the log wins in any order of applying, and
 * forgetting removes exactly one entry.
 */
#include <stdio.h>
#include <string.h>

#include "groups/offset_table.h"
#include "unit.h"

static struct gc_tp tp(const char *topic, int32_t partition)
{
	struct gc_tp t = { .partition = partition };

	snprintf(t.topic, sizeof(t.topic), "%s", topic);
	return t;
}

static struct gc_offset commit(const char *topic, int32_t partition, int64_t offset,
			       const char *metadata, int64_t ms)
{
	return (struct gc_offset){ tp(topic, partition), offset, metadata, ms };
}

static void test_entries_are_sorted_by_topic_then_partition(void)
{
	struct offset_table t = { 0 };
	struct gc_offset v[] = { commit("b", 0, 1, NULL, 1), commit("a", 10, 2, NULL, 1),
				 commit("a", 2, 3, NULL, 1), commit("b", -1, 4, NULL, 1) };

	for (size_t i = 0; i < 4; i++)
		offtab_apply(&t, &v[i], (int64_t)i);
	REQUIRE_EQ(t.n, 4);
	CHECK(strcmp(t.v[0].tp.topic, "a") == 0 && t.v[0].tp.partition == 2);
	CHECK(strcmp(t.v[1].tp.topic, "a") == 0 && t.v[1].tp.partition == 10);
	CHECK(strcmp(t.v[2].tp.topic, "b") == 0 && t.v[2].tp.partition == -1);
	CHECK(strcmp(t.v[3].tp.topic, "b") == 0 && t.v[3].tp.partition == 0);
	for (size_t i = 0; i + 1 < t.n; i++)
		CHECK(gc_tp_cmp(&t.v[i].tp, &t.v[i + 1].tp) < 0);
	offtab_free(&t);
	CHECK_EQ(t.n, 0);
}

static void test_the_later_log_offset_wins_in_any_order(void)
{
	struct offset_table t = { 0 };
	struct gc_offset older = commit("t", 0, 10, "old", 100);
	struct gc_offset newer = commit("t", 0, 20, "new", 200);
	struct gc_tp key = tp("t", 0);
	const struct offset_entry *oe;

	/* The newer record (log offset 7) applied first, then a replay of
	 * the older one (log offset 5): the newer stays. */
	offtab_apply(&t, &newer, 7);
	offtab_apply(&t, &older, 5);
	oe = offtab_find(&t, &key);
	REQUIRE(oe != NULL);
	CHECK_EQ(oe->offset, 20);
	CHECK_EQ(oe->log_offset, 7);
	CHECK(strcmp(oe->metadata, "new") == 0);
	CHECK_EQ(oe->commit_ms, 200);
	/* A later record replaces it, metadata included. */
	older.metadata = NULL;
	offtab_apply(&t, &older, 9);
	oe = offtab_find(&t, &key);
	CHECK_EQ(oe->offset, 10);
	CHECK(oe->metadata == NULL);
	CHECK_EQ(t.n, 1);
	offtab_free(&t);
}

static void test_metadata_is_the_tables_own_copy(void)
{
	struct offset_table t = { 0 };
	char md[8] = "abc";
	struct gc_offset o = commit("t", 1, 5, md, 1);
	struct gc_tp key = tp("t", 1);

	offtab_apply(&t, &o, 0);
	md[0] = 'x';
	CHECK(strcmp(offtab_find(&t, &key)->metadata, "abc") == 0);
	offtab_free(&t);
}

static void test_forget_removes_one_entry(void)
{
	struct offset_table t = { 0 };
	struct gc_offset v[] = { commit("t", 0, 1, "m", 1), commit("t", 1, 2, NULL, 1),
				 commit("u", 0, 3, NULL, 1) };
	struct gc_tp gone = tp("t", 0), absent = tp("t", 9), kept = tp("t", 1);

	for (size_t i = 0; i < 3; i++)
		offtab_apply(&t, &v[i], (int64_t)i);
	CHECK_EQ(offtab_forget(&t, &gone), 1);
	CHECK_EQ(offtab_forget(&t, &gone), 0);
	CHECK_EQ(offtab_forget(&t, &absent), 0);
	CHECK_EQ(t.n, 2);
	CHECK(offtab_find(&t, &gone) == NULL);
	REQUIRE(offtab_find(&t, &kept) != NULL);
	CHECK_EQ(offtab_find(&t, &kept)->offset, 2);
	offtab_free(&t);
}

static void test_newest_commit_is_the_latest_or_since(void)
{
	struct offset_table t = { 0 };
	struct gc_offset v[] = { commit("t", 0, 1, NULL, 300), commit("t", 1, 1, NULL, 500),
				 commit("t", 2, 1, NULL, 400) };

	CHECK_EQ(offtab_newest_commit(&t, 42), 42);
	for (size_t i = 0; i < 3; i++)
		offtab_apply(&t, &v[i], (int64_t)i);
	CHECK_EQ(offtab_newest_commit(&t, 0), 500);
	CHECK_EQ(offtab_newest_commit(&t, 900), 900);
	offtab_free(&t);
}

int main(void)
{
	unit_run("entries are sorted by topic then partition",
		 test_entries_are_sorted_by_topic_then_partition);
	unit_run("the later log offset wins in any order", test_the_later_log_offset_wins_in_any_order);
	unit_run("metadata is the table's own copy", test_metadata_is_the_tables_own_copy);
	unit_run("forget removes one entry", test_forget_removes_one_entry);
	unit_run("newest commit is the latest, or since", test_newest_commit_is_the_latest_or_since);
	return unit_done();
}
