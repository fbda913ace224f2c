/*
 * test_log_retention.c: retention and delete-before remove the oldest
 * segments and move the log start.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "storage/fileio.h"
#include "storage/partition_log.h"
#include "unit.h"
#include "plog_fixture.h"

/* A log of n segments (cfg: 4 KiB segments); segment k holds timestamps
 * around 1000 * k and starts at seg_start[k].  NULL if it cannot be made. */
static struct plog *segments(const char *dir, const struct plog_config *cfg, int n,
			     int64_t *seg_start)
{
	struct plog *l = open_log(dir, cfg, 0, 0, NULL);

	for (int k = 0; l && k < n; k++)
		seg_start[k] = append_one(l, 30, 1000 * k, 100); /* ~3.9 KiB: one segment */
	if (l && !CHECK(plog_segment_count(l) == (size_t)n)) {
		close_log(l);
		return NULL;
	}
	return l;
}

static void test_retention_removes_exactly_expired_segments(void)
{
	struct plog_config cfg = small_config();
	struct plog *l;
	int64_t start, end, seg_start[8];
	char dir[512];
	int deleted;

	cfg.segment_bytes = 4096;
	snprintf(dir, sizeof(dir), "%s/log", unit_tmpdir());
	REQUIRE((l = segments(dir, &cfg, 8, seg_start)) != NULL);
	/* Nothing expires with infinite retention. */
	CHECK_EQ(plog_apply_retention(l, 1000000, INT64_MAX, &deleted, NULL), 0);
	CHECK_EQ(deleted, 0);
	/* By time: segments whose newest record is older than now - 2500. */
	cfg.retention_ms = 2500;
	plog_set_config(l, &cfg);
	CHECK_EQ(plog_apply_retention(l, 5000, INT64_MAX, &deleted, NULL), 0);
	/* Segment k's max is 1000k + 29: expired when 1000k + 29 < 2500 (k <= 2). */
	CHECK_EQ(deleted, 3);
	plog_offsets(l, &start, &end);
	CHECK_EQ(start, seg_start[3]);
	CHECK_EQ(count_records(l, NULL), end - start);
	/* By size: keep at most 3 segments' worth. */
	cfg.retention_ms = -1;
	cfg.retention_bytes = (int64_t)(plog_size(l) / 5 * 3);
	plog_set_config(l, &cfg);
	CHECK_EQ(plog_apply_retention(l, 5000, INT64_MAX, &deleted, NULL), 0);
	CHECK_EQ(deleted, 2);
	plog_offsets(l, &start, NULL);
	CHECK_EQ(start, seg_start[5]);
	CHECK(plog_size(l) <= (uint64_t)cfg.retention_bytes + 4096);
	/* An idle log past retention.ms empties entirely, active segment too. */
	cfg.retention_bytes = -1;
	cfg.retention_ms = 1000;
	plog_set_config(l, &cfg);
	CHECK_EQ(plog_apply_retention(l, 100000, INT64_MAX, &deleted, NULL), 0);
	CHECK_EQ(deleted, 3);
	plog_offsets(l, &start, &end);
	CHECK_EQ(start, end);
	CHECK_EQ(append_one(l, 1, 200000, 1), end);
	close_log(l);
	/* The log start survives a restart (first segment's base). */
	REQUIRE((l = open_log(dir, &cfg, 0, 0, NULL)) != NULL);
	plog_offsets(l, &start, NULL);
	CHECK_EQ(start, end);
	close_log(l);
}

/* Retention never deletes a segment that reaches the bound (the high
 * watermark), nor rolls the active segment to delete it. */
static void test_retention_stays_below_the_bound(void)
{
	int64_t seg_start[6], start, end;
	struct plog_config cfg = small_config();
	char dir[512];
	int deleted;
	struct plog *l;

	snprintf(dir, sizeof(dir), "%s/log", unit_tmpdir());
	cfg.segment_bytes = 4096;
	cfg.retention_ms = 10; /* everything is past it */
	REQUIRE((l = segments(dir, &cfg, 6, seg_start)) != NULL);
	CHECK_EQ(plog_apply_retention(l, 100000, 0, &deleted, NULL), 0);
	CHECK_EQ(deleted, 0);
	/* Segments 0-2 end at seg_start[3]: below a bound there, and no more. */
	CHECK_EQ(plog_apply_retention(l, 100000, seg_start[3], &deleted, NULL), 0);
	CHECK_EQ(deleted, 3);
	CHECK_EQ(plog_apply_retention(l, 100000, seg_start[4] - 1, &deleted, NULL), 0);
	CHECK_EQ(deleted, 0);
	plog_offsets(l, &start, &end);
	CHECK_EQ(start, seg_start[3]);
	/* Below the log end, the idle active segment is not rolled away. */
	CHECK_EQ(plog_apply_retention(l, 100000, end - 1, &deleted, NULL), 0);
	CHECK_EQ(deleted, 2);
	CHECK_EQ(plog_segment_count(l), 1);
	plog_offsets(l, &start, NULL);
	CHECK_EQ(start, seg_start[5]);
	CHECK_EQ(plog_apply_retention(l, 100000, end, &deleted, NULL), 0);
	CHECK_EQ(deleted, 1);
	plog_offsets(l, &start, NULL);
	CHECK_EQ(start, end);
	close_log(l);
}

int main(void)
{
	log_set_level(LOG_LEVEL_ERROR);
	unit_run("retention removes exactly the expired segments and moves the log start",
		 test_retention_removes_exactly_expired_segments);
	unit_run("retention stays below the high watermark it is given",
		 test_retention_stays_below_the_bound);
	return unit_done();
}
