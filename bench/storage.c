/*
 * bench/storage.c: the storage engine against the disk's own speed.
 *
 * Appends 100-byte records in 16 KiB and 1 MiB batches to one partition
 * from 1, 4 and 16 threads, with flush off (page cache, as Kafka's
 * default) and flush-on-ack (each appender waits for its batch to be
 * fsynced; group commit lets one fsync serve many); then reads the log
 * back sequentially.  In the same run, dd writes and reads the same
 * number of bytes to the same directory, and every slog figure is shown
 * as a fraction of dd's.
 *
 *   storage [-d DIR] [-s MiB per run] [-t max seconds per run]
 *
 * Prints a Markdown table on stdout.  Batches are prepared once: the
 * figures measure the engine (offset stamping, the write, indexing,
 * group commit), not record encoding.
 */
#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "batch_builder.h"
#include "compress.h"
#include "log.h"
#include "storage/fileio.h"
#include "storage/partition_log.h"
#include "units.h"
#include "xalloc.h"

static const char *dir = NULL;
static int64_t run_bytes = 1LL << 30;
static double run_seconds = 8.0;

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* One batch of 100-byte records, about batch_bytes long. */
static void make_batch(struct buf *out, size_t batch_bytes, int *records)
{
	struct batch_builder bb;
	uint8_t value[100];
	struct record r = { .key = NULL, .key_len = -1, .value = value, .value_len = 100 };

	memset(value, 'x', sizeof(value));
	batch_builder_init(&bb, CODEC_NONE, 0);
	*records = 0;
	r.timestamp = 1700000000000;
	while (batch_builder_size_with(&bb, &r) <= batch_bytes) {
		batch_builder_add(&bb, &r);
		(*records)++;
	}
	batch_builder_finish(&bb, out, NULL);
	batch_builder_free(&bb);
}

struct worker {
	struct plog *log;
	size_t batch_bytes;
	int flush_on_ack;
	int64_t quota;    /* bytes this thread appends */
	double deadline;
	int64_t bytes, records;
	int failed;
};

static void *append_worker(void *arg)
{
	struct worker *w = arg;
	struct buf b = BUF_INIT;
	int records;

	make_batch(&b, w->batch_bytes, &records);
	while (w->bytes < w->quota && now_s() < w->deadline) {
		struct plog_append_result res;
		struct err e;

		if (plog_append(w->log, (uint8_t *)b.data, b.len, 0, 0, &res, &e) ||
		    (w->flush_on_ack && plog_flush(w->log, res.last_offset + 1, &e))) {
			fprintf(stderr, "storage: %s\n", e.msg);
			w->failed = 1;
			break;
		}
		w->bytes += (int64_t)b.len;
		w->records += records;
	}
	buf_free(&b);
	return NULL;
}

struct result {
	double seconds;
	int64_t bytes, records;
	uint64_t fsyncs;
};

static struct plog *open_fresh(const char *path)
{
	struct plog_config cfg;
	struct plog_open_opts o = { 0 };
	struct plog *l;
	struct err e;

	fio_rmdir_r(path, NULL);
	plog_config_default(&cfg);
	if (plog_open(path, &cfg, &o, &l, NULL, &e)) {
		fprintf(stderr, "storage: %s\n", e.msg);
		exit(1);
	}
	return l;
}

static struct result run_append(const char *path, int threads, size_t batch_bytes, int flush)
{
	struct worker *w = xcalloc((size_t)threads, sizeof(*w));
	pthread_t *t = xcalloc((size_t)threads, sizeof(*t));
	struct plog *l = open_fresh(path);
	struct result r = { 0 };
	uint64_t syncs = fio_sync_count();
	double start = now_s();

	for (int i = 0; i < threads; i++) {
		w[i] = (struct worker){ .log = l, .batch_bytes = batch_bytes, .flush_on_ack = flush,
					.quota = run_bytes / threads, .deadline = start + run_seconds };
		pthread_create(&t[i], NULL, append_worker, &w[i]);
	}
	for (int i = 0; i < threads; i++) {
		pthread_join(t[i], NULL);
		r.bytes += w[i].bytes;
		r.records += w[i].records;
		if (w[i].failed)
			exit(1);
	}
	r.seconds = now_s() - start;
	r.fsyncs = fio_sync_count() - syncs;
	plog_close(l, NULL);
	free(w);
	free(t);
	return r;
}

/* Read the whole log from offset 0 in 1 MiB regions (pread, page cache). */
static struct result run_read(const char *path)
{
	struct plog_config cfg;
	struct plog_open_opts o = { .recovery_point = INT64_MAX, .clean_shutdown = 1 };
	struct result r = { 0 };
	uint8_t *buf = xmalloc(1 << 20);
	struct plog *l;
	int64_t end, off = 0;
	double start;

	plog_config_default(&cfg);
	if (plog_open(path, &cfg, &o, &l, NULL, NULL))
		exit(1);
	plog_offsets(l, NULL, &end);
	start = now_s();
	while (off < end) {
		struct plog_region reg;
		if (plog_read(l, off, end, 1 << 20, &reg, NULL) || reg.length == 0)
			exit(1);
		for (uint64_t done = 0; done < reg.length;) {
			size_t n = reg.length - done < (1 << 20) ? reg.length - done : (1 << 20);
			ssize_t got = segment_pread(reg.seg, buf, n, reg.position + done, NULL);
			if (got <= 0)
				exit(1);
			done += (uint64_t)got;
		}
		r.bytes += (int64_t)reg.length;
		off = reg.next_offset;
		plog_region_release(&reg);
	}
	r.seconds = now_s() - start;
	r.records = end;
	plog_close(l, NULL);
	free(buf);
	return r;
}

static double run_cmd_seconds(const char *cmd)
{
	double start = now_s();
	int rc = system(cmd);

	if (rc != 0) {
		fprintf(stderr, "storage: '%s' failed\n", cmd);
		exit(1);
	}
	return now_s() - start;
}

#define REPEAT 3

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median3(double v[REPEAT])
{
	qsort(v, REPEAT, sizeof(double), cmp_double);
	return v[REPEAT / 2];
}

static double mbps(int64_t bytes, double s)
{
	return (double)bytes / s / 1e6;
}

/* Write run_bytes with dd in blocks of bs; returns seconds. */
static double dd_write(const char *file, size_t bs, int sync_data)
{
	char cmd[8400];
	double t;

	unlink(file);
	sync(); /* start from a clean page cache, as every run does */
	snprintf(cmd, sizeof(cmd), "dd if=/dev/zero of=%s bs=%zu count=%lld%s status=none", file, bs,
		 (long long)(run_bytes / (int64_t)bs), sync_data ? " conv=fdatasync" : "");
	t = run_cmd_seconds(cmd);
	return t;
}

int main(int argc, char **argv)
{
	static const size_t batches[] = { 16 << 10, 1 << 20 };
	static const int thread_counts[] = { 1, 4, 16 };
	char path[4000], cmd[8192], ddfile[4100];
	double dd_plain[2], dd_sync[2], dd_aligned[2], dd_read;
	size_t batch_len[2];
	int64_t mib;
	int c;

	while ((c = getopt(argc, argv, "d:s:t:")) != -1) {
		switch (c) {
		case 'd': dir = optarg; break;
		case 's':
			if (units_parse_int(optarg, 1, 1 << 20, &mib, NULL))
				return 2;
			run_bytes = mib << 20;
			break;
		case 't': run_seconds = strtod(optarg, NULL); break;
		default:
			fprintf(stderr, "usage: storage [-d DIR] [-s MiB] [-t seconds]\n");
			return 2;
		}
	}
	if (!dir)
		dir = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	log_set_level(LOG_LEVEL_WARN);
	snprintf(path, sizeof(path), "%s/slog-bench-storage-%d", dir, (int)getpid());
	snprintf(ddfile, sizeof(ddfile), "%s.dd", path);
	mib = run_bytes >> 20;

	/* Warm up: this kind of VM is slow to fault memory back in after idling. */
	dd_write(ddfile, 1 << 20, 0);
	/* dd writes blocks the size of a real batch: batches do not end on
	 * page boundaries, and unaligned writes cost the kernel more page
	 * work whoever makes them.  Page-aligned dd is shown for reference. */
	for (int b = 0; b < 2; b++) {
		double p[REPEAT], q[REPEAT], a[REPEAT];
		struct buf tmp = BUF_INIT;
		int records;

		make_batch(&tmp, batches[b], &records);
		batch_len[b] = tmp.len;
		buf_free(&tmp);
		for (int k = 0; k < REPEAT; k++) {
			p[k] = dd_write(ddfile, batch_len[b], 0);
			q[k] = dd_write(ddfile, batch_len[b], 1);
			a[k] = dd_write(ddfile, batches[b], 0);
		}
		dd_plain[b] = median3(p);
		dd_sync[b] = median3(q);
		dd_aligned[b] = median3(a);
	}
	{
		double p[REPEAT];
		dd_write(ddfile, 1 << 20, 0);
		snprintf(cmd, sizeof(cmd), "dd if=%s of=/dev/null bs=1M status=none", ddfile);
		for (int k = 0; k < REPEAT; k++)
			p[k] = run_cmd_seconds(cmd);
		dd_read = median3(p);
	}
	unlink(ddfile);

	printf("Storage engine: %lld MiB (or %.0f s) per run, 100-byte records, one partition, in %s.\n",
	       (long long)mib, run_seconds, dir);
	printf("Each row is the median of %d runs.  Each slog row is compared with dd writing the\n"
	       "same bytes in blocks the size of one batch (flush off: dd to the page cache; flush\n"
	       "on ack: dd with conv=fdatasync).\n\n", REPEAT);
	printf("| workload | batch | threads | records/s | MB/s | fsyncs | vs dd |\n");
	printf("|---|---|---|---:|---:|---:|---:|\n");
	for (int b = 0; b < 2; b++) {
		printf("| dd write, page-aligned blocks | %s | 1 | | %.0f | | %.2f |\n",
		       b ? "1 MiB" : "16 KiB", mbps(run_bytes, dd_aligned[b]),
		       dd_plain[b] / dd_aligned[b]);
		printf("| dd write (page cache) | %zu B | 1 | | %.0f | | 1.00 |\n", batch_len[b],
		       mbps(run_bytes, dd_plain[b]));
		printf("| dd write + fdatasync | %zu B | 1 | | %.0f | 1 | 1.00 |\n", batch_len[b],
		       mbps(run_bytes, dd_sync[b]));
	}
	for (int flush = 0; flush <= 1; flush++) {
		for (size_t b = 0; b < 2; b++) {
			for (size_t t = 0; t < 3; t++) {
				struct result r[REPEAT];
				double dd = flush ? mbps(run_bytes, dd_sync[b]) : mbps(run_bytes, dd_plain[b]);
				double rate[REPEAT], bw[REPEAT], syncs[REPEAT];

				for (int k = 0; k < REPEAT; k++) {
					sync();
					r[k] = run_append(path, thread_counts[t], batches[b], flush);
					rate[k] = (double)r[k].records / r[k].seconds;
					bw[k] = mbps(r[k].bytes, r[k].seconds);
					syncs[k] = (double)r[k].fsyncs;
				}
				printf("| append, %s | %s | %d | %.0f | %.0f | %.0f | %.2f |\n",
				       flush ? "flush on ack" : "flush off", b ? "1 MiB" : "16 KiB",
				       thread_counts[t], median3(rate), median3(bw), median3(syncs),
				       median3(bw) / dd);
				fflush(stdout);
			}
		}
	}
	{
		double rate[REPEAT], bw[REPEAT];
		sync();
		run_append(path, 1, 1 << 20, 0);
		for (int k = 0; k < REPEAT; k++) {
			struct result r = run_read(path);
			rate[k] = (double)r.records / r.seconds;
			bw[k] = mbps(r.bytes, r.seconds);
		}
		printf("| dd read | 1 MiB | 1 | | %.0f | | 1.00 |\n", mbps(run_bytes, dd_read));
		printf("| sequential read | 1 MiB regions | 1 | %.0f | %.0f | | %.2f |\n",
		       median3(rate), median3(bw), median3(bw) / mbps(run_bytes, dd_read));
	}
	fio_rmdir_r(path, NULL);
	return 0;
}
