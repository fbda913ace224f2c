/*
 * plog_fixture.h: helpers for the partition log's unit tests
 * (test_partition_log.c, test_log_truncate.c, test_log_replica.c,
 * test_log_retention.c, test_leader_epoch.c).
 */
#ifndef SLOG_PLOG_FIXTURE_H
#define SLOG_PLOG_FIXTURE_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "compress.h"
#include "storage/partition_log.h"

/* Kafka's defaults but 64 KiB segments, 1 KiB index interval, no retention. */
struct plog_config small_config(void);

/* plog_open with recovery point rp; NULL (and a diagnostic) on failure. */
struct plog *open_log(const char *dir, const struct plog_config *cfg, int64_t rp, int clean,
		      struct plog_recovery *rec);

/* One batch of nrec records appended to out; timestamps from ts, with
 * jitter when nonzero (each record's into record_ts if not NULL);
 * returns its size. */
size_t make_batch(struct buf *out, int nrec, int64_t ts, int jitter, int codec,
		  size_t value_size, int64_t *record_ts);

/* Append one batch under epoch 0; returns its base offset, -1 on failure. */
int64_t append_one(struct plog *l, int nrec, int64_t ts, size_t value_size);
/* The same, compressed with codec (CODEC_NONE: append_one). */
int64_t append_coded(struct plog *l, int nrec, int64_t ts, int codec, size_t value_size);

/* Append one batch of nrec small records under epoch; its base offset or -1. */
int64_t append_epoch(struct plog *l, int nrec, int32_t epoch);

/* Power loss (fio_sim_crash, tracking was on), then open the log again
 * with recovery point rp and no clean shutdown; tracking goes on. */
struct plog *crash_and_reopen(struct plog *l, const char *dir, const struct plog_config *cfg,
			      int64_t rp);

/* Records readable from the log start to the end, every batch CRC-checked. */
int64_t count_records(struct plog *l, int64_t *batches);

/* plog_close, checked. */
void close_log(struct plog *l);

#endif
