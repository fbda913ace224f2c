/*
 * test_torn_tail.c: a crash can leave any prefix of the last write.
 *
 * A partition log of several batches is built once; then, for every byte
 * offset inside its last batch, a copy of the log has its segment cut
 * there (what a power loss leaves of a write that never reached fsync),
 * and recovery runs on it.  Each time the log must come back as exactly
 * the longest valid prefix: every earlier batch readable, nothing of the
 * torn one, the segment file ending where the last whole batch ends, the
 * offset and time indexes finding every batch that is left, and the next
 * append taking the offset the torn batch had.  The same with the last
 * batch compressed, and with each byte flipped instead of cut.
 *
 * A flipped byte in the fields a batch's CRC does not cover (its base
 * offset, length, leader epoch, magic) cannot always be told from a
 * valid batch: Kafka's format trusts them.  Those cases must still leave
 * a log that reads back whole and appends at its end; how many kept the
 * batch is reported, not judged.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "batch.h"
#include "compress.h"
#include "log.h"
#include "plog_fixture.h"
#include "storage/fileio.h"
#include "storage/partition_log.h"
#include "unit.h"

#define RECS 5       /* records per batch */
#define BATCHES 12   /* in two segments of 4 KiB */
#define TS(n) (100000 + 1000 * (int64_t)(n))

/* What the intact log looks like. */
struct layout {
	char dir[512];      /* the intact log, copied for each try */
	char seg[600];      /* the name of the last segment's .log within it */
	uint64_t last_pos;  /* where the last batch starts in that file */
	uint64_t last_size;
	int64_t last_base;  /* its base offset */
};

/*
 * Where the copies live: each recovery fsyncs what it rebuilt, and a
 * thousand tries of that on a busy disk take a minute; on tmpfs (where
 * there is one) fsync costs nothing, and what is tested is what recovery
 * decides, not the disk.
 */
static char root[64];

static const char *work_root(void)
{
	if (!root[0]) {
		snprintf(root, sizeof(root), "/dev/shm/slog-torn-XXXXXX");
		if (access("/dev/shm", W_OK) != 0 || !mkdtemp(root))
			snprintf(root, sizeof(root), "%s", unit_tmpdir());
	}
	return root;
}

static struct plog *open_at(const char *dir, int64_t rp, int clean, struct plog_recovery *rec)
{
	struct plog_open_opts o = { .recovery_point = rp, .clean_shutdown = clean, .now_ms = 1000 };
	struct plog_config cfg;
	struct plog *l = NULL;
	struct err e;

	plog_config_default(&cfg);
	cfg.segment_bytes = 4096;
	cfg.index_interval_bytes = 256;
	cfg.retention_ms = -1;
	if (plog_open(dir, &cfg, &o, &l, rec, &e))
		unit_diag("plog_open %s: %s", dir, e.msg);
	return l;
}

/* Batch n: RECS records of 100 bytes, the first stamped TS(n). */
static uint64_t file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? (uint64_t)st.st_size : UINT64_MAX;
}

/* The last .log file of dir (by name: bases are zero-padded). */
static int last_segment(const char *dir, char *name, size_t size)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	name[0] = '\0';
	while (d && (de = readdir(d))) {
		size_t n = strlen(de->d_name);
		if (n > 4 && strcmp(de->d_name + n - 4, ".log") == 0 && strcmp(de->d_name, name) > 0)
			snprintf(name, size, "%s", de->d_name);
	}
	if (d)
		closedir(d);
	return name[0] ? 0 : -1;
}

/* The intact log, its last batch compressed with codec. */
static int build(struct layout *lay, int codec)
{
	struct plog *l;
	char path[1200];
	struct err e;

	snprintf(lay->dir, sizeof(lay->dir), "%s/intact-%d", work_root(), codec);
	if (!(l = open_at(lay->dir, 0, 0, NULL)))
		return -1;
	for (int n = 0; n + 1 < BATCHES; n++)
		append_coded(l, RECS, TS(n), CODEC_NONE, 100);
	if (last_segment(lay->dir, lay->seg, sizeof(lay->seg)))
		return -1;
	snprintf(path, sizeof(path), "%s/%s", lay->dir, lay->seg);
	lay->last_pos = file_size(path);
	lay->last_base = append_coded(l, RECS, TS(BATCHES - 1), codec, 100);
	if (plog_close(l, &e)) {
		unit_diag("close: %s", e.msg);
		return -1;
	}
	lay->last_size = file_size(path) - lay->last_pos;
	return lay->last_base == (BATCHES - 1) * RECS ? 0 : -1;
}

/* A fresh copy of the intact log at to. */
static int copy_log(const char *from, const char *to)
{
	DIR *d = opendir(from);
	struct dirent *de;
	int rc = d ? 0 : -1;

	if (mkdir(to, 0755) && errno != EEXIST)
		rc = -1;
	while (!rc && (de = readdir(d))) {
		char src[1200], dst[1200];
		struct buf b = BUF_INIT;
		if (de->d_name[0] == '.')
			continue;
		snprintf(src, sizeof(src), "%s/%s", from, de->d_name);
		snprintf(dst, sizeof(dst), "%s/%s", to, de->d_name);
		rc = fio_read_file(src, 1 << 24, &b, NULL);
		if (!rc) {
			int fd = open(dst, O_WRONLY | O_CREAT | O_TRUNC, 0644);
			rc = fd < 0 || (b.len && write(fd, b.data, b.len) != (ssize_t)b.len) ? -1 : 0;
			if (fd >= 0)
				close(fd);
		}
		buf_free(&b);
	}
	if (d)
		closedir(d);
	return rc;
}

static void remove_log(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	while (d && (de = readdir(d))) {
		char path[1200];
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		unlink(path);
	}
	if (d)
		closedir(d);
	rmdir(dir);
}

/* Every offset below end found through the offset index, in order. */
static const char *offsets_found(struct plog *l, int64_t end)
{
	for (int64_t off = 0; off < end; off++) {
		struct plog_region r;
		struct err e;
		int ok;

		if (plog_read(l, off, end, 1, &r, &e))
			return "an offset below the log end cannot be read";
		ok = r.length > 0 && r.first_offset <= off && off < r.next_offset &&
		     r.first_offset % RECS == 0;
		plog_region_release(&r);
		if (!ok)
			return "the offset index finds the wrong batch";
	}
	return NULL;
}

/* Each batch left found by its timestamp, none past them. */
static const char *times_found(struct plog *l, int64_t end)
{
	int64_t off, ts;

	for (int n = 0; n * RECS < end; n++) {
		if (plog_find_timestamp(l, TS(n), &off, &ts, NULL) != 1 || off != n * RECS ||
		    ts != TS(n))
			return "the time index does not find a batch that is left";
	}
	if (plog_find_timestamp(l, TS(end / RECS), &off, &ts, NULL) != 0)
		return "the time index finds a timestamp of the torn batch";
	return NULL;
}

/*
 * Recover the damaged copy at dir; NULL when it is the longest valid
 * prefix of the intact log (or, with kept_ok, the intact log itself,
 * *kept set), else what is wrong.
 */
static const char *recover_and_judge(const struct layout *lay, const char *dir, int kept_ok,
				     int *kept)
{
	struct plog_recovery rec = { 0 };
	char path[1200];
	const char *why = NULL;
	int64_t end = -1, want = lay->last_base, next;
	struct plog *l = open_at(dir, lay->last_base, 0, &rec);

	if (!l)
		return "recovery failed";
	snprintf(path, sizeof(path), "%s/%s", dir, lay->seg);
	plog_offsets(l, NULL, &end);
	/* A flipped base offset moves the kept batch up: its offsets are
	 * the ones after the gap. */
	*kept = kept_ok && end > lay->last_base;
	if (*kept)
		want = end;
	if (end != want)
		why = "the log end is not the end of the last whole batch";
	else if (!*kept && file_size(path) != lay->last_pos)
		why = "bytes of the torn batch are left in the segment";
	else if (plog_damaged(l, NULL, NULL, 0) != 0)
		why = "the tail is recorded as damage instead of cut";
	if (!why)
		why = offsets_found(l, *kept ? lay->last_base : end);
	if (!why && !*kept)
		why = times_found(l, end);
	next = why ? -1 : append_coded(l, RECS, TS(1000), CODEC_NONE, 100);
	if (!why && next != end)
		why = "the next append does not take the offset after the last whole batch";
	if (!why && !*kept)
		why = offsets_found(l, end + RECS);
	plog_close(l, NULL);
	return why;
}

static void flip(const char *path, uint64_t at)
{
	int fd = open(path, O_RDWR);
	uint8_t c = 0;

	if (fd < 0 || pread(fd, &c, 1, (off_t)at) != 1)
		abort();
	c ^= 0x04;
	if (pwrite(fd, &c, 1, (off_t)at) != 1)
		abort();
	close(fd);
}

enum damage { CUT, FLIP };

/* Damage the last batch at each of its bytes in turn; the count recovered right. */
static long every_byte(const struct layout *lay, enum damage how, long *tries, long *kept_count)
{
	char dir[600], path[1200];
	long good = 0;

	snprintf(dir, sizeof(dir), "%s/try", work_root());
	snprintf(path, sizeof(path), "%s/%s", dir, lay->seg);
	*tries = *kept_count = 0;
	for (uint64_t k = 0; k < lay->last_size; k++) {
		const char *why;
		int kept = 0;

		remove_log(dir);
		if (copy_log(lay->dir, dir) ||
		    (how == CUT && truncate(path, (off_t)(lay->last_pos + k)) != 0)) {
			unit_diag("cannot copy %s to %s", lay->dir, dir);
			break;
		}
		if (how == FLIP)
			flip(path, lay->last_pos + k);
		/* The fields before the CRC are not covered by it. */
		why = recover_and_judge(lay, dir, how == FLIP && k < BATCH_OFF_CRC, &kept);
		(*tries)++;
		*kept_count += kept;
		if (!why)
			good++;
		else if (*tries - good <= 5)
			unit_diag("%s at byte %llu of the last batch: %s", how == CUT ? "cut" : "flip",
				  (unsigned long long)k, why);
	}
	remove_log(dir);
	return good;
}

static void torn_tail(int codec)
{
	struct layout lay;
	long tries, good, kept;

	REQUIRE(build(&lay, codec) == 0);
	REQUIRE(lay.last_size > BATCH_HEADER_SIZE);
	good = every_byte(&lay, CUT, &tries, &kept);
	printf("# torn tail (%s): %ld cut points, %ld recovered to the longest valid prefix\n",
	       codec == CODEC_NONE ? "plain" : "zstd", tries, good);
	CHECK_EQ(tries, (long)lay.last_size);
	CHECK_EQ(good, tries);
	CHECK_EQ(kept, 0);
	good = every_byte(&lay, FLIP, &tries, &kept);
	printf("# flipped byte (%s): %ld bytes, %ld recovered (%ld kept the batch: a flip in "
	       "its offset or epoch field)\n",
	       codec == CODEC_NONE ? "plain" : "zstd", tries, good, kept);
	CHECK_EQ(good, tries);
	remove_log(lay.dir);
}

static void test_a_cut_anywhere_in_the_last_batch_recovers_the_longest_valid_prefix(void)
{
	torn_tail(CODEC_NONE);
}

static void test_a_cut_anywhere_in_a_compressed_last_batch_recovers_the_prefix(void)
{
	torn_tail(CODEC_ZSTD);
}

int main(void)
{
	log_set_level(LOG_LEVEL_NONE); /* each cut is logged */
	unit_run("a cut anywhere in the last batch recovers the longest valid prefix",
		 test_a_cut_anywhere_in_the_last_batch_recovers_the_longest_valid_prefix);
	unit_run("a cut anywhere in a compressed last batch recovers the prefix",
		 test_a_cut_anywhere_in_a_compressed_last_batch_recovers_the_prefix);
	if (strcmp(work_root(), unit_tmpdir()) != 0)
		rmdir(work_root());
	return unit_done();
}
