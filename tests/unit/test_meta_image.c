/*
 * test_meta_image.c: one node's committed metadata.
 *
 * An entry applies whole or, unreadable, not at all; a record that does
 * not fit is skipped and still takes its offset; the ring keeps the last
 * entries and a follower behind it gets a snapshot instead; a second
 * image fed with what the first answers ends in the same state; a
 * snapshot restores what it was taken of.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/quorum.h"
#include "log.h"
#include "meta/meta_image.h"
#include "unit.h"

#define TOPIC(name, id)                                                                  \
	"{\"v\":1,\"type\":\"topic\",\"name\":\"" name "\",\"id\":\"" id "\",\"partitions\":1," \
	"\"replication_factor\":1}"
#define RETENTION(name, value)                                                     \
	"{\"v\":1,\"type\":\"configs\",\"name\":\"" name "\",\"set\":{\"retention.ms\":\"" \
	value "\"}}"

/* A test's literal JSON (NULL if mistyped: the checks then fail). */
static json_t *parse(const char *text)
{
	return json_loads(text, 0, NULL);
}

/* Apply an entry of records (a JSON array as text): its return code. */
static int apply_records(struct meta_image *img, const char *records, int *status,
			 struct err *e)
{
	json_t *recs = parse(records);
	size_t len;
	char *text = meta_entry_encode(recs, &len);
	int rc = meta_image_apply(img, text, len, status, e);

	free(text);
	json_decref(recs);
	return rc;
}

static int apply_raw(struct meta_image *img, const char *bytes, struct err *e)
{
	int status = 0;

	return meta_image_apply(img, bytes, strlen(bytes), &status, e);
}

/* The image's state as the records that build it (new reference). */
static json_t *encoded(struct meta_image *img)
{
	json_t *j;

	pthread_mutex_lock(&img->lock);
	j = meta_state_encode(&img->state);
	pthread_mutex_unlock(&img->lock);
	return j;
}

static int same_state(struct meta_image *a, struct meta_image *b)
{
	json_t *x = encoded(a), *y = encoded(b);
	int eq = json_equal(x, y);

	json_decref(x);
	json_decref(y);
	return eq;
}

static void count_change(void *arg)
{
	(*(int *)arg)++;
}

/* Entries each of one topic record "t<i>", i from 0 to n-1. */
static void apply_topics(struct meta_image *img, int from, int to)
{
	struct err e;
	int status;

	for (int i = from; i < to; i++) {
		char recs[200];
		snprintf(recs, sizeof(recs),
			 "[{\"v\":1,\"type\":\"topic\",\"name\":\"t%d\",\"id\":\"i%d\","
			 "\"partitions\":1,\"replication_factor\":1}]", i, i);
		REQUIRE(apply_records(img, recs, &status, &e) == 0);
		CHECK_EQ(status, 0);
	}
}

static void test_an_entry_applies(void)
{
	struct meta_image img;
	int status = -1, changes = 0;
	struct err e;

	meta_image_init(&img, 8, 0);
	img.on_change = count_change;
	img.change_arg = &changes;
	CHECK_EQ(apply_records(&img, "[" TOPIC("a", "i1") "," RETENTION("a", "1h") "]", &status,
			       &e), 0);
	CHECK_EQ(status, 0);
	CHECK_EQ(img.offset, 2);
	CHECK_EQ(changes, 1);
	REQUIRE(meta_find(&img.state, "a") != NULL);
	CHECK(json_object_get(meta_find(&img.state, "a")->configs, "retention.ms") != NULL);
	CHECK_EQ(img.n, 1);
	CHECK_EQ(img.ring_start, 0);
	meta_image_free(&img);
}

/* Two proposals raced: the loser is skipped, takes its offset, and its
 * proposer learns it did not apply; the rest of the entry applies. */
static void test_a_record_that_does_not_fit_is_skipped(void)
{
	struct meta_image img;
	int status = 0;
	struct err e;

	meta_image_init(&img, 8, 0);
	REQUIRE(apply_records(&img, "[" TOPIC("a", "i1") "]", &status, &e) == 0);
	CHECK_EQ(apply_records(&img, "[" TOPIC("a", "i2") "," RETENTION("a", "2h") "]", &status,
			       &e), 0);
	CHECK_EQ(status, SLOG_EINVALID_REQUEST);
	CHECK_EQ(img.offset, 3);
	REQUIRE(meta_find(&img.state, "a") != NULL);
	CHECK(strcmp(meta_find(&img.state, "a")->id, "i1") == 0);
	CHECK(strcmp(json_string_value(json_object_get(meta_find(&img.state, "a")->configs,
						       "retention.ms")), "2h") == 0);
	meta_image_free(&img);
}

/* Bytes this node cannot read stop the quorum rather than be half
 * applied: nothing of the entry applies, not even its readable head. */
static void test_unreadable_bytes_change_nothing(void)
{
	static const char *const bad[] = {
		"not json",
		"[]",
		"{\"v\":1}",
		"{\"v\":1,\"records\":{}}",
		"{\"records\":[]}",
		"{\"v\":2,\"records\":[]}",
		"{\"v\":1,\"records\":[" TOPIC("b", "i2") ",{\"v\":7,\"type\":\"topic\"}]}",
		"{\"v\":1,\"records\":[" TOPIC("b", "i2") ",{\"v\":1,\"type\":\"fence\"}]}",
		"{\"v\":1,\"records\":[" TOPIC("b", "i2") ",3]}",
	};
	struct meta_image img;
	json_t *before, *after;
	int status, changes = 0;
	struct err e;

	meta_image_init(&img, 8, 0);
	REQUIRE(apply_records(&img, "[" TOPIC("a", "i1") "]", &status, &e) == 0);
	img.on_change = count_change;
	img.change_arg = &changes;
	before = encoded(&img);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK_EQ(apply_raw(&img, bad[i], &e), SLOG_ECORRUPT_MESSAGE);
		after = encoded(&img);
		CHECK(json_equal(before, after));
		json_decref(after);
	}
	CHECK_EQ(img.offset, 1);
	CHECK_EQ(img.n, 1);
	CHECK_EQ(changes, 0);
	CHECK(meta_find(&img.state, "b") == NULL);
	CHECK_EQ(apply_raw(&img, "{\"v\":2,\"records\":[]}", &e), SLOG_ECORRUPT_MESSAGE);
	CHECK(strstr(e.msg, "version 2") != NULL);
	json_decref(before);
	meta_image_free(&img);
}

static json_int_t int_of(json_t *j, const char *key)
{
	return json_integer_value(json_object_get(j, key));
}

/* The ring holds the last cap entries (ASan sees the evicted freed). */
static void test_the_ring_keeps_the_last_entries(void)
{
	struct meta_image img;
	json_t *ans, *entries;
	struct err e;

	meta_image_init(&img, 3, 0);
	apply_topics(&img, 0, 5);
	CHECK_EQ(img.offset, 5);
	CHECK_EQ(img.n, 3);
	CHECK_EQ(img.ring_start, 2);
	REQUIRE(meta_image_since(&img, 2, 10, &ans, &e) == 0);
	CHECK_EQ(int_of(ans, "offset"), 5);
	entries = json_object_get(ans, "entries");
	REQUIRE_EQ(json_array_size(entries), 3);
	CHECK_EQ(int_of(json_array_get(entries, 0), "offset"), 2);
	CHECK_EQ(int_of(json_array_get(entries, 2), "offset"), 4);
	CHECK(strcmp(json_string_value(json_object_get(
			     json_array_get(json_object_get(json_array_get(entries, 2), "records"), 0),
			     "name")), "t4") == 0);
	json_decref(ans);
	/* At most max_entries. */
	REQUIRE(meta_image_since(&img, 3, 1, &ans, &e) == 0);
	CHECK_EQ(json_array_size(json_object_get(ans, "entries")), 1);
	json_decref(ans);
	meta_image_free(&img);
}

/* A follower behind the ring gets a snapshot; a current one nothing. */
static void test_since_answers_a_snapshot_behind_the_ring(void)
{
	struct meta_image img;
	json_t *ans, *snap;
	int status;
	struct err e;

	meta_image_init(&img, 2, 0);
	apply_topics(&img, 0, 4);
	REQUIRE(meta_image_since(&img, 1, 10, &ans, &e) == 0);
	snap = json_object_get(ans, "snapshot");
	REQUIRE(snap != NULL);
	CHECK(json_object_get(ans, "entries") == NULL);
	CHECK_EQ(int_of(snap, "offset"), 4);
	CHECK_EQ(json_array_size(json_object_get(json_object_get(snap, "state"), "records")), 4);
	json_decref(ans);
	/* Inside an entry: records of one entry go together, so a snapshot. */
	REQUIRE(apply_records(&img, "[" TOPIC("x", "ix") "," TOPIC("y", "iy") "]", &status, &e) ==
		0);
	REQUIRE(meta_image_since(&img, 5, 10, &ans, &e) == 0);
	CHECK(json_object_get(ans, "snapshot") != NULL);
	json_decref(ans);
	REQUIRE(meta_image_since(&img, 6, 10, &ans, &e) == 0);
	CHECK_EQ(int_of(ans, "offset"), 6);
	CHECK(json_is_array(json_object_get(ans, "entries")));
	CHECK_EQ(json_array_size(json_object_get(ans, "entries")), 0);
	json_decref(ans);
	meta_image_free(&img);
}

static void test_since_past_the_end_is_out_of_range(void)
{
	struct meta_image img;
	json_t *ans = NULL;
	struct err e;

	meta_image_init(&img, 4, 0);
	apply_topics(&img, 0, 2);
	CHECK_EQ(meta_image_since(&img, 3, 10, &ans, &e), SLOG_EOFFSET_OUT_OF_RANGE);
	CHECK(ans == NULL);
	CHECK(strstr(e.msg, "3") != NULL);
	CHECK_EQ(meta_image_since(&img, -1, 10, &ans, &e), SLOG_EOFFSET_OUT_OF_RANGE);
	meta_image_free(&img);
}

/* Poll from as a follower does, until current; the number of polls. */
static int follow(struct meta_image *to, struct meta_image *from, size_t max_entries)
{
	int polls = 0;
	struct err e;

	while (to->offset < from->offset && polls < 100) {
		json_t *ans;
		if (meta_image_since(from, to->offset, max_entries, &ans, &e) ||
		    meta_image_apply_fetched(to, ans, &e)) {
			unit_diag("poll %d: %s", polls, e.msg);
			return -1;
		}
		json_decref(ans);
		polls++;
	}
	return polls;
}

static void test_a_follower_ends_equal(void)
{
	struct meta_image voter, observer;
	int status, changes = 0;
	struct err e;

	meta_image_init(&voter, 4, 0);
	meta_image_init(&observer, 4, 0);
	observer.on_change = count_change;
	observer.change_arg = &changes;
	apply_topics(&voter, 0, 6);
	REQUIRE(apply_records(&voter, "[" TOPIC("t1", "other") "," RETENTION("t1", "1d") "]",
			      &status, &e) == 0);
	CHECK_EQ(status, SLOG_EINVALID_REQUEST);
	/* Behind the ring: a snapshot, then nothing more to fetch. */
	CHECK_EQ(follow(&observer, &voter, 2), 1);
	CHECK(same_state(&voter, &observer));
	CHECK_EQ(observer.n, 0);
	/* In the ring: its entries, two a poll. */
	apply_topics(&voter, 6, 9);
	CHECK_EQ(follow(&observer, &voter, 2), 2);
	CHECK_EQ(observer.offset, voter.offset);
	CHECK(same_state(&voter, &observer));
	CHECK_EQ(observer.n, 3);
	CHECK_EQ(changes, 3);
	meta_image_free(&observer);
	meta_image_free(&voter);
}

/* A random entry of 1 to 3 records over a few names, fitting or not. */
static void apply_random_entry(struct meta_image *img)
{
	static const char *const names[] = { "a", "b", "c" };
	json_t *recs = json_array();
	int n = 1 + (int)unit_rand_below(3), status;
	size_t len;
	char *text;
	struct err e;

	for (int i = 0; i < n; i++) {
		const char *name = names[unit_rand_below(3)];
		json_t *r;
		if (unit_rand_below(2))
			r = json_pack("{s:i, s:s, s:s, s:s, s:i, s:i}", "v", 1, "type", "topic",
				      "name", name, "id", names[unit_rand_below(3)], "partitions",
				      1 + (int)unit_rand_below(3), "replication_factor", 1);
		else
			r = json_pack("{s:i, s:s, s:s, s:{s:s}}", "v", 1, "type", "configs", "name",
				      name, "set", "retention.ms", names[unit_rand_below(3)]);
		json_array_append_new(recs, r);
	}
	text = meta_entry_encode(recs, &len);
	CHECK_EQ(meta_image_apply(img, text, len, &status, &e), 0);
	free(text);
	json_decref(recs);
}

/* An observer polling now and then, with a small ring and small answers,
 * through snapshots and entries, ends where the voter is. */
static void test_a_follower_of_a_random_history_ends_equal(void)
{
	for (int round = 0; round < 50; round++) {
		struct meta_image voter, observer;
		meta_image_init(&voter, 1 + unit_rand_below(4), 0);
		meta_image_init(&observer, 1 + unit_rand_below(4), 0);
		for (int i = 0; i < 30; i++) {
			apply_random_entry(&voter);
			if (unit_rand_below(4) == 0)
				CHECK(follow(&observer, &voter, 1 + unit_rand_below(3)) >= 0);
		}
		CHECK(follow(&observer, &voter, 1 + unit_rand_below(3)) >= 0);
		CHECK_EQ(observer.offset, voter.offset);
		CHECK(same_state(&voter, &observer));
		meta_image_free(&observer);
		meta_image_free(&voter);
	}
}

/* Entries it has already are passed over; a gap is refused whole. */
static void test_fetched_entries_must_follow_the_image(void)
{
	struct meta_image voter, observer;
	json_t *ans, *gap, *before;
	struct err e;

	meta_image_init(&voter, 8, 0);
	meta_image_init(&observer, 8, 0);
	apply_topics(&voter, 0, 4);
	REQUIRE(meta_image_since(&voter, 0, 10, &ans, &e) == 0);
	REQUIRE(follow(&observer, &voter, 2) == 2);
	/* The same answer again, all of it had: nothing changes. */
	CHECK_EQ(meta_image_apply_fetched(&observer, ans, &e), 0);
	CHECK_EQ(observer.offset, 4);
	json_decref(ans);
	apply_topics(&voter, 4, 6);
	REQUIRE(meta_image_since(&voter, 5, 10, &ans, &e) == 0);
	gap = json_object_get(ans, "entries");
	REQUIRE_EQ(json_array_size(gap), 1);
	before = encoded(&observer);
	CHECK_EQ(meta_image_apply_fetched(&observer, ans, &e), SLOG_ECORRUPT_MESSAGE);
	CHECK(strstr(e.msg, "offset 5") != NULL);
	CHECK_EQ(observer.offset, 4);
	json_decref(ans);
	ans = parse("{\"offset\":9,\"entries\":[{\"offset\":4,\"records\":[{\"v\":5}]}]}");
	CHECK_EQ(meta_image_apply_fetched(&observer, ans, &e), SLOG_ECORRUPT_MESSAGE);
	json_decref(ans);
	ans = parse("{\"offset\":9}");
	CHECK_EQ(meta_image_apply_fetched(&observer, ans, &e), SLOG_ECORRUPT_MESSAGE);
	json_decref(ans);
	ans = encoded(&observer);
	CHECK(json_equal(before, ans));
	json_decref(ans);
	json_decref(before);
	meta_image_free(&observer);
	meta_image_free(&voter);
}

static void test_a_snapshot_restores_the_image(void)
{
	struct meta_image a, b;
	void *data;
	size_t len;
	json_t *ans;
	struct err e;

	meta_image_init(&a, 4, 0);
	meta_image_init(&b, 4, 0);
	apply_topics(&a, 0, 3);
	apply_topics(&b, 0, 1);
	REQUIRE(meta_image_snapshot(&a, &data, &len, &e) == 0);
	CHECK_EQ(meta_image_restore(&b, data, len, &e), 0);
	CHECK_EQ(b.offset, 3);
	CHECK(same_state(&a, &b));
	/* The ring starts empty at the snapshot's offset. */
	CHECK_EQ(b.n, 0);
	CHECK_EQ(b.ring_start, 3);
	REQUIRE(meta_image_since(&b, 2, 10, &ans, &e) == 0);
	CHECK(json_object_get(ans, "snapshot") != NULL);
	json_decref(ans);
	apply_topics(&a, 3, 4);
	apply_topics(&b, 3, 4);
	CHECK(same_state(&a, &b));
	free(data);
	meta_image_free(&b);
	meta_image_free(&a);
}

static void test_an_unreadable_snapshot_changes_nothing(void)
{
	static const char *const bad[] = {
		"{\"v\":1,\"offset\":3",
		"{\"v\":2,\"offset\":3,\"state\":{\"v\":1,\"records\":[]}}",
		"{\"v\":1,\"state\":{\"v\":1,\"records\":[]}}",
		"{\"v\":1,\"offset\":3,\"state\":{\"v\":1,\"records\":[{\"v\":1,\"type\":\"x\"}]}}",
		"{\"v\":1,\"offset\":3}",
	};
	struct meta_image img;
	json_t *before = NULL, *after;
	struct err e;

	meta_image_init(&img, 4, 0);
	apply_topics(&img, 0, 2);
	before = encoded(&img);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK_EQ(meta_image_restore(&img, bad[i], strlen(bad[i]), &e),
			 SLOG_ECORRUPT_MESSAGE);
		after = encoded(&img);
		CHECK(json_equal(before, after));
		json_decref(after);
	}
	CHECK_EQ(img.offset, 2);
	CHECK_EQ(img.n, 2);
	json_decref(before);
	meta_image_free(&img);
}

/* What the quorum calls: the same image code behind struct quorum_fsm. */
static void test_the_state_machine_calls_apply_to_the_image(void)
{
	struct meta_image a, b;
	struct quorum_fsm fa, fb;
	void *data;
	size_t len;
	int status = 1;
	const char *entry = "{\"v\":1,\"records\":[" TOPIC("a", "i1") "]}";

	meta_image_init(&a, 4, 0);
	meta_image_init(&b, 4, 0);
	meta_image_fsm(&a, &fa);
	meta_image_fsm(&b, &fb);
	CHECK(fa.arg == &a);
	CHECK_EQ(fa.apply(fa.arg, entry, strlen(entry), &status), 0);
	CHECK_EQ(status, 0);
	CHECK_EQ(fa.apply(fa.arg, entry, strlen(entry), &status), 0);
	CHECK_EQ(status, SLOG_EINVALID_REQUEST);
	CHECK(fa.apply(fa.arg, "{", 1, &status) != 0);
	CHECK_EQ(a.offset, 2);
	REQUIRE(fa.snapshot(fa.arg, &data, &len) == 0);
	CHECK_EQ(fb.restore(fb.arg, data, len), 0);
	CHECK(fb.restore(fb.arg, "{}", 2) != 0);
	CHECK_EQ(b.offset, 2);
	CHECK(same_state(&a, &b));
	free(data);
	meta_image_free(&b);
	meta_image_free(&a);
}

static void test_a_copy_of_the_state(void)
{
	struct meta_image img;
	struct meta_state copy;
	int64_t offset = -1;
	struct err e;

	meta_image_init(&img, 4, 3);
	apply_topics(&img, 0, 2);
	REQUIRE(meta_image_copy_state(&img, &copy, &offset, &e) == 0);
	CHECK_EQ(offset, 2);
	CHECK_EQ(copy.ntopics, 2);
	CHECK_EQ(copy.v0_node, 3);
	meta_state_free(&copy);
	meta_image_free(&img);
}

int main(void)
{
	log_set_level(LOG_LEVEL_ERROR);
	unit_run("an entry applies its records, one offset each", test_an_entry_applies);
	unit_run("a record that does not fit is skipped, takes its offset and says so",
		 test_a_record_that_does_not_fit_is_skipped);
	unit_run("bytes that are not a readable entry change nothing",
		 test_unreadable_bytes_change_nothing);
	unit_run("the ring keeps the last entries", test_the_ring_keeps_the_last_entries);
	unit_run("a follower behind the ring is answered with a snapshot",
		 test_since_answers_a_snapshot_behind_the_ring);
	unit_run("a follower past the end is out of range",
		 test_since_past_the_end_is_out_of_range);
	unit_run("an image fed with what another answers ends in the same state",
		 test_a_follower_ends_equal);
	unit_run("an observer of a random history ends in the voter's state",
		 test_a_follower_of_a_random_history_ends_equal);
	unit_run("fetched entries must follow the image", test_fetched_entries_must_follow_the_image);
	unit_run("a snapshot restores the image", test_a_snapshot_restores_the_image);
	unit_run("an unreadable snapshot changes nothing", test_an_unreadable_snapshot_changes_nothing);
	unit_run("the quorum's state machine calls apply to the image",
		 test_the_state_machine_calls_apply_to_the_image);
	unit_run("a copy of the state and its offset", test_a_copy_of_the_state);
	return unit_done();
}
