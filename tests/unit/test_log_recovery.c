/*
 * test_log_recovery.c: what recovery does with damage it finds.
 *
 * A torn tail is only ever at the end: recovery cuts a damaged region
 * only when nothing valid follows it.  A flipped byte in an old segment
 * keeps every later segment and every offset; the damaged offsets are
 * reported, reads of them fail, and no offset is handed out twice.  A
 * clean start CRC-checks what it never verified before appending after
 * it.  Truncation is durable before it returns.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "batch.h"
#include "batch_builder.h"
#include "compress.h"
#include "log.h"
#include "storage/fileio.h"
#include "storage/log_internal.h"
#include "storage/partition_log.h"
#include "unit.h"

#define RECS 5 /* records per batch */

static struct plog *reopen(const char *dir, int64_t segment_bytes, int64_t rp, int clean,
			   struct plog_recovery *rec)
{
	struct plog_open_opts o = { .recovery_point = rp, .clean_shutdown = clean, .now_ms = 1000 };
	struct plog_config cfg;
	struct plog *l = NULL;
	struct err e;

	plog_config_default(&cfg);
	cfg.segment_bytes = segment_bytes;
	cfg.index_interval_bytes = 1024;
	cfg.retention_ms = -1;
	if (plog_open(dir, &cfg, &o, &l, rec, &e))
		unit_diag("plog_open %s: %s", dir, e.msg);
	return l;
}

/* Append one batch of RECS records "batch-N-rec-R" padded to ~100 bytes. */
static int64_t add_batch(struct plog *l, int n)
{
	struct batch_builder bb;
	struct buf b = BUF_INIT;
	struct plog_append_result res = { .base_offset = -1 };
	struct err e;

	batch_builder_init(&bb, CODEC_NONE, 0);
	for (int r = 0; r < RECS; r++) {
		char v[128];
		int vl = snprintf(v, sizeof(v), "batch-%d-rec-%d-%080d", n, r, 0);
		struct record rec = { .timestamp = 1000 + n, .value = (uint8_t *)v, .value_len = vl };
		batch_builder_add(&bb, &rec);
	}
	batch_builder_finish(&bb, &b, NULL);
	batch_builder_free(&bb);
	if (plog_append(l, (uint8_t *)b.data, b.len, 0, 1000, &res, &e))
		unit_diag("append: %s", e.msg);
	buf_free(&b);
	return res.base_offset;
}

static void shut(struct plog *l)
{
	struct err e;

	if (l && plog_close(l, &e))
		unit_diag("close: %s", e.msg);
}

/* Walk a .log file's batches: the position of the batch holding byte at (its base, last). */
static uint64_t batch_at(const char *path, uint64_t at, int64_t *base, int64_t *last)
{
	struct buf b = BUF_INIT;
	size_t pos = 0, found = 0;

	if (fio_read_file(path, 1 << 30, &b, NULL))
		return 0;
	while (pos < b.len) {
		struct batch_header h;
		if (batch_next_in((uint8_t *)b.data + pos, b.len - pos, &h, NULL))
			break;
		if (at >= pos && at < pos + batch_size(&h)) {
			found = pos;
			*base = h.base_offset;
			*last = batch_last_offset(&h);
		}
		pos += batch_size(&h);
	}
	buf_free(&b);
	return found;
}

static void flip_byte(const char *path, uint64_t at)
{
	int fd = open(path, O_RDWR);
	uint8_t c = 0;

	CHECK(fd >= 0);
	CHECK(pread(fd, &c, 1, (off_t)at) == 1);
	c ^= 0x04;
	CHECK(pwrite(fd, &c, 1, (off_t)at) == 1);
	close(fd);
}

/* Read [from, to) region by region; count offsets served, note failures. */
static int64_t read_range(struct plog *l, int64_t from, int64_t to, int *errors)
{
	int64_t off = from, served = 0;

	*errors = 0;
	while (off < to) {
		struct plog_region r;
		struct err e;
		int rc = plog_read(l, off, to, 1 << 20, &r, &e);

		if (rc) {
			(*errors)++;
			if (rc != SLOG_ECORRUPT_MESSAGE)
				unit_diag("read at %lld: %s", (long long)off, e.msg);
			return served;
		}
		if (r.length == 0) {
			plog_region_release(&r);
			break;
		}
		served += r.next_offset - (r.first_offset > off ? r.first_offset : off);
		off = r.next_offset;
		plog_region_release(&r);
	}
	return served;
}

/* A log of 100 batches of RECS records in segments of 4 KiB; its log end. */
static int64_t build(const char *dir, size_t *nsegs)
{
	struct plog *l = reopen(dir, 4096, 0, 0, NULL);
	int64_t end;

	if (!l)
		return -1;
	for (int i = 0; i < 100; i++)
		add_batch(l, i);
	plog_offsets(l, NULL, &end);
	if (nsegs)
		*nsegs = plog_segment_count(l);
	shut(l);
	return end;
}

/* The path of the .log holding offset, and the position of its last batch. */
static uint64_t segment_of(const char *dir, int64_t offset, char *path, size_t size,
			   int64_t *seg_base)
{
	struct plog *l = reopen(dir, 4096, INT64_MAX, 1, NULL);
	struct plog_region r;
	uint64_t last = 0;
	int64_t b, x;

	if (!l || plog_read(l, offset, INT64_MAX, 1, &r, NULL))
		return 0;
	snprintf(path, size, "%s.log", r.seg->path);
	if (seg_base)
		*seg_base = r.seg->base;
	plog_region_release(&r);
	plog_free(l);
	{
		struct stat st;
		if (stat(path, &st) == 0 && st.st_size > 0)
			last = batch_at(path, (uint64_t)st.st_size - 1, &b, &x);
	}
	return last;
}

static void test_flipped_value_byte_in_an_old_segment_keeps_later_segments(void)
{
	char dir[512], seg[600];
	int64_t end, end_after, base = -1, last = -1, seg_base;
	struct plog_recovery rec;
	struct plog *l;
	size_t nsegs;
	int errors;

	snprintf(dir, sizeof(dir), "%s/log", unit_tmpdir());
	REQUIRE((end = build(dir, &nsegs)) == 100 * RECS);
	REQUIRE(nsegs >= 10);
	/* A segment a third of the way in. */
	REQUIRE(segment_of(dir, end / 3, seg, sizeof(seg), &seg_base) > 0);
	/* A byte in the value of the segment's second batch. */
	batch_at(seg, 900, &base, &last);
	REQUIRE(base > seg_base);
	flip_byte(seg, 900);

	/* A crash with the recovery point at 0: every segment is checked. */
	REQUIRE((l = reopen(dir, 4096, 0, 0, &rec)) != NULL);
	plog_offsets(l, NULL, &end_after);
	CHECK_EQ(end_after, end);
	CHECK_EQ(plog_segment_count(l), nsegs);
	CHECK_EQ(rec.segments_deleted, 0);
	CHECK_EQ(rec.bytes_truncated, 0);
	/* Everything before and after the damaged batch reads; it does not. */
	CHECK_EQ(read_range(l, 0, base, &errors), base);
	CHECK_EQ(errors, 0);
	CHECK_EQ(read_range(l, last + 1, end, &errors), end - last - 1);
	CHECK_EQ(errors, 0);
	for (int64_t o = base; o <= last; o++) {
		struct plog_region r;
		CHECK_EQ(plog_read(l, o, end, 1 << 20, &r, NULL), SLOG_ECORRUPT_MESSAGE);
	}
	/* A read running into the damage stops before it. */
	CHECK_EQ(read_range(l, seg_base, end, &errors), base - seg_base);
	CHECK_EQ(errors, 1);
	{
		int64_t first[4], lastv[4];
		REQUIRE_EQ(plog_damaged(l, first, lastv, 4), 1);
		CHECK_EQ(first[0], base);
		CHECK_EQ(lastv[0], last);
	}
	/* No offset is given twice. */
	CHECK_EQ(add_batch(l, 1000), end);
	shut(l);

	/* A clean start checks no old segment, yet still knows the damage. */
	REQUIRE((l = reopen(dir, 4096, end + RECS, 1, NULL)) != NULL);
	CHECK_EQ(plog_damaged(l, NULL, NULL, 0), 1);
	{
		struct plog_region r;
		CHECK_EQ(plog_read(l, base, end, 1 << 20, &r, NULL), SLOG_ECORRUPT_MESSAGE);
	}
	CHECK_EQ(read_range(l, last + 1, end + RECS, &errors), end + RECS - last - 1);
	shut(l);
}

static void test_broken_header_in_an_old_segment_keeps_later_segments(void)
{
	char dir[512], seg[600];
	int64_t end, end_after, base = -1, last = -1;
	struct plog_recovery rec;
	struct plog *l;
	size_t nsegs;
	int errors;

	snprintf(dir, sizeof(dir), "%s/log", unit_tmpdir());
	REQUIRE((end = build(dir, &nsegs)) == 100 * RECS);
	/* Segment 0's second batch: its magic byte (offset 16 in the header). */
	snprintf(seg, sizeof(seg), "%s/%020d.log", dir, 0);
	{
		uint64_t pos = batch_at(seg, 900, &base, &last);
		REQUIRE(base == RECS);
		flip_byte(seg, pos + 16);
	}
	REQUIRE((l = reopen(dir, 4096, 0, 0, &rec)) != NULL);
	plog_offsets(l, NULL, &end_after);
	CHECK_EQ(end_after, end);
	CHECK_EQ(plog_segment_count(l), nsegs);
	CHECK_EQ(rec.segments_deleted, 0);
	CHECK_EQ(read_range(l, 0, end, &errors), RECS);
	CHECK_EQ(errors, 1);
	{
		struct plog_region r;
		CHECK_EQ(plog_read(l, RECS, end, 1 << 20, &r, NULL), SLOG_ECORRUPT_MESSAGE);
	}
	/* The scan found the batches after the broken header. */
	CHECK_EQ(read_range(l, 2 * RECS, end, &errors), end - 2 * RECS);
	CHECK_EQ(errors, 0);
	CHECK_EQ(add_batch(l, 1000), end);
	shut(l);
}

/*
 * Damage the end of a segment in the middle of the log: cut its last
 * batch short (a crash), or flip its length field so that it seems to
 * run past the end (bit rot).  Then recover from offset 0.
 */
static void check_segment_end(int tear)
{
	char dir[512], seg[600];
	int64_t end, end_after;
	struct plog_recovery rec;
	struct plog *l;
	uint64_t last;

	snprintf(dir, sizeof(dir), "%s/log", unit_tmpdir());
	REQUIRE((end = build(dir, NULL)) == 100 * RECS);
	REQUIRE((last = segment_of(dir, end / 2, seg, sizeof(seg), NULL)) > 0);
	if (tear)
		REQUIRE(truncate(seg, (off_t)last + 100) == 0);
	else
		flip_byte(seg, last + 9);
	REQUIRE((l = reopen(dir, 4096, 0, 0, &rec)) != NULL);
	plog_offsets(l, NULL, &end_after);
	if (tear) {
		/* Nothing after a write a crash cut short was acknowledged. */
		CHECK(end_after < end);
		CHECK(rec.segments_deleted > 0);
	} else {
		CHECK_EQ(end_after, end);
		CHECK_EQ(rec.segments_deleted, 0);
	}
	CHECK_EQ(plog_damaged(l, NULL, NULL, 0), !tear);
	CHECK_EQ(add_batch(l, 1000), end_after);
	shut(l);
}

/* The segment's last write reached the disk only in part. */
static void test_a_segment_cut_short_by_a_crash_ends_the_log(void)
{
	check_segment_end(1);
}

/* Bit rot in its last batch's length: it seems to run past the end. */
static void test_a_flipped_length_ending_a_segment_is_damage_not_a_tear(void)
{
	check_segment_end(0);
}

/* Append a copy of the last batch, one value byte flipped, after the data. */
static void append_bad_copy(const char *path, int64_t new_base)
{
	struct buf b = BUF_INIT;
	size_t pos = 0, last = 0;
	struct batch_header h;
	int fd;

	REQUIRE(fio_read_file(path, 1 << 30, &b, NULL) == 0);
	while (pos < b.len && batch_next_in((uint8_t *)b.data + pos, b.len - pos, &h, NULL) == 0) {
		last = pos;
		pos += batch_size(&h);
	}
	REQUIRE(batch_next_in((uint8_t *)b.data + last, b.len - last, &h, NULL) == 0);
	batch_set_base_offset((uint8_t *)b.data + last, new_base);
	((uint8_t *)b.data)[last + batch_size(&h) - 3] ^= 0x01;
	fd = open(path, O_WRONLY | O_APPEND);
	CHECK(fd >= 0);
	CHECK(write(fd, b.data + last, batch_size(&h)) == (ssize_t)batch_size(&h));
	close(fd);
	buf_free(&b);
}

static void test_clean_start_checks_a_tail_it_never_verified(void)
{
	char dir[512], seg[600];
	int64_t end, end_after, acked;
	struct plog *l;
	int errors;

	snprintf(dir, sizeof(dir), "%s/log", unit_tmpdir());
	REQUIRE((l = reopen(dir, 1 << 20, 0, 0, NULL)) != NULL);
	for (int i = 0; i < 3; i++)
		add_batch(l, i);
	plog_offsets(l, NULL, &end);
	shut(l);
	snprintf(seg, sizeof(seg), "%s/%020d.log", dir, 0);
	append_bad_copy(seg, end);

	/* A clean start: the checkpoint says everything up to end is durable. */
	REQUIRE((l = reopen(dir, 1 << 20, end, 1, NULL)) != NULL);
	plog_offsets(l, NULL, &end_after);
	CHECK_EQ(end_after, end);
	CHECK_EQ(read_range(l, 0, end_after, &errors), end);
	CHECK_EQ(errors, 0);
	/* The next acknowledged append is not placed behind the bad batch... */
	acked = add_batch(l, 3);
	CHECK_EQ(acked, end);
	REQUIRE(plog_flush(l, acked + RECS, NULL) == 0);
	plog_free(l) /* no close: as after a crash */;
	/* ...so a crash recovery keeps it. */
	REQUIRE((l = reopen(dir, 1 << 20, 0, 0, NULL)) != NULL);
	plog_offsets(l, NULL, &end_after);
	CHECK_EQ(end_after, end + RECS);
	CHECK_EQ(read_range(l, 0, end_after, &errors), end + RECS);
	CHECK_EQ(errors, 0);
	shut(l);
}

static void test_truncation_is_durable_before_it_returns(void)
{
	struct fio_faults f = { .fail_sync_at = 1, .sync_errno = EIO };
	char dir[512];
	int64_t end, after;
	uint64_t syncs;
	struct plog *l;

	snprintf(dir, sizeof(dir), "%s/log", unit_tmpdir());
	REQUIRE((end = build(dir, NULL)) == 100 * RECS);
	REQUIRE((l = reopen(dir, 4096, end, 1, NULL)) != NULL);
	syncs = fio_sync_count();
	REQUIRE(plog_truncate(l, end - 3 * RECS, 1000, NULL) == 0);
	/* The cut .log, the ceiling file and the directory: synced. */
	CHECK(fio_sync_count() - syncs >= 3);
	CHECK(plog_recovery_point(l) <= end - 3 * RECS);
	/* A sync that fails fails the truncation, and the log takes no more. */
	fio_faults_set(&f);
	CHECK(plog_truncate(l, end / 2, 1000, NULL) != 0);
	fio_faults_clear();
	CHECK(add_batch(l, 1) < 0);
	plog_free(l);
	REQUIRE((l = reopen(dir, 4096, 0, 0, NULL)) != NULL);
	plog_offsets(l, NULL, &after);
	CHECK(after <= end - 3 * RECS);
	shut(l);
}

/*
 * The log dir's checkpoint may still hold a recovery point above a cut;
 * segments written after the cut must be checked after a crash anyway.
 */
static void test_truncation_lowers_the_recovery_point_until_a_clean_close(void)
{
	char dir[512], seg[600];
	int64_t end, base = -1, last = -1;
	struct plog_region r;
	struct plog *l;

	snprintf(dir, sizeof(dir), "%s/log", unit_tmpdir());
	REQUIRE((end = build(dir, NULL)) == 100 * RECS);
	REQUIRE((l = reopen(dir, 4096, end, 1, NULL)) != NULL);
	REQUIRE(plog_truncate(l, 10 * RECS, 1000, NULL) == 0);
	for (int i = 0; i < 30; i++)
		add_batch(l, 200 + i);
	REQUIRE(plog_flush(l, INT64_MAX, NULL) == 0);
	/* The first segment written after the cut, flipped before its tail. */
	REQUIRE(plog_read(l, 20 * RECS, end, 1, &r, NULL) == 0);
	snprintf(seg, sizeof(seg), "%s.log", r.seg->path);
	plog_region_release(&r);
	plog_free(l); /* a crash */
	batch_at(seg, 100, &base, &last);
	flip_byte(seg, 100);
	/* The stale checkpoint says everything up to end was durable. */
	REQUIRE((l = reopen(dir, 4096, end, 0, NULL)) != NULL);
	CHECK_EQ(plog_damaged(l, NULL, NULL, 0), 1);
	CHECK_EQ(plog_read(l, base, end, 1 << 20, &r, NULL), SLOG_ECORRUPT_MESSAGE);
	shut(l);
}

static int count_record(void *arg, const struct record *r, struct err *e)
{
	(void)r;
	(void)e;
	(*(int64_t *)arg)++;
	return 0;
}

/* The metadata log and __consumer_offsets are read so: damage stops them. */
static void test_a_replay_stops_at_a_damaged_range(void)
{
	char dir[512], seg[600];
	int64_t end, base, last, n = 0;
	struct plog *l;
	struct err e;

	snprintf(dir, sizeof(dir), "%s/log", unit_tmpdir());
	REQUIRE((end = build(dir, NULL)) == 100 * RECS);
	snprintf(seg, sizeof(seg), "%s/%020d.log", dir, 0);
	batch_at(seg, 900, &base, &last);
	flip_byte(seg, 900);
	REQUIRE((l = reopen(dir, 4096, 0, 0, NULL)) != NULL);
	CHECK_EQ(plog_replay(l, 0, count_record, &n, &e), SLOG_ECORRUPT_MESSAGE);
	CHECK_EQ(n, base);
	CHECK(strstr(e.msg, "damaged") != NULL);
	shut(l);
}

static int count_batch(void *arg, const uint8_t *batch, size_t len, uint64_t pos)
{
	(void)batch;
	(void)len;
	(void)pos;
	(*(int *)arg)++;
	return 0;
}

/* Compaction reads through segment_scan: it must not give damage a fresh CRC. */
static void test_a_scan_for_rewriting_stops_at_a_bad_crc(void)
{
	char dir[512], seg[600];
	struct segment *s;
	int64_t base, last;
	int batches = 0;

	snprintf(dir, sizeof(dir), "%s/log", unit_tmpdir());
	REQUIRE(build(dir, NULL) == 100 * RECS);
	snprintf(seg, sizeof(seg), "%s/%020d.log", dir, 0);
	batch_at(seg, 900, &base, &last);
	flip_byte(seg, 900);
	REQUIRE(segment_open(dir, 0, &s, NULL) == 0);
	CHECK_EQ(segment_scan(s, 0, s->size, count_batch, &batches, NULL), SLOG_ECORRUPT_MESSAGE);
	CHECK_EQ(batches, 1);
	segment_unref(s);
}

int main(void)
{
	log_set_level(LOG_LEVEL_ERROR);
	unit_run("flipped value byte in an old segment keeps later segments",
		 test_flipped_value_byte_in_an_old_segment_keeps_later_segments);
	unit_run("broken header in an old segment keeps later segments",
		 test_broken_header_in_an_old_segment_keeps_later_segments);
	unit_run("clean start checks a tail it never verified",
		 test_clean_start_checks_a_tail_it_never_verified);
	unit_run("a segment cut short by a crash ends the log",
		 test_a_segment_cut_short_by_a_crash_ends_the_log);
	unit_run("a flipped length ending a segment is damage, not a tear",
		 test_a_flipped_length_ending_a_segment_is_damage_not_a_tear);
	unit_run("a replay stops at a damaged range", test_a_replay_stops_at_a_damaged_range);
	unit_run("a scan for rewriting stops at a bad CRC", test_a_scan_for_rewriting_stops_at_a_bad_crc);
	unit_run("truncation is durable before it returns",
		 test_truncation_is_durable_before_it_returns);
	unit_run("truncation lowers the recovery point until a clean close",
		 test_truncation_lowers_the_recovery_point_until_a_clean_close);
	return unit_done();
}
