/*
 * test_log_dirs.c: the data directories as a whole.
 *
 * A failed fsync takes its whole log dir offline: every partition log in
 * it refuses appends, flushes and unsynced reads, while a partition in
 * another directory goes on; a failed leader-epoch write counts as a
 * failed fsync; running out of descriptors does not.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "batch_builder.h"
#include "compress.h"
#include "log.h"
#include "storage/fd_cache.h"
#include "storage/fileio.h"
#include "storage/log_dirs.h"
#include "unit.h"

struct fixture {
	char a[512], b[512];
	struct log_dirs d;
	struct plog *a0, *a1, *b0; /* two partitions in a, one in b */
};

static int open_fixture(struct fixture *fx)
{
	struct plog_config cfg;
	char csv[1100], cluster[24] = "";
	struct err e;

	plog_config_default(&cfg);
	cfg.segment_bytes = 4096;
	snprintf(fx->a, sizeof(fx->a), "%s/a", unit_tmpdir());
	snprintf(fx->b, sizeof(fx->b), "%s/b", unit_tmpdir());
	snprintf(csv, sizeof(csv), "%s,%s", fx->a, fx->b);
	if (log_dirs_open(&fx->d, csv, 1, "unit-cluster", cluster, &e) ||
	    log_dirs_open_partition(&fx->d, 0, "t", 0, &cfg, &fx->a0, &e) ||
	    log_dirs_open_partition(&fx->d, 0, "t", 1, &cfg, &fx->a1, &e) ||
	    log_dirs_open_partition(&fx->d, 1, "t", 2, &cfg, &fx->b0, &e)) {
		unit_diag("%s", e.msg);
		return -1;
	}
	return 0;
}

static void close_fixture(struct fixture *fx)
{
	plog_close(fx->a0, NULL);
	plog_close(fx->a1, NULL);
	plog_close(fx->b0, NULL);
	log_dirs_close(&fx->d, 1);
}

/* Append one batch of n small records under epoch; returns the status. */
static int append(struct plog *l, int n, int32_t epoch, struct err *e)
{
	struct batch_builder bb;
	struct buf b = BUF_INIT;
	int rc;

	batch_builder_init(&bb, CODEC_NONE, 1);
	for (int i = 0; i < n; i++) {
		struct record r = { .value = (const uint8_t *)"value", .value_len = 5,
				    .key_len = -1, .timestamp = 1000 + i };
		batch_builder_add(&bb, &r);
	}
	batch_builder_finish(&bb, &b, NULL);
	batch_builder_free(&bb);
	rc = plog_append(l, (uint8_t *)b.data, b.len, epoch, 1000, NULL, e);
	buf_free(&b);
	return rc;
}

static int64_t log_end(struct plog *l)
{
	int64_t end;

	plog_offsets(l, NULL, &end);
	return end;
}

static int exists(const char *dir, const char *name)
{
	char path[700];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return access(path, F_OK) == 0;
}

static void test_a_failed_fsync_takes_the_whole_log_dir_offline(void)
{
	struct fio_faults f = { .fail_sync_at = 1, .sync_errno = EIO };
	struct fixture fx;
	struct plog_region r;
	struct err e;

	REQUIRE(open_fixture(&fx) == 0);
	REQUIRE(append(fx.a0, 3, 0, &e) == 0);
	REQUIRE(append(fx.a1, 3, 0, &e) == 0);
	REQUIRE(plog_flush(fx.a1, 3, &e) == 0);
	REQUIRE(append(fx.a1, 2, 0, &e) == 0); /* 3..4: never synced */
	REQUIRE(append(fx.b0, 3, 0, &e) == 0);
	fio_faults_set(&f);
	CHECK_EQ(plog_flush(fx.a0, 3, &e), SLOG_ESTORAGE);
	fio_faults_clear();
	CHECK_EQ(log_dirs_offline_count(&fx.d), 1);
	CHECK(dir_health_offline(&fx.d.v[0].health));
	CHECK(strstr(dir_health_reason(&fx.d.v[0].health), "Input/output error") != NULL);
	/* The other partition of the same directory takes nothing more. */
	CHECK_EQ(append(fx.a1, 1, 0, &e), SLOG_ESTORAGE);
	CHECK(strstr(e.msg, "offline") != NULL);
	CHECK_EQ(plog_flush(fx.a1, 5, &e), SLOG_ESTORAGE);
	CHECK_EQ(plog_flush(fx.a1, 3, &e), SLOG_ESTORAGE); /* no answer is "durable" now */
	CHECK(plog_offline(fx.a1));
	/* It serves what was synced, and nothing above it. */
	CHECK_EQ(plog_read(fx.a1, 0, 5, 1 << 20, &r, &e), 0);
	CHECK_EQ(r.next_offset, 3);
	plog_region_release(&r);
	CHECK_EQ(plog_read(fx.a1, 3, 5, 1 << 20, &r, &e), SLOG_ESTORAGE);
	{
		int deleted = -1;
		CHECK_EQ(plog_apply_retention(fx.a1, 1LL << 50, INT64_MAX, &deleted, &e), 0);
		CHECK_EQ(deleted, 0); /* nothing more is written there */
	}
	/* A partition in the other directory goes on. */
	CHECK_EQ(append(fx.b0, 2, 0, &e), 0);
	CHECK_EQ(plog_flush(fx.b0, 5, &e), 0);
	CHECK(!plog_offline(fx.b0));
	/* New partitions go to the healthy directory; none opens in the other. */
	CHECK_EQ(log_dirs_pick(&fx.d), 1);
	{
		struct plog_config cfg;
		struct plog *l = NULL;
		plog_config_default(&cfg);
		CHECK_EQ(log_dirs_open_partition(&fx.d, 0, "u", 0, &cfg, &l, &e), SLOG_ESTORAGE);
	}
	/* Checkpoints skip it, and it is never marked clean. */
	{
		struct log_dirs_entry v[] = { { 0, "t", 0, fx.a0, -1, 5 }, { 0, "t", 1, fx.a1, -1, 5 },
					      { 1, "t", 2, fx.b0, -1, 5 } };
		CHECK_EQ(log_dirs_checkpoint(&fx.d, v, 3, &e), 0);
		CHECK_EQ(log_dirs_checkpoint_hw(&fx.d, v, 3, &e), 0);
		CHECK(!exists(fx.a, "recovery-point-offset-checkpoint"));
		CHECK(exists(fx.b, "recovery-point-offset-checkpoint"));
		CHECK(!exists(fx.a, "replication-offset-checkpoint"));
		CHECK(exists(fx.b, "replication-offset-checkpoint"));
	}
	close_fixture(&fx);
	CHECK(!exists(fx.a, ".clean-shutdown"));
	CHECK(exists(fx.b, ".clean-shutdown"));
}

static void test_a_failed_epoch_cache_write_takes_the_log_dir_offline(void)
{
	struct fio_faults nospace = { .fail_write_at = 1, .write_errno = ENOSPC };
	struct fio_faults nosync = { .fail_sync_at = 1, .sync_errno = EIO };
	struct fixture fx;
	struct err e;

	REQUIRE(open_fixture(&fx) == 0);
	REQUIRE(append(fx.a0, 3, 0, &e) == 0);
	/* A full disk refuses the new epoch's entry: nothing is written and
	 * nothing was lost, so the directory stays online. */
	fio_faults_set(&nospace);
	CHECK_EQ(append(fx.a0, 2, 1, &e), SLOG_ESTORAGE);
	fio_faults_clear();
	CHECK_EQ(log_end(fx.a0), 3);
	CHECK_EQ(plog_latest_epoch(fx.a0), 0);
	CHECK_EQ(log_dirs_offline_count(&fx.d), 0);
	/* A failed fsync of the entry takes the directory offline. */
	fio_faults_set(&nosync);
	CHECK_EQ(append(fx.a0, 2, 1, &e), SLOG_ESTORAGE);
	fio_faults_clear();
	CHECK_EQ(log_end(fx.a0), 3);
	CHECK_EQ(plog_latest_epoch(fx.a0), 0);
	CHECK_EQ(log_dirs_offline_count(&fx.d), 1);
	CHECK_EQ(append(fx.a1, 1, 0, &e), SLOG_ESTORAGE);
	CHECK_EQ(append(fx.b0, 1, 1, &e), 0);
	close_fixture(&fx);
}

static void test_running_out_of_descriptors_is_not_a_failed_fsync(void)
{
	struct rlimit old, low;
	struct fixture fx;
	struct err e;
	int fds[64], nfds = 0;

	REQUIRE(open_fixture(&fx) == 0);
	/* Two segments: the next flush must open the directory to sync the
	 * new file's name. */
	REQUIRE(append(fx.a0, 400, 0, &e) == 0); /* ~5 KB: one segment each */
	REQUIRE(append(fx.a0, 400, 0, &e) == 0);
	REQUIRE(plog_segment_count(fx.a0) == 2);
	REQUIRE(append(fx.a1, 3, 0, &e) == 0);
	REQUIRE(getrlimit(RLIMIT_NOFILE, &old) == 0);
	low = old;
	nfds = dup(0);
	close(nfds);
	low.rlim_cur = (rlim_t)nfds + 4;
	nfds = 0;
	REQUIRE(setrlimit(RLIMIT_NOFILE, &low) == 0);
	/* Idle segment descriptors would be closed to make room: none left. */
	fd_cache_shrink(0);
	while (nfds < 64 && (fds[nfds] = dup(0)) >= 0)
		nfds++;
	CHECK_EQ(plog_flush(fx.a0, log_end(fx.a0), &e), SLOG_ESTORAGE);
	unit_diag("%s", e.msg);
	CHECK(strstr(e.msg, "Too many open files") != NULL);
	/* Nothing was lost: the directory stays online. */
	CHECK_EQ(log_dirs_offline_count(&fx.d), 0);
	/* Segment files open on demand, so a write may fail too, but only
	 * for now: it is never taken for a lost fsync. */
	if (append(fx.a1, 1, 0, &e))
		CHECK(strstr(e.msg, "Too many open files") != NULL);
	CHECK_EQ(log_dirs_offline_count(&fx.d), 0);
	while (nfds > 0)
		close(fds[--nfds]);
	setrlimit(RLIMIT_NOFILE, &old);
	/* Descriptors again: the same flush succeeds. */
	CHECK_EQ(plog_flush(fx.a0, log_end(fx.a0), &e), 0);
	CHECK_EQ(plog_recovery_point(fx.a0), log_end(fx.a0));
	CHECK_EQ(append(fx.a0, 1, 0, &e), 0);
	CHECK_EQ(append(fx.a1, 1, 0, &e), 0);
	CHECK_EQ(plog_flush(fx.a1, log_end(fx.a1), &e), 0);
	close_fixture(&fx);
}

int main(void)
{
	log_set_level(LOG_LEVEL_ERROR);
	unit_run("a failed fsync takes the whole log dir offline, not another",
		 test_a_failed_fsync_takes_the_whole_log_dir_offline);
	unit_run("a failed leader-epoch write takes the log dir offline; a full disk does not",
		 test_a_failed_epoch_cache_write_takes_the_log_dir_offline);
	unit_run("running out of descriptors fails a flush but leaves the partition usable",
		 test_running_out_of_descriptors_is_not_a_failed_fsync);
	return unit_done();
}
