/*
 * plog_fixture.c: what the partition log's tests share: a small log,
 * batches to append, and a check that reads every record back.
 */
#include "plog_fixture.h"

#include <string.h>

#include "batch.h"
#include "batch_builder.h"
#include "batch_check.h"
#include "batch_iter.h"
#include "buf.h"
#include "storage/fileio.h"
#include "storage/log_internal.h"
#include "unit.h"

struct plog_config small_config(void)
{
	struct plog_config c;

	plog_config_default(&c);
	c.segment_bytes = 64 << 10;
	c.index_interval_bytes = 1024;
	c.retention_ms = -1;
	c.retention_bytes = -1;
	return c;
}

struct plog *open_log(const char *dir, const struct plog_config *cfg, int64_t rp,
			     int clean, struct plog_recovery *rec)
{
	struct plog_open_opts o = { .recovery_point = rp, .clean_shutdown = clean, .now_ms = 1000 };
	struct plog *l = NULL;
	struct err e;

	if (plog_open(dir, cfg, &o, &l, rec, &e)) {
		unit_diag("plog_open %s: %s", dir, e.msg);
		return NULL;
	}
	return l;
}

/* One batch of nrec records; timestamps from ts with jitter; returns its size. */
size_t make_batch(struct buf *out, int nrec, int64_t ts, int jitter, int codec,
			 size_t value_size, int64_t *record_ts)
{
	static uint8_t value[8192];
	struct batch_builder bb;
	size_t start = out->len;

	memset(value, 'v', sizeof(value));
	batch_builder_init(&bb, codec, 1);
	for (int i = 0; i < nrec; i++) {
		struct record r = { .key = (const uint8_t *)"key", .key_len = 3, .value = value,
				    .value_len = (int32_t)value_size };
		r.timestamp = ts + (jitter ? (int64_t)unit_rand_below((uint64_t)jitter) : i);
		if (record_ts)
			record_ts[i] = r.timestamp;
		batch_builder_add(&bb, &r);
	}
	batch_builder_finish(&bb, out, NULL);
	batch_builder_free(&bb);
	return out->len - start;
}

int64_t append_one(struct plog *l, int nrec, int64_t ts, size_t value_size)
{
	return append_coded(l, nrec, ts, CODEC_NONE, value_size);
}

int64_t append_coded(struct plog *l, int nrec, int64_t ts, int codec, size_t value_size)
{
	struct buf b = BUF_INIT;
	struct plog_append_result res;
	struct err e;
	int64_t base = -1;

	make_batch(&b, nrec, ts, 0, codec, value_size, NULL);
	if (CHECK(plog_append(l, (uint8_t *)b.data, b.len, 0, 1000, &res, &e) == 0))
		base = res.base_offset;
	else
		unit_diag("append: %s", e.msg);
	buf_free(&b);
	return base;
}

/* Count records readable from offset 0 (or the log start) to the end. */
int64_t count_records(struct plog *l, int64_t *batches)
{
	int64_t start, end, off, n = 0;
	struct buf data = BUF_INIT;

	plog_offsets(l, &start, &end);
	off = start;
	if (batches)
		*batches = 0;
	while (off < end) {
		struct plog_region r;
		struct err e;
		size_t pos = 0;

		if (!CHECK(plog_read(l, off, end, 1 << 20, &r, &e) == 0)) {
			unit_diag("read at %lld: %s", (long long)off, e.msg);
			break;
		}
		if (!CHECK(r.length > 0)) {
			plog_region_release(&r);
			break;
		}
		buf_reset(&data);
		segment_pread(r.seg, buf_reserve(&data, r.length), r.length, r.position, NULL);
		buf_commit(&data, r.length);
		while (pos < r.length) {
			struct batch_header h;
			if (!CHECK(batch_next_in((uint8_t *)data.data + pos, r.length - pos, &h, &e) == 0))
				break;
			CHECK(batch_validate((uint8_t *)data.data + pos, batch_size(&h), BATCH_CHECK_FULL,
					     NULL, NULL, &e) == 0);
			n += h.record_count;
			if (batches)
				(*batches)++;
			pos += batch_size(&h);
		}
		off = r.next_offset;
		plog_region_release(&r);
	}
	buf_free(&data);
	return n;
}

void close_log(struct plog *l)
{
	struct err e;

	if (l && !CHECK(plog_close(l, &e) == 0))
		unit_diag("close: %s", e.msg);
}

int64_t append_epoch(struct plog *l, int nrec, int32_t epoch)
{
	struct buf b = BUF_INIT;
	struct plog_append_result res;
	struct err e;
	int64_t base = -1;

	make_batch(&b, nrec, 1000, 0, CODEC_NONE, 20, NULL);
	if (CHECK(plog_append(l, (uint8_t *)b.data, b.len, epoch, 1000, &res, &e) == 0))
		base = res.base_offset;
	else
		unit_diag("append: %s", e.msg);
	buf_free(&b);
	return base;
}

struct plog *crash_and_reopen(struct plog *l, const char *dir, const struct plog_config *cfg,
			      int64_t rp)
{
	struct fio_faults f = { .track = 1 };

	fio_sim_crash(0, 0);
	fio_faults_clear();
	plog_free(l); /* the process is gone: no further write */
	fio_faults_set(&f);
	return open_log(dir, cfg, rp, 0, NULL);
}
