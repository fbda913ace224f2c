/*
 * test_log_truncate.c: truncation from the end (a replica's divergent
 * tail) and truncating fully to restart at an offset, both durable when
 * they return, checked with fileio's simulated power loss.
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

static void test_delete_before_and_truncate(void)
{
	struct plog_config cfg = small_config();
	struct plog *l;
	int64_t start, end;
	char dir[512];

	cfg.segment_bytes = 4096;
	snprintf(dir, sizeof(dir), "%s/log", unit_tmpdir());
	REQUIRE((l = open_log(dir, &cfg, 0, 0, NULL)) != NULL);
	for (int i = 0; i < 40; i++)
		append_one(l, 10, i, 50); /* 400 records */
	CHECK_EQ(plog_delete_before(l, 401, NULL), SLOG_EOFFSET_OUT_OF_RANGE);
	CHECK_EQ(plog_delete_before(l, 155, NULL), 0);
	plog_offsets(l, &start, &end);
	CHECK_EQ(start, 155);
	{
		struct plog_region r;
		CHECK_EQ(plog_read(l, 154, end, 100, &r, NULL), SLOG_EOFFSET_OUT_OF_RANGE);
		CHECK_EQ(plog_read(l, 155, end, 100, &r, NULL), 0);
		CHECK_EQ(r.first_offset, 150); /* the batch holding 155 */
		plog_region_release(&r);
	}
	/* Truncate inside a batch: the whole batch goes. */
	CHECK_EQ(plog_truncate(l, 305, 1000, NULL), 0);
	plog_offsets(l, &start, &end);
	CHECK_EQ(end, 300);
	CHECK_EQ(append_one(l, 3, 0, 5), 300);
	/* Truncate to a segment boundary and below the log start. */
	CHECK_EQ(plog_truncate(l, 100, 1000, NULL), 0);
	plog_offsets(l, &start, &end);
	CHECK_EQ(start, 155);
	CHECK_EQ(end, 155);
	CHECK_EQ(append_one(l, 2, 0, 5), 155);
	close_log(l);
	REQUIRE((l = open_log(dir, &cfg, 0, 0, NULL)) != NULL);
	plog_offsets(l, &start, &end);
	CHECK_EQ(end, 157);
	CHECK_EQ(count_records(l, NULL), 2);
	close_log(l);
}

/* A log of batches of 10 records, epoch 1 up to 310 and 2 after, all
 * of it flushed; NULL if it cannot be opened. */
static struct plog *build_synced(const char *dir, const struct plog_config *cfg, int64_t records)
{
	struct plog *l = open_log(dir, cfg, 0, 0, NULL);

	for (int64_t off = 0; l && off < records; off += 10)
		append_epoch(l, 10, off < 310 ? 1 : 2);
	if (l)
		CHECK_EQ(plog_flush(l, INT64_MAX, NULL), 0);
	return l;
}

/*
 * Power lost right after plog_truncate returns: the cut holds.  The log
 * dir's checkpoint still says the old end was durable, as a crash leaves
 * it.  Without the fdatasync of the cut, the directory fsync after the
 * unlinks, or the lowered recovery point, the old tail comes back.
 */
static void test_truncation_holds_after_a_power_loss(void)
{
	struct plog_config cfg = small_config();
	struct fio_faults f = { .track = 1 };
	struct plog *l = NULL;
	int64_t start, end;
	char dir[512];

	cfg.segment_bytes = 1024;
	snprintf(dir, sizeof(dir), "%s/log", unit_tmpdir());
	fio_faults_set(&f);
	REQUIRE((l = build_synced(dir, &cfg, 400)) != NULL);
	CHECK(plog_segment_count(l) > 4);
	CHECK_EQ(plog_truncate(l, 305, 1000, NULL), 0);
	CHECK_EQ(plog_latest_epoch(l), 1);
	REQUIRE((l = crash_and_reopen(l, dir, &cfg, 400)) != NULL);
	plog_offsets(l, &start, &end);
	CHECK_EQ(end, 300);
	CHECK_EQ(count_records(l, NULL), 300);
	CHECK_EQ(plog_latest_epoch(l), 1);
	/* A cut that leaves the epoch cache as it was: no other file write
	 * syncs the directory for it. */
	CHECK_EQ(plog_truncate(l, 250, 1000, NULL), 0);
	REQUIRE((l = crash_and_reopen(l, dir, &cfg, 400)) != NULL);
	plog_offsets(l, &start, &end);
	CHECK_EQ(end, 250);
	CHECK_EQ(count_records(l, NULL), 250);
	/* A cut at a segment's end: that segment takes appends again. */
	CHECK_EQ(plog_truncate(l, 200, 1000, NULL), 0);
	CHECK_EQ(append_epoch(l, 10, 3), 200);
	CHECK_EQ(plog_flush(l, INT64_MAX, NULL), 0);
	REQUIRE((l = crash_and_reopen(l, dir, &cfg, 400)) != NULL);
	plog_offsets(l, &start, &end);
	CHECK_EQ(end, 210);
	CHECK_EQ(count_records(l, NULL), 210);
	CHECK_EQ(plog_latest_epoch(l), 3);
	fio_faults_clear();
	close_log(l);
}

/* The same for a restart at an offset below, inside and past the log. */
static void test_truncate_fully_and_start_at(void)
{
	static const int64_t at[] = { 1000, 250, 0 };
	struct plog_config cfg = small_config();
	struct fio_faults f = { .track = 1 };
	int64_t start, end;
	char dir[512];

	cfg.segment_bytes = 1024;
	for (size_t i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
		struct plog *l = NULL;

		snprintf(dir, sizeof(dir), "%s/log%zu", unit_tmpdir(), i);
		fio_faults_set(&f);
		REQUIRE((l = build_synced(dir, &cfg, 400)) != NULL);
		CHECK_EQ(plog_truncate_fully_and_start_at(l, at[i], 1000, NULL), 0);
		plog_offsets(l, &start, &end);
		CHECK_EQ(start, at[i]);
		CHECK_EQ(end, at[i]);
		CHECK_EQ(plog_segment_count(l), 1);
		CHECK_EQ(plog_latest_epoch(l), -1);
		CHECK(plog_recovery_point(l) <= at[i]);
		REQUIRE((l = crash_and_reopen(l, dir, &cfg, 400)) != NULL);
		plog_offsets(l, &start, &end);
		CHECK_EQ(start, at[i]);
		CHECK_EQ(end, at[i]);
		CHECK_EQ(count_records(l, NULL), 0);
		CHECK_EQ(plog_latest_epoch(l), -1);
		/* The log goes on from there. */
		CHECK_EQ(append_epoch(l, 5, 4), at[i]);
		CHECK_EQ(count_records(l, NULL), 5);
		if (i == 0)
			CHECK_EQ(plog_truncate_fully_and_start_at(l, -1, 0, NULL),
				 SLOG_EINVALID_REQUEST);
		fio_faults_clear();
		close_log(l);
	}
}

/* A failed sync fails the restart, and the log takes no appends. */
static void test_failed_restart_refuses_appends(void)
{
	struct plog_config cfg = small_config();
	struct fio_faults f = { .fail_sync_at = 1, .sync_errno = EIO };
	struct buf b = BUF_INIT;
	struct plog *l = NULL;
	char dir[512];

	snprintf(dir, sizeof(dir), "%s/log", unit_tmpdir());
	REQUIRE((l = build_synced(dir, &cfg, 100)) != NULL);
	fio_faults_set(&f);
	CHECK(plog_truncate_fully_and_start_at(l, 500, 1000, NULL) != 0);
	fio_faults_clear();
	CHECK(plog_offline(l));
	make_batch(&b, 1, 1000, 0, CODEC_NONE, 10, NULL);
	CHECK_EQ(plog_append(l, (uint8_t *)b.data, b.len, 1, 1000, NULL, NULL), SLOG_ESTORAGE);
	plog_free(l);
	buf_free(&b);
}

int main(void)
{
	log_set_level(LOG_LEVEL_ERROR);
	unit_run("delete-before and truncate move the log's ends", test_delete_before_and_truncate);
	unit_run("a truncation holds after a power loss right after it returns",
		 test_truncation_holds_after_a_power_loss);
	unit_run("truncate fully and start at an offset below, inside or past the log, durably",
		 test_truncate_fully_and_start_at);
	unit_run("a failed restart refuses appends", test_failed_restart_refuses_appends);
	return unit_done();
}
