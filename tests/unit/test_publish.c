/*
 * test_publish.c: committed metadata records applied on this broker.
 *
 * The publisher opens the logs of the partitions a record places on this
 * node, and only those; it closes and deletes the logs of a removed
 * topic, hands changed configs to the logs, ignores a record that does
 * not apply, and brings a broker's replicas up from a replayed state at
 * start.  The broker here is node 1 (broker_fixture.h).
 */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "broker.h"
#include "broker_fixture.h"
#include "log.h"
#include "meta/controller.h"
#include "meta/publish.h"
#include "replica/registry.h"
#include "unit.h"

static int exists(const char *name)
{
	char path[4400];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", unit_tmpdir(), name);
	return stat(path, &st) == 0;
}

/* Publish records given as the text of a JSON array. */
static int publish(struct broker *b, const char *text)
{
	json_error_t je;
	json_t *recs = json_loads(text, 0, &je);
	struct err e;
	int rc;

	if (!recs) {
		unit_diag("bad test records: %s", je.text);
		return -1;
	}
	rc = publish_records(b, recs, &e);
	if (rc)
		unit_diag("publish: %s", e.msg);
	json_decref(recs);
	return rc;
}

#define TOPIC(name, id, n)                                                              \
	"{\"v\":1,\"type\":\"topic\",\"name\":\"" name "\",\"id\":\"" id "\",\"partitions\":" \
	#n ",\"replication_factor\":1,\"configs\":{}}"
#define PLACE(name, id, p, node)                                                        \
	"{\"v\":1,\"type\":\"partition\",\"topic\":\"" name "\",\"topic_id\":\"" id         \
	"\",\"partition\":" #p ",\"replicas\":[" #node "],\"isr\":[" #node "],\"leader\":"  \
	#node ",\"leader_epoch\":0,\"partition_epoch\":0}"

/* A broker with topic t (id i1), its one partition here. */
static int start_with_t(struct broker *b)
{
	if (fixture_start(b, unit_tmpdir()))
		return -1;
	return publish(b, "[" TOPIC("t", "i1", 1) "," PLACE("t", "i1", 0, 1) "]");
}

static void test_a_topic_placed_here_is_opened(void)
{
	struct broker b;

	REQUIRE(fixture_start(&b, unit_tmpdir()) == 0);
	CHECK_EQ(publish(&b, "[" TOPIC("t", "i1", 2) "," PLACE("t", "i1", 0, 1) ","
			 PLACE("t", "i1", 1, 1) "]"), 0);
	REQUIRE(broker_topic(&b, "t") != NULL);
	CHECK_EQ(broker_topic(&b, "t")->npart, 2);
	CHECK(exists("t-0"));
	CHECK(exists("t-1"));
	CHECK_EQ(meta_find(&b.meta, "t")->parts[1].leader, 1);
	fixture_stop(&b);
}

static void test_a_topic_placed_elsewhere_is_not_opened(void)
{
	struct broker b;

	REQUIRE(fixture_start(&b, unit_tmpdir()) == 0);
	CHECK_EQ(publish(&b, "[" TOPIC("far", "i1", 1) "," PLACE("far", "i1", 0, 2) "]"), 0);
	CHECK(meta_find(&b.meta, "far") != NULL);
	CHECK(broker_topic(&b, "far") == NULL);
	CHECK(!exists("far-0"));
	fixture_stop(&b);
}

static void test_more_partitions_are_opened(void)
{
	struct broker b;

	REQUIRE(start_with_t(&b) == 0);
	CHECK_EQ(publish(&b, "[{\"v\":1,\"type\":\"partitions\",\"name\":\"t\",\"count\":3},"
			 PLACE("t", "i1", 1, 1) "," PLACE("t", "i1", 2, 1) "]"), 0);
	REQUIRE(broker_topic(&b, "t") != NULL);
	CHECK_EQ(broker_topic(&b, "t")->npart, 3);
	CHECK(exists("t-2"));
	fixture_stop(&b);
}

static void test_a_removed_topic_is_closed_and_deleted(void)
{
	struct broker b;

	REQUIRE(start_with_t(&b) == 0);
	REQUIRE(exists("t-0"));
	CHECK_EQ(publish(&b, "[{\"v\":1,\"type\":\"remove_topic\",\"name\":\"t\",\"id\":\"i1\"}]"), 0);
	CHECK(broker_topic(&b, "t") == NULL);
	CHECK(meta_find(&b.meta, "t") == NULL);
	CHECK(!exists("t-0"));
	fixture_stop(&b);
}

static void test_a_config_change_reaches_the_logs(void)
{
	struct broker b;

	REQUIRE(start_with_t(&b) == 0);
	CHECK_EQ(publish(&b, "[{\"v\":1,\"type\":\"configs\",\"name\":\"t\","
			 "\"set\":{\"retention.ms\":\"3600000\"},\"delete\":[]}]"), 0);
	REQUIRE(broker_topic(&b, "t") != NULL);
	CHECK_EQ(broker_topic(&b, "t")->cfg.log.retention_ms, 3600000);
	fixture_stop(&b);
}

/* A create that lost a race to another with the same name changes nothing. */
static void test_a_record_that_does_not_apply_changes_nothing(void)
{
	struct broker b;

	REQUIRE(start_with_t(&b) == 0);
	CHECK_EQ(publish(&b, "[" TOPIC("t", "i2", 3) "," PLACE("t", "i2", 2, 1) "]"), 0);
	REQUIRE(broker_topic(&b, "t") != NULL);
	CHECK(strcmp(broker_topic(&b, "t")->id, "i1") == 0);
	CHECK_EQ(broker_topic(&b, "t")->npart, 1);
	CHECK(!exists("t-2"));
	fixture_stop(&b);
}

/* A restart replays the log and publishes what it finds. */
static void test_a_restart_opens_what_the_log_places_here(void)
{
	struct broker b;
	struct err e;

	REQUIRE(fixture_start(&b, unit_tmpdir()) == 0);
	REQUIRE(controller_create_topic(&b, "t", 2, 1, NULL, 0, &e) == 0);
	fixture_stop(&b);
	REQUIRE(fixture_start(&b, unit_tmpdir()) == 0);
	REQUIRE(broker_topic(&b, "t") != NULL);
	CHECK_EQ(broker_topic(&b, "t")->npart, 2);
	CHECK(meta_partition_on(&meta_find(&b.meta, "t")->parts[1], 1));
	fixture_stop(&b);
}

int main(void)
{
	log_set_level(LOG_LEVEL_ERROR);
	unit_run("a topic placed on this node is opened", test_a_topic_placed_here_is_opened);
	unit_run("a topic placed on another node is not opened here",
		 test_a_topic_placed_elsewhere_is_not_opened);
	unit_run("more partitions are opened", test_more_partitions_are_opened);
	unit_run("a removed topic is closed and deleted", test_a_removed_topic_is_closed_and_deleted);
	unit_run("a config change reaches the topic's logs", test_a_config_change_reaches_the_logs);
	unit_run("a record that does not apply changes nothing",
		 test_a_record_that_does_not_apply_changes_nothing);
	unit_run("a restart opens what the metadata log places here",
		 test_a_restart_opens_what_the_log_places_here);
	return unit_done();
}
