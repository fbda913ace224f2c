/*
 * segment.h: one segment of a partition log.
 *
 * A segment is three files named by its base offset (20 digits):
 *
 *   00000000000000001000.log        batches, back to back, as received
 *   00000000000000001000.index      sparse offset index: every
 *                                   index.interval.bytes, (relative offset
 *                                   u32, file position u32) of a batch start
 *   00000000000000001000.timeindex  (timestamp i64, relative offset u32):
 *                                   "every batch before this offset has a
 *                                   max timestamp below this timestamp"
 *
 * Index layouts are Kafka's (big-endian, fixed-size entries); entries are
 * strictly increasing.  The index of the active (last) segment lives in
 * memory and reaches disk when the segment is sealed (rolled) or the log
 * is closed; the recovery scan rebuilds it after a crash, so it never
 * needs an fsync on the append path.  A sealed segment's index files are
 * written atomically and then memory-mapped read-only.
 *
 * Descriptors: a segment does not own one.  Its .log is opened when a
 * read, write or sync needs it and stays in a process-wide cache
 * (fd_cache.h) that closes the least recently used idle files, so the
 * broker's descriptors are bounded however many segments it holds.  Code
 * that needs the descriptor itself borrows it (segment_fd_acquire/
 * release); a borrowed descriptor is never closed under its borrower.
 *
 * Concurrency: the fields marked "log lock" are guarded by the owning
 * partition log's mutex; base, path and file never change.  Bytes of the
 * .log below a size read under that lock are immutable (appends go
 * beyond it) except for truncation, which only a replica that lost its
 * leadership does; readers holding a reference see the file shrink and
 * stop at the first header that no longer parses.  References
 * (segment_ref/unref) keep the file readable after the segment is
 * deleted from the log: removing the files of a segment that readers
 * still hold keeps its descriptor open until the last unref.
 */
#ifndef SLOG_SEGMENT_H
#define SLOG_SEGMENT_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "batch.h"
#include "buf.h"
#include "err.h"

struct fd_cache_entry;

#define SEG_INDEX_ENTRY 8
#define SEG_TIMEINDEX_ENTRY 12

struct segment {
	int64_t base;
	char *path; /* directory/base, without an extension */
	char suffix[16]; /* after every file's extension: "" in a live log;
			  * ".cleaned", ".swap", ".deleted" while compaction
			  * replaces it (log_compact.c) */
	struct fd_cache_entry *file; /* the .log, opened on demand */
	int held;             /* its descriptor is borrowed until the segment is freed */
	atomic_int refs;

	/* log lock */
	uint64_t size;        /* bytes of whole batches in .log */
	uint64_t synced_size; /* bytes known to be on disk */
	int64_t next_offset;  /* one past the last stored offset (base if empty) */
	int64_t max_ts;       /* largest batch max timestamp; INT64_MIN if empty */
	int64_t created_ms;   /* wall clock of the first append, for segment.ms */
	uint64_t index_bytes; /* appended since the last index entry */
	uint64_t index_interval; /* index.interval.bytes */
	int sealed;
	struct buf idx, tidx; /* entries in memory (active segment) */
	void *idx_map, *tidx_map;
	size_t idx_map_len, tidx_map_len;
};

/* A run of damaged batches a recovery scan stepped over. */
struct seg_damage {
	int64_t first, last; /* the offsets it stands for (last < first: none) */
	uint64_t pos, end;   /* its bytes in the .log */
};

#define SEG_DAMAGE_MAX 16

/* What a recovery scan found. */
struct seg_recovery {
	long batches;       /* whole, valid batches */
	uint64_t valid_end; /* where the last valid batch ends */
	uint64_t scan_end;  /* where the scan stopped: the first bytes that
			     * do not parse with no valid batch after them,
			     * or the file's size */
	int torn;           /* those bytes are what a crash leaves of a write */
	/* Runs of batches with a bad CRC that valid batches follow (a run
	 * from valid_end to scan_end is not listed: only the caller knows
	 * whether anything valid comes after it).  Beyond SEG_DAMAGE_MAX
	 * runs, the last one grows to cover the rest. */
	struct seg_damage damage[SEG_DAMAGE_MAX];
	size_t ndamage;
	char reason[sizeof(((struct err *)0)->msg)]; /* the first thing found wrong */
};

/* Called by the recovery scan for each valid batch (e.g. epoch cache). */
typedef void (*seg_batch_fn)(void *arg, const struct batch_header *h);

/* "<dir>/<20-digit base>" + ext, into out. */
void segment_file_name(char *out, size_t size, const char *dir, int64_t base, const char *ext);

/* A new, empty segment (its files must not exist yet). */
int segment_create(const char *dir, int64_t base, int64_t now_ms, struct segment **out,
		   struct err *e);

/* The same, with every file name ending in suffix (".cleaned"); any
 * leftover files of that name are replaced. */
int segment_create_suffixed(const char *dir, int64_t base, const char *suffix, int64_t now_ms,
			    struct segment **out, struct err *e);

/* Rename the segment's files to end in suffix instead ("" for the final
 * names); the descriptor stays valid.  Missing index files are skipped. */
int segment_rename(struct segment *s, const char *suffix, struct err *e);

/* An existing segment, files as found; indexes not yet loaded. */
int segment_open(const char *dir, int64_t base, struct segment **out, struct err *e);

void segment_ref(struct segment *s);
void segment_unref(struct segment *s);

/*
 * Load the index files and check them against the .log (sizes, strictly
 * increasing entries, positions inside the file); then walk the batches
 * after the last index entry, CRC-checking each, to find next_offset and
 * max_ts.  writable keeps them in memory for appends (the active
 * segment); otherwise they are mapped.  SLOG_ECORRUPT_MESSAGE means they
 * are missing or damaged, or the walked tail is: run segment_recover().
 */
int segment_load_indexes(struct segment *s, int writable, struct err *e);

/*
 * Scan the .log from the start, CRC-checking every batch and rebuilding
 * the indexes in memory from the valid ones.  A batch whose header parses
 * but whose CRC does not match is stepped over and reported, and so are
 * bytes that do not parse (or go back in offsets, below min_base or the
 * previous valid batch's end), up to the next valid batch.  Nothing is
 * cut: whether the bytes after valid_end are a torn tail depends on what
 * later segments hold (segment_cut).
 */
int segment_recover(struct segment *s, int64_t min_base, seg_batch_fn fn, void *arg,
		    struct seg_recovery *r, struct err *e);

/* Cut the .log at pos (no valid batch may lie after it) and make it durable. */
int segment_cut(struct segment *s, uint64_t pos, struct err *e);

/*
 * Append validated batches (offsets already assigned, all >= next_offset)
 * at the end of the .log and index them.  On a failed write the file is
 * cut back to its previous size, so the segment is unchanged.
 */
int segment_append(struct segment *s, const uint8_t *data, size_t len, int64_t now_ms,
		   struct err *e);

/* The .log's descriptor, opened if the cache closed it: the descriptor or
 * a negative code.  Give it back with segment_fd_release(); dup it to keep
 * it longer (sendfile). */
int segment_fd_acquire(const struct segment *s, struct err *e);
void segment_fd_release(const struct segment *s);

/* A descriptor of the caller's own on the .log (for sendfile), or a
 * negative code; the caller closes it. */
int segment_fd_dup(const struct segment *s, struct err *e);

/* Read up to n bytes of the .log at off (short only at its end). */
ssize_t segment_pread(const struct segment *s, void *p, size_t n, uint64_t off, struct err *e);

/* Cut the .log to len bytes, nothing more (the caller keeps the sizes). */
int segment_log_truncate(struct segment *s, uint64_t len, struct err *e);

/* fdatasync the .log, nothing more (the caller keeps synced_size). */
int segment_datasync(struct segment *s, struct err *e);

/* fdatasync the .log; on success synced_size becomes size_at_start. */
int segment_sync(struct segment *s, uint64_t size_at_start, struct err *e);

/* Write the index files (atomically); keep them in memory. */
int segment_write_indexes(struct segment *s, struct err *e);

/* Write the index files and map them: the segment takes no more appends. */
int segment_seal(struct segment *s, struct err *e);

/*
 * Remove every batch whose last offset is >= offset, durably (the .log is
 * fdatasynced and the stale index files unlinked; the caller fsyncs the
 * directory).  Only the index entries past the cut are dropped: the rest
 * of the segment is not read again.  The segment takes appends after it,
 * sealed or not.
 */
int segment_truncate(struct segment *s, int64_t offset, struct err *e);

/* Unlink the three files (descriptors held by readers stay valid). */
int segment_remove_files(struct segment *s, struct err *e);

/* ---- lookups (log lock held for the active segment) ---- */

/* Position of the last indexed batch whose base is <= offset (0 if none). */
uint64_t segment_index_floor(const struct segment *s, int64_t offset);

/* The last indexed batch position <= pos (0 if none). */
uint64_t segment_index_floor_pos(const struct segment *s, uint64_t pos);

/* An offset from which a search for timestamp ts may start. */
int64_t segment_timeindex_floor(const struct segment *s, int64_t ts);

/* ---- walking batches in the file (no lock needed) ---- */

/*
 * Call fn for every whole batch in [from, end) of the .log, in order,
 * with the batch's bytes (valid during the call) and its position.  fn
 * returns 0 to go on, nonzero to stop (returned).  A batch that does not
 * parse or fails its CRC is SLOG_ECORRUPT_MESSAGE: a caller that rewrites
 * batches (compaction) must never give damaged bytes a fresh CRC.
 */
typedef int (*seg_scan_fn)(void *arg, const uint8_t *batch, size_t len, uint64_t pos);
int segment_scan(const struct segment *s, uint64_t from, uint64_t end, seg_scan_fn fn, void *arg,
		 struct err *e);

/* Buffered reads of a file region, refilled as a walk moves forward. */
struct chunk_reader {
	const struct segment *seg;
	const char *what;
	uint8_t *buf;
	size_t cap;
	int owned;         /* buf is heap memory the reader may grow */
	uint64_t at;       /* file position of buf[0] */
	size_t len;        /* valid bytes in buf */
};

struct seg_cursor {
	const struct segment *seg;
	uint64_t pos, end; /* the next batch starts at pos; stop at end */
	struct chunk_reader rd;
	uint8_t chunk[8192];
};

void seg_cursor_init(struct seg_cursor *c, const struct segment *s, uint64_t pos, uint64_t end);

/*
 * The header of the batch at c->pos: 1 and h filled, 0 at end, or
 * SLOG_ECORRUPT_MESSAGE when what is there is not a whole batch.
 */
int seg_cursor_peek(struct seg_cursor *c, struct batch_header *h, struct err *e);

static inline void seg_cursor_skip(struct seg_cursor *c, const struct batch_header *h)
{
	c->pos += batch_size(h);
}

/*
 * Walk from the index floor to the first batch whose last offset is
 * >= offset; its position in *pos (end if none).  h receives its header
 * when one was found (return 1), else return 0.
 */
int segment_seek(const struct segment *s, int64_t offset, uint64_t floor_pos, uint64_t end,
		 uint64_t *pos, struct batch_header *h, struct err *e);

/*
 * The first record with timestamp >= ts in [from_offset, end): 1 with
 * its offset and timestamp, 0 if there is none in this segment.
 */
int segment_find_timestamp(const struct segment *s, int64_t ts, uint64_t floor_pos,
			   uint64_t end, int64_t *offset, int64_t *found_ts, struct err *e);

#endif
