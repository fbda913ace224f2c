/*
 * test_log_replica.c: plog_append_replica writes a leader's batches as
 * they are (offsets, leader epochs, bytes), refuses what does not
 * continue the log, and is durable through the same flush as appends.
 * plog_append_mirror, which shares its write, keeps another cluster's
 * offsets under this log's epoch, skips what it holds, and takes gaps.
 */
#include <stdio.h>
#include <string.h>

#include "batch.h"
#include "log.h"
#include "storage/fileio.h"
#include "storage/log_internal.h"
#include "storage/partition_log.h"
#include "unit.h"
#include "plog_fixture.h"

/* The bytes of the batches from offset on, at most max_bytes (whole batches). */
static int64_t read_bytes(struct plog *l, int64_t offset, size_t max_bytes, struct buf *out)
{
	struct plog_region r;
	int64_t end;

	buf_reset(out);
	plog_offsets(l, NULL, &end);
	if (!CHECK(plog_read(l, offset, end, max_bytes, &r, NULL) == 0))
		return -1;
	if (r.length) {
		segment_pread(r.seg, buf_reserve(out, r.length), r.length, r.position, NULL);
		buf_commit(out, r.length);
	}
	plog_region_release(&r);
	return r.next_offset;
}

/* A leader with epochs 1, 1, 2, 5, 5, 5 over batches of 7 records. */
static struct plog *leader_log(const char *dir)
{
	static const int32_t epochs[] = { 1, 1, 2, 5, 5, 5 };
	struct plog_config cfg = small_config();
	struct plog *l = open_log(dir, &cfg, 0, 0, NULL);

	for (size_t i = 0; l && i < sizeof(epochs) / sizeof(epochs[0]); i++)
		append_epoch(l, 7, epochs[i]);
	return l;
}

/* Copy the leader's log into the follower a few batches at a time. */
static void replicate(struct plog *leader, struct plog *follower, size_t max_bytes)
{
	struct buf b = BUF_INIT;
	int64_t end, fend;
	struct err e;

	plog_offsets(leader, NULL, &end);
	plog_offsets(follower, NULL, &fend);
	while (fend < end) {
		struct plog_append_result res;
		int64_t next = read_bytes(leader, fend, max_bytes, &b);
		if (!CHECK(next > fend))
			break;
		if (!CHECK(plog_append_replica(follower, (uint8_t *)b.data, b.len, 1000, &res, &e) ==
			   0)) {
			unit_diag("append_replica: %s", e.msg);
			break;
		}
		CHECK_EQ(res.base_offset, fend);
		CHECK_EQ(res.last_offset, next - 1);
		CHECK_EQ(res.bytes, b.len);
		plog_offsets(follower, NULL, &fend);
		CHECK_EQ(fend, next);
	}
	buf_free(&b);
}

static void test_replica_keeps_offsets_epochs_and_bytes(void)
{
	struct plog_config cfg = small_config();
	struct buf a = BUF_INIT, b = BUF_INIT;
	struct plog *leader, *follower;
	char dir[512];

	snprintf(dir, sizeof(dir), "%s/leader", unit_tmpdir());
	REQUIRE((leader = leader_log(dir)) != NULL);
	cfg.segment_bytes = 512; /* the follower rolls on its own */
	snprintf(dir, sizeof(dir), "%s/follower", unit_tmpdir());
	REQUIRE((follower = open_log(dir, &cfg, 0, 0, NULL)) != NULL);
	replicate(leader, follower, 300);
	CHECK(plog_segment_count(follower) > 1);
	CHECK_EQ(count_records(follower, NULL), 42);
	for (int64_t off = 0; off < 42; off = read_bytes(follower, off, 1, &b)) {
		CHECK_EQ(read_bytes(leader, off, 1, &a), read_bytes(follower, off, 1, &b));
		CHECK(a.len == b.len && memcmp(a.data, b.data, a.len) == 0);
	}
	for (int32_t epoch = 0; epoch <= 6; epoch++) {
		int32_t fl, ff;
		CHECK_EQ(plog_epoch_end_offset(leader, epoch, &fl),
			 plog_epoch_end_offset(follower, epoch, &ff));
		CHECK_EQ(fl, ff);
	}
	CHECK_EQ(plog_latest_epoch(follower), 5);
	CHECK_EQ(plog_epoch_end_offset(follower, 2, NULL), 21);
	close_log(leader);
	close_log(follower);
	buf_free(&a);
	buf_free(&b);
}

/* One batch of n records with the given base offset and leader epoch, appended to out. */
static void add_batch(struct buf *out, int n, int64_t base, int32_t epoch)
{
	size_t at = out->len;

	make_batch(out, n, 1000, 0, CODEC_NONE, 10, NULL);
	batch_set_base_offset((uint8_t *)out->data + at, base);
	batch_set_leader_epoch((uint8_t *)out->data + at, epoch);
}

/* Append data as a replica; the result, with the log unchanged when refused. */
static int try_append(struct plog *l, const struct buf *data)
{
	int64_t end, after;
	uint64_t size = plog_size(l);
	struct err e;
	int rc;

	plog_offsets(l, NULL, &end);
	rc = plog_append_replica(l, (const uint8_t *)data->data, data->len, 1000, NULL, &e);
	plog_offsets(l, NULL, &after);
	if (rc) {
		CHECK_EQ(after, end);
		CHECK_EQ(plog_size(l), size);
	}
	return rc;
}

static void test_replica_refuses_what_does_not_continue_the_log(void)
{
	struct plog_config cfg = small_config();
	struct buf b = BUF_INIT;
	struct plog *l;
	char dir[512];

	snprintf(dir, sizeof(dir), "%s/log", unit_tmpdir());
	REQUIRE((l = open_log(dir, &cfg, 0, 0, NULL)) != NULL);
	add_batch(&b, 5, 0, 3);
	add_batch(&b, 5, 9, 4); /* a gap a compaction left: kept */
	CHECK_EQ(try_append(l, &b), 0);
	CHECK_EQ(count_records(l, NULL), 10);
	CHECK_EQ(plog_epoch_end_offset(l, 3, NULL), 9);
	/* The same batches again: they overlap the log. */
	CHECK_EQ(try_append(l, &b), SLOG_EUNEXPECTED_APPEND_OFFSET);
	buf_reset(&b);
	add_batch(&b, 2, 14, 4);
	add_batch(&b, 2, 15, 4); /* overlaps the batch before it */
	CHECK_EQ(try_append(l, &b), SLOG_EUNEXPECTED_APPEND_OFFSET);
	buf_reset(&b);
	add_batch(&b, 2, 14, 2); /* an epoch older than the log's */
	CHECK_EQ(try_append(l, &b), SLOG_EINVALID_RECORD);
	CHECK_EQ(plog_latest_epoch(l), 4);
	buf_reset(&b);
	add_batch(&b, 2, 14, 4);
	b.len -= 3; /* not whole batches */
	CHECK_EQ(try_append(l, &b), SLOG_ECORRUPT_MESSAGE);
	/* After a restart at the leader's log start, the log continues there. */
	REQUIRE(plog_truncate_fully_and_start_at(l, 100, 1000, NULL) == 0);
	buf_reset(&b);
	add_batch(&b, 3, 100, 1);
	CHECK_EQ(try_append(l, &b), 0);
	CHECK_EQ(count_records(l, NULL), 3);
	CHECK_EQ(plog_latest_epoch(l), 1);
	/* An answer that starts past the log end: the leader has nothing in
	 * between (compaction, or a mirror's gap), and the gap is kept. */
	buf_reset(&b);
	add_batch(&b, 2, 110, 1);
	CHECK_EQ(try_append(l, &b), 0);
	CHECK_EQ(count_records(l, NULL), 5);
	close_log(l);
	buf_free(&b);
}

/* Flushed replica data survives a power loss, with its epochs. */
static void test_replica_data_is_durable_through_the_flush(void)
{
	struct plog_config cfg = small_config();
	struct fio_faults f = { .track = 1 };
	struct plog *leader, *l;
	int64_t end;
	char dir[512];

	snprintf(dir, sizeof(dir), "%s/leader", unit_tmpdir());
	REQUIRE((leader = leader_log(dir)) != NULL);
	snprintf(dir, sizeof(dir), "%s/follower", unit_tmpdir());
	fio_faults_set(&f);
	REQUIRE((l = open_log(dir, &cfg, 0, 0, NULL)) != NULL);
	replicate(leader, l, 1 << 20);
	CHECK_EQ(plog_flush(l, 42, NULL), 0);
	CHECK_EQ(plog_recovery_point(l), 42);
	REQUIRE((l = crash_and_reopen(l, dir, &cfg, 42)) != NULL);
	plog_offsets(l, NULL, &end);
	CHECK_EQ(end, 42);
	CHECK_EQ(count_records(l, NULL), 42);
	CHECK_EQ(plog_latest_epoch(l), 5);
	CHECK_EQ(plog_epoch_end_offset(l, 1, NULL), 14);
	fio_faults_clear();
	close_log(l);
	close_log(leader);
}

/* Append data as a mirror under epoch 7; the result and what res says. */
static int mirror_append(struct plog *l, struct buf *data, struct plog_append_result *res)
{
	struct err e;
	int rc = plog_append_mirror(l, (uint8_t *)data->data, data->len, 7, 1000, res, &e);

	if (rc)
		unit_diag("append_mirror: %s", e.msg);
	return rc;
}

static void test_mirror_keeps_source_offsets_under_its_own_epoch(void)
{
	struct plog_config cfg = small_config();
	struct plog_append_result res;
	struct buf b = BUF_INIT, got = BUF_INIT;
	struct batch_header h;
	struct plog *l;
	int64_t start, end;
	char dir[512];

	snprintf(dir, sizeof(dir), "%s/mirror", unit_tmpdir());
	REQUIRE((l = open_log(dir, &cfg, 0, 0, NULL)) != NULL);
	add_batch(&b, 4, 0, 2);
	add_batch(&b, 4, 4, 3);
	REQUIRE_EQ(mirror_append(l, &b, &res), 0);
	CHECK_EQ(res.base_offset, 0);
	CHECK_EQ(res.last_offset, 7);
	CHECK_EQ(res.bytes, b.len);
	CHECK_EQ(res.skipped_bytes, 0);
	/* The bytes are the source's but for the epoch, outside the CRC. */
	CHECK_EQ(read_bytes(l, 0, 1 << 20, &got), 8);
	REQUIRE(got.len == b.len);
	CHECK(memcmp(got.data, b.data, b.len) == 0);
	REQUIRE(batch_header_parse((const uint8_t *)got.data, got.len, &h, NULL) == 0);
	CHECK_EQ(h.leader_epoch, 7);
	CHECK_EQ(batch_crc_compute((const uint8_t *)got.data, batch_size(&h)), h.crc);
	CHECK_EQ(plog_latest_epoch(l), 7);
	/* A re-send after a crash: the log holds it, nothing is written. */
	REQUIRE_EQ(mirror_append(l, &b, &res), 0);
	CHECK_EQ(res.bytes, 0);
	CHECK_EQ(res.skipped_bytes, b.len);
	plog_offsets(l, &start, &end);
	CHECK_EQ(end, 8);
	CHECK_EQ(count_records(l, NULL), 8);
	/* Half held, half new: the new half is written. */
	add_batch(&b, 2, 8, 3);
	REQUIRE_EQ(mirror_append(l, &b, &res), 0);
	CHECK_EQ(res.last_offset, 9);
	CHECK(res.bytes > 0 && res.bytes + res.skipped_bytes == b.len);
	CHECK_EQ(count_records(l, NULL), 10);
	close_log(l);
	buf_free(&b);
	buf_free(&got);
}

static void test_mirror_takes_the_sources_gaps(void)
{
	struct plog_config cfg = small_config();
	struct plog_append_result res;
	struct buf b = BUF_INIT;
	struct plog *l;
	int64_t start, end;
	char dir[512];

	snprintf(dir, sizeof(dir), "%s/gaps", unit_tmpdir());
	REQUIRE((l = open_log(dir, &cfg, 0, 0, NULL)) != NULL);
	/* An empty log starts where the source's does. */
	add_batch(&b, 3, 500, 1);
	REQUIRE_EQ(mirror_append(l, &b, &res), 0);
	plog_offsets(l, &start, &end);
	CHECK_EQ(start, 500);
	CHECK_EQ(end, 503);
	/* A gap compaction or retention left on the source is kept. */
	buf_reset(&b);
	add_batch(&b, 2, 510, 1);
	REQUIRE_EQ(mirror_append(l, &b, &res), 0);
	plog_offsets(l, &start, &end);
	CHECK_EQ(start, 500);
	CHECK_EQ(end, 512);
	CHECK_EQ(count_records(l, NULL), 5);
	/* A batch across the log end cannot be half kept. */
	buf_reset(&b);
	add_batch(&b, 4, 510, 1);
	CHECK_EQ(plog_append_mirror(l, (uint8_t *)b.data, b.len, 7, 1000, NULL, NULL),
		 SLOG_EUNEXPECTED_APPEND_OFFSET);
	CHECK_EQ(count_records(l, NULL), 5);
	/* Mirrored data survives a reopen, offsets and all. */
	close_log(l);
	REQUIRE((l = open_log(dir, &cfg, 0, 0, NULL)) != NULL);
	plog_offsets(l, &start, &end);
	CHECK_EQ(start, 500);
	CHECK_EQ(end, 512);
	CHECK_EQ(count_records(l, NULL), 5);
	close_log(l);
	buf_free(&b);
}

int main(void)
{
	log_set_level(LOG_LEVEL_ERROR);
	unit_run("a replica keeps its leader's offsets, epochs and bytes, across its own rolls",
		 test_replica_keeps_offsets_epochs_and_bytes);
	unit_run("a replica refuses batches that do not continue its log, and writes nothing",
		 test_replica_refuses_what_does_not_continue_the_log);
	unit_run("flushed replica data survives a power loss",
		 test_replica_data_is_durable_through_the_flush);
	unit_run("a mirror keeps the source's offsets and bytes under its own epoch, and skips re-sends",
		 test_mirror_keeps_source_offsets_under_its_own_epoch);
	unit_run("a mirror takes the source's gaps, and an empty log starts where the source's does",
		 test_mirror_takes_the_sources_gaps);
	return unit_done();
}
