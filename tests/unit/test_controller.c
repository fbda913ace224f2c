/*
 * test_controller.c: metadata changes on a broker without its HTTP side.
 *
 * Which locks are held while the disk syncs (a hook in fileio), a log
 * that cannot be created (retried, never skipped), partitions that outlive their
 * topic's deletion while a flush holds them, a topic created again
 * that must not adopt its predecessor's files, and a broker's
 * registration.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "batch_builder.h"
#include "broker.h"
#include "broker_fixture.h"
#include "compress.h"
#include "log.h"
#include "meta/controller.h"
#include "meta/meta_publisher.h"
#include "replica/registry.h"
#include "replica/scheduler.h"
#include "storage/fileio.h"
#include "storage/flusher.h"
#include "unit.h"

static struct broker *hooked;

static int held_during_sync;

/* A sync while meta_lock is held, by this thread or another, parks
 * every request behind it. */
static int note_lock(const char *what)
{
	(void)what;
	if (pthread_rwlock_trywrlock(&hooked->meta_lock) == 0)
		pthread_rwlock_unlock(&hooked->meta_lock);
	else
		held_during_sync++;
	return 0;
}

static void test_no_sync_runs_under_meta_lock(void)
{
	struct fio_faults f = { .before_sync = note_lock };
	struct broker b;
	json_t *set = json_pack("{s:s}", "retention.ms", "1h");
	struct err e;

	REQUIRE(fixture_start(&b, unit_tmpdir()) == 0);
	hooked = &b;
	held_during_sync = 0;
	fio_faults_set(&f);
	CHECK(controller_create_topic(&b, "t", 4, 1, NULL, 0, &e) == 0);
	CHECK(controller_add_partitions(&b, "t", 6, 0, &e) == 0);
	CHECK(controller_alter_configs(&b, "t", set, NULL, 0, NULL, &e) == 0);
	CHECK(scheduler_checkpoint(&b) == 0);
	CHECK(controller_delete_topic(&b, "t", &e) == 0);
	fio_faults_clear();
	CHECK_EQ(held_during_sync, 0);
	json_decref(set);
	fixture_stop(&b);
}

static int exists(const char *dir, const char *name)
{
	char path[4400];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return stat(path, &st) == 0;
}

/* Serving: a partition the broker had before still takes a record. */
static int serves(struct broker *b, const char *topic, int32_t partition);

/*
 * A committed change whose log this broker cannot create (a file stands
 * where its directory goes) is not skipped: the request times out naming
 * why, the broker serves what it had, and the publisher tries again until
 * the log can be made.
 */
static void test_a_log_that_cannot_be_created_is_retried(void)
{
	char path[4400];
	struct broker b;
	struct err e;
	FILE *f;

	REQUIRE(fixture_start(&b, unit_tmpdir()) == 0);
	REQUIRE(conf_set(&b.conf, "controller.quorum.request.timeout.ms", "300", CONF_SRC_CMDLINE,
			 &e) == 0);
	REQUIRE(controller_create_topic(&b, "t", 2, 1, NULL, 0, &e) == 0);
	snprintf(path, sizeof(path), "%s/t-3", unit_tmpdir());
	f = fopen(path, "w");
	REQUIRE(f != NULL);
	fclose(f);
	CHECK_EQ(controller_add_partitions(&b, "t", 4, 0, &e), SLOG_EREQUEST_TIMED_OUT);
	CHECK(strstr(e.msg, "t-3") != NULL);
	pthread_rwlock_rdlock(&b.meta_lock);
	CHECK_EQ(broker_topic(&b, "t")->npart, 2);
	pthread_rwlock_unlock(&b.meta_lock);
	CHECK(serves(&b, "t", 1));
	REQUIRE(unlink(path) == 0);
	CHECK_EQ(meta_publisher_await(b.publisher, atomic_load(&b.image.offset),
				      clock_mono_ms() + 10000, &e), 0);
	pthread_rwlock_rdlock(&b.meta_lock);
	CHECK_EQ(broker_topic(&b, "t")->npart, 4);
	pthread_rwlock_unlock(&b.meta_lock);
	CHECK(exists(unit_tmpdir(), "t-3"));
	fixture_stop(&b);
}

static int append_one(struct partition *p)
{
	struct batch_builder bb;
	struct buf out = BUF_INIT;
	struct record r = { .key_len = -1, .value = (const uint8_t *)"v", .value_len = 1 };
	struct plog_append_result res;
	struct err e;
	int rc;

	batch_builder_init(&bb, CODEC_NONE, 0);
	batch_builder_add(&bb, &r);
	rc = batch_builder_finish(&bb, &out, &e);
	batch_builder_free(&bb);
	if (!rc)
		rc = plog_append(p->log, (uint8_t *)out.data, out.len, 0, 1000, &res, &e);
	buf_free(&out);
	return rc;
}

static int serves(struct broker *b, const char *topic, int32_t partition)
{
	struct partition *p;
	int rc;

	pthread_rwlock_rdlock(&b->meta_lock);
	p = broker_topic(b, topic)->parts[partition];
	partition_get(p);
	pthread_rwlock_unlock(&b->meta_lock);
	rc = append_one(p) == 0;
	partition_put(p);
	return rc;
}

struct waiter {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int done;
	struct partition *part; /* the reference the flush holds */
};

static void flushed(struct flush_req *r, int rc, const struct err *e)
{
	struct waiter *w = r->arg;

	(void)rc;
	(void)e;
	partition_put(w->part);
	pthread_mutex_lock(&w->lock);
	w->done = 1;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);
}

/* produce() with acks=all: append and take the partition under meta_lock,
 * release it, then submit the flush; the topic is deleted in between. */
static void test_a_flush_after_its_topic_was_deleted(void)
{
	struct waiter w = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, NULL };
	struct flush_req fr = { .upto = 1, .done = flushed, .arg = &w };
	struct broker b;
	struct err e;

	REQUIRE(fixture_start(&b, unit_tmpdir()) == 0);
	REQUIRE(controller_create_topic(&b, "t", 1, 1, NULL, 0, &e) == 0);
	pthread_rwlock_rdlock(&b.meta_lock);
	w.part = broker_topic(&b, "t")->parts[0];
	CHECK(append_one(w.part) == 0);
	partition_get(w.part);
	fr.log = w.part->log;
	fr.dir = w.part->dir;
	pthread_rwlock_unlock(&b.meta_lock);
	CHECK(controller_delete_topic(&b, "t", &e) == 0);
	/* Still held: its files stay until the flush lets go. */
	CHECK(exists(unit_tmpdir(), "t-0"));
	flusher_submit(b.flusher, &fr);
	pthread_mutex_lock(&w.lock);
	while (!w.done)
		pthread_cond_wait(&w.cond, &w.lock);
	pthread_mutex_unlock(&w.lock);
	CHECK(!exists(unit_tmpdir(), "t-0"));
	fixture_stop(&b);
}

static void test_a_topic_created_again_does_not_adopt_old_files(void)
{
	char cmd[9000];
	struct broker b;
	struct partition *p;
	int64_t end = -1;
	struct err e;

	REQUIRE(fixture_start(&b, unit_tmpdir()) == 0);
	REQUIRE(controller_create_topic(&b, "t", 1, 1, NULL, 0, &e) == 0);
	p = broker_topic(&b, "t")->parts[0];
	REQUIRE(append_one(p) == 0);
	REQUIRE(plog_flush(p->log, 1, &e) == 0);
	/* A removal that failed leaves the old directory behind. */
	snprintf(cmd, sizeof(cmd), "cp -r '%s/t-0' '%s/keep'", unit_tmpdir(), unit_tmpdir());
	REQUIRE(system(cmd) == 0);
	REQUIRE(controller_delete_topic(&b, "t", &e) == 0);
	snprintf(cmd, sizeof(cmd), "mv '%s/keep' '%s/t-0'", unit_tmpdir(), unit_tmpdir());
	REQUIRE(system(cmd) == 0);
	REQUIRE(controller_create_topic(&b, "t", 1, 1, NULL, 0, &e) == 0);
	plog_offsets(broker_topic(&b, "t")->parts[0]->log, NULL, &end);
	CHECK_EQ(end, 0);
	fixture_stop(&b);
}

/* A registration as a broker sends it, with a new incarnation. */
static int register_as(struct broker *b, const char *host, int port, char incarnation[24])
{
	json_t *endpoints = json_pack("[{s:s, s:s, s:i}]", "name", "http", "host", host, "port",
				      port);
	struct err e;
	int rc;

	meta_new_id(incarnation);
	rc = controller_register_broker(b, 1, incarnation, endpoints, &e);
	json_decref(endpoints);
	return rc;
}

/* The broker's registration as the image holds it: its incarnation and
 * its first endpoint's port (0 when it is not registered). */
static int32_t registered(struct broker *b, char incarnation[24])
{
	struct meta_broker *mb;
	int32_t port = 0;

	pthread_mutex_lock(&b->image.lock);
	mb = meta_find_broker(&b->image.state, 1);
	if (mb) {
		memcpy(incarnation, mb->incarnation, 24);
		port = (int32_t)json_integer_value(
			json_object_get(json_array_get(mb->endpoints, 0), "port"));
	}
	pthread_mutex_unlock(&b->image.lock);
	return port;
}

static void test_a_broker_registers_itself(void)
{
	char first[24], second[24], now[24];
	struct broker b;

	REQUIRE(fixture_start(&b, unit_tmpdir()) == 0);
	REQUIRE(register_as(&b, "h1", 9092, first) == 0);
	CHECK_EQ(registered(&b, now), 9092);
	CHECK(strcmp(now, first) == 0);
	fixture_stop(&b);
	/* Each start registers the broker again, with a new incarnation. */
	REQUIRE(fixture_start(&b, unit_tmpdir()) == 0);
	registered(&b, now);
	CHECK(strcmp(now, b.incarnation) == 0);
	CHECK(strcmp(now, first) != 0);
	REQUIRE(register_as(&b, "h2", 9093, second) == 0);
	CHECK_EQ(registered(&b, now), 9093);
	CHECK(strcmp(now, second) == 0);
	CHECK_EQ(b.image.state.nbrokers, 1);
	fixture_stop(&b);
}

int main(void)
{
	log_set_level(LOG_LEVEL_ERROR);
	unit_run("no fsync runs while meta_lock is held", test_no_sync_runs_under_meta_lock);
	unit_run("a log that cannot be created is retried, and the broker keeps serving",
		 test_a_log_that_cannot_be_created_is_retried);
	unit_run("a flush submitted after its topic was deleted finds its partition",
		 test_a_flush_after_its_topic_was_deleted);
	unit_run("a topic created again does not adopt the old topic's files",
		 test_a_topic_created_again_does_not_adopt_old_files);
	unit_run("a broker registers itself, a new incarnation at each start",
		 test_a_broker_registers_itself);
	return unit_done();
}
