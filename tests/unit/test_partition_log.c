/*
 * test_partition_log.c: the storage engine.
 *
 * Recovery after a cut at every byte of the last batch, and after
 * garbage; lookups by offset and by timestamp against a linear scan;
 * concurrent appenders and readers; group commit; damaged index files;
 * rolls.  Failing disks, retention, truncation, replica appends and the
 * leader epoch cache have their own test files.
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "batch.h"
#include "batch_builder.h"
#include "batch_check.h"
#include "batch_iter.h"
#include "compress.h"
#include "log.h"
#include "storage/fileio.h"
#include "storage/log_internal.h"
#include "storage/partition_log.h"
#include "unit.h"
#include "xalloc.h"
#include "plog_fixture.h"

static void copy_file(const char *from, const char *to, size_t len)
{
	struct buf b = BUF_INIT;
	int fd;

	CHECK(fio_read_file(from, 1 << 30, &b, NULL) == 0);
	fd = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	CHECK(fd >= 0);
	CHECK(write(fd, b.data, len < b.len ? len : b.len) >= 0);
	close(fd);
	buf_free(&b);
}

static void test_recovery_cuts_torn_last_batch_at_every_byte(void)
{
	struct plog_config cfg = small_config();
	char dir[512], name[600], src[600];
	int64_t last_base = 0;
	uint64_t full, last_start;
	struct plog *l;
	int cuts = 0;

	cfg.segment_bytes = 1 << 20;
	snprintf(dir, sizeof(dir), "%s/orig", unit_tmpdir());
	REQUIRE((l = open_log(dir, &cfg, 0, 0, NULL)) != NULL);
	for (int i = 0; i < 5; i++)
		last_base = append_one(l, 3 + i, 1000 * i, 40);
	close_log(l);
	snprintf(src, sizeof(src), "%s/%020d.log", dir, 0);
	{
		struct stat st;
		REQUIRE(stat(src, &st) == 0);
		full = (uint64_t)st.st_size;
	}
	/* The last batch holds 7 records of ~50 bytes. */
	last_start = 0;
	{
		struct buf b = BUF_INIT;
		size_t pos = 0;
		REQUIRE(fio_read_file(src, 1 << 20, &b, NULL) == 0);
		while (pos < b.len) {
			struct batch_header h;
			REQUIRE(batch_next_in((uint8_t *)b.data + pos, b.len - pos, &h, NULL) == 0);
			last_start = pos;
			pos += batch_size(&h);
		}
		buf_free(&b);
	}
	for (uint64_t cut = last_start; cut <= full + 40; cut++) {
		char d[560];
		struct plog_recovery rec;
		int64_t start, end, batches, expect_batches = cut >= full ? 5 : 4;
		int64_t expect_end = cut >= full ? last_base + 7 : last_base;

		snprintf(d, sizeof(d), "%s/cut%llu", unit_tmpdir(), (unsigned long long)cut);
		REQUIRE(fio_mkdir_p(d, NULL) == 0);
		snprintf(name, sizeof(name), "%s/%020d.log", d, 0);
		copy_file(src, name, cut);
		if (cut > full) {
			/* Past the end: garbage after the whole batches. */
			int fd = open(name, O_WRONLY | O_APPEND);
			uint8_t junk[64];
			unit_rand_bytes(junk, sizeof(junk));
			CHECK(write(fd, junk, (size_t)(cut - full)) >= 0);
			close(fd);
		}
		l = open_log(d, &cfg, 0, 0, &rec);
		REQUIRE(l != NULL);
		plog_offsets(l, &start, &end);
		if (!CHECK(end == expect_end) || !CHECK(count_records(l, &batches) == expect_end) ||
		    !CHECK(batches == expect_batches)) {
			unit_diag("cut at %llu of %llu: end %lld", (unsigned long long)cut,
				  (unsigned long long)full, (long long)end);
			plog_close(l, NULL);
			return;
		}
		/* The log takes appends again, at the right offset. */
		CHECK_EQ(append_one(l, 2, 99999, 10), expect_end);
		close_log(l);
		cuts++;
	}
	unit_diag("%d cut positions recovered", cuts);
}

/* A log of many batches with random record counts, over several segments. */
struct oracle {
	int64_t *base, *last;
	size_t *size;
	int *seg;    /* which segment each batch landed in */
	int64_t *ts; /* per offset */
	size_t n;
};

static void build_oracle_log(struct plog *l, const struct plog_config *cfg, struct oracle *o,
			     int batches)
{
	struct buf b = BUF_INIT;
	int64_t total = 0;
	uint64_t seg_size = 0;
	int seg = 0;

	o->base = xcalloc((size_t)batches, sizeof(int64_t));
	o->last = xcalloc((size_t)batches, sizeof(int64_t));
	o->size = xcalloc((size_t)batches, sizeof(size_t));
	o->seg = xcalloc((size_t)batches, sizeof(int));
	o->ts = xcalloc((size_t)batches * 20, sizeof(int64_t));
	o->n = 0;
	for (int i = 0; i < batches; i++) {
		int nrec = 1 + (int)unit_rand_below(20);
		struct plog_append_result res;
		buf_reset(&b);
		o->size[i] = make_batch(&b, nrec, 1000000 + i * 10, 5000, i % 7 ? CODEC_NONE : CODEC_ZSTD,
					unit_rand_below(300), o->ts + total);
		if (!CHECK(plog_append(l, (uint8_t *)b.data, b.len, 1, 1000, &res, NULL) == 0))
			break;
		/* The roll rule, restated: a non-empty segment rolls before it
		 * would grow past segment.bytes. */
		if (seg_size > 0 && seg_size + b.len > (uint64_t)cfg->segment_bytes) {
			seg++;
			seg_size = 0;
		}
		seg_size += b.len;
		o->seg[i] = seg;
		o->base[i] = res.base_offset;
		o->last[i] = res.last_offset;
		total += nrec;
		o->n++;
	}
	buf_free(&b);
}

static void oracle_free(struct oracle *o)
{
	free(o->base);
	free(o->last);
	free(o->size);
	free(o->seg);
	free(o->ts);
}

static void test_offset_lookup_agrees_with_linear_scan(void)
{
	struct plog_config cfg = small_config();
	struct oracle o;
	struct plog *l;
	int64_t end;
	char dir[512];

	snprintf(dir, sizeof(dir), "%s/log", unit_tmpdir());
	REQUIRE((l = open_log(dir, &cfg, 0, 0, NULL)) != NULL);
	build_oracle_log(l, &cfg, &o, 3000);
	plog_offsets(l, NULL, &end);
	unit_diag("%zu batches, %lld records, %zu segments", o.n, (long long)end, plog_segment_count(l));
	for (int pass = 0; pass < 2; pass++) {
		for (int q = 0; q < 50000; q++) {
			int64_t off = (int64_t)unit_rand_below((uint64_t)end + 1);
			size_t max_bytes = unit_rand_below(4) ? 1 : unit_rand_below(20000);
			struct plog_region r;
			size_t lo = 0, hi = o.n, i;
			struct err e;

			/* Linear truth: the batch holding off (binary search over the oracle). */
			while (lo < hi) {
				size_t mid = (lo + hi) / 2;
				if (o.last[mid] < off)
					lo = mid + 1;
				else
					hi = mid;
			}
			i = lo;
			if (!CHECK(plog_read(l, off, end, max_bytes, &r, &e) == 0)) {
				unit_diag("read %lld: %s", (long long)off, e.msg);
				goto out;
			}
			if (off == end) {
				CHECK_EQ(r.length, 0);
			} else {
				size_t want = 0, j = i;
				/* Whole batches of one segment, at least one, within
				 * max_bytes. */
				while (j < o.n && o.seg[j] == o.seg[i] &&
				       (j == i || want + o.size[j] <= max_bytes))
					want += o.size[j++];
				if (!CHECK(r.first_offset == o.base[i]) || !CHECK(r.length == want) ||
				    !CHECK(r.next_offset == (j < o.n ? o.base[j] : end)) ||
				    !CHECK(r.length > 0)) {
					unit_diag("offset %lld max %zu: got first %lld len %llu next %lld",
						  (long long)off, max_bytes, (long long)r.first_offset,
						  (unsigned long long)r.length, (long long)r.next_offset);
					plog_region_release(&r);
					goto out;
				}
			}
			plog_region_release(&r);
		}
		/* Second pass: the same answers from a reopened (clean) log. */
		close_log(l);
		REQUIRE((l = open_log(dir, &cfg, end, 1, NULL)) != NULL);
	}
	{
		struct plog_region r;
		struct err e;
		CHECK_EQ(plog_read(l, end + 1, end, 100, &r, &e), SLOG_EOFFSET_OUT_OF_RANGE);
		CHECK_EQ(plog_read(l, -1, end, 100, &r, &e), SLOG_EOFFSET_OUT_OF_RANGE);
	}
out:
	close_log(l);
	oracle_free(&o);
}

static void test_timestamp_lookup_agrees_with_linear_scan(void)
{
	struct plog_config cfg = small_config();
	struct oracle o;
	struct plog *l;
	int64_t end;
	char dir[512];

	snprintf(dir, sizeof(dir), "%s/log", unit_tmpdir());
	REQUIRE((l = open_log(dir, &cfg, 0, 0, NULL)) != NULL);
	build_oracle_log(l, &cfg, &o, 2000);
	plog_offsets(l, NULL, &end);
	for (int pass = 0; pass < 2; pass++) {
		for (int q = 0; q < 50000; q++) {
			/* Timestamps jitter by 5000 around 1000000 + 10 * batch. */
			int64_t ts = 995000 + (int64_t)unit_rand_below(30000);
			int64_t want = -1, got_off = -1, got_ts = -1;
			struct err e;
			int rc;

			for (int64_t k = 0; k < end; k++)
				if (o.ts[k] >= ts) {
					want = k;
					break;
				}
			rc = plog_find_timestamp(l, ts, &got_off, &got_ts, &e);
			if (!CHECK(rc >= 0) || !CHECK(rc == (want >= 0)) ||
			    (rc == 1 && (!CHECK(got_off == want) || !CHECK(got_ts == o.ts[want])))) {
				unit_diag("ts %lld: want %lld, got rc %d offset %lld (%s)", (long long)ts,
					  (long long)want, rc, (long long)got_off, rc < 0 ? e.msg : "");
				goto out;
			}
		}
		close_log(l);
		REQUIRE((l = open_log(dir, &cfg, end, 1, NULL)) != NULL);
	}
out:
	close_log(l);
	oracle_free(&o);
}

/* ---- concurrency ---- */

struct conc {
	struct plog *log;
	_Atomic int stop;         /* appenders: stop appending */
	_Atomic int readers_stop; /* readers: appending is over, read to the end */
	_Atomic int64_t appended_records;
	_Atomic int errors;
	int64_t read_records[2];
};

static void *appender(void *arg)
{
	struct conc *c = arg;
	struct buf b = BUF_INIT;

	while (!c->stop) {
		int nrec = 1 + (int)unit_rand_below(30);
		struct plog_append_result res;
		struct err e;

		buf_reset(&b);
		make_batch(&b, nrec, 1000, 100, CODEC_NONE, 64, NULL);
		if (plog_append(c->log, (uint8_t *)b.data, b.len, 0, 1000, &res, &e) != 0 ||
		    res.last_offset - res.base_offset + 1 != nrec) {
			c->errors++;
			break;
		}
		c->appended_records += nrec;
		if (nrec % 7 == 0 && plog_flush(c->log, res.last_offset + 1, &e) != 0)
			c->errors++;
	}
	buf_free(&b);
	return NULL;
}

struct reader_arg {
	struct conc *c;
	int idx;
};

static void *reader(void *arg)
{
	struct reader_arg *ra = arg;
	struct conc *c = ra->c;
	struct buf data = BUF_INIT;
	int64_t next = 0;

	for (;;) {
		struct plog_region r;
		int64_t end;
		int done = c->readers_stop; /* read before the end offset */
		struct err e;
		size_t pos = 0;

		plog_offsets(c->log, NULL, &end);
		if (done && next >= end)
			break;
		if (plog_read(c->log, next, end, 32 << 10, &r, &e) != 0) {
			c->errors++;
			break;
		}
		buf_reset(&data);
		if (r.length &&
		    segment_pread(r.seg, buf_reserve(&data, r.length), r.length, r.position, NULL) !=
			    (ssize_t)r.length) {
			c->errors++;
			plog_region_release(&r);
			break;
		}
		while (pos < r.length) {
			struct batch_header h;
			/* Dense offsets, whole batches, every CRC intact. */
			if (batch_next_in((uint8_t *)data.data + pos, r.length - pos, &h, &e) ||
			    batch_validate((uint8_t *)data.data + pos, batch_size(&h), BATCH_CHECK_FULL,
					   NULL, NULL, &e) ||
			    h.base_offset != next) {
				c->errors++;
				plog_region_release(&r);
				goto out;
			}
			next = batch_last_offset(&h) + 1;
			c->read_records[ra->idx] += h.record_count;
			pos += batch_size(&h);
		}
		plog_region_release(&r);
	}
out:
	buf_free(&data);
	return NULL;
}

static void test_two_appenders_and_two_readers_share_a_partition(void)
{
	struct plog_config cfg = small_config();
	struct conc c = { 0 };
	struct reader_arg ra[2] = { { &c, 0 }, { &c, 1 } };
	pthread_t t[4];
	char dir[512];
	int64_t end;

	cfg.segment_bytes = 256 << 10;
	snprintf(dir, sizeof(dir), "%s/log", unit_tmpdir());
	REQUIRE((c.log = open_log(dir, &cfg, 0, 0, NULL)) != NULL);
	pthread_create(&t[0], NULL, appender, &c);
	pthread_create(&t[1], NULL, appender, &c);
	pthread_create(&t[2], NULL, reader, &ra[0]);
	pthread_create(&t[3], NULL, reader, &ra[1]);
	usleep(2500 * 1000);
	c.stop = 1;
	pthread_join(t[0], NULL);
	pthread_join(t[1], NULL);
	c.readers_stop = 1;
	pthread_join(t[2], NULL);
	pthread_join(t[3], NULL);
	plog_offsets(c.log, NULL, &end);
	unit_diag("%lld records appended in %zu segments", (long long)c.appended_records,
		  plog_segment_count(c.log));
	CHECK_EQ(c.errors, 0);
	CHECK_EQ(end, c.appended_records);
	CHECK_EQ(c.read_records[0], c.appended_records);
	CHECK_EQ(c.read_records[1], c.appended_records);
	CHECK_EQ(count_records(c.log, NULL), end);
	close_log(c.log);
}

struct flusher_arg {
	struct plog *log;
	int rounds;
	int errors;
};

static void *flusher(void *arg)
{
	struct flusher_arg *fa = arg;

	for (int i = 0; i < fa->rounds; i++) {
		int64_t base = append_one(fa->log, 2, 0, 16);
		struct err e;
		if (base < 0 || plog_flush(fa->log, base + 2, &e) != 0 ||
		    plog_recovery_point(fa->log) < base + 2)
			fa->errors++;
	}
	return NULL;
}

static void test_group_commit_serves_many_waiters_with_fewer_fsyncs(void)
{
	struct plog_config cfg = small_config();
	struct flusher_arg fa[8];
	pthread_t t[8];
	uint64_t before, syncs;
	char dir[512];
	struct plog *l;

	cfg.segment_bytes = 16 << 20;
	snprintf(dir, sizeof(dir), "%s/log", unit_tmpdir());
	REQUIRE((l = open_log(dir, &cfg, 0, 0, NULL)) != NULL);
	before = fio_sync_count();
	for (int i = 0; i < 8; i++) {
		fa[i] = (struct flusher_arg){ l, 50, 0 };
		pthread_create(&t[i], NULL, flusher, &fa[i]);
	}
	for (int i = 0; i < 8; i++) {
		pthread_join(t[i], NULL);
		CHECK_EQ(fa[i].errors, 0);
	}
	syncs = fio_sync_count() - before;
	unit_diag("400 acknowledged appends took %llu fsyncs", (unsigned long long)syncs);
	CHECK(syncs <= 400);
	CHECK_EQ(plog_recovery_point(l), 800);
	close_log(l);
}

/* ---- faults ---- */

static void test_damaged_index_files_are_rebuilt(void)
{
	struct plog_config cfg = small_config();
	struct oracle o;
	struct plog *l;
	char dir[512], name[600];
	int64_t end;

	snprintf(dir, sizeof(dir), "%s/log", unit_tmpdir());
	REQUIRE((l = open_log(dir, &cfg, 0, 0, NULL)) != NULL);
	build_oracle_log(l, &cfg, &o, 600);
	plog_offsets(l, NULL, &end);
	close_log(l);
	/* Scramble the first segment's index, drop the second's time index. */
	snprintf(name, sizeof(name), "%s/%020d.index", dir, 0);
	{
		int fd = open(name, O_WRONLY);
		uint8_t junk[24];
		unit_rand_bytes(junk, sizeof(junk));
		REQUIRE(fd >= 0);
		CHECK(pwrite(fd, junk, sizeof(junk), 8) == sizeof(junk));
		close(fd);
	}
	snprintf(name, sizeof(name), "%s/%020lld.timeindex", dir, (long long)o.base[0] + 0);
	for (size_t i = 1; i < o.n; i++)
		if (o.seg[i] == 1) {
			snprintf(name, sizeof(name), "%s/%020lld.timeindex", dir, (long long)o.base[i]);
			break;
		}
	CHECK(unlink(name) == 0);
	/* Even a "clean" start checks them, and rebuilds what is bad. */
	REQUIRE((l = open_log(dir, &cfg, end, 1, NULL)) != NULL);
	for (size_t i = 0; i < o.n; i++) {
		struct plog_region r;
		int64_t off = o.base[i] + (int64_t)unit_rand_below((uint64_t)(o.last[i] - o.base[i] + 1));
		REQUIRE(plog_read(l, off, end, 1, &r, NULL) == 0);
		CHECK_EQ(r.first_offset, o.base[i]);
		plog_region_release(&r);
	}
	for (int q = 0; q < 2000; q++) {
		int64_t ts = 995000 + (int64_t)unit_rand_below(15000), want = -1, got, got_ts;
		for (int64_t k = 0; k < end && want < 0; k++)
			if (o.ts[k] >= ts)
				want = k;
		if (!CHECK(plog_find_timestamp(l, ts, &got, &got_ts, NULL) == (want >= 0)) ||
		    (want >= 0 && !CHECK(got == want)))
			break;
	}
	close_log(l);
	oracle_free(&o);
}

static void test_segments_roll_by_size_and_by_age(void)
{
	struct plog_config cfg = small_config();
	struct buf b = BUF_INIT;
	struct plog *l;
	char dir[512];

	cfg.segment_bytes = 10000;
	cfg.segment_ms = 60000;
	snprintf(dir, sizeof(dir), "%s/log", unit_tmpdir());
	REQUIRE((l = open_log(dir, &cfg, 0, 0, NULL)) != NULL);
	make_batch(&b, 10, 0, 0, CODEC_NONE, 200, NULL); /* ~2.2 KB */
	for (int i = 0; i < 4; i++) {
		buf_reset(&b);
		make_batch(&b, 10, 0, 0, CODEC_NONE, 200, NULL);
		REQUIRE(plog_append(l, (uint8_t *)b.data, b.len, 0, 1000, NULL, NULL) == 0);
	}
	CHECK_EQ(plog_segment_count(l), 1);
	buf_reset(&b);
	make_batch(&b, 10, 0, 0, CODEC_NONE, 200, NULL);
	REQUIRE(plog_append(l, (uint8_t *)b.data, b.len, 0, 1000, NULL, NULL) == 0);
	CHECK_EQ(plog_segment_count(l), 2); /* the fifth would pass 10000 bytes */
	/* A batch larger than segment.bytes still fits, alone. */
	buf_reset(&b);
	make_batch(&b, 8, 0, 0, CODEC_NONE, 4000, NULL);
	REQUIRE(plog_append(l, (uint8_t *)b.data, b.len, 0, 1000, NULL, NULL) == 0);
	CHECK_EQ(plog_segment_count(l), 3);
	/* Age: the next append a minute later starts a new segment. */
	buf_reset(&b);
	make_batch(&b, 1, 0, 0, CODEC_NONE, 10, NULL);
	REQUIRE(plog_append(l, (uint8_t *)b.data, b.len, 0, 1000 + 59999, NULL, NULL) == 0);
	CHECK_EQ(plog_segment_count(l), 4);
	buf_reset(&b);
	make_batch(&b, 1, 0, 0, CODEC_NONE, 10, NULL);
	REQUIRE(plog_append(l, (uint8_t *)b.data, b.len, 0, 1000 + 59999 + 60000, NULL, NULL) == 0);
	CHECK_EQ(plog_segment_count(l), 5);
	CHECK_EQ(count_records(l, NULL), 60);
	close_log(l);
	buf_free(&b);
}

int main(void)
{
	log_set_level(LOG_LEVEL_ERROR);
	unit_run("recovery cuts a torn last batch at every byte, and garbage after it",
		 test_recovery_cuts_torn_last_batch_at_every_byte);
	unit_run("offset lookup at 100,000 random offsets agrees with a linear scan",
		 test_offset_lookup_agrees_with_linear_scan);
	unit_run("timestamp lookup at 100,000 random times agrees with a linear scan",
		 test_timestamp_lookup_agrees_with_linear_scan);
	unit_run("two appenders and two readers share a partition: dense offsets, no torn batch",
		 test_two_appenders_and_two_readers_share_a_partition);
	unit_run("group commit serves many waiters with fewer fsyncs",
		 test_group_commit_serves_many_waiters_with_fewer_fsyncs);
	unit_run("damaged index files are rebuilt", test_damaged_index_files_are_rebuilt);
	unit_run("segments roll by size and by age", test_segments_roll_by_size_and_by_age);
	return unit_done();
}
