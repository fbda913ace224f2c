/*
 * test_replication.c: a partition's leader with a follower, through the
 * operations layer, without HTTP or a second broker.
 *
 * The publisher places t-0 on brokers 1 (here, the leader) and 2 with
 * min.insync.replicas=2, as a controller's change would; broker 2's
 * fetches are made as its replica fetcher would make them (ops_fetch
 * with its replica id, offset, durable offset and incarnation).  acks=all
 * waits for the follower's fsync; the ISR below the minimum refuses it
 * and keeps acks=1 records invisible; consumers read below the high
 * watermark while the follower reads to the log end and long-polls on
 * it; a new leader's latest offset is unavailable until its HW reaches
 * its epoch's start; the HW is checkpointed and read back.
 */
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

#include "broker_fixture.h"
#include "clock.h"
#include "meta/controller.h"
#include "meta/publish.h"
#include "ops_fixture.h"
#include "replica/ops.h"
#include "replica/registry.h"
#include "replica/replication.h"
#include "storage/log_dirs.h"
#include "unit.h"

static const struct ops_ctx ctx = { .principal = "", .client_id = "test",
				    .deadline_ms = INT64_MAX };

/* Place t-0 on {1,2} led by 1 with isr, at the epochs given, needing two
 * in-sync replicas; broker 2 registered as incarnation "inc-2". */
static int place(struct broker *b, const int32_t *isr, size_t nisr, int32_t leader_epoch,
		 int32_t partition_epoch)
{
	json_t *ep = json_pack("[{s:s, s:s, s:i}]", "name", "http", "host", "127.0.0.2", "port", 9300);
	json_t *ids = json_array(), *recs;
	char id[24];
	struct err e;
	int rc = 0;

	if (!meta_find_broker(&b->meta, 2))
		rc = controller_register_broker(b, 2, "inc-2", ep, &e);
	json_decref(ep);
	snprintf(id, sizeof(id), "%s", meta_find(&b->meta, "t")->id);
	for (size_t i = 0; i < nisr; i++)
		json_array_append_new(ids, json_integer(isr[i]));
	recs = json_pack("[{s:i, s:s, s:s, s:{s:s}}, {s:i, s:s, s:s, s:s, s:i, s:[i,i], s:o, s:i, "
			 "s:i, s:i}]", "v", 1, "type", "configs", "name", "t", "set",
			 "min.insync.replicas", "2", "v", 1, "type", "partition", "topic", "t",
			 "topic_id", id, "partition", 0, "replicas", 1, 2, "isr", ids, "leader", 1,
			 "leader_epoch", leader_epoch, "partition_epoch", partition_epoch);
	if (rc) {
		unit_diag("registering: %s", e.msg);
		json_decref(recs);
		return rc;
	}
	return fixture_publish_take(b, recs);
}

static const int32_t both[] = { 1, 2 }, alone[] = { 1 };

/* A fixture broker with t-0 placed so, in leader epoch 1. */
static int start(struct broker *b, struct front *f, const int32_t *isr, size_t nisr)
{
	if (fixture_topic(b, f, 1))
		return -1;
	return place(b, isr, nisr, 1, 1);
}

/* Broker 2's fetch of t-0 at offset, fsynced to durable, in its leader
 * epoch: the part's error (its answer in *part, released). */
static int follow(struct broker *b, struct front *f, int64_t offset, int64_t durable,
		  int32_t epoch, const char *incarnation, struct ops_fetch_part *part)
{
	struct ops_fetch req;
	int rc;

	ops_fetch_part_init(part, "t", 0, offset, 1 << 20);
	part->current_leader_epoch = epoch;
	part->durable_offset = durable;
	fixture_fetch_init(&req, part, 1, f);
	req.replica_id = 2;
	req.broker_epoch = incarnation;
	req.max_wait_ms = 0;
	if (ops_fetch(b, &ctx, &req) != 0)
		return -1;
	rc = part->rc;
	ops_fetch_release(&req);
	return rc;
}

/* A produce of count records to t-0 with acks, begun: OPS_PENDING or 0. */
static int produce_begin(struct broker *b, struct front *f, struct ops_produce *req,
			 struct buf *data, int acks, int count, const struct ops_ctx *c)
{
	struct err e;

	fixture_batch(data, count);
	ops_produce_init(req, "t", 0, acks);
	req->resume = (struct ops_resume){ .park = front_park, .wake = front_wake, .arg = f };
	req->done = front_done;
	req->body = (uint8_t *)data->data;
	req->body_len = data->len;
	if (ops_produce_validate(b, req->body, req->body_len, 0, &e) ||
	    ops_produce_open(b, c, req, &e) || ops_produce_check(b, req, &e))
		return -1;
	return ops_produce(b, c, req);
}

/* Its outcome once done (waiting at most ms for it). */
static int produce_end(struct broker *b, struct front *f, struct ops_produce *req, int rc,
		       int64_t ms)
{
	if (rc == OPS_PENDING && front_woken_within(f, ms))
		rc = ops_produce(b, &ctx, req);
	return rc ? rc : req->parts[0].rc;
}

static struct partition *t0(struct broker *b)
{
	return broker_topic(b, "t")->parts[0];
}

/* The leader has fsynced its whole log (its background flush). */
static void leader_flushed(struct broker *b)
{
	int64_t end, deadline = clock_mono_ms() + 5000;

	plog_offsets(t0(b)->log, NULL, &end);
	while (plog_recovery_point(t0(b)->log) < end && clock_mono_ms() < deadline)
		usleep(1000);
}

static void test_acks_all_waits_for_the_follower(void)
{
	struct broker b;
	struct front f;
	struct ops_produce req;
	struct ops_fetch_part part;
	struct buf data = BUF_INIT;
	int rc;

	REQUIRE_EQ(start(&b, &f, both, 2), 0);
	rc = produce_begin(&b, &f, &req, &data, -1, 3, &ctx);
	REQUIRE_EQ(rc, OPS_PENDING);
	/* The leader alone has them: not committed. */
	CHECK(!front_woken_within(&f, 200));
	/* The follower reads past the HW, and its old incarnation is refused. */
	CHECK_EQ(follow(&b, &f, 0, 0, 1, "inc-old", &part), SLOG_ENOT_LEADER);
	CHECK_EQ(follow(&b, &f, 0, 0, 1, "inc-2", &part), 0);
	CHECK_EQ(part.log_end, 3);
	CHECK_EQ(part.leader_epoch, 1);
	CHECK_EQ(part.hw, 0);
	/* Fetched but not fsynced: still not committed. */
	CHECK_EQ(follow(&b, &f, 3, 0, 1, "inc-2", &part), 0);
	CHECK(!front_woken_within(&f, 100));
	/* Its epoch must be the leader's. */
	CHECK_EQ(follow(&b, &f, 3, 3, 0, "inc-2", &part), SLOG_EFENCED_LEADER_EPOCH);
	CHECK_EQ(follow(&b, &f, 3, 3, 2, "inc-2", &part), SLOG_EUNKNOWN_LEADER_EPOCH);
	leader_flushed(&b);
	CHECK_EQ(follow(&b, &f, 3, 3, 1, "inc-2", &part), 0);
	CHECK_EQ(part.hw, 3);
	CHECK_EQ(produce_end(&b, &f, &req, rc, 5000), 0);
	CHECK_EQ(atomic_load(&t0(&b)->hw), 3);
	ops_produce_free(&req);
	buf_free(&data);
	fixture_stop(&b);
}

static void test_below_min_isr(void)
{
	struct broker b;
	struct front f;
	struct ops_produce req;
	struct buf data = BUF_INIT;
	int64_t end;

	REQUIRE_EQ(start(&b, &f, alone, 1), 0);
	/* acks=all appends nothing. */
	CHECK_EQ(produce_end(&b, &f, &req, produce_begin(&b, &f, &req, &data, -1, 2, &ctx), 100),
		 SLOG_ENOT_ENOUGH_REPLICAS);
	ops_produce_free(&req);
	buf_free(&data);
	plog_offsets(t0(&b)->log, NULL, &end);
	CHECK_EQ(end, 0);
	/* acks=1 appends, but nothing commits below the minimum (KIP-966). */
	CHECK_EQ(produce_end(&b, &f, &req, produce_begin(&b, &f, &req, &data, 1, 2, &ctx), 100), 0);
	ops_produce_free(&req);
	buf_free(&data);
	leader_flushed(&b);
	replication_durable(&b, t0(&b));
	CHECK_EQ(atomic_load(&t0(&b)->hw), 0);
	fixture_stop(&b);
}

static void test_acks_all_times_out(void)
{
	struct broker b;
	struct front f;
	struct ops_produce req;
	struct buf data = BUF_INIT;
	struct ops_ctx soon = ctx;
	int rc;

	REQUIRE_EQ(start(&b, &f, both, 2), 0);
	soon.deadline_ms = clock_mono_ms() + 200;
	rc = produce_begin(&b, &f, &req, &data, -1, 1, &soon);
	CHECK_EQ(produce_end(&b, &f, &req, rc, 5000), SLOG_EREQUEST_TIMED_OUT);
	ops_produce_free(&req);
	buf_free(&data);
	fixture_stop(&b);
}

/* A follower at the log end long-polls on it, not on the HW. */
static void test_follower_long_poll_wakes_on_append(void)
{
	struct broker b;
	struct front f, pf;
	struct ops_fetch req;
	struct ops_fetch_part part;
	struct ops_produce preq;
	struct buf data = BUF_INIT;

	front_init(&pf);
	REQUIRE_EQ(start(&b, &f, both, 2), 0);
	ops_fetch_part_init(&part, "t", 0, 0, 1 << 20);
	part.current_leader_epoch = 1;
	part.durable_offset = 0;
	fixture_fetch_init(&req, &part, 1, &f);
	req.replica_id = 2;
	req.broker_epoch = "inc-2";
	req.max_wait_ms = 5000;
	REQUIRE_EQ(ops_fetch(&b, &ctx, &req), OPS_PENDING);
	/* acks=1: appended, not committed. */
	CHECK_EQ(produce_end(&b, &pf, &preq, produce_begin(&b, &pf, &preq, &data, 1, 1, &ctx), 100),
		 0);
	ops_produce_free(&preq);
	buf_free(&data);
	CHECK(front_woken_within(&f, 2000));
	REQUIRE_EQ(ops_fetch(&b, &ctx, &req), 0);
	CHECK(part.reg.length > 0);
	CHECK_EQ(part.hw, 0);
	ops_fetch_release(&req);
	fixture_stop(&b);
}

/* KIP-207: a new leader does not know where the last one's commits end. */
static void test_latest_offset_waits_for_the_epoch_start(void)
{
	struct broker b;
	struct front f;
	struct ops_fetch_part part;
	struct ops_list_offsets lo = { .topic = "t", .partition = 0, .at = OPS_AT_LATEST };
	struct ops_produce req;
	struct buf data = BUF_INIT;
	struct err e;

	REQUIRE_EQ(start(&b, &f, both, 2), 0);
	CHECK_EQ(produce_end(&b, &f, &req, produce_begin(&b, &f, &req, &data, 1, 3, &ctx), 100), 0);
	ops_produce_free(&req);
	buf_free(&data);
	REQUIRE_EQ(place(&b, both, 2, 2, 2), 0); /* leader again, in epoch 2 from offset 3 */
	CHECK_EQ(replication_epoch_start(t0(&b)), 3);
	CHECK_EQ(ops_list_offsets(&b, &ctx, &lo, &e), SLOG_EOFFSET_NOT_AVAILABLE);
	leader_flushed(&b);
	CHECK_EQ(follow(&b, &f, 3, 3, 2, "inc-2", &part), 0);
	CHECK_EQ(ops_list_offsets(&b, &ctx, &lo, &e), 0);
	CHECK_EQ(lo.offset, 3);
	fixture_stop(&b);
}

static void test_hw_checkpoint(void)
{
	struct broker b;
	struct front f;
	struct err e;
	int dir;

	REQUIRE(fixture_topic(&b, &f, 1) == 0);
	CHECK_EQ(fixture_produce(&b, "t", 0, 1, 4, &f), 0);
	REQUIRE_EQ(replication_checkpoint(&b, &e), 0);
	dir = t0(&b)->dir;
	fixture_stop(&b);
	REQUIRE(fixture_start(&b, unit_tmpdir()) == 0);
	CHECK_EQ(log_dirs_hw_checkpoint(&b.dirs, dir, "t", 0), 4);
	CHECK_EQ(log_dirs_hw_checkpoint(&b.dirs, dir, "t", 1), -1);
	fixture_stop(&b);
}

/* A produce waiting for its commit when its partition moves away from
 * this broker (replicas {2}, led by 2): NOT_LEADER naming the new
 * leader, which clients retry, not "topic deleted", which they believe. */
static void test_moved_away_is_not_deleted(void)
{
	struct broker b;
	struct front f;
	struct ops_produce req;
	struct buf data = BUF_INIT;
	char id[24];
	int rc;

	REQUIRE_EQ(start(&b, &f, both, 2), 0);
	rc = produce_begin(&b, &f, &req, &data, -1, 1, &ctx);
	CHECK_EQ(rc, OPS_PENDING);
	snprintf(id, sizeof(id), "%s", meta_find(&b.meta, "t")->id);
	REQUIRE_EQ(fixture_publish_take(&b, json_pack("[{s:i, s:s, s:s, s:s, s:i, s:[i], s:[i], "
						      "s:i, s:i, s:i}]", "v", 1, "type",
						      "partition", "topic", "t", "topic_id", id,
						      "partition", 0, "replicas", 2, "isr", 2,
						      "leader", 2, "leader_epoch", 2,
						      "partition_epoch", 2)), 0);
	CHECK_EQ(produce_end(&b, &f, &req, rc, 5000), SLOG_ENOT_LEADER);
	CHECK_EQ(req.parts[0].leader.id, 2);
	ops_produce_free(&req);
	buf_free(&data);
	fixture_stop(&b);
}

int main(void)
{
	unit_run("acks=all is answered once the follower fsynced the records",
		 test_acks_all_waits_for_the_follower);
	unit_run("below min.insync.replicas acks=all appends nothing and acks=1 stays invisible",
		 test_below_min_isr);
	unit_run("acks=all that the follower never confirms times out",
		 test_acks_all_times_out);
	unit_run("a follower's long poll wakes on an append, before the HW moves",
		 test_follower_long_poll_wakes_on_append);
	unit_run("a new leader's latest offset is unavailable until its HW reaches its epoch",
		 test_latest_offset_waits_for_the_epoch_start);
	unit_run("the high watermark is checkpointed and read back", test_hw_checkpoint);
	unit_run("a produce whose partition moves to other brokers is told NOT_LEADER",
		 test_moved_away_is_not_deleted);
	return unit_done();
}
