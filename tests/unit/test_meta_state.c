/*
 * test_meta_state.c: the metadata state machine and its log.
 *
 * Records apply, a record of a newer version is refused rather than
 * misread, a record that does not fit the state is a no-op, a snapshot
 * (encode, decode) equals the replay it stands for.  The metadata log of
 * the format before the quorum: test_meta_migrate.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "meta/meta_log.h"
#include "meta/meta_state.h"
#include "unit.h"

static json_t *rec(const char *text)
{
	json_error_t je;
	json_t *r = json_loads(text, 0, &je);

	if (!r)
		unit_diag("bad test record %s: %s", text, je.text);
	return r;
}

/* Apply one record given as text; its return code. */
static int apply_text(struct meta_state *s, const char *text, struct err *e)
{
	json_t *r = rec(text);
	int rc = meta_state_apply(s, r, e);

	json_decref(r);
	return rc;
}

static int ids_equal(const int32_t *a, int32_t na, const int32_t *b, int32_t nb)
{
	return na == nb && (na == 0 || memcmp(a, b, (size_t)na * sizeof(*a)) == 0);
}

static int partitions_equal(const struct meta_topic *a, const struct meta_topic *b)
{
	for (int32_t i = 0; i < a->partitions; i++) {
		const struct meta_partition *p = &a->parts[i], *q = &b->parts[i];
		if (!ids_equal(p->replicas, p->nreplicas, q->replicas, q->nreplicas) ||
		    !ids_equal(p->isr, p->nisr, q->isr, q->nisr) || p->leader != q->leader ||
		    p->leader_epoch != q->leader_epoch || p->partition_epoch != q->partition_epoch)
			return 0;
	}
	return 1;
}

/* Field by field, not through the encoding that is under test. */
static int states_equal(const struct meta_state *a, const struct meta_state *b)
{
	if (strcmp(a->cluster_id, b->cluster_id) != 0 || a->ntopics != b->ntopics ||
	    a->nbrokers != b->nbrokers)
		return 0;
	for (size_t i = 0; i < a->nbrokers; i++)
		if (a->brokers[i].id != b->brokers[i].id ||
		    strcmp(a->brokers[i].incarnation, b->brokers[i].incarnation) != 0 ||
		    a->brokers[i].state != b->brokers[i].state ||
		    !json_equal(a->brokers[i].endpoints, b->brokers[i].endpoints))
			return 0;
	for (size_t i = 0; i < a->ntopics; i++) {
		const struct meta_topic *x = a->topics[i], *y = b->topics[i];
		if (strcmp(x->name, y->name) != 0 || strcmp(x->id, y->id) != 0 ||
		    x->partitions != y->partitions || x->replication_factor != y->replication_factor ||
		    !json_equal(x->configs, y->configs) || !partitions_equal(x, y))
			return 0;
	}
	return 1;
}

static void test_records_apply(void)
{
	struct meta_state s;
	struct meta_topic *t;
	struct err e;

	meta_state_init(&s);
	CHECK_EQ(apply_text(&s, "{\"v\":1,\"type\":\"cluster\",\"cluster_id\":\"c1\"}", &e), 0);
	CHECK_EQ(apply_text(&s, "{\"v\":1,\"type\":\"topic\",\"name\":\"t\",\"id\":\"i1\","
				"\"partitions\":2,\"replication_factor\":1,\"configs\":{}}", &e), 0);
	t = meta_find(&s, "t");
	REQUIRE(t != NULL);
	/* Without its partition records a topic's partitions are not placed. */
	CHECK_EQ(t->parts[0].nreplicas, 0);
	CHECK_EQ(t->parts[0].leader, -1);
	CHECK_EQ(apply_text(&s, "{\"v\":1,\"type\":\"partition\",\"topic\":\"t\",\"topic_id\":\"i1\","
				"\"partition\":1,\"replicas\":[3,4],\"isr\":[4],\"leader\":4,"
				"\"leader_epoch\":2,\"partition_epoch\":5}", &e), 0);
	CHECK(meta_partition_on(&t->parts[1], 3));
	CHECK(!meta_partition_on(&t->parts[1], 1));
	CHECK_EQ(t->parts[1].leader, 4);
	CHECK_EQ(t->parts[1].leader_epoch, 2);
	CHECK_EQ(t->parts[1].partition_epoch, 5);
	CHECK_EQ(apply_text(&s, "{\"v\":1,\"type\":\"partitions\",\"name\":\"t\",\"count\":3}", &e), 0);
	CHECK_EQ(t->partitions, 3);
	CHECK_EQ(apply_text(&s, "{\"v\":1,\"type\":\"configs\",\"name\":\"t\","
				"\"set\":{\"retention.ms\":\"1h\"},\"delete\":[]}", &e), 0);
	CHECK(strcmp(json_string_value(json_object_get(t->configs, "retention.ms")), "1h") == 0);
	CHECK_EQ(apply_text(&s, "{\"v\":1,\"type\":\"broker\",\"id\":7,\"incarnation\":\"x\","
				"\"endpoints\":[{\"name\":\"http\",\"host\":\"h\",\"port\":9092}]}", &e), 0);
	REQUIRE(meta_find_broker(&s, 7) != NULL);
	CHECK(strcmp(meta_find_broker(&s, 7)->incarnation, "x") == 0);
	CHECK_EQ(apply_text(&s, "{\"v\":1,\"type\":\"remove_topic\",\"name\":\"t\",\"id\":\"i1\"}", &e), 0);
	CHECK(meta_find(&s, "t") == NULL);
	meta_state_free(&s);
}

/* Offline replicas (replication spec D7) are an optional field: records
 * written before it load as they did, and it reads back as written. */
static void test_offline_replicas_are_optional_and_read_back(void)
{
	static const char *const topic = "{\"v\":1,\"type\":\"topic\",\"name\":\"t\",\"id\":\"i1\","
					 "\"partitions\":1,\"replication_factor\":3,\"configs\":{}}";
	static const char *const part = "{\"v\":1,\"type\":\"partition\",\"topic\":\"t\","
					"\"topic_id\":\"i1\",\"partition\":0,\"replicas\":[1,2,3],";
	struct meta_state s;
	struct meta_topic *t;
	struct err e;
	char text[512];
	json_t *r;

	meta_state_init(&s);
	CHECK_EQ(apply_text(&s, topic, &e), 0);
	snprintf(text, sizeof(text), "%s\"isr\":[1,2,3],\"leader\":1,\"leader_epoch\":0,"
		 "\"partition_epoch\":0}", part);
	CHECK_EQ(apply_text(&s, text, &e), 0);
	t = meta_find(&s, "t");
	REQUIRE(t != NULL);
	CHECK_EQ(t->parts[0].noffline, 0);
	r = meta_partition_record(t, 0, &t->parts[0]);
	CHECK(json_object_get(r, "offline_replicas") == NULL);
	json_decref(r);
	snprintf(text, sizeof(text), "%s\"isr\":[2,3],\"leader\":2,\"leader_epoch\":1,"
		 "\"partition_epoch\":1,\"offline_replicas\":[1]}", part);
	CHECK_EQ(apply_text(&s, text, &e), 0);
	CHECK_EQ(t->parts[0].noffline, 1);
	CHECK_EQ(t->parts[0].offline[0], 1);
	r = meta_partition_record(t, 0, &t->parts[0]);
	CHECK_EQ(json_integer_value(json_array_get(json_object_get(r, "offline_replicas"), 0)), 1);
	json_decref(r);
	/* Not a replica, or in the ELR: malformed. */
	snprintf(text, sizeof(text), "%s\"isr\":[2,3],\"leader\":2,\"leader_epoch\":1,"
		 "\"partition_epoch\":2,\"offline_replicas\":[4]}", part);
	CHECK_EQ(apply_text(&s, text, &e), SLOG_EINVALID_REQUEST);
	snprintf(text, sizeof(text), "%s\"isr\":[2],\"leader\":2,\"leader_epoch\":1,"
		 "\"partition_epoch\":2,\"elr\":[3],\"offline_replicas\":[3]}", part);
	CHECK_EQ(apply_text(&s, text, &e), SLOG_EINVALID_REQUEST);
	CHECK_EQ(t->parts[0].partition_epoch, 1);
	meta_state_free(&s);
}

/* Records without "v" were written by one broker: it holds everything. */
static void test_version_0_places_on_its_node(void)
{
	struct meta_state s;
	struct meta_topic *t;
	struct err e;

	meta_state_init(&s);
	s.v0_node = 5;
	CHECK_EQ(apply_text(&s, "{\"type\":\"topic\",\"name\":\"t\",\"id\":\"i1\",\"partitions\":2,"
				"\"replication_factor\":1}", &e), 0);
	CHECK_EQ(apply_text(&s, "{\"type\":\"partitions\",\"name\":\"t\",\"count\":3}", &e), 0);
	t = meta_find(&s, "t");
	REQUIRE(t != NULL);
	for (int32_t i = 0; i < 3; i++) {
		CHECK(meta_partition_on(&t->parts[i], 5));
		CHECK_EQ(t->parts[i].leader, 5);
		CHECK_EQ(t->parts[i].nisr, 1);
		CHECK_EQ(t->parts[i].leader_epoch, 0);
	}
	/* Types that came with versions do not exist at version 0. */
	CHECK_EQ(apply_text(&s, "{\"type\":\"broker\",\"id\":1,\"incarnation\":\"x\","
				"\"endpoints\":[]}", &e), SLOG_ECORRUPT_MESSAGE);
	meta_state_free(&s);
}

static void test_a_newer_version_is_refused(void)
{
	struct meta_state s;
	json_t *before, *after;
	struct err e;

	meta_state_init(&s);
	before = meta_state_encode(&s);
	CHECK_EQ(apply_text(&s, "{\"v\":2,\"type\":\"topic\",\"name\":\"t\",\"id\":\"i1\","
				"\"partitions\":1,\"replication_factor\":1}", &e),
		 SLOG_ECORRUPT_MESSAGE);
	CHECK(strstr(e.msg, "version 2") != NULL);
	CHECK(strstr(e.msg, "upgrade") != NULL);
	after = meta_state_encode(&s);
	CHECK(json_equal(before, after));
	CHECK(meta_find(&s, "t") == NULL);
	json_decref(before);
	json_decref(after);
	meta_state_free(&s);
}

/* Two proposals that raced: the second does not fit what the first made. */
static void test_a_record_that_does_not_fit_is_a_no_op(void)
{
	static const char *losers[] = {
		"{\"v\":1,\"type\":\"topic\",\"name\":\"t\",\"id\":\"i2\",\"partitions\":9,"
		"\"replication_factor\":1}",
		"{\"v\":1,\"type\":\"partitions\",\"name\":\"t\",\"count\":1}",
		"{\"v\":1,\"type\":\"remove_topic\",\"name\":\"t\",\"id\":\"i2\"}",
		"{\"v\":1,\"type\":\"partition\",\"topic\":\"t\",\"topic_id\":\"i1\",\"partition\":0,"
		"\"replicas\":[1],\"isr\":[1],\"leader\":1,\"leader_epoch\":0,\"partition_epoch\":0}",
		"{\"v\":1,\"type\":\"partition\",\"topic\":\"t\",\"topic_id\":\"i1\",\"partition\":4,"
		"\"replicas\":[1],\"isr\":[1],\"leader\":1,\"leader_epoch\":1,\"partition_epoch\":1}",
		"{\"v\":1,\"type\":\"configs\",\"name\":\"gone\",\"set\":{}}",
	};
	struct meta_log ml = { .dir = "/test/metadata" };
	struct meta_state s, ref;
	struct err e;

	meta_state_init(&s);
	REQUIRE(apply_text(&s, "{\"v\":1,\"type\":\"topic\",\"name\":\"t\",\"id\":\"i1\","
			       "\"partitions\":2,\"replication_factor\":1}", &e) == 0);
	REQUIRE(apply_text(&s, "{\"v\":1,\"type\":\"partition\",\"topic\":\"t\",\"topic_id\":\"i1\","
			       "\"partition\":0,\"replicas\":[1],\"isr\":[1],\"leader\":1,"
			       "\"leader_epoch\":0,\"partition_epoch\":0}", &e) == 0);
	REQUIRE(meta_state_copy(&ref, &s, &e) == 0);
	for (size_t i = 0; i < sizeof(losers) / sizeof(losers[0]); i++) {
		json_t *r = rec(losers[i]);
		CHECK_EQ(meta_state_apply(&s, r, &e), SLOG_EINVALID_REQUEST);
		/* Committed: skipped, and the replay goes on. */
		CHECK_EQ(meta_log_apply(&ml, &s, r, 10 + (int64_t)i, &e), 0);
		CHECK(states_equal(&s, &ref));
		json_decref(r);
	}
	meta_state_free(&ref);
	meta_state_free(&s);
}

/* ---- brokers' states ---- */

#define BROKER_7(inc)                                                              \
	"{\"v\":1,\"type\":\"broker\",\"id\":7,\"incarnation\":\"" inc "\"," \
	"\"endpoints\":[{\"name\":\"http\",\"host\":\"h\",\"port\":9092}]}"
#define STATE_OF(id, inc, state)                                                     \
	"{\"v\":1,\"type\":\"broker_state\",\"id\":" #id ",\"incarnation\":\"" inc \
	"\",\"state\":\"" state "\"}"

static void test_a_broker_registers_fenced(void)
{
	struct meta_state s;
	struct err e;

	meta_state_init(&s);
	REQUIRE(apply_text(&s, BROKER_7("x"), &e) == 0);
	REQUIRE(meta_find_broker(&s, 7) != NULL);
	CHECK_EQ(meta_find_broker(&s, 7)->state, META_BROKER_FENCED);
	CHECK_EQ(apply_text(&s, STATE_OF(7, "x", "alive"), &e), 0);
	CHECK_EQ(meta_find_broker(&s, 7)->state, META_BROKER_ALIVE);
	/* A restart registers a new incarnation, fenced again. */
	CHECK_EQ(apply_text(&s, BROKER_7("y"), &e), 0);
	CHECK_EQ(meta_find_broker(&s, 7)->state, META_BROKER_FENCED);
	CHECK_EQ(apply_text(&s, STATE_OF(7, "y", "shutting_down"), &e), 0);
	CHECK_EQ(meta_find_broker(&s, 7)->state, META_BROKER_SHUTTING_DOWN);
	meta_state_free(&s);
}

/* What was decided for a process that has restarted since, or for a
 * broker never registered, does not fit: skipped alike everywhere. */
static void test_a_broker_state_applies_to_its_incarnation_only(void)
{
	struct meta_state s;
	struct err e;

	meta_state_init(&s);
	REQUIRE(apply_text(&s, BROKER_7("new"), &e) == 0);
	CHECK_EQ(apply_text(&s, STATE_OF(7, "old", "alive"), &e), SLOG_EINVALID_REQUEST);
	CHECK(strstr(e.msg, "old") != NULL && strstr(e.msg, "new") != NULL);
	CHECK_EQ(meta_find_broker(&s, 7)->state, META_BROKER_FENCED);
	CHECK_EQ(apply_text(&s, STATE_OF(8, "new", "alive"), &e), SLOG_EINVALID_REQUEST);
	CHECK(strstr(e.msg, "unknown broker 8") != NULL);
	CHECK(meta_find_broker(&s, 8) == NULL);
	CHECK_EQ(apply_text(&s, STATE_OF(7, "new", "asleep"), &e), SLOG_EINVALID_REQUEST);
	CHECK_EQ(meta_find_broker(&s, 7)->state, META_BROKER_FENCED);
	/* The type came with version 1. */
	CHECK_EQ(apply_text(&s, "{\"type\":\"broker_state\",\"id\":7,\"incarnation\":\"new\","
				"\"state\":\"alive\"}", &e), SLOG_ECORRUPT_MESSAGE);
	meta_state_free(&s);
}

/* Snapshots (the quorum's, an observer's) and copies (the published
 * state) carry the controller's decisions. */
static void test_a_snapshot_and_a_copy_keep_brokers_states(void)
{
	struct meta_state s, copy, decoded;
	json_t *snap, *recs;
	struct err e;

	meta_state_init(&s);
	REQUIRE(apply_text(&s, BROKER_7("x"), &e) == 0);
	REQUIRE(apply_text(&s, STATE_OF(7, "x", "alive"), &e) == 0);
	REQUIRE(apply_text(&s, "{\"v\":1,\"type\":\"broker\",\"id\":9,\"incarnation\":\"z\","
			       "\"endpoints\":[]}", &e) == 0);
	snap = meta_state_encode(&s);
	recs = json_object_get(snap, "records");
	/* A state follows its registration; a fenced broker needs none. */
	REQUIRE_EQ(json_array_size(recs), 3);
	CHECK(strcmp(json_string_value(json_object_get(json_array_get(recs, 1), "type")),
		     "broker_state") == 0);
	meta_state_init(&decoded);
	CHECK_EQ(meta_state_decode(&decoded, snap, &e), 0);
	CHECK(states_equal(&s, &decoded));
	REQUIRE(meta_state_copy(&copy, &s, &e) == 0);
	CHECK(states_equal(&s, &copy));
	CHECK_EQ(meta_find_broker(&copy, 7)->state, META_BROKER_ALIVE);
	CHECK_EQ(meta_find_broker(&copy, 9)->state, META_BROKER_FENCED);
	json_decref(snap);
	meta_state_free(&decoded);
	meta_state_free(&copy);
	meta_state_free(&s);
}

static void test_broker_state_names(void)
{
	enum meta_broker_state st;

	for (int i = META_BROKER_FENCED; i <= META_BROKER_SHUTTING_DOWN; i++) {
		CHECK_EQ(meta_broker_state_parse(meta_broker_state_name(i), &st), 0);
		CHECK_EQ(st, i);
	}
	CHECK_EQ(meta_broker_state_parse("ALIVE", &st), -1);
	CHECK_EQ(meta_broker_state_parse(NULL, &st), -1);
}

/* ---- random histories ---- */

static const char *const names[] = { "a", "b", "c", "d" };
static const char *const ids[] = { "i0", "i1", "i2" };

static const char *pick(const char *const *v, size_t n)
{
	return v[unit_rand_below(n)];
}

static json_t *random_partition(void)
{
	json_t *replicas = json_array(), *isr = json_array();
	int32_t n = 1 + (int32_t)unit_rand_below(3), leader = -1;

	for (int32_t i = 0; i < n; i++) {
		json_array_append_new(replicas, json_integer(i + 1));
		if (unit_rand_below(2) || i == 0) {
			json_array_append_new(isr, json_integer(i + 1));
			leader = i + 1;
		}
	}
	return json_pack("{s:i, s:s, s:s, s:s, s:i, s:o, s:o, s:i, s:i, s:i}", "v", 1, "type",
			 "partition", "topic", pick(names, 4), "topic_id", pick(ids, 3), "partition",
			 (int)unit_rand_below(5), "replicas", replicas, "isr", isr, "leader", leader,
			 "leader_epoch", (int)unit_rand_below(4), "partition_epoch",
			 (int)unit_rand_below(6));
}

/* Any record a cluster could commit, fitting the state or not. */
static json_t *random_record(void)
{
	switch (unit_rand_below(9)) {
	case 0:
		return json_pack("{s:s, s:s, s:s, s:i, s:i}", "type", "topic", "name",
				 pick(names, 4), "id", pick(ids, 3), "partitions",
				 1 + (int)unit_rand_below(3), "replication_factor", 1);
	case 1:
		return json_pack("{s:i, s:s, s:s, s:s, s:i, s:i, s:{s:s}}", "v", 1, "type", "topic",
				 "name", pick(names, 4), "id", pick(ids, 3), "partitions",
				 1 + (int)unit_rand_below(3), "replication_factor", 1, "configs",
				 "retention.ms", "1h");
	case 2:
		return random_partition();
	case 3:
		return json_pack("{s:i, s:s, s:s, s:i}", "v", (int)unit_rand_below(2), "type",
				 "partitions", "name", pick(names, 4), "count",
				 1 + (int)unit_rand_below(5));
	case 4:
		return json_pack("{s:i, s:s, s:s, s:{s:s}, s:[s]}", "v", 1, "type", "configs", "name",
				 pick(names, 4), "set", "segment.ms", pick(ids, 3), "delete",
				 "retention.ms");
	case 5:
		return json_pack("{s:i, s:s, s:s, s:s}", "v", 1, "type", "remove_topic", "name",
				 pick(names, 4), "id", pick(ids, 3));
	case 6:
		return json_pack("{s:i, s:s, s:i, s:s, s:[{s:s, s:s, s:i}]}", "v", 1, "type",
				 "broker", "id", (int)unit_rand_below(3), "incarnation", pick(ids, 3),
				 "endpoints", "name", "http", "host", pick(names, 4), "port",
				 (int)unit_rand_below(65536));
	case 7:
		return meta_broker_state_record((int32_t)unit_rand_below(3), pick(ids, 3),
						(enum meta_broker_state)unit_rand_below(3));
	default:
		return json_pack("{s:i, s:s, s:s}", "v", 1, "type", "cluster", "cluster_id",
				 pick(ids, 3));
	}
}

/* Apply recs[from, to) as a replay does, skipping what does not fit. */
static void replay(struct meta_state *s, json_t *recs, size_t from, size_t to)
{
	struct meta_log ml = { .dir = "/test/metadata" };
	struct err e;

	for (size_t i = from; i < to; i++)
		if (meta_log_apply(&ml, s, json_array_get(recs, i), (int64_t)i, &e))
			unit_diag("record %zu: %s", i, e.msg);
}

/* One random history: its snapshot equals its replay, at the end and
 * as a starting point for the rest. */
static void check_history(size_t n)
{
	json_t *recs = json_array(), *snap;
	struct meta_state full, decoded, half;
	size_t cut = unit_rand_below(n + 1);
	struct err e;

	for (size_t i = 0; i < n; i++)
		json_array_append_new(recs, random_record());
	meta_state_init(&full);
	full.v0_node = 1;
	replay(&full, recs, 0, n);
	snap = meta_state_encode(&full);
	meta_state_init(&decoded);
	CHECK_EQ(meta_state_decode(&decoded, snap, &e), 0);
	CHECK(states_equal(&full, &decoded));
	json_decref(snap);

	meta_state_init(&half);
	half.v0_node = 1;
	replay(&half, recs, 0, cut);
	snap = meta_state_encode(&half);
	meta_state_free(&half);
	meta_state_init(&half);
	half.v0_node = 1;
	CHECK_EQ(meta_state_decode(&half, snap, &e), 0);
	replay(&half, recs, cut, n);
	CHECK(states_equal(&full, &half));
	json_decref(snap);

	meta_state_free(&half);
	meta_state_free(&decoded);
	meta_state_free(&full);
	json_decref(recs);
}

static void test_a_snapshot_equals_replay(void)
{
	for (int i = 0; i < 300; i++)
		check_history(1 + unit_rand_below(60));
}

static void test_a_snapshot_of_a_newer_version_is_refused(void)
{
	struct meta_state s;
	json_t *snap = rec("{\"v\":3,\"records\":[]}");
	struct err e;

	meta_state_init(&s);
	CHECK_EQ(meta_state_decode(&s, snap, &e), SLOG_ECORRUPT_MESSAGE);
	CHECK(strstr(e.msg, "version 3") != NULL);
	json_decref(snap);
	meta_state_free(&s);
}

int main(void)
{
	log_set_level(LOG_LEVEL_ERROR);
	unit_run("records apply", test_records_apply);
	unit_run("offline replicas are optional and read back",
		 test_offline_replicas_are_optional_and_read_back);
	unit_run("records of version 0 place partitions on their node",
		 test_version_0_places_on_its_node);
	unit_run("a record of a newer version is refused", test_a_newer_version_is_refused);
	unit_run("a record that does not fit the state is a no-op",
		 test_a_record_that_does_not_fit_is_a_no_op);
	unit_run("a broker registers fenced, and a state decided for it applies",
		 test_a_broker_registers_fenced);
	unit_run("a broker state applies to its incarnation only",
		 test_a_broker_state_applies_to_its_incarnation_only);
	unit_run("a snapshot and a copy keep each broker's state",
		 test_a_snapshot_and_a_copy_keep_brokers_states);
	unit_run("broker state names read back", test_broker_state_names);
	unit_run("a snapshot equals replay, and snapshot + tail equals replay",
		 test_a_snapshot_equals_replay);
	unit_run("a snapshot of a newer version is refused",
		 test_a_snapshot_of_a_newer_version_is_refused);
	return unit_done();
}
