/*
 * partition_log.h: the log of one partition, the broker's storage engine.
 *
 * A partition log is a directory of segments (segment.h), the oldest
 * first; the last one, the active segment, takes appends.  Offsets are
 * dense from the log start offset to the log end offset (LEO), except for
 * gaps compaction leaves.
 *
 *   append   validated batches are stamped with offsets and the leader
 *            epoch (fields outside the CRC) and written with one pwrite;
 *            the active segment rolls at segment.bytes or segment.ms.
 *   flush    group commit: a caller that needs offsets below N durable
 *            either runs the fsync itself or waits for the one running;
 *            one fsync covers every append that preceded it.
 *   read     answers with a region of one segment file, whole batches
 *            only, for sendfile: no byte is copied in user space.
 *   recover  on open, every batch after the recovery point is CRC-checked,
 *            a torn or corrupt tail is cut to the last whole batch, and
 *            indexes are rebuilt; a clean shutdown checks only what was
 *            never indexed.  A corrupt batch that valid ones follow is no
 *            tail: it stays, and its offsets read as damaged.
 *
 * Locking.  `lock` guards the segment list, the offsets, the epoch cache
 * and the segment fields marked "log lock".  It is held across the
 * append's write(2): file order must be offset order, and a write to the
 * page cache is a memcpy (an alternative that reserved space under the
 * lock and wrote outside it would make readers wait on holes).  A roll
 * also writes the old segment's two index files under it, once per
 * segment.  Reads take it only to find their segment and index hints;
 * they read the file outside it.  `flush_lock` guards the group-commit
 * state; the lock order is lock, then flush_lock (the flush path never
 * holds flush_lock while taking lock).
 *
 * After a failed fsync the log's whole directory goes offline
 * (dir_health.h): every log in it refuses appends, flushes and reads
 * above the recovery point until the broker restarts.
 */
#ifndef SLOG_PARTITION_LOG_H
#define SLOG_PARTITION_LOG_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "storage/segment.h"

struct plog_config {
	int64_t segment_bytes;        /* roll before the active segment passes this */
	int64_t segment_ms;           /* roll when the active segment is this old */
	int64_t index_interval_bytes; /* bytes between index entries */
	int64_t retention_ms;         /* delete segments older than this; -1 never */
	int64_t retention_bytes;      /* keep the log under this size; -1 no limit */
};

/* Kafka's defaults: 1 GiB segments, 7 days, 4 KiB index interval, 7 days. */
void plog_config_default(struct plog_config *c);

struct dir_health;

struct plog_open_opts {
	int64_t recovery_point; /* offsets below are known durable */
	int64_t log_start;      /* a checkpointed log start offset, or 0 */
	int clean_shutdown;     /* the last close was clean: trust index files */
	int64_t now_ms;
	struct dir_health *health; /* the log dir's state, borrowed; NULL: the log's own */
};

struct plog_recovery {
	long segments;
	long segments_scanned;
	long batches_checked;
	uint64_t bytes_truncated;
	long segments_deleted;
	long damaged_ranges;   /* corrupt ranges kept in place (valid data follows) */
};

struct plog;

/* Open (creating the directory if needed) and recover a partition log. */
int plog_open(const char *dir, const struct plog_config *cfg, const struct plog_open_opts *o,
	      struct plog **out, struct plog_recovery *rec, struct err *e);

/* Flush everything, write the active segment's indexes, free. */
int plog_close(struct plog *l, struct err *e);

/* Close and remove every file and the directory (topic deletion). */
int plog_destroy(struct plog *l, struct err *e);

void plog_set_config(struct plog *l, const struct plog_config *cfg);
const char *plog_dir(const struct plog *l);

struct plog_append_result {
	int64_t base_offset; /* offset of the first record written */
	int64_t last_offset;
	uint64_t bytes;
	uint64_t skipped_bytes; /* plog_append_mirror: batches the log held already */
};

/*
 * Append data: one or more whole, validated batches (batch_validate).
 * Their base offsets and leader epochs are rewritten in place.  Returns 0
 * or SLOG_ESTORAGE (write failed; nothing was appended) with the reason.
 */
int plog_append(struct plog *l, uint8_t *data, size_t len, int32_t leader_epoch, int64_t now_ms,
		struct plog_append_result *res, struct err *e);

/*
 * Append a replica's data, as its leader wrote it: whole batches that
 * batch_validate passed, with the leader's offsets and leader epochs,
 * which are kept (nothing in data is rewritten).  The first batch must
 * not start before the log end (SLOG_EUNEXPECTED_APPEND_OFFSET: the
 * replica must truncate or fetch from its log end); it may start after
 * it, as each later one may after the one before: gaps a compaction or
 * a mirror's source left on the leader are kept (a fetch from the log end
 * answered past it found nothing in between); an
 * epoch older than the log's latest is SLOG_EINVALID_RECORD.  Nothing is
 * written on a refusal.  Each new epoch goes into the epoch cache, durably,
 * before its data is written.  The data becomes durable as plog_append's
 * does: plog_flush (or the flusher) covers it.
 */
int plog_append_replica(struct plog *l, const uint8_t *data, size_t len, int64_t now_ms,
			struct plog_append_result *res, struct err *e);

/*
 * Append a mirror's data (a topic with mirror.source): whole, validated
 * batches copied from another cluster, kept at their source offsets.
 * Each batch's leader epoch is set to leader_epoch in place (outside the
 * CRC), as the batch now lives under this log's leadership.  Batches
 * wholly below the log end were mirrored before (a re-send after a crash)
 * and are skipped; a batch straddling the log end is
 * SLOG_EUNEXPECTED_APPEND_OFFSET.  The first batch kept may start after
 * the log end (the source's compaction or retention left a gap); an
 * empty log then restarts there, so its log start follows the source's.
 * Otherwise as plog_append_replica, whose write it shares.  res (may be
 * NULL) spans every batch of data, skipped ones too: bytes says what was
 * written, skipped_bytes what the log held already.
 */
int plog_append_mirror(struct plog *l, uint8_t *data, size_t len, int32_t leader_epoch,
		       int64_t now_ms, struct plog_append_result *res, struct err *e);

/*
 * A new leader takes over at the log end (Kafka's makeLeader, KAFKA-7415):
 * (epoch, LEO) goes into the epoch cache, durably, before any record of
 * that epoch exists, so the leader can answer for it even if it appends
 * nothing.  An epoch not newer than the cache's latest is left as it is.
 * *start gets the log end it was assigned at.  SLOG_ESTORAGE when the
 * log takes no writes or the file cannot be written.
 */
int plog_assign_epoch(struct plog *l, int32_t epoch, int64_t *start, struct err *e);

/*
 * Block until every offset below upto is durable (group commit).  Returns
 * 0, or SLOG_ESTORAGE once the log dir is offline (a fsync failed, here
 * or in another log of the directory), or an error that lost nothing
 * (no descriptor left to open the directory with): a later call may
 * succeed.
 */
int plog_flush(struct plog *l, int64_t upto, struct err *e);

/* A region of one segment file holding whole batches, for sendfile. */
struct plog_region {
	struct segment *seg;  /* a reference; plog_region_release() drops it */
	uint64_t position;
	uint64_t length;      /* 0: nothing to read at this offset (yet) */
	int64_t first_offset; /* base offset of the first batch (<= the one asked) */
	int64_t next_offset;  /* where the next read should start */
};

/*
 * Find the batches holding offset and after it, below max_offset (the
 * last offset readers may see, exclusive: the high watermark), at most
 * max_bytes unless the first batch alone is larger (a reader must always
 * make progress).  SLOG_EOFFSET_OUT_OF_RANGE when offset is before the
 * log start or past the log end.  When the log dir is offline, only
 * offsets below the recovery point are served; SLOG_ESTORAGE above it.
 */
int plog_read(struct plog *l, int64_t offset, int64_t max_offset, size_t max_bytes,
	      struct plog_region *r, struct err *e);
void plog_region_release(struct plog_region *r);

/*
 * The first record, at or after the log start, whose timestamp is >= ts:
 * 1 with its offset and timestamp, 0 when every record is older.
 */
int plog_find_timestamp(struct plog *l, int64_t ts, int64_t *offset, int64_t *found_ts,
			struct err *e);

/* Never waits for the log lock (a stalled append holds it). */
void plog_offsets(struct plog *l, int64_t *log_start, int64_t *log_end);
int64_t plog_recovery_point(struct plog *l);

/* 1 when the log takes no writes: its log dir is offline, or it failed alone. */
int plog_offline(struct plog *l);

/* Waits at most 50 ms for the log lock, then answers the size last seen. */
uint64_t plog_size(struct plog *l);
size_t plog_segment_count(struct plog *l);
int32_t plog_latest_epoch(struct plog *l);

/* leader_epochs_end_offset() of the log's epoch cache, the log end for
 * the latest epoch: where epoch ended, -1 when undefined. */
int64_t plog_epoch_end_offset(struct plog *l, int32_t epoch, int32_t *found_epoch);

/*
 * Delete the oldest segments that retention.ms or retention.bytes rule
 * out, or that lie wholly before the log start offset, but only segments
 * wholly below max_offset: the high watermark, so that no record a
 * replica may still need to fetch, or a leader change may still keep,
 * goes (INT64_MAX: no bound).  The active segment is rolled first when it
 * alone is past retention.ms and below the bound, so an idle partition
 * empties too.  *deleted (may be NULL) counts segments removed.  Once the
 * log dir is offline it deletes nothing (and reports nothing: the failure
 * was reported when it happened).
 */
int plog_apply_retention(struct plog *l, int64_t now_ms, int64_t max_offset, int *deleted,
			 struct err *e);

/* Move the log start offset up to offset (<= log end); drop whole segments.
 * SLOG_ESTORAGE once the log dir is offline.  The caller bounds offset
 * (Kafka's DeleteRecords: at most the high watermark). */
int plog_delete_before(struct plog *l, int64_t offset, struct err *e);

/* The damaged offset ranges recovery kept (log_damage.h): up to max into
 * first/last; returns how many there are. */
size_t plog_damaged(struct plog *l, int64_t *first, int64_t *last, size_t max);

/*
 * A reader found the batch at pos of segment s (header h) damaged: from
 * now on reads stop before it and reads of its offsets fail.
 */
void plog_report_damage(struct plog *l, const struct segment *s, uint64_t pos,
			const struct batch_header *h, const char *why);

/* ---- truncation (log_truncate.c) ---- */

/*
 * Remove every record at or after offset (a replica's divergent tail);
 * the log ends at the start of the batch holding offset.  Epoch cache
 * entries starting at or after the new end go, even when offset is at or
 * past the log end (an epoch assigned with nothing written under it).
 * An offset at or below the log start empties the log, which keeps its
 * log start.  Durable when it returns: the cut is fdatasynced, later
 * segments and stale index files unlinked and the directory fsynced, the
 * epoch cache saved, and the recovery point lowered to the cut (on disk
 * too, until a clean close).  On failure the log refuses appends until
 * it is reopened; SLOG_ESTORAGE once the log dir is offline.
 */
int plog_truncate(struct plog *l, int64_t offset, int64_t now_ms, struct err *e);

/*
 * Remove every segment and restart the log empty at offset: log start =
 * log end = offset, whether offset is below, inside or past the old log
 * (a replica whose log end is behind its leader's log start).  The epoch
 * cache is emptied: the leader's epochs come with its batches.  Durable
 * when it returns, as plog_truncate; the same failures.
 */
int plog_truncate_fully_and_start_at(struct plog *l, int64_t offset, int64_t now_ms,
				     struct err *e);

/* ---- reading records in the broker (log_reader.c) ---- */

struct record;
/* Called for each record; a nonzero return stops the replay and is returned. */
typedef int (*plog_record_fn)(void *arg, const struct record *r, struct err *e);

/*
 * Call fn for every record at or after offset from, to the log end, in
 * order.  Batches are CRC-checked; a bad one is SLOG_ECORRUPT_MESSAGE.
 * For small internal logs read at start, not for the fetch path.
 */
int plog_replay(struct plog *l, int64_t from, plog_record_fn fn, void *arg, struct err *e);

/* ---- compaction (log_compact.c) ---- */

struct plog_compact_opts {
	int64_t first_dirty;         /* offsets below were compacted before */
	int64_t max_offset;          /* only segments wholly below are cleaned: the
				      * high watermark (INT64_MAX: no bound) */
	double min_dirty_ratio;      /* clean only when dirty / cleanable reaches this */
	int64_t min_lag_ms;          /* segments with records younger than this wait */
	int64_t delete_retention_ms; /* tombstones older than this are removed */
	int64_t max_bytes_per_sec;   /* read+write throttle; 0: none */
	size_t map_bytes;            /* memory for the key -> offset map */
	int64_t now_ms;
	const atomic_int *cancel;    /* nonzero: stop early (may be NULL) */
};

struct plog_compact_result {
	int cleaned;                 /* 0: nothing was due */
	int64_t first_dirty;         /* where the next compaction starts */
	double dirty_ratio;
	uint64_t bytes_read, bytes_written;
	int64_t records_read, records_kept, tombstones_removed;
	int segments_before, segments_after;
};

/*
 * Compact the closed segments wholly below o->max_offset: keep only the
 * newest record of each key (and drop tombstones older than
 * delete_retention_ms), never moving a record to another offset.  Reads and writes without the log's lock; the
 * lock is held only to swap the rewritten segments in, which takes
 * renames.  A crash at any point leaves the old segments or the new.
 */
int plog_compact(struct plog *l, const struct plog_compact_opts *o,
		 struct plog_compact_result *r, struct err *e);

#endif
