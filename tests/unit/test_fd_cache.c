/*
 * test_fd_cache.c: the bounded cache of segment descriptors.
 *
 * Eviction order, a borrowed descriptor surviving eviction, reopening
 * (also under a new name), room made when open(2) meets EMFILE, and a
 * partition log whose segments far outnumber the cache: reads of the
 * oldest segment, appends, flushes and a simulated power loss all work
 * through descriptors the cache closed and opened again.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "batch_builder.h"
#include "compress.h"
#include "log.h"
#include "storage/fd_cache.h"
#include "storage/fileio.h"
#include "storage/partition_log.h"
#include "unit.h"

#define NFILES 6

/* The highest descriptor open, or -1. */
static int highest_fd(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	int hi = -1;

	if (!d)
		return -1;
	while ((de = readdir(d))) {
		int fd = (int)strtol(de->d_name, NULL, 10);
		if (de->d_name[0] != '.' && fd > hi && fd != dirfd(d))
			hi = fd;
	}
	closedir(d);
	return hi;
}

static int open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	int n = 0;

	if (!d)
		return -1;
	while ((de = readdir(d)))
		n += de->d_name[0] != '.';
	closedir(d);
	return n - 1; /* the directory's own */
}

/* NFILES files "<dir>/fN" holding "file N", and an entry for each. */
static void make_files(const char *dir, char names[][3200], struct fd_cache_entry **en)
{
	for (int i = 0; i < NFILES; i++) {
		char text[32];
		int fd;

		snprintf(names[i], sizeof(names[i]), "%s/f%d", dir, i);
		snprintf(text, sizeof(text), "file %d", i);
		fd = open(names[i], O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd >= 0) {
			if (write(fd, text, strlen(text)) < 0)
				unit_diag("write %s failed", names[i]);
			close(fd);
		}
		en[i] = fd_cache_entry_new(names[i], O_RDONLY);
	}
}

/* Borrow en, read its text into out, give it back: 0 or the error. */
static int read_entry(struct fd_cache_entry *en, char *out, size_t size)
{
	int fd = fd_cache_acquire(en, NULL);
	ssize_t n;

	if (fd < 0)
		return fd;
	n = pread(fd, out, size - 1, 0);
	out[n > 0 ? n : 0] = '\0';
	fd_cache_release(en);
	return 0;
}

static void free_entries(struct fd_cache_entry **en)
{
	for (int i = 0; i < NFILES; i++)
		fd_cache_entry_free(en[i]);
}

static void test_keeps_at_most_max_open_closing_the_oldest(void)
{
	char names[NFILES][3200], text[32], moved[3300];
	struct fd_cache_entry *en[NFILES];
	int base = open_fds();

	fd_cache_set_max(2);
	make_files(unit_tmpdir(), names, en);
	for (int i = 0; i < NFILES; i++)
		REQUIRE(read_entry(en[i], text, sizeof(text)) == 0);
	CHECK_EQ(fd_cache_open_count(), 2);
	CHECK_EQ(open_fds() - base, 2);
	/* The two used last are open: they read even after their files
	 * move away; the first one was closed and cannot find its file. */
	for (int i = 0; i < NFILES; i++) {
		snprintf(moved, sizeof(moved), "%.3000s.moved", names[i]);
		REQUIRE(rename(names[i], moved) == 0);
	}
	CHECK(read_entry(en[NFILES - 1], text, sizeof(text)) == 0 &&
	      strcmp(text, "file 5") == 0);
	CHECK(read_entry(en[NFILES - 2], text, sizeof(text)) == 0 &&
	      strcmp(text, "file 4") == 0);
	CHECK(read_entry(en[0], text, sizeof(text)) < 0);
	free_entries(en);
	CHECK_EQ(fd_cache_open_count(), 0);
	CHECK_EQ(open_fds(), base);
}

static void test_borrowed_descriptor_survives_eviction(void)
{
	char names[NFILES][3200], text[32];
	struct fd_cache_entry *en[NFILES];
	int held;

	fd_cache_set_max(1);
	make_files(unit_tmpdir(), names, en);
	held = fd_cache_acquire(en[0], NULL);
	REQUIRE(held >= 0);
	for (int i = 1; i < NFILES; i++)
		REQUIRE(read_entry(en[i], text, sizeof(text)) == 0);
	/* Only the borrowed one is left open. */
	CHECK_EQ(fd_cache_open_count(), 1);
	CHECK(fcntl(held, F_GETFD) >= 0);
	CHECK(pread(held, text, 6, 0) == 6 && memcmp(text, "file 0", 6) == 0);
	/* The same descriptor again while it is borrowed. */
	CHECK_EQ(fd_cache_acquire(en[0], NULL), held);
	fd_cache_release(en[0]);
	fd_cache_release(en[0]);
	CHECK_EQ(fd_cache_open_count(), 1);
	free_entries(en);
}

static void test_closed_file_reopens_under_its_new_name(void)
{
	char names[NFILES][3200], text[32], moved[3300];
	struct fd_cache_entry *en[NFILES];

	fd_cache_set_max(1);
	make_files(unit_tmpdir(), names, en);
	REQUIRE(read_entry(en[0], text, sizeof(text)) == 0);
	REQUIRE(read_entry(en[1], text, sizeof(text)) == 0); /* closes f0 */
	snprintf(moved, sizeof(moved), "%.3000s.cleaned", names[0]);
	REQUIRE(rename(names[0], moved) == 0);
	fd_cache_entry_rename(en[0], moved);
	CHECK(read_entry(en[0], text, sizeof(text)) == 0 && strcmp(text, "file 0") == 0);
	CHECK(read_entry(en[1], text, sizeof(text)) == 0 && strcmp(text, "file 1") == 0);
	free_entries(en);
}

static void test_emfile_gets_room_from_the_cache(void)
{
	char names[NFILES][3200], text[32], other[3300];
	struct fd_cache_entry *en[NFILES];
	struct rlimit old, low;
	int fd, fillers[256], nfill = 0;

	fd_cache_set_max(1000);
	make_files(unit_tmpdir(), names, en);
	for (int i = 0; i < NFILES; i++)
		REQUIRE(read_entry(en[i], text, sizeof(text)) == 0);
	REQUIRE(getrlimit(RLIMIT_NOFILE, &old) == 0);
	/* No descriptor left but the cached ones: the limit just above the
	 * highest, and every hole below it filled. */
	low = old;
	low.rlim_cur = (rlim_t)highest_fd() + 1;
	REQUIRE(setrlimit(RLIMIT_NOFILE, &low) == 0);
	while (nfill < 256 && (fillers[nfill] = open("/dev/null", O_RDONLY | O_CLOEXEC)) >= 0)
		nfill++;
	snprintf(other, sizeof(other), "%.3000s/other", unit_tmpdir());
	fd = fio_open(other, O_RDWR | O_CREAT, 0644, NULL);
	CHECK(fd >= 0);
	CHECK(fd_cache_open_count() < NFILES);
	fio_close(fd);
	while (nfill > 0)
		close(fillers[--nfill]);
	setrlimit(RLIMIT_NOFILE, &old);
	free_entries(en);
}

/* One uncompressed batch of one record with a value of size bytes. */
static void one_batch(struct buf *b, size_t size, char fill)
{
	static uint8_t value[4096];
	struct batch_builder bb;

	struct record r = { .key_len = -1, .value = value, .value_len = (int32_t)size,
			    .timestamp = 1000 };

	memset(value, fill, size);
	buf_reset(b);
	batch_builder_init(&bb, CODEC_NONE, 0);
	batch_builder_add(&bb, &r);
	batch_builder_finish(&bb, b, NULL);
	batch_builder_free(&bb);
}

static struct plog *open_small(const char *dir)
{
	struct plog_open_opts o = { .now_ms = 1000 };
	struct plog_config c;
	struct plog *l = NULL;
	struct err e;

	plog_config_default(&c);
	c.segment_bytes = 1000; /* a segment per batch */
	c.retention_ms = c.retention_bytes = -1;
	if (plog_open(dir, &c, &o, &l, NULL, &e))
		unit_diag("plog_open: %s", e.msg);
	return l;
}

/* The first byte of the value of the record at offset. */
static int value_at(struct plog *l, int64_t offset)
{
	struct plog_region r;
	uint8_t data[2048];
	int v = -1;

	if (plog_read(l, offset, INT64_MAX, sizeof(data), &r, NULL) || r.length == 0)
		return -1;
	if (segment_pread(r.seg, data, r.length, r.position, NULL) == (ssize_t)r.length)
		v = data[r.length - 2]; /* the value's last byte, before the header count */
	plog_region_release(&r);
	return v;
}

static void test_log_with_far_more_segments_than_descriptors(void)
{
	struct fio_faults f = { .track = 1 };
	struct buf b = BUF_INIT;
	struct plog *l;
	int base = open_fds();

	fd_cache_set_max(3);
	fio_faults_set(&f);
	REQUIRE((l = open_small(unit_tmpdir())) != NULL);
	for (int i = 0; i < 60; i++) {
		one_batch(&b, 600, (char)('A' + i % 26));
		REQUIRE(plog_append(l, (uint8_t *)b.data, b.len, 0, 1000, NULL, NULL) == 0);
		if (i == 29)
			REQUIRE(plog_flush(l, INT64_MAX, NULL) == 0);
	}
	CHECK_EQ(plog_segment_count(l), 60);
	CHECK(open_fds() - base <= 3);
	CHECK_EQ(value_at(l, 0), 'A');
	CHECK_EQ(value_at(l, 27), 'B');
	CHECK_EQ(value_at(l, 59), 'A' + 59 % 26);
	CHECK(open_fds() - base <= 3);
	/* Offsets 30..59 were never flushed: a power loss takes them, even
	 * though their descriptors were closed and opened again. */
	CHECK(fio_sim_crash(0, 1) > 0);
	plog_close(l, NULL);
	fio_faults_clear();
	REQUIRE((l = open_small(unit_tmpdir())) != NULL);
	CHECK_EQ(value_at(l, 29), 'A' + 29 % 26);
	CHECK_EQ(value_at(l, 30), -1);
	plog_close(l, NULL);
	CHECK_EQ(open_fds(), base);
	buf_free(&b);
}

int main(void)
{
	log_set_level(LOG_LEVEL_ERROR);
	unit_run("the cache keeps at most max files open, closing the least recently used",
		 test_keeps_at_most_max_open_closing_the_oldest);
	unit_run("a borrowed descriptor is never closed, however full the cache",
		 test_borrowed_descriptor_survives_eviction);
	unit_run("a closed file is opened again on demand, under its new name",
		 test_closed_file_reopens_under_its_new_name);
	unit_run("an open that meets EMFILE gets room from the cache",
		 test_emfile_gets_room_from_the_cache);
	unit_run("a log with far more segments than descriptors reads, writes and recovers",
		 test_log_with_far_more_segments_than_descriptors);
	return unit_done();
}
