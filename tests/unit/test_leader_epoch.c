/*
 * test_leader_epoch.c: the leader epoch cache, alone (assign, truncation
 * from either end, end offsets, reload) and inside a partition log.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "storage/fileio.h"
#include "storage/leader_epoch.h"
#include "storage/partition_log.h"
#include "unit.h"
#include "plog_fixture.h"

/* le holds exactly these (epoch, start) pairs, in memory and in its file. */
static void check_entries(struct leader_epochs *le, const struct leader_epoch_entry *want,
			  size_t n)
{
	struct leader_epochs again;

	CHECK_EQ(le->n, n);
	for (size_t i = 0; i < n && i < le->n; i++) {
		CHECK_EQ(le->v[i].epoch, want[i].epoch);
		CHECK_EQ(le->v[i].start_offset, want[i].start_offset);
	}
	REQUIRE(leader_epochs_open(&again, le->path, NULL) == 0);
	CHECK_EQ(again.n, n);
	for (size_t i = 0; i < n && i < again.n; i++)
		CHECK(again.v[i].epoch == want[i].epoch &&
		      again.v[i].start_offset == want[i].start_offset);
	leader_epochs_close(&again);
}

static void open_cache(struct leader_epochs *le)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/leader-epoch-checkpoint", unit_tmpdir());
	CHECK_EQ(leader_epochs_open(le, path, NULL), 0); /* missing: empty */
	CHECK_EQ(le->n, 0);
	CHECK_EQ(leader_epochs_latest(le), -1);
}

static void test_assign_keeps_epochs_and_offsets_increasing(void)
{
	static const struct leader_epoch_entry want[] = { { 1, 0 }, { 3, 10 }, { 4, 25 } };
	struct leader_epochs le;

	open_cache(&le);
	CHECK_EQ(leader_epochs_assign(&le, 1, 0, NULL), 0);
	CHECK_EQ(leader_epochs_assign(&le, 1, 5, NULL), 0);  /* the current epoch: no-op */
	CHECK_EQ(leader_epochs_assign(&le, 3, 10, NULL), 0);
	CHECK_EQ(leader_epochs_assign(&le, 2, 20, NULL), 0); /* older: ignored */
	CHECK_EQ(leader_epochs_assign(&le, -1, 20, NULL), 0); /* no epoch */
	CHECK_EQ(leader_epochs_assign(&le, 4, 25, NULL), 0);
	check_entries(&le, want, 3);
	CHECK_EQ(leader_epochs_latest(&le), 4);
	leader_epochs_close(&le);
}

static void test_truncation_from_either_end(void)
{
	static const struct leader_epoch_entry all[] = { { 1, 0 }, { 3, 10 }, { 4, 25 }, { 6, 40 } };
	static const struct leader_epoch_entry tail[] = { { 1, 0 }, { 3, 10 } };
	static const struct leader_epoch_entry head[] = { { 3, 12 } };
	struct leader_epochs le;

	open_cache(&le);
	for (size_t i = 0; i < 4; i++)
		CHECK_EQ(leader_epochs_assign(&le, all[i].epoch, all[i].start_offset, NULL), 0);
	CHECK_EQ(leader_epochs_truncate_after(&le, 100, NULL), 0); /* nothing starts there */
	check_entries(&le, all, 4);
	/* From the end: entries starting at or after the new log end go. */
	CHECK_EQ(leader_epochs_truncate_after(&le, 25, NULL), 0);
	check_entries(&le, tail, 2);
	/* From the start: the entry covering the new log start stays, moved up to it. */
	CHECK_EQ(leader_epochs_truncate_before(&le, 12, NULL), 0);
	check_entries(&le, head, 1);
	CHECK_EQ(leader_epochs_truncate_after(&le, 12, NULL), 0);
	check_entries(&le, NULL, 0);
	leader_epochs_close(&le);
}

static void test_end_offset_for_an_epoch(void)
{
	struct leader_epochs le;
	int32_t found = 99;

	open_cache(&le);
	CHECK_EQ(leader_epochs_end_offset(&le, 0, 50, &found), -1); /* empty: undefined */
	CHECK_EQ(found, -1);
	leader_epochs_assign(&le, 2, 10, NULL);
	leader_epochs_assign(&le, 4, 20, NULL);
	leader_epochs_assign(&le, 7, 30, NULL);
	CHECK_EQ(leader_epochs_end_offset(&le, 7, 50, &found), 50); /* the latest: the log end */
	CHECK_EQ(found, 7);
	CHECK_EQ(leader_epochs_end_offset(&le, 4, 50, &found), 30);
	CHECK_EQ(found, 4);
	/* An epoch this log never saw: the largest older one's end. */
	CHECK_EQ(leader_epochs_end_offset(&le, 5, 50, &found), 30);
	CHECK_EQ(found, 4);
	CHECK_EQ(leader_epochs_end_offset(&le, 3, 50, &found), 20);
	CHECK_EQ(found, 2);
	/* Older than everything: it ended where the first kept epoch starts. */
	CHECK_EQ(leader_epochs_end_offset(&le, 1, 50, &found), 10);
	CHECK_EQ(found, 1);
	/* Newer than everything: undefined. */
	CHECK_EQ(leader_epochs_end_offset(&le, 8, 50, &found), -1);
	CHECK_EQ(found, -1);
	leader_epochs_close(&le);
}

/*
 * Every change is durable when the call returns: after a power loss the
 * file holds the entries.  A write that fails leaves memory as the file
 * is, and a file with entries out of order loads as its consistent part.
 */
static void test_reload_after_a_crash_and_a_failed_write(void)
{
	static const struct leader_epoch_entry want[] = { { 1, 0 }, { 2, 8 } };
	static const struct leader_epoch_entry kept[] = { { 1, 0 }, { 4, 2 } };
	char path[512];
	struct fio_faults track = { .track = 1 }, fail = { .fail_rename_at = 1 };
	struct leader_epochs le;
	FILE *f;

	fio_faults_set(&track);
	open_cache(&le);
	CHECK_EQ(leader_epochs_assign(&le, 1, 0, NULL), 0);
	CHECK_EQ(leader_epochs_assign(&le, 2, 8, NULL), 0);
	CHECK_EQ(leader_epochs_assign(&le, 3, 9, NULL), 0);
	CHECK_EQ(leader_epochs_truncate_after(&le, 9, NULL), 0);
	fio_sim_crash(1, 7);
	fio_faults_clear();
	check_entries(&le, want, 2);
	fio_faults_set(&fail);
	CHECK(leader_epochs_assign(&le, 5, 20, NULL) != 0);
	fio_faults_clear();
	check_entries(&le, want, 2);
	snprintf(path, sizeof(path), "%s", le.path);
	leader_epochs_close(&le);
	f = fopen(path, "w");
	REQUIRE(f != NULL);
	fputs("0\n3\n1 0\n4 2\n3 5\n", f); /* epoch 3 after 4: dropped */
	fclose(f);
	REQUIRE(leader_epochs_open(&le, path, NULL) == 0);
	check_entries(&le, kept, 2);
	leader_epochs_close(&le);
}

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

/*
 * A new leader's epoch is in the cache, durably, before any record of it
 * (KAFKA-7415): it answers for the epoch at once; an older or the same
 * epoch changes nothing; with its records it survives a power loss.
 */
static void test_a_new_leader_assigns_its_epoch_at_the_log_end(void)
{
	struct plog_config cfg = small_config();
	struct fio_faults track = { .track = 1 };
	struct plog *l;
	char dir[512];
	int64_t start = -1;
	int32_t found;

	snprintf(dir, sizeof(dir), "%s/log", unit_tmpdir());
	fio_faults_set(&track);
	REQUIRE((l = open_log(dir, &cfg, 0, 0, NULL)) != NULL);
	REQUIRE_EQ(append_epoch(l, 3, 1), 0);
	CHECK_EQ(plog_assign_epoch(l, 4, &start, NULL), 0);
	CHECK_EQ(start, 3);
	CHECK_EQ(plog_latest_epoch(l), 4);
	CHECK_EQ(plog_epoch_end_offset(l, 1, &found), 3);
	CHECK_EQ(found, 1);
	CHECK_EQ(plog_epoch_end_offset(l, 4, &found), 3);
	CHECK_EQ(found, 4);
	CHECK_EQ(plog_assign_epoch(l, 2, &start, NULL), 0);
	CHECK_EQ(plog_latest_epoch(l), 4);
	/* Its records follow under it. */
	CHECK_EQ(append_epoch(l, 2, 4), 3);
	CHECK_EQ(plog_epoch_end_offset(l, 1, &found), 3);
	CHECK_EQ(plog_flush(l, 5, NULL), 0);
	l = crash_and_reopen(l, dir, &cfg, 5);
	REQUIRE(l != NULL);
	CHECK_EQ(plog_latest_epoch(l), 4);
	fio_faults_clear();
	close_log(l);
}

int main(void)
{
	log_set_level(LOG_LEVEL_ERROR);
	unit_run("assign keeps epochs and start offsets increasing, durably",
		 test_assign_keeps_epochs_and_offsets_increasing);
	unit_run("truncation from the end and from the start", test_truncation_from_either_end);
	unit_run("the end offset of an epoch, known, unknown, older and newer",
		 test_end_offset_for_an_epoch);
	unit_run("a reload after a power loss and after a failed write",
		 test_reload_after_a_crash_and_a_failed_write);
	unit_run("leader epochs follow appends and truncation",
		 test_leader_epochs_follow_appends_and_truncation);
	unit_run("a new leader assigns its epoch at the log end, durably",
		 test_a_new_leader_assigns_its_epoch_at_the_log_end);
	return unit_done();
}
