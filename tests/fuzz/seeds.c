/*
 * seeds.c: writes the seed inputs of the fuzz targets whose formats the
 * broker itself writes, with the broker's own encoders, so that the seeds
 * are what a disk or a peer really holds and follow any change of format:
 *
 *   make fuzz-seeds     (writes tests/fuzz/corpus/{meta,replica_frames,offsets}/)
 *
 * Each seed is a file named after what it shows.  The fuzzers start from
 * them; the corpus runners (test_fuzz_<name>) run them in make check.
 */
#include <errno.h>
#include <jansson.h>
#include <raft.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "batch_builder.h"
#include "buf.h"
#include "cluster/quorum.h"
#include "cluster/replica_frames.h"
#include "compress.h"
#include "groups/offsets_record.h"
#include "meta/meta_image.h"
#include "meta/meta_state.h"

static const char *top = "tests/fuzz/corpus";

static void put(const char *target, const char *name, const void *data, size_t len)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", top, target);
	if (mkdir(path, 0777) && errno != EEXIST) {
		perror(path);
		exit(1);
	}
	snprintf(path, sizeof(path), "%s/%s/%s", top, target, name);
	f = fopen(path, "wb");
	if (!f || (len && fwrite(data, 1, len, f) != len) || fclose(f)) {
		perror(path);
		exit(1);
	}
}

/* ---- metadata ---- */

static json_t *topic_rec(const char *name, const char *id, int parts, int rf)
{
	return json_pack("{s:i, s:s, s:s, s:s, s:i, s:i, s:{s:s}}", "v", 1, "type", "topic", "name",
			 name, "id", id, "partitions", parts, "replication_factor", rf, "configs",
			 "retention.ms", "86400000");
}

static json_t *broker_rec(int id, const char *inc, int port)
{
	return json_pack("{s:i, s:s, s:i, s:s, s:[{s:s, s:s, s:i}]}", "v", 1, "type", "broker", "id",
			 id, "incarnation", inc, "endpoints", "name", "http", "host", "127.0.0.1",
			 "port", port);
}

/* The records of a new topic of n partitions on brokers 1..3, as the
 * controller commits them: the topic, then each partition's placement. */
static json_t *topic_entry(const char *name, const char *id, int n)
{
	json_t *recs = json_array();
	struct meta_topic t = { 0 };

	snprintf(t.name, sizeof(t.name), "%s", name);
	snprintf(t.id, sizeof(t.id), "%s", id);
	json_array_append_new(recs, topic_rec(name, id, n, 3));
	for (int i = 0; i < n; i++) {
		int32_t replicas[3] = { 1 + i % 3, 1 + (i + 1) % 3, 1 + (i + 2) % 3 };
		struct meta_partition p = { .replicas = replicas, .isr = replicas, .nreplicas = 3,
					    .nisr = 3, .leader = replicas[0], .last_leader = -1 };
		json_array_append_new(recs, meta_partition_record(&t, i, &p));
	}
	return recs;
}

/* A changed placement: broker 3 left the ISR of p0, which lost its
 * leader and then got another, with a reassignment under way. */
static json_t *change_entry(const char *name, const char *id)
{
	int32_t replicas[4] = { 1, 2, 3, 4 }, isr[2] = { 2, 1 }, elr[1] = { 3 };
	int32_t adding[1] = { 4 }, removing[1] = { 3 };
	struct meta_topic t = { 0 };
	struct meta_partition p = { .replicas = replicas, .isr = isr, .elr = elr, .adding = adding,
				    .removing = removing, .nreplicas = 4, .nisr = 2, .nelr = 1,
				    .nadding = 1, .nremoving = 1, .leader = 2, .last_leader = 1,
				    .leader_epoch = 1, .partition_epoch = 2 };

	snprintf(t.name, sizeof(t.name), "%s", name);
	snprintf(t.id, sizeof(t.id), "%s", id);
	return json_pack("[o, {s:i, s:s, s:s, s:i}, {s:i, s:s, s:s, s:{s:s}, s:[s]}]",
			 meta_partition_record(&t, 0, &p), "v", 1, "type", "partitions", "name", name,
			 "count", 4, "v", 1, "type", "configs", "name", name, "set", "cleanup.policy",
			 "compact", "delete", "retention.ms");
}

static json_t *brokers_entry(void)
{
	return json_pack("[{s:i, s:s, s:s}, o, o, o, o, o]", "v", 1, "type", "cluster", "cluster_id",
			 "q1w2e3r4t5y6u7i8o9p0aa", broker_rec(1, "AAAAAAAAAAAAAAAAAAAAAA", 9092),
			 broker_rec(2, "BBBBBBBBBBBBBBBBBBBBBB", 9093),
			 broker_rec(3, "CCCCCCCCCCCCCCCCCCCCCC", 9094),
			 meta_broker_state_record(1, "AAAAAAAAAAAAAAAAAAAAAA", META_BROKER_ALIVE),
			 meta_broker_state_record(2, "BBBBBBBBBBBBBBBBBBBBBB", META_BROKER_SHUTTING_DOWN));
}

static void add_line(struct buf *b, char op, const char *text, size_t len)
{
	if (op)
		buf_addc(b, op);
	buf_add(b, text, len);
	buf_addc(b, '\n');
}

static void add_json_line(struct buf *b, char op, json_t *j)
{
	char *text = json_dumps(j, JSON_COMPACT);

	add_line(b, op, text, strlen(text));
	free(text);
}

static void meta_seeds(void)
{
	json_t *entries[4] = { brokers_entry(), topic_entry("orders", "ORDERSORDERSORDERSORDE", 3),
			       change_entry("orders", "ORDERSORDERSORDERSORDE"),
			       json_pack("[{s:i, s:s, s:s, s:s}]", "v", 1, "type", "remove_topic",
					 "name", "orders", "id", "ORDERSORDERSORDERSORDE") };
	struct buf all = BUF_INIT, b = BUF_INIT;
	struct meta_image img;
	struct raft_buffer rb;
	json_t *answer;
	size_t len;
	void *snap;
	char *text;
	const char *old;

	meta_image_init(&img, 3, 1);
	for (int i = 0; i < 4; i++) {
		text = meta_entry_encode(entries[i], &len);
		meta_image_apply(&img, text, len, NULL, NULL);
		add_line(&all, 'E', text, len);
		if (i == 1) {
			quorum_entry_frame(text, len, &rb);
			buf_addc(&b, 'Q');
			buf_add(&b, rb.base, rb.len);
			put("meta", "raft-entry-topic", b.data, b.len);
			raft_free(rb.base);
			buf_reset(&b);
			meta_image_snapshot(&img, &snap, &len, NULL);
			add_line(&b, 'S', snap, len);
			put("meta", "snapshot-brokers-and-topic", b.data, b.len);
			buf_reset(&b);
			free(snap);
		}
		free(text);
	}
	put("meta", "entries-brokers-topic-change-remove", all.data, all.len);
	meta_image_since(&img, 0, 100, &answer, NULL);
	add_json_line(&b, 'F', answer);
	json_decref(answer);
	meta_image_since(&img, 6, 100, &answer, NULL);
	add_json_line(&b, 'F', answer);
	json_decref(answer);
	put("meta", "fetched-snapshot-then-entries", b.data, b.len);
	buf_reset(&b);
	/* Records of version 0, as the releases before placement wrote them. */
	old = "{\"type\":\"topic\",\"name\":\"old\",\"id\":\"OLDOLDOLDOLDOLDOLDOLDO\","
	       "\"partitions\":2,\"replication_factor\":1}";
	add_line(&b, 0, old, strlen(old));
	old = "{\"type\":\"partitions\",\"name\":\"old\",\"count\":4}";
	add_line(&b, 0, old, strlen(old));
	put("meta", "records-version-0", b.data, b.len);
	for (int i = 0; i < 4; i++)
		json_decref(entries[i]);
	buf_free(&all);
	buf_free(&b);
	meta_image_free(&img);
}

/* ---- replica fetch answers ---- */

static void batch_of(struct buf *out, int codec, int n)
{
	struct batch_builder bb;
	char key[16], value[64];

	batch_builder_init(&bb, codec, 0);
	for (int i = 0; i < n; i++) {
		struct record r = { .timestamp = 1700000000000 + i };
		snprintf(key, sizeof(key), "k%d", i);
		snprintf(value, sizeof(value), "value %d of the batch", i);
		r.key = (const uint8_t *)key;
		r.key_len = (int32_t)strlen(key);
		r.value = (const uint8_t *)value;
		r.value_len = (int32_t)strlen(value);
		batch_builder_add(&bb, &r);
	}
	batch_builder_finish(&bb, out, NULL);
	batch_builder_free(&bb);
}

static void add_frame(struct buf *answer, const char *topic, int32_t part, const struct buf *data,
		      int error)
{
	struct replica_frame f = { .partition = part, .high_watermark = 10, .log_start_offset = 0,
				   .log_end_offset = 12, .leader_epoch = 3, .diverging_epoch = -1,
				   .diverging_end_offset = -1 };

	snprintf(f.topic, sizeof(f.topic), "%s", topic);
	if (error) {
		f.error = error;
		snprintf(f.message, sizeof(f.message), "broker 2 does not lead %s-%d", topic, part);
	}
	f.len = data ? data->len : 0;
	replica_frame_write_header(answer, &f);
	if (data)
		buf_add(answer, data->data, data->len);
}

static void frame_seeds(void)
{
	struct buf batches = BUF_INIT, zb = BUF_INIT, a = BUF_INIT;
	struct replica_frame f = { .partition = 1, .high_watermark = 5, .log_start_offset = 0,
				   .log_end_offset = 9, .leader_epoch = 2, .diverging_epoch = 1,
				   .diverging_end_offset = 5 };

	batch_of(&batches, CODEC_NONE, 3);
	batch_of(&batches, CODEC_NONE, 1);
	batch_of(&zb, CODEC_ZSTD, 4);
	add_frame(&a, "orders", 0, &batches, 0);
	put("replica_frames", "one-partition-two-batches", a.data, a.len);
	add_frame(&a, "orders", 1, NULL, SLOG_ENOT_LEADER);
	add_frame(&a, "payments.eu", 7, &zb, 0);
	put("replica_frames", "three-partitions-error-zstd", a.data, a.len);
	buf_reset(&a);
	snprintf(f.topic, sizeof(f.topic), "orders");
	replica_frame_write_header(&a, &f);
	put("replica_frames", "diverging", a.data, a.len);
	buf_free(&batches);
	buf_free(&zb);
	buf_free(&a);
}

/* ---- __consumer_offsets records ---- */

static void offsets_seed(const char *name, const char *group, const struct gc_offset *o, int tomb)
{
	struct record r;
	struct buf b = BUF_INIT;

	offsets_record_encode(group, o, tomb, &r);
	buf_add(&b, r.key, (size_t)r.key_len);
	if (r.value) {
		buf_addc(&b, '\n');
		buf_add(&b, r.value, (size_t)r.value_len);
	}
	put("offsets", name, b.data, b.len);
	offsets_record_free_text(&r);
	buf_free(&b);
}

static void offsets_seeds(void)
{
	struct gc_offset o = { .tp = { .topic = "orders", .partition = 3 }, .offset = 42,
			       .commit_ms = 1700000000000 };

	offsets_seed("commit", "billing", &o, 0);
	o.metadata = "consumer 7 \"checkpoint\" \u00e9";
	offsets_seed("commit-with-metadata", "billing.eu-1", &o, 0);
	offsets_seed("tombstone", "billing", &o, 1);
}

int main(int argc, char **argv)
{
	if (argc > 1)
		top = argv[1];
	meta_seeds();
	frame_seeds();
	offsets_seeds();
	return 0;
}
