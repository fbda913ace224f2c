/*
 * test_leader_epoch.c: the leader epoch cache, alone (assign, truncation
 * from either end, end offsets, reload) and inside a partition log.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "storage/fileio.h"
#include "storage/partition_log.h"
#include "unit.h"
#include "plog_fixture.h"

static void test_leader_epochs_follow_appends_and_truncation(void)
{
	struct plog_config cfg = small_config();
	struct buf b = BUF_INIT;
	struct plog *l;
	char dir[512], name[600];
	struct buf file = BUF_INIT;

	snprintf(dir, sizeof(dir), "%s/log", unit_tmpdir());
	REQUIRE((l = open_log(dir, &cfg, 0, 0, NULL)) != NULL);
	for (int epoch = 1; epoch <= 3; epoch++) {
		buf_reset(&b);
		make_batch(&b, 5, 0, 0, CODEC_NONE, 10, NULL);
		REQUIRE(plog_append(l, (uint8_t *)b.data, b.len, epoch, 1000, NULL, NULL) == 0);
	}
	CHECK_EQ(plog_latest_epoch(l), 3);
	snprintf(name, sizeof(name), "%s/leader-epoch-checkpoint", dir);
	REQUIRE(fio_read_file(name, 4096, &file, NULL) == 0);
	CHECK(strcmp(file.data, "0\n3\n1 0\n2 5\n3 10\n") == 0);
	CHECK_EQ(plog_truncate(l, 10, 1000, NULL), 0);
	CHECK_EQ(plog_latest_epoch(l), 2);
	close_log(l);
	/* A lost checkpoint is rebuilt from the batches themselves. */
	unlink(name);
	REQUIRE((l = open_log(dir, &cfg, 0, 0, NULL)) != NULL);
	CHECK_EQ(plog_latest_epoch(l), 2);
	close_log(l);
	buf_free(&b);
	buf_free(&file);
}

int main(void)
{
	log_set_level(LOG_LEVEL_ERROR);
	unit_run("leader epochs follow appends and truncation",
		 test_leader_epochs_follow_appends_and_truncation);
	return unit_done();
}
