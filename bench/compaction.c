/*
 * bench/compaction.c: how fast the cleaner compacts a partition.
 *
 *   compaction [-d DIR] [-s MiB]
 *
 * Fills a partition log with MiB (default 256) of keyed 100-byte records
 * in 16 KiB batches over 32 MiB segments, then runs one compaction
 * (plog_compact, unthrottled, as the cleaner thread would with
 * log.cleaner.io.max.bytes.per.second = 0) and times it.  Two key sets:
 * 10,000 keys written over and over (nearly everything is dropped), and
 * every key distinct (nothing is dropped: every byte is read twice and
 * written once).  Each row is the median of 3 runs on a fresh log.
 * Prints a Markdown table on stdout.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "batch_builder.h"
#include "clock.h"
#include "compress.h"
#include "log.h"
#include "storage/fileio.h"
#include "storage/partition_log.h"
#include "units.h"

#define REPEAT 3
#define SEGMENT_BYTES (32LL << 20)
#define BATCH_BYTES (16 << 10)

struct run {
	double seconds;
	struct plog_compact_result r;
};

/* Append one batch of records with keys key-<n % keys> from *next on. */
static int append_batch(struct plog *l, int64_t *next, int64_t keys, int64_t *bytes)
{
	struct batch_builder bb;
	struct buf out = BUF_INIT;
	struct plog_append_result res;
	uint8_t value[100];
	char key[32];
	struct err e;
	int rc;

	memset(value, 'v', sizeof(value));
	batch_builder_init(&bb, CODEC_NONE, 0);
	for (;;) {
		struct record r = { .timestamp = clock_wall_ms(), .value = value, .value_len = 100 };
		int n = snprintf(key, sizeof(key), "key-%010lld", (long long)(*next % keys));

		r.key = (const uint8_t *)key;
		r.key_len = n;
		if (batch_builder_count(&bb) > 0 && batch_builder_size_with(&bb, &r) > BATCH_BYTES)
			break;
		batch_builder_add(&bb, &r);
		(*next)++;
	}
	batch_builder_finish(&bb, &out, NULL);
	batch_builder_free(&bb);
	rc = plog_append(l, (uint8_t *)out.data, out.len, 0, clock_wall_ms(), &res, &e);
	if (rc)
		fprintf(stderr, "compaction: %s\n", e.msg);
	*bytes += (int64_t)out.len;
	buf_free(&out);
	return rc;
}

static int run_once(const char *path, int64_t total, int64_t keys, struct run *out)
{
	struct plog_config cfg;
	struct plog_open_opts oo = { .now_ms = clock_wall_ms() };
	struct plog_compact_opts co = { .min_dirty_ratio = 0.0, .map_bytes = 256u << 20,
					.max_offset = INT64_MAX };
	struct plog *l;
	struct err e;
	int64_t next = 0, bytes = 0, t0;
	int rc = 0;

	fio_rmdir_r(path, NULL);
	plog_config_default(&cfg);
	cfg.segment_bytes = SEGMENT_BYTES;
	if (plog_open(path, &cfg, &oo, &l, NULL, &e)) {
		fprintf(stderr, "compaction: %s\n", e.msg);
		return -1;
	}
	while (bytes < total && !rc)
		rc = append_batch(l, &next, keys, &bytes);
	/* One batch more rolls nothing but keeps the last full segment closed. */
	if (!rc)
		rc = append_batch(l, &next, keys, &bytes);
	if (!rc)
		rc = plog_flush(l, next, &e);
	sync();
	co.now_ms = clock_wall_ms();
	t0 = clock_mono_ns();
	if (!rc && plog_compact(l, &co, &out->r, &e)) {
		fprintf(stderr, "compaction: %s\n", e.msg);
		rc = -1;
	}
	out->seconds = (double)(clock_mono_ns() - t0) / 1e9;
	plog_close(l, NULL);
	fio_rmdir_r(path, NULL);
	return rc ? -1 : 0;
}

static int cmp_run(const void *a, const void *b)
{
	double x = ((const struct run *)a)->seconds, y = ((const struct run *)b)->seconds;

	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	const char *dir = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	int64_t mib = 256;
	char path[4096];
	int c;

	while ((c = getopt(argc, argv, "d:s:")) != -1) {
		switch (c) {
		case 'd': dir = optarg; break;
		case 's':
			if (units_parse_int(optarg, 64, 1 << 20, &mib, NULL))
				return 2;
			break;
		default:
			fprintf(stderr, "usage: compaction [-d DIR] [-s MiB]\n");
			return 2;
		}
	}
	log_set_level(LOG_LEVEL_WARN);
	snprintf(path, sizeof(path), "%s/slog-bench-compaction-%d", dir, (int)getpid());
	printf("Compaction: %lld MiB of 100-byte keyed records, 32 MiB segments, one unthrottled\n"
	       "clean of every closed segment; median of %d runs (min-max of the time).\n\n",
	       (long long)mib, REPEAT);
	printf("| keys | records read | records kept | MB read | MB written | seconds | MB/s read |\n");
	printf("|---|---:|---:|---:|---:|---:|---:|\n");
	for (int k = 0; k < 2; k++) {
		int64_t keys = k ? INT64_MAX : 10000;
		struct run v[REPEAT], *m;

		for (int i = 0; i < REPEAT; i++)
			if (run_once(path, mib << 20, keys, &v[i]))
				return 1;
		qsort(v, REPEAT, sizeof(v[0]), cmp_run);
		m = &v[REPEAT / 2];
		printf("| %s | %lld | %lld | %.0f | %.0f | %.2f (%.2f-%.2f) | %.0f |\n",
		       k ? "all distinct" : "10,000, rewritten", (long long)m->r.records_read,
		       (long long)m->r.records_kept, (double)m->r.bytes_read / 1e6,
		       (double)m->r.bytes_written / 1e6, m->seconds, v[0].seconds,
		       v[REPEAT - 1].seconds, (double)m->r.bytes_read / m->seconds / 1e6);
		fflush(stdout);
	}
	return 0;
}
