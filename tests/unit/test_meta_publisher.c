/*
 * test_meta_publisher.c: the broker follows its image.
 *
 * An entry applied to the image (as the quorum or the follower applies
 * it) is published: the state and the registry have it, its logs are
 * open.  A snapshot restored into the image replaces what the broker
 * serves, topics it no longer holds included.  The broker here is node 1
 * (broker_fixture.h).
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "broker.h"
#include "broker_fixture.h"
#include "log.h"
#include "meta/meta_publisher.h"
#include "replica/registry.h"
#include "unit.h"

#define TOPIC(name, id)                                                                    \
	"{\"v\":1,\"type\":\"topic\",\"name\":\"" name "\",\"id\":\"" id "\",\"partitions\":1," \
	"\"replication_factor\":1,\"configs\":{}}"
#define PLACE(name, id)                                                                    \
	"{\"v\":1,\"type\":\"partition\",\"topic\":\"" name "\",\"topic_id\":\"" id            \
	"\",\"partition\":0,\"replicas\":[1],\"isr\":[1],\"leader\":1,\"leader_epoch\":0,"     \
	"\"partition_epoch\":0}"

/* Apply an entry of records (the text of a JSON array) to img. */
static int apply_entry(struct meta_image *img, const char *text)
{
	json_t *recs = json_loads(text, 0, NULL);
	size_t len;
	char *entry = meta_entry_encode(recs, &len);
	int status = 0, rc;
	struct err e;

	rc = meta_image_apply(img, entry, len, &status, &e);
	free(entry);
	json_decref(recs);
	return rc || status;
}

static int published(struct broker *b, const char *topic)
{
	struct err e;
	int here;

	if (meta_publisher_await(b->publisher, atomic_load(&b->image.offset),
				 clock_mono_ms() + 10000, &e))
		return 0;
	pthread_rwlock_rdlock(&b->meta_lock);
	here = broker_topic(b, topic) != NULL && meta_find(&b->meta, topic) != NULL;
	pthread_rwlock_unlock(&b->meta_lock);
	return here;
}

static int exists(const char *name)
{
	char path[4400];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", unit_tmpdir(), name);
	return stat(path, &st) == 0;
}

static void test_an_entry_in_the_image_is_published(void)
{
	struct broker b;

	REQUIRE(fixture_start(&b, unit_tmpdir()) == 0);
	REQUIRE(apply_entry(&b.image, "[" TOPIC("t", "i1") "," PLACE("t", "i1") "]") == 0);
	CHECK(published(&b, "t"));
	CHECK(exists("t-0"));
	fixture_stop(&b);
}

static void test_a_restored_snapshot_replaces_what_is_served(void)
{
	struct meta_image other;
	struct broker b;
	void *snap;
	size_t len;
	struct err e;

	meta_image_init(&other, 16, 1);
	/* A snapshot from a leader ahead of this node. */
	REQUIRE(apply_entry(&other, "[" TOPIC("u", "i2") "," PLACE("u", "i2") "]") == 0);
	REQUIRE(apply_entry(&other, "[" TOPIC("x", "i3") "," TOPIC("y", "i4") "]") == 0);
	REQUIRE(apply_entry(&other, "[" TOPIC("z", "i5") "]") == 0);
	REQUIRE(meta_image_snapshot(&other, &snap, &len, &e) == 0);
	REQUIRE(fixture_start(&b, unit_tmpdir()) == 0);
	REQUIRE(apply_entry(&b.image, "[" TOPIC("t", "i1") "," PLACE("t", "i1") "]") == 0);
	REQUIRE(published(&b, "t"));
	REQUIRE(meta_image_restore(&b.image, snap, len, &e) == 0);
	CHECK(published(&b, "u"));
	CHECK(!published(&b, "t"));
	CHECK(!exists("t-0"));
	fixture_stop(&b);
	free(snap);
	meta_image_free(&other);
}

int main(void)
{
	log_set_level(LOG_LEVEL_ERROR);
	unit_run("an entry applied to the image is published, its logs open",
		 test_an_entry_in_the_image_is_published);
	unit_run("a snapshot restored into the image replaces what the broker serves",
		 test_a_restored_snapshot_replaces_what_is_served);
	return unit_done();
}
