/*
 * test_log_faults.c: the partition log on a failing disk, through
 * fileio's fault hooks: a failed write or fsync, a simulated power loss,
 * and the rolls around them.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "storage/fileio.h"
#include "storage/log_internal.h"
#include "storage/partition_log.h"
#include "unit.h"
#include "plog_fixture.h"

static void test_failed_write_leaves_the_log_unchanged(void)
{
	struct plog_config cfg = small_config();
	struct fio_faults f = { .fail_write_at = 1, .write_errno = 28 /* ENOSPC */, .tear_write = 1 };
	struct plog *l;
	struct buf b = BUF_INIT;
	struct err e;
	char dir[512];
	int64_t end;

	snprintf(dir, sizeof(dir), "%s/log", unit_tmpdir());
	REQUIRE((l = open_log(dir, &cfg, 0, 0, NULL)) != NULL);
	append_one(l, 5, 0, 10);
	make_batch(&b, 3, 0, 0, CODEC_NONE, 10, NULL);
	fio_faults_set(&f);
	CHECK_EQ(plog_append(l, (uint8_t *)b.data, b.len, 0, 1000, NULL, &e), SLOG_ESTORAGE);
	unit_diag("%s", e.msg);
	CHECK(strstr(e.msg, "No space left") != NULL);
	fio_faults_clear();
	plog_offsets(l, NULL, &end);
	CHECK_EQ(end, 5);
	CHECK_EQ(count_records(l, NULL), 5);
	/* The disk has room again: appends go on where they were. */
	CHECK_EQ(append_one(l, 2, 0, 10), 5);
	CHECK_EQ(count_records(l, NULL), 7);
	close_log(l);
	REQUIRE((l = open_log(dir, &cfg, 0, 0, NULL)) != NULL);
	CHECK_EQ(count_records(l, NULL), 7);
	close_log(l);
	buf_free(&b);
}

static void test_failed_fsync_refuses_everything_after(void)
{
	struct plog_config cfg = small_config();
	struct fio_faults f = { .fail_sync_at = 1, .sync_errno = 5 /* EIO */ };
	struct plog *l;
	struct err e;
	char dir[512];
	int64_t base;

	snprintf(dir, sizeof(dir), "%s/log", unit_tmpdir());
	REQUIRE((l = open_log(dir, &cfg, 0, 0, NULL)) != NULL);
	base = append_one(l, 4, 0, 10);
	CHECK_EQ(plog_flush(l, base + 4, &e), 0);
	base = append_one(l, 4, 0, 10);
	fio_faults_set(&f);
	CHECK_EQ(plog_flush(l, base + 4, &e), SLOG_ESTORAGE);
	fio_faults_clear();
	/* A retry must not report success: the pages may be gone. */
	CHECK_EQ(plog_flush(l, base + 4, &e), SLOG_ESTORAGE);
	CHECK_EQ(plog_recovery_point(l), 4);
	{
		struct buf b = BUF_INIT;
		make_batch(&b, 1, 0, 0, CODEC_NONE, 1, NULL);
		CHECK_EQ(plog_append(l, (uint8_t *)b.data, b.len, 0, 1000, NULL, &e), SLOG_ESTORAGE);
		buf_free(&b);
	}
	/* Reads go on below the recovery point; above it the pages may be
	 * ones the disk never took. */
	{
		struct plog_region r;
		CHECK_EQ(plog_read(l, 0, 8, 1 << 20, &r, &e), 0);
		CHECK(r.length > 0);
		CHECK_EQ(r.next_offset, 4);
		plog_region_release(&r);
		CHECK_EQ(plog_read(l, 4, 8, 1 << 20, &r, &e), SLOG_ESTORAGE);
		CHECK(strstr(e.msg, "offline") != NULL);
	}
	CHECK(plog_close(l, &e) != 0);
}

static void test_acknowledged_records_survive_a_simulated_power_loss(void)
{
	struct plog_config cfg = small_config();
	struct fio_faults f = { .track = 1 };
	struct plog *l;
	char dir[512];

	cfg.segment_bytes = 16 << 10;
	snprintf(dir, sizeof(dir), "%s/log", unit_tmpdir());
	for (int round = 0; round < 30; round++) {
		int64_t acked = 0, rp, end;
		struct err e;

		fio_faults_clear();
		fio_faults_set(&f);
		REQUIRE((l = open_log(dir, &cfg, 0, 0, NULL)) != NULL);
		plog_offsets(l, NULL, &end);
		acked = end; /* recovered data was synced at open */
		for (int i = 0; i < 40; i++) {
			int64_t base = append_one(l, 1 + (int)unit_rand_below(8), 0, unit_rand_below(200));
			if (base < 0)
				break;
			if (unit_rand_below(3) == 0) {
				plog_offsets(l, NULL, &end);
				REQUIRE(plog_flush(l, end, &e) == 0);
				acked = end;
			}
		}
		rp = plog_recovery_point(l);
		CHECK(rp >= acked);
		/* Power loss: nothing is closed cleanly, unsynced bytes vanish or tear. */
		fio_sim_crash(1, unit_rand());
		fio_faults_clear();
		/* The process is gone: free the log without another write. */
		plog_free(l);
		REQUIRE((l = open_log(dir, &cfg, rp, 0, NULL)) != NULL);
		plog_offsets(l, NULL, &end);
		if (!CHECK(end >= acked) || !CHECK(count_records(l, NULL) == end)) {
			unit_diag("round %d: acked %lld, recovered %lld", round, (long long)acked,
				  (long long)end);
			close_log(l);
			return;
		}
		close_log(l);
	}
}

/* How far offsets are readable from the log start on, below upto. */
static int64_t readable_prefix(struct plog *l, int64_t upto)
{
	int64_t off;

	plog_offsets(l, &off, NULL);
	while (off < upto) {
		struct plog_region r;
		if (plog_read(l, off, upto, 1 << 20, &r, NULL) || r.length == 0) {
			if (r.seg)
				plog_region_release(&r);
			break;
		}
		off = r.next_offset;
		plog_region_release(&r);
	}
	return off;
}

/* Power loss: unsynced bytes vanish; reopen from the recovery point,
 * tracking the files again for the next one. */
static void test_flush_after_a_failed_roll_syncs_the_sealed_segment(void)
{
	struct plog_config cfg = small_config();
	struct fio_faults f = { .track = 1 };
	struct buf b = BUF_INIT;
	struct plog *l;
	struct err e;
	char dir[512];
	int64_t end;

	cfg.segment_bytes = 4096;
	snprintf(dir, sizeof(dir), "%s/log", unit_tmpdir());
	fio_faults_set(&f);
	REQUIRE((l = open_log(dir, &cfg, 0, 0, NULL)) != NULL);
	append_one(l, 6, 0, 300); /* A: ~1.9 KB */
	append_one(l, 6, 0, 300); /* B */
	plog_offsets(l, NULL, &end);
	REQUIRE_EQ(end, 12);
	REQUIRE_EQ(plog_segment_count(l), 1);
	/* C rolls: the two index writes of the seal pass, C's write fails. */
	make_batch(&b, 6, 0, 0, CODEC_NONE, 300, NULL);
	f.fail_write_at = 3;
	f.write_errno = 28; /* ENOSPC */
	fio_faults_set(&f);
	CHECK_EQ(plog_append(l, (uint8_t *)b.data, b.len, 0, 1000, NULL, &e), SLOG_ESTORAGE);
	CHECK_EQ(plog_segment_count(l), 2);
	/* An acks=all request for B is answered after this flush. */
	CHECK_EQ(plog_flush(l, end, &e), 0);
	CHECK_EQ(plog_recovery_point(l), 12);
	REQUIRE((l = crash_and_reopen(l, dir, &cfg, plog_recovery_point(l))) != NULL);
	CHECK_EQ(readable_prefix(l, 12), 12);
	fio_faults_clear();
	close_log(l);
	buf_free(&b);
}

static void test_rolls_of_an_idle_segment_keep_the_recovery_point_honest(void)
{
	struct plog_config cfg = small_config();
	struct fio_faults f = { .track = 1 };
	struct plog *l;
	struct err e;
	char dir[512];
	int64_t start, end;
	int deleted;

	snprintf(dir, sizeof(dir), "%s/log", unit_tmpdir());
	fio_faults_set(&f);
	REQUIRE((l = open_log(dir, &cfg, 0, 0, NULL)) != NULL);
	/* Old records, written and never flushed (acks=1). */
	append_one(l, 6, 0, 300);
	cfg.retention_ms = 1000;
	plog_set_config(l, &cfg);
	/* The idle segment is rolled and removed: the new one is empty. */
	CHECK_EQ(plog_apply_retention(l, 100000, INT64_MAX, &deleted, &e), 0);
	CHECK_EQ(deleted, 1);
	plog_offsets(l, &start, &end);
	CHECK_EQ(start, 6);
	CHECK_EQ(end, 6);
	/* New records, acknowledged with acks=all. */
	CHECK_EQ(append_one(l, 3, 200000, 10), 6);
	CHECK_EQ(plog_flush(l, 9, &e), 0);
	REQUIRE((l = crash_and_reopen(l, dir, &cfg, plog_recovery_point(l))) != NULL);
	plog_offsets(l, &start, &end);
	CHECK_EQ(start, 6);
	CHECK_EQ(end, 9);
	CHECK_EQ(count_records(l, NULL), 3);
	/* An idle segment with unflushed records rolled by the clock
	 * (segment.ms) and then flushed: all of it survives. */
	CHECK_EQ(append_one(l, 2, 300000, 10), 9);
	cfg.segment_ms = 1000;
	plog_set_config(l, &cfg);
	fio_faults_set(&f);
	{
		struct buf b = BUF_INIT;
		make_batch(&b, 1, 400000, 0, CODEC_NONE, 10, NULL);
		f.fail_write_at = 3;
		f.write_errno = 28;
		fio_faults_set(&f);
		CHECK_EQ(plog_append(l, (uint8_t *)b.data, b.len, 0, 400000, NULL, &e), SLOG_ESTORAGE);
		buf_free(&b);
	}
	CHECK_EQ(plog_flush(l, 11, &e), 0);
	REQUIRE((l = crash_and_reopen(l, dir, &cfg, plog_recovery_point(l))) != NULL);
	CHECK_EQ(readable_prefix(l, 11), 11);
	fio_faults_clear();
	close_log(l);
}

int main(void)
{
	log_set_level(LOG_LEVEL_ERROR);
	unit_run("a failed write (disk full) leaves the log unchanged",
		 test_failed_write_leaves_the_log_unchanged);
	unit_run("a failed fsync refuses every write, flush and unsynced read after it",
		 test_failed_fsync_refuses_everything_after);
	unit_run("acknowledged records survive a simulated power loss",
		 test_acknowledged_records_survive_a_simulated_power_loss);
	unit_run("a flush after a failed roll makes the sealed segment durable",
		 test_flush_after_a_failed_roll_syncs_the_sealed_segment);
	unit_run("rolls of an idle segment by retention or by age keep the recovery point honest",
		 test_rolls_of_an_idle_segment_keep_the_recovery_point_honest);
	return unit_done();
}
