/*
 * test_log_truncate.c: truncation from the end (a replica's divergent
 * tail) and truncating fully to restart at an offset, both durable when
 * they return, checked with fileio's simulated power loss.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "storage/fileio.h"
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

int main(void)
{
	log_set_level(LOG_LEVEL_ERROR);
	unit_run("delete-before and truncate move the log's ends", test_delete_before_and_truncate);
	return unit_done();
}
