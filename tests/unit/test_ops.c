/*
 * test_ops.c: the operations layer (replica/ops.h) without HTTP.
 *
 * Produce then fetch through ops calls alone; a fetch that waits for
 * min_bytes on several partitions and is woken once, by an append or by
 * its deadline; list offsets; leader epochs (fenced, unknown, diverged,
 * offsets for an epoch); metadata; partitions another broker leads
 * (NOT_LEADER naming it, a topic produce that appends only what this node
 * leads, metadata of topics with no replica here); a mirror topic
 * (mirror.source) that takes only its mirror's batches until promoted.  The front end
 * (ops_fixture.h) counts parks and posts wakes, as a front end with its
 * own threads would.
 */
#include <stdatomic.h>
#include <string.h>

#include "batch_builder.h"
#include "compress.h"
#include "broker_fixture.h"
#include "ops_fixture.h"
#include "log.h"
#include "meta/controller.h"
#include "meta/publish.h"
#include "replica/ops.h"
#include "replica/registry.h"
#include "unit.h"

static const struct ops_ctx ctx = { .principal = "", .client_id = "test",
				    .deadline_ms = INT64_MAX };

static void test_produce_then_fetch(void)
{
	struct broker b;
	struct front f;
	struct ops_fetch req;
	struct ops_fetch_part parts[2];

	REQUIRE(fixture_topic(&b, &f, 2) == 0);
	CHECK_EQ(fixture_produce(&b, "t", 0, 1, 3, &f), 0);
	CHECK_EQ(f.parks, 0); /* acks=1 answers without waiting */
	CHECK_EQ(fixture_produce(&b, "t", 0, -1, 2, &f), 3);
	CHECK_EQ(f.parks, 1); /* acks=all waited for its fsync, */
	CHECK_EQ(f.dones, 1); /* and was told once */
	CHECK_EQ(f.done_rc, 0);
	ops_fetch_part_init(&parts[0], "t", 0, -1, 1 << 20);
	ops_fetch_part_init(&parts[1], "t", 1, 0, 1 << 20);
	fixture_fetch_init(&req, parts, 2, &f);
	REQUIRE_EQ(ops_fetch(&b, &ctx, &req), 0);
	CHECK_EQ(parts[0].rc, 0);
	CHECK_EQ(parts[0].offset, 0); /* -1 asked for the log start */
	CHECK_EQ(parts[0].log_start, 0);
	CHECK_EQ(parts[0].hw, 5);
	CHECK(parts[0].reg.length > 0);
	CHECK_EQ(parts[0].reg.next_offset, 5);
	CHECK_EQ(parts[1].rc, 0);
	CHECK_EQ(parts[1].reg.length, 0);
	CHECK_EQ(parts[1].hw, 0);
	ops_fetch_release(&req);
	/* An unknown partition is that part's answer only. */
	ops_fetch_part_init(&parts[1], "t", 7, 0, 1 << 20);
	REQUIRE_EQ(ops_fetch(&b, &ctx, &req), 0);
	CHECK_EQ(parts[0].rc, 0);
	CHECK_EQ(parts[1].rc, SLOG_EUNKNOWN_TOPIC_OR_PARTITION);
	ops_fetch_release(&req);
	fixture_stop(&b);
}

/* max_bytes is the whole fetch's: a later partition gets what is left. */
static void test_max_bytes_spans_partitions(void)
{
	struct broker b;
	struct front f;
	struct ops_fetch req;
	struct ops_fetch_part parts[2];

	REQUIRE(fixture_topic(&b, &f, 2) == 0);
	CHECK_EQ(fixture_produce(&b, "t", 0, 1, 3, &f), 0);
	CHECK_EQ(fixture_produce(&b, "t", 1, 1, 3, &f), 0);
	ops_fetch_part_init(&parts[0], "t", 0, 0, 1 << 20);
	ops_fetch_part_init(&parts[1], "t", 1, 0, 1 << 20);
	fixture_fetch_init(&req, parts, 2, &f);
	req.max_bytes = 1; /* the first batch still comes: a reader progresses */
	REQUIRE_EQ(ops_fetch(&b, &ctx, &req), 0);
	CHECK(parts[0].reg.length > 0);
	CHECK_EQ(parts[1].reg.length, 0);
	ops_fetch_release(&req);
	fixture_stop(&b);
}

static void test_a_fetch_waits_for_min_bytes_on_every_partition(void)
{
	struct broker b;
	struct front f, pf;
	struct ops_fetch req;
	struct ops_fetch_part parts[2];

	front_init(&pf);
	REQUIRE(fixture_topic(&b, &f, 2) == 0);
	ops_fetch_part_init(&parts[0], "t", 0, 0, 1 << 20);
	ops_fetch_part_init(&parts[1], "t", 1, 0, 1 << 20);
	fixture_fetch_init(&req, parts, 2, &f);
	req.max_wait_ms = 60000;
	REQUIRE_EQ(ops_fetch(&b, &ctx, &req), OPS_PENDING);
	CHECK_EQ(f.parks, 1);
	CHECK_EQ(f.wakes, 0);
	CHECK_EQ(fixture_produce(&b, "t", 1, 1, 2, &pf), 0);
	CHECK(front_woken_within(&f, 5000));
	REQUIRE_EQ(ops_fetch(&b, &ctx, &req), 0);
	/* The other partition's waiter was taken back. */
	CHECK_EQ(atomic_load(&broker_topic(&b, "t")->parts[0]->waiters.n), 0);
	CHECK_EQ(parts[0].reg.length, 0);
	CHECK(parts[1].reg.length > 0);
	CHECK_EQ(parts[1].hw, 2);
	ops_fetch_release(&req);
	/* Nor does an append there wake the fetch again. */
	CHECK_EQ(fixture_produce(&b, "t", 0, 1, 1, &pf), 0);
	CHECK_EQ(f.wakes, 1);
	fixture_stop(&b);
}

static void test_a_fetch_wait_ends_at_its_deadline(void)
{
	struct broker b;
	struct front f;
	struct ops_fetch req;
	struct ops_fetch_part part;
	struct ops_ctx soon = ctx;
	int64_t t0;

	REQUIRE(fixture_topic(&b, &f, 1) == 0);
	ops_fetch_part_init(&part, "t", 0, 0, 1 << 20);
	fixture_fetch_init(&req, &part, 1, &f);
	req.max_wait_ms = 60000;
	/* The context's deadline bounds the wait more than max_wait_ms. */
	t0 = clock_mono_ms();
	soon.deadline_ms = t0 + 50;
	REQUIRE_EQ(ops_fetch(&b, &soon, &req), OPS_PENDING);
	CHECK(front_woken_within(&f, 5000));
	CHECK(clock_mono_ms() - t0 >= 50);
	REQUIRE_EQ(ops_fetch(&b, &soon, &req), 0); /* waits once: answers empty */
	CHECK_EQ(part.rc, 0);
	CHECK_EQ(part.reg.length, 0);
	CHECK_EQ(f.wakes, 1);
	ops_fetch_release(&req);
	fixture_stop(&b);
}

/* A fetch that finds its log dir full parks, holding no reference, and
 * reads once a slot frees. */
static void test_a_full_log_dir_parks_the_fetch(void)
{
	struct broker b;
	struct front f;
	struct ops_fetch req;
	struct ops_fetch_part part;
	struct partition *p;
	uint64_t dir;
	int held = 0;

	REQUIRE(fixture_topic(&b, &f, 1) == 0);
	CHECK_EQ(fixture_produce(&b, "t", 0, 1, 3, &f), 0);
	p = broker_topic(&b, "t")->parts[0];
	dir = dir_gate_bit(p->dir);
	while (dir_gate_try(b.gate, dir, NULL) == 1)
		held++;
	ops_fetch_part_init(&part, "t", 0, 0, 1 << 20);
	fixture_fetch_init(&req, &part, 1, &f);
	REQUIRE_EQ(ops_fetch(&b, &ctx, &req), OPS_PENDING);
	CHECK_EQ(f.parks, 1);
	CHECK(part.p == NULL);
	CHECK_EQ(f.wakes, 0);
	dir_gate_leave(b.gate, dir);
	held--;
	CHECK(front_woken_within(&f, 5000));
	REQUIRE_EQ(ops_fetch(&b, &ctx, &req), 0);
	CHECK_EQ(part.rc, 0);
	CHECK(part.reg.length > 0);
	ops_fetch_release(&req);
	while (held-- > 0)
		dir_gate_leave(b.gate, dir);
	fixture_stop(&b);
}

static void test_list_offsets(void)
{
	struct broker b;
	struct front f;
	struct ops_list_offsets lo = { .topic = "t", .partition = 0 };
	struct err e;
	int64_t t0 = clock_wall_ms();

	REQUIRE(fixture_topic(&b, &f, 1) == 0);
	CHECK_EQ(fixture_produce(&b, "t", 0, 1, 4, &f), 0);
	lo.at = OPS_AT_EARLIEST;
	CHECK_EQ(ops_list_offsets(&b, &ctx, &lo, &e), 0);
	CHECK_EQ(lo.offset, 0);
	lo.at = OPS_AT_LATEST;
	CHECK_EQ(ops_list_offsets(&b, &ctx, &lo, &e), 0);
	CHECK_EQ(lo.offset, 4);
	lo.at = t0 - 60000; /* before every record: the first */
	CHECK_EQ(ops_list_offsets(&b, &ctx, &lo, &e), 0);
	CHECK_EQ(lo.offset, 0);
	CHECK(lo.timestamp >= t0);
	lo.at = clock_wall_ms() + 60000; /* after every record: the end */
	CHECK_EQ(ops_list_offsets(&b, &ctx, &lo, &e), 0);
	CHECK_EQ(lo.offset, 4);
	CHECK_EQ(lo.timestamp, -1);
	lo.partition = 3;
	CHECK_EQ(ops_list_offsets(&b, &ctx, &lo, &e), SLOG_EUNKNOWN_TOPIC_OR_PARTITION);
	fixture_stop(&b);
}

static void test_leader_epochs(void)
{
	struct broker b;
	struct front f;
	struct ops_fetch req;
	struct ops_fetch_part part;
	struct partition *p;
	int64_t end;
	int32_t found;
	struct err e;

	REQUIRE(fixture_topic(&b, &f, 1) == 0);
	CHECK_EQ(fixture_produce(&b, "t", 0, 1, 3, &f), 0); /* epoch 0: offsets 0-2 */
	p = broker_topic(&b, "t")->parts[0];
	p->leader_epoch = 2;
	CHECK_EQ(fixture_produce(&b, "t", 0, 1, 2, &f), 3); /* epoch 2: offsets 3-4 */
	CHECK_EQ(ops_offsets_for_leader_epoch(&b, &ctx, "t", 0, 2, 1, &end, &found, &e), 0);
	CHECK_EQ(found, 0);
	CHECK_EQ(end, 3);
	CHECK_EQ(ops_offsets_for_leader_epoch(&b, &ctx, "t", 0, -1, 2, &end, &found, &e), 0);
	CHECK_EQ(found, 2);
	CHECK_EQ(end, 5);
	CHECK_EQ(ops_offsets_for_leader_epoch(&b, &ctx, "t", 0, 1, 2, &end, &found, &e),
		 SLOG_EFENCED_LEADER_EPOCH);
	CHECK_EQ(ops_offsets_for_leader_epoch(&b, &ctx, "t", 0, 3, 2, &end, &found, &e),
		 SLOG_EUNKNOWN_LEADER_EPOCH);

	ops_fetch_part_init(&part, "t", 0, 0, 1 << 20);
	fixture_fetch_init(&req, &part, 1, &f);
	part.current_leader_epoch = 1;
	REQUIRE_EQ(ops_fetch(&b, &ctx, &req), 0);
	CHECK_EQ(part.rc, SLOG_EFENCED_LEADER_EPOCH);
	ops_fetch_release(&req);
	/* A follower that fetched epoch 1 up to offset 4 diverged at 3. */
	ops_fetch_part_init(&part, "t", 0, 4, 1 << 20);
	part.current_leader_epoch = 2;
	part.last_fetched_epoch = 1;
	REQUIRE_EQ(ops_fetch(&b, &ctx, &req), 0);
	CHECK_EQ(part.rc, 0);
	CHECK_EQ(part.diverging_epoch, 0);
	CHECK_EQ(part.diverging_end, 3);
	CHECK_EQ(part.reg.length, 0);
	ops_fetch_release(&req);
	/* One that fetched epoch 2 up to 4 goes on. */
	ops_fetch_part_init(&part, "t", 0, 4, 1 << 20);
	part.last_fetched_epoch = 2;
	REQUIRE_EQ(ops_fetch(&b, &ctx, &req), 0);
	CHECK_EQ(part.diverging_epoch, -1);
	CHECK(part.reg.length > 0);
	ops_fetch_release(&req);
	/* A broker that holds no replica is told to retry (it may be one
	 * a reassignment adds, not yet in this broker's metadata). */
	ops_fetch_part_init(&part, "t", 0, 0, 1 << 20);
	req.replica_id = 5;
	REQUIRE_EQ(ops_fetch(&b, &ctx, &req), 0);
	CHECK_EQ(part.rc, SLOG_EUNKNOWN_LEADER_EPOCH);
	ops_fetch_release(&req);
	fixture_stop(&b);
}

static void test_metadata(void)
{
	static const char *const names[] = { "t", "nope" };
	struct broker b;
	struct front f;
	struct ops_metadata m;

	REQUIRE(fixture_topic(&b, &f, 3) == 0);
	CHECK_EQ(fixture_produce(&b, "t", 2, 1, 2, &f), 0);
	ops_metadata(&b, &ctx, names, 2, 1, &m);
	REQUIRE_EQ(m.nbrokers, 1); /* itself, before its registration */
	CHECK_EQ(m.brokers[0].node_id, b.node_id);
	CHECK(strncmp(m.brokers[0].url, "http://", 7) == 0);
	REQUIRE_EQ(m.ntopics, 2);
	CHECK_EQ(m.topics[0].rc, 0);
	REQUIRE_EQ(m.topics[0].npart, 3);
	CHECK_EQ(m.topics[0].parts[2].leader, b.node_id);
	REQUIRE_EQ(m.topics[0].parts[2].nisr, 1);
	CHECK_EQ(m.topics[0].parts[2].isr[0], b.node_id);
	CHECK(m.topics[0].parts[2].has_offsets);
	CHECK_EQ(m.topics[0].parts[2].hw, 2);
	CHECK_EQ(m.topics[0].parts[2].log_end, 2);
	CHECK_EQ(m.topics[1].rc, SLOG_EUNKNOWN_TOPIC_OR_PARTITION);
	ops_metadata_free(&m);
	ops_metadata(&b, &ctx, NULL, 0, 0, &m); /* every topic */
	CHECK_EQ(m.ntopics, b.ntopics);
	ops_metadata_free(&m);
	fixture_stop(&b);
}

/* A partition record placing partition idx of topic (id) on replica, led
 * by leader (-1: none). */
static json_t *placed(const char *topic, const char *id, int32_t idx, int32_t replica,
		      int32_t leader)
{
	return json_pack("{s:i, s:s, s:s, s:s, s:i, s:[i], s:[i], s:i, s:i, s:i}", "v", 1, "type",
			 "partition", "topic", topic, "topic_id", id, "partition", idx, "replicas",
			 replica, "isr", replica, "leader", leader, "leader_epoch", 3,
			 "partition_epoch", 0);
}

static json_t *topic_record(const char *name, const char *id, int32_t partitions)
{
	return json_pack("{s:i, s:s, s:s, s:s, s:i, s:i, s:{}}", "v", 1, "type", "topic", "name",
			 name, "id", id, "partitions", partitions, "replication_factor", 1,
			 "configs");
}

/*
 * Broker 2 registered at 127.0.0.2:9300; "far" with both partitions on
 * it (partition 1 without a leader), "mix" with partition 0 here and 1
 * on broker 2.
 */
static int place_elsewhere(struct broker *b)
{
	json_t *ep = json_pack("[{s:s, s:s, s:i}]", "name", "http", "host", "127.0.0.2", "port", 9300);
	json_t *recs = json_array();
	struct err e;
	int rc = controller_register_broker(b, 2, "inc-2", ep, &e);

	json_decref(ep);
	json_array_append_new(recs, topic_record("far", "far-id", 2));
	json_array_append_new(recs, placed("far", "far-id", 0, 2, 2));
	json_array_append_new(recs, placed("far", "far-id", 1, 2, -1));
	json_array_append_new(recs, topic_record("mix", "mix-id", 2));
	json_array_append_new(recs, placed("mix", "mix-id", 0, b->node_id, b->node_id));
	json_array_append_new(recs, placed("mix", "mix-id", 1, 2, 2));
	if (rc) {
		unit_diag("registering: %s", e.msg);
		json_decref(recs);
		return rc;
	}
	return fixture_publish_take(b, recs);
}

/* Produce one batch to topic-partition: its error, and the leader named. */
static int produce_to(struct broker *b, const char *topic, int32_t partition,
		      struct ops_leader *leader)
{
	struct ops_produce req;
	struct buf data = BUF_INIT;
	struct err e;
	int rc;

	fixture_batch(&data, 1);
	ops_produce_init(&req, topic, partition, 1);
	req.body = (uint8_t *)data.data;
	req.body_len = data.len;
	rc = ops_produce_open(b, &ctx, &req, &e);
	*leader = req.leader;
	ops_produce_free(&req);
	buf_free(&data);
	return rc;
}

static void test_a_partition_led_elsewhere_names_its_leader(void)
{
	struct broker b;
	struct front f;
	struct ops_leader l;
	struct ops_fetch req;
	struct ops_fetch_part parts[2];
	struct ops_list_offsets lo = { .topic = "far", .partition = 0, .at = OPS_AT_LATEST };
	struct err e;

	REQUIRE(fixture_topic(&b, &f, 1) == 0);
	REQUIRE_EQ(place_elsewhere(&b), 0);
	CHECK(broker_topic(&b, "far") == NULL); /* no replica here */
	CHECK_EQ(produce_to(&b, "far", 0, &l), SLOG_ENOT_LEADER);
	CHECK_EQ(l.id, 2);
	CHECK(strcmp(l.url, "http://127.0.0.2:9300") == 0);
	CHECK_EQ(produce_to(&b, "far", 1, &l), SLOG_ELEADER_NOT_AVAILABLE);
	CHECK_EQ(produce_to(&b, "far", 2, &l), SLOG_EUNKNOWN_TOPIC_OR_PARTITION);
	CHECK_EQ(produce_to(&b, "mix", 1, &l), SLOG_ENOT_LEADER);
	CHECK_EQ(produce_to(&b, "mix", 0, &l), 0);
	ops_fetch_part_init(&parts[0], "mix", 0, 0, 1 << 20);
	ops_fetch_part_init(&parts[1], "mix", 1, 0, 1 << 20);
	fixture_fetch_init(&req, parts, 2, &f);
	REQUIRE_EQ(ops_fetch(&b, &ctx, &req), 0);
	CHECK_EQ(parts[0].rc, 0);
	CHECK_EQ(parts[1].rc, SLOG_ENOT_LEADER);
	CHECK_EQ(parts[1].leader.id, 2);
	ops_fetch_release(&req);
	CHECK_EQ(ops_list_offsets(&b, &ctx, &lo, &e), SLOG_ENOT_LEADER);
	CHECK(strcmp(lo.leader.url, "http://127.0.0.2:9300") == 0);
	fixture_stop(&b);
}

/* One record of value v into part po's batches. */
static void add_to(struct ops_produce_part *po, const char *v)
{
	struct record rec;

	memset(&rec, 0, sizeof(rec));
	rec.key_len = -1;
	rec.value = (const uint8_t *)v;
	rec.value_len = (int32_t)strlen(v);
	rec.timestamp = clock_wall_ms();
	batch_builder_add(&po->bb, &rec);
	batch_builder_finish(&po->bb, &po->data, NULL);
	po->records++;
}

static void test_a_topic_produce_appends_only_what_this_node_leads(void)
{
	struct broker b;
	struct front f;
	struct ops_produce req;
	struct err e;

	REQUIRE(fixture_topic(&b, &f, 1) == 0);
	REQUIRE_EQ(place_elsewhere(&b), 0);
	ops_produce_init(&req, "mix", -1, 1);
	REQUIRE_EQ(ops_produce_open(&b, &ctx, &req, &e), 0);
	CHECK_EQ(req.npart, 2);
	/* Keyless records go to the partition led here. */
	for (int i = 0; i < 4; i++)
		CHECK_EQ(ops_produce_sticky(&req), 0);
	add_to(ops_produce_part(&req, 0), "here");
	add_to(ops_produce_part(&req, 1), "there");
	REQUIRE_EQ(ops_produce_take(&b, &req, &e), 0);
	CHECK_EQ(ops_produce(&b, &ctx, &req), 0);
	CHECK_EQ(req.parts[0].rc, 0);
	CHECK_EQ(req.parts[0].base, 0);
	CHECK_EQ(req.parts[1].rc, SLOG_ENOT_LEADER);
	CHECK_EQ(req.parts[1].leader.id, 2);
	ops_produce_free(&req);
	/* A topic with no replica here still takes a produce, and refuses
	 * each part. */
	ops_produce_init(&req, "far", -1, 1);
	REQUIRE_EQ(ops_produce_open(&b, &ctx, &req, &e), 0);
	add_to(ops_produce_part(&req, ops_produce_sticky(&req)), "x");
	REQUIRE_EQ(ops_produce_take(&b, &req, &e), 0);
	CHECK_EQ(ops_produce(&b, &ctx, &req), 0);
	CHECK(req.parts[0].rc == SLOG_ENOT_LEADER || req.parts[0].rc == SLOG_ELEADER_NOT_AVAILABLE);
	ops_produce_free(&req);
	fixture_stop(&b);
}

static void test_metadata_of_topics_led_elsewhere(void)
{
	static const char *const names[] = { "far", "mix" };
	struct broker b;
	struct front f;
	struct ops_metadata m;

	REQUIRE(fixture_topic(&b, &f, 1) == 0);
	REQUIRE_EQ(place_elsewhere(&b), 0);
	ops_metadata(&b, &ctx, names, 2, 1, &m);
	REQUIRE_EQ(m.nbrokers, 2);
	CHECK_EQ(m.brokers[0].node_id, b.node_id);
	CHECK_EQ(m.brokers[1].node_id, 2);
	CHECK(strcmp(m.brokers[1].url, "http://127.0.0.2:9300") == 0);
	CHECK(m.brokers[1].state != NULL);
	REQUIRE_EQ(m.topics[0].rc, 0);
	REQUIRE_EQ(m.topics[0].npart, 2);
	CHECK_EQ(m.topics[0].parts[0].leader, 2);
	CHECK_EQ(m.topics[0].parts[0].leader_epoch, 3);
	CHECK_EQ(m.topics[0].parts[1].leader, -1);
	REQUIRE_EQ(m.topics[0].parts[0].nreplicas, 1);
	CHECK_EQ(m.topics[0].parts[0].replicas[0], 2);
	CHECK(!m.topics[0].parts[0].has_offsets);
	CHECK(m.topics[0].max_message_bytes > 0);
	REQUIRE_EQ(m.topics[1].npart, 2);
	CHECK(m.topics[1].parts[0].has_offsets);
	CHECK(!m.topics[1].parts[1].has_offsets);
	ops_metadata_free(&m);
	ops_metadata(&b, &ctx, NULL, 0, 0, &m); /* every topic, here or not */
	CHECK_EQ(m.ntopics, 3);
	ops_metadata_free(&m);
	fixture_stop(&b);
}

/* A batch of count records at base, produced (mirror: as a mirror's copy)
 * to "t"-0 with acks=all: the outcome, and the offsets in *last. */
static int produce_at(struct broker *b, struct front *f, int mirror, int64_t base, int count,
		      int64_t *last)
{
	struct ops_produce req;
	struct buf data = BUF_INIT;
	struct err e;
	int rc;

	fixture_batch(&data, count);
	batch_set_base_offset((uint8_t *)data.data, base);
	ops_produce_init(&req, "t", 0, -1);
	req.mirror = mirror;
	req.resume = (struct ops_resume){ .park = front_park, .wake = front_wake, .arg = f };
	req.done = front_done;
	req.body = (uint8_t *)data.data;
	req.body_len = data.len;
	rc = ops_produce_validate(b, req.body, req.body_len, mirror, &e);
	if (!rc)
		rc = ops_produce_open(b, &ctx, &req, &e);
	if (!rc)
		rc = ops_produce_check(b, &req, &e);
	if (!rc)
		rc = ops_produce(b, &ctx, &req);
	if (rc == OPS_PENDING && front_woken_within(f, 5000))
		rc = ops_produce(b, &ctx, &req);
	if (rc == 0)
		rc = req.parts[0].rc;
	*last = rc ? -1 : req.parts[0].last;
	ops_produce_free(&req);
	buf_free(&data);
	return rc;
}

static void test_a_mirror_topic_takes_only_its_mirrors_batches(void)
{
	struct broker b;
	struct front f;
	struct err e;
	int64_t last;
	json_t *set = json_pack("{s:s}", "mirror.source", "east/t");
	json_t *del = json_pack("[s]", "mirror.source");

	REQUIRE(fixture_topic(&b, &f, 1) == 0);
	/* An ordinary topic takes no mirrored batches. */
	CHECK_EQ(produce_at(&b, &f, 1, 0, 2, &last), SLOG_EINVALID_REQUEST);
	REQUIRE(controller_alter_configs(&b, "t", set, NULL, 0, NULL, &e) == 0);
	CHECK_EQ(produce_at(&b, &f, 0, 0, 2, &last), SLOG_EREAD_ONLY_TOPIC);
	/* The source's offsets are kept, and committed before the answer. */
	CHECK_EQ(produce_at(&b, &f, 1, 40, 5, &last), 0);
	CHECK_EQ(last, 44);
	CHECK(atomic_load(&broker_topic(&b, "t")->parts[0]->hw) > 44);
	CHECK_EQ(produce_at(&b, &f, 1, 40, 5, &last), 0); /* a re-send */
	CHECK_EQ(atomic_load(&broker_topic(&b, "t")->parts[0]->leo), 45);
	/* Promoted: producers write after the mirrored records, the mirror no more. */
	REQUIRE(controller_alter_configs(&b, "t", NULL, del, 0, NULL, &e) == 0);
	CHECK_EQ(produce_at(&b, &f, 1, 45, 1, &last), SLOG_EINVALID_REQUEST);
	CHECK_EQ(produce_at(&b, &f, 0, 0, 3, &last), 0);
	CHECK_EQ(last, 47);
	json_decref(set);
	json_decref(del);
	fixture_stop(&b);
}

int main(void)
{
	log_set_level(LOG_LEVEL_ERROR);
	unit_run("produce then fetch through the operations", test_produce_then_fetch);
	unit_run("max_bytes spans the partitions of a fetch", test_max_bytes_spans_partitions);
	unit_run("a fetch waits for min_bytes on every partition and wakes once",
		 test_a_fetch_waits_for_min_bytes_on_every_partition);
	unit_run("a fetch's wait ends at its deadline", test_a_fetch_wait_ends_at_its_deadline);
	unit_run("a full log dir parks a fetch until a slot frees", test_a_full_log_dir_parks_the_fetch);
	unit_run("list offsets: earliest, latest, by time", test_list_offsets);
	unit_run("leader epochs: fenced, unknown, diverged, offsets for an epoch", test_leader_epochs);
	unit_run("metadata: placement, offsets, absent topics", test_metadata);
	unit_run("a partition led elsewhere is refused naming its leader",
		 test_a_partition_led_elsewhere_names_its_leader);
	unit_run("a topic produce appends only what this node leads",
		 test_a_topic_produce_appends_only_what_this_node_leads);
	unit_run("metadata describes topics led elsewhere", test_metadata_of_topics_led_elsewhere);
	unit_run("a mirror topic takes only its mirror's batches, at their offsets, until promoted",
		 test_a_mirror_topic_takes_only_its_mirrors_batches);
	return unit_done();
}
