/*
 * test_batcher.c: where records go and when their batches are sealed:
 * Kafka's murmur2 by key, the sticky partition of keyless records, round
 * robin; batches sealed at the batch size, at linger, and records alone
 * over max.message.bytes refused.  Nothing is sent: sealed batches wait
 * in the sender's queues until the test gives up on them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batcher.h"
#include "murmur2.h"
#include "unit.h"
#include "xalloc.h"

static int64_t done_records;

static void on_done(void *arg, struct send_batch *b, int rc, const struct err *e, int64_t base)
{
	(void)arg, (void)rc, (void)e, (void)base;
	done_records += b->records;
	batcher_batch_free(b);
}

/* A topic as batcher_topic() would have it from the metadata, on no broker. */
static struct btopic *fake_topic(struct batcher *b, const char *name, int32_t n, int64_t max_msg)
{
	struct btopic *t = xcalloc(1, sizeof(*t));

	snprintf(t->name, sizeof(t->name), "%s", name);
	t->meta.partitions = n;
	t->meta.max_message_bytes = max_msg;
	t->meta.leader = xcalloc((size_t)n, sizeof(*t->meta.leader));
	t->meta.leader_epoch = xcalloc((size_t)n, sizeof(*t->meta.leader_epoch));
	t->batch_limit = max_msg > 0 && max_msg < b->o.batch_bytes ? max_msg : b->o.batch_bytes;
	t->parts = xcalloc((size_t)n, sizeof(*t->parts));
	for (int32_t i = 0; i < n; i++) {
		struct bpart *pp = &t->parts[i];
		t->meta.leader[i] = xstrdup("http://127.0.0.1:9");
		pp->t = t;
		pp->id = i;
		pp->sp.owner = pp;
		batch_builder_init(&pp->bb, b->o.codec, 0);
		sender_add_part(b->sender, &pp->sp, xstrdup("http://127.0.0.1:9/x"));
	}
	t->next = b->topics;
	b->topics = t;
	return t;
}

static void setup(struct batcher *b, int64_t batch_bytes, int keep_tags)
{
	struct batcher_opts o = { .acks = "all", .linger_ms = 50, .batch_bytes = batch_bytes,
				  .timeout_ms = 1000, .max_in_flight = 1, .keep_tags = keep_tags };

	done_records = 0;
	batcher_init(b, NULL, &o, on_done, NULL);
}

static void teardown(struct batcher *b)
{
	batcher_abandon(b, "the test is over");
	batcher_free(b);
}

static struct record value_record(const char *key, const char *value)
{
	struct record r = { 0 };

	r.key = (const uint8_t *)key;
	r.key_len = key ? (int32_t)strlen(key) : -1;
	r.value = (const uint8_t *)value;
	r.value_len = (int32_t)strlen(value);
	r.timestamp = 1700000000000;
	return r;
}

static void test_keys_by_murmur2(void)
{
	struct batcher b;
	struct btopic *t;
	char key[32];

	setup(&b, 1 << 20, 0);
	t = fake_topic(&b, "keyed", 7, 0);
	for (int i = 0; i < 200; i++) {
		int32_t p;
		snprintf(key, sizeof(key), "user-%d", i);
		p = batcher_choose(&b, t, PART_MURMUR2, (const uint8_t *)key, (int32_t)strlen(key));
		CHECK_EQ(p, murmur2_partition(key, strlen(key), 7));
		/* The same key, the same partition, whatever came between. */
		CHECK_EQ(batcher_choose(&b, t, PART_MURMUR2, (const uint8_t *)key, (int32_t)strlen(key)), p);
	}
	teardown(&b);
}

/* KIP-480: keyless records fill one partition's batch, then move on. */
static void test_keyless_sticky(void)
{
	struct batcher b;
	struct btopic *t;
	int seen[4] = { 0 }, moved = 0;
	struct err e;

	setup(&b, 1 << 20, 0);
	t = fake_topic(&b, "sticky", 4, 0);
	for (int batch = 0; batch < 40; batch++) {
		int32_t p = batcher_choose(&b, t, PART_MURMUR2, NULL, -1);
		struct record r = value_record(NULL, "v");
		REQUIRE(p >= 0 && p < 4);
		for (int i = 0; i < 10; i++) {
			CHECK_EQ(batcher_choose(&b, t, PART_MURMUR2, NULL, -1), p);
			REQUIRE(batcher_add(&b, &t->parts[p], &r, i, 0, &e) == 0);
		}
		batcher_seal(&b, &t->parts[p]);
		seen[p] = 1;
		moved += batcher_choose(&b, t, PART_MURMUR2, NULL, -1) != p;
	}
	CHECK(seen[0] + seen[1] + seen[2] + seen[3] >= 2);
	CHECK(moved > 0);
	teardown(&b);
}

static void test_roundrobin(void)
{
	struct batcher b;
	struct btopic *t;

	setup(&b, 1 << 20, 0);
	t = fake_topic(&b, "rr", 3, 0);
	for (int i = 0; i < 9; i++)
		CHECK_EQ(batcher_choose(&b, t, PART_ROUNDROBIN, (const uint8_t *)"k", 1), i % 3);
	teardown(&b);
}

static void test_sealed_at_batch_size(void)
{
	struct batcher b;
	struct btopic *t;
	struct record r = value_record("k", "0123456789012345678901234567890123456789");
	struct err e;
	int32_t open;

	setup(&b, 300, 1);
	t = fake_topic(&b, "sized", 1, 0);
	for (int i = 1; i <= 20; i++)
		REQUIRE(batcher_add(&b, &t->parts[0], &r, i, 0, &e) == 0);
	/* Several batches went to the queue; none bigger than 300 bytes. */
	CHECK(sender_pending(b.sender) >= 4);
	for (struct send_batch *sb = t->parts[0].sp.head; sb; sb = sb->next) {
		CHECK(sb->data.len <= 300);
		/* Each carries its records' tags in order. */
		for (int32_t i = 1; i < sb->records; i++)
			CHECK_EQ(sb->tags[i], sb->tags[i - 1] + 1);
		CHECK_EQ(sb->tags[0], sb->first_line);
		CHECK_EQ(sb->payload_bytes, sb->records * (1 + 40));
	}
	CHECK(b.buffered > 0);
	open = batch_builder_count(&t->parts[0].bb);
	CHECK(open > 0);
	/* Giving up reports the sealed ones and drops the open one. */
	CHECK_EQ(batcher_abandon(&b, "the test is over"), open);
	CHECK_EQ(done_records, 20 - open);
	batcher_free(&b);
}

static void test_sealed_at_linger(void)
{
	struct batcher b;
	struct btopic *t;
	struct record r = value_record("k", "v");
	struct err e;

	setup(&b, 1 << 20, 0);
	t = fake_topic(&b, "linger", 2, 0);
	REQUIRE(batcher_add(&b, &t->parts[1], &r, 1, 1000, &e) == 0);
	CHECK_EQ(batcher_seal_due(&b, 1010, 0), 1050);
	CHECK_EQ(sender_pending(b.sender), 0);
	CHECK_EQ(batcher_seal_due(&b, 1050, 0), INT64_MAX);
	CHECK_EQ(sender_pending(b.sender), 1);
	/* The delivery deadline runs from the first record's arrival. */
	CHECK_EQ(t->parts[1].sp.head->deadline_ms, 1000 + 1000);
	teardown(&b);
}

static void test_too_large_alone(void)
{
	struct batcher b;
	struct btopic *t;
	char big[400];
	struct record r;
	struct err e;

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	r = value_record("k", big);
	setup(&b, 1 << 20, 0);
	t = fake_topic(&b, "small", 1, 300);
	CHECK_EQ(batcher_add(&b, &t->parts[0], &r, 1, 0, &e), SLOG_EMESSAGE_TOO_LARGE);
	CHECK(strstr(e.msg, "over max.message.bytes (300) of topic 'small'") != NULL);
	CHECK_EQ(batch_builder_count(&t->parts[0].bb), 0);
	CHECK_EQ(b.buffered, 0);
	teardown(&b);
}

/* A batch refused as too large goes again record by record, in its place. */
static void test_split_keeps_order(void)
{
	struct batcher b;
	struct btopic *t;
	struct record r = value_record("k", "value");
	struct send_batch *refused, *sb;
	struct err e;
	int64_t tag = 1;

	setup(&b, 1 << 20, 1);
	t = fake_topic(&b, "split", 1, 0);
	for (int i = 0; i < 3; i++)
		REQUIRE(batcher_add(&b, &t->parts[0], &r, tag++, 0, &e) == 0);
	batcher_seal(&b, &t->parts[0]);
	refused = t->parts[0].sp.head;
	/* A later batch already waits behind it. */
	REQUIRE(batcher_add(&b, &t->parts[0], &r, tag++, 0, &e) == 0);
	batcher_seal(&b, &t->parts[0]);
	REQUIRE(batcher_split(&b, refused, &e) == 0);
	sb = t->parts[0].sp.head;
	for (int64_t want = 1; want <= 3; want++, sb = sb->next) {
		REQUIRE(sb != NULL);
		CHECK_EQ(sb->records, 1);
		CHECK(sb->alone);
		CHECK_EQ(sb->tags[0], want);
		CHECK_EQ(sb->deadline_ms, refused->deadline_ms);
		CHECK_EQ(sb->payload_bytes, 1 + 5);
	}
	CHECK(sb == refused);
	CHECK_EQ(sb->next->tags[0], 4);
	CHECK_EQ(sender_pending(b.sender), 5);
	teardown(&b);
	CHECK_EQ(done_records, 3 + 3 + 1);
}

int main(void)
{
	unit_run("a key goes where Kafka's murmur2 puts it", test_keys_by_murmur2);
	unit_run("keyless records stick to a partition until its batch is sealed", test_keyless_sticky);
	unit_run("round robin takes each partition in turn", test_roundrobin);
	unit_run("a batch is sealed at the batch size, its tags in order", test_sealed_at_batch_size);
	unit_run("a batch is sealed when its first record has lingered", test_sealed_at_linger);
	unit_run("a record alone over max.message.bytes is refused", test_too_large_alone);
	unit_run("a refused batch goes again record by record, in its place", test_split_keeps_order);
	return unit_done();
}
