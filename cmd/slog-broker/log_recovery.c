/*
 * log_recovery.c: opening a partition log (finding its segments and
 * recovering what a crash may have left half-written), closing it, and
 * truncating it.
 *
 * Recovery follows Kafka's rule: segments wholly below the recovery point
 * were fsynced and only need their index files checked (rebuilt from the
 * batch headers if they are missing or damaged).  From the segment that
 * holds the recovery point on, every batch is read and CRC-checked; the
 * first one that is torn, corrupt or out of order ends the log: the file
 * is cut there and any later segment is deleted.  What was acknowledged
 * under flush-on-ack was fsynced, so it lies below the recovery point or
 * passes the check: recovery drops only what nobody was promised.
 */
#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

#include "dir_claim.h"
#include "fileio.h"
#include "log.h"
#include "log_internal.h"
#include "units.h"
#include "xalloc.h"

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/* "00000000000000001234.log" -> 1234; -1 for any other name. */
static int64_t parse_log_name(const char *name)
{
	int64_t v;
	char digits[21];

	if (strlen(name) != 24 || strcmp(name + 20, ".log") != 0)
		return -1;
	for (int i = 0; i < 20; i++)
		if (!isdigit((unsigned char)name[i]))
			return -1;
	memcpy(digits, name, 20);
	digits[20] = '\0';
	if (units_parse_int(digits, 0, INT64_MAX, &v, NULL))
		return -1;
	return v;
}

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* One past the last offset in a .log file (a header walk), or base if empty. */
static int64_t file_end_offset(const char *path, int64_t base)
{
	struct batch_header h;
	uint8_t hdr[BATCH_HEADER_SIZE];
	int64_t end = base;
	off_t pos = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return base;
	while (pread(fd, hdr, sizeof(hdr), pos) == (ssize_t)sizeof(hdr) &&
	       batch_header_parse(hdr, sizeof(hdr), &h, NULL) == 0) {
		end = batch_last_offset(&h) + 1;
		pos += (off_t)batch_size(&h);
	}
	close(fd);
	return end;
}

/* Base offsets of the segments in dir, sorted; stray temp files removed. */
static int list_segments(const char *dir, int64_t **bases, size_t *n, struct err *e)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t cap = 0;

	*bases = NULL;
	*n = 0;
	if (!d)
		return err_set(e, SLOG_ESTORAGE, "cannot open log directory %s", dir);
	while ((de = readdir(d))) {
		size_t len = strlen(de->d_name);
		int64_t base;

		if (len > 4 && strcmp(de->d_name + len - 4, ".tmp") == 0) {
			char path[4096];
			snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
			fio_unlink(path, NULL); /* an atomic write that never finished */
			continue;
		}
		base = parse_log_name(de->d_name);
		if (base < 0)
			continue;
		*bases = xgrow(*bases, &cap, *n + 1, sizeof(**bases));
		(*bases)[(*n)++] = base;
	}
	closedir(d);
	if (*n)
		qsort(*bases, *n, sizeof(**bases), cmp_i64);
	return 0;
}

/*
 * Finish what a compaction left: *.cleaned (not complete: dropped),
 * *.deleted (replaced: dropped), *.swap (complete: the segments it
 * replaces, those with a base inside its offsets, go, and it takes the
 * final names).  See log_compact.c.
 */
static int finish_compaction(struct plog *l, struct err *e)
{
	const char *dir = l->dir;
	DIR *d = opendir(dir);
	struct dirent *de;
	int64_t swaps[64];
	int nswaps = 0;

	if (!d)
		return 0;
	while ((de = readdir(d))) {
		char path[4400];
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (ends_with(de->d_name, ".cleaned") || ends_with(de->d_name, ".deleted")) {
			unlink(path);
		} else if (ends_with(de->d_name, ".log.swap") && nswaps < 64) {
			char name[32];
			int64_t base;
			snprintf(name, sizeof(name), "%.20s.log", de->d_name);
			base = parse_log_name(name);
			if (base >= 0)
				swaps[nswaps++] = base;
		}
	}
	closedir(d);
	for (int i = 0; i < nswaps; i++) {
		static const char *const exts[] = { ".log", ".index", ".timeindex" };
		char swap[4400];
		int64_t end, *bases = NULL;
		size_t n = 0;

		snprintf(swap, sizeof(swap), "%s/%020lld.log.swap", dir, (long long)swaps[i]);
		end = file_end_offset(swap, swaps[i]);
		if (list_segments(dir, &bases, &n, NULL) == 0) {
			for (size_t k = 0; k < n; k++) {
				if (bases[k] < swaps[i] || bases[k] >= end)
					continue;
				for (int x = 0; x < 3; x++) {
					char old[4400];
					snprintf(old, sizeof(old), "%s/%020lld%s", dir, (long long)bases[k], exts[x]);
					unlink(old);
				}
			}
		}
		free(bases);
		for (int x = 0; x < 3; x++) {
			char from[4400], to[4400];
			snprintf(from, sizeof(from), "%s/%020lld%s.swap", dir, (long long)swaps[i], exts[x]);
			snprintf(to, sizeof(to), "%s/%020lld%s", dir, (long long)swaps[i], exts[x]);
			if (rename(from, to) < 0 && x == 0)
				log_warn("%s: cannot finish a compaction: rename %s", dir, from);
		}
		log_info("%s: finished a compaction interrupted at offsets %lld-%lld", dir,
			 (long long)swaps[i], (long long)end - 1);
	}
	/* The renames must be durable before the segments are trusted. */
	return nswaps ? plog_durability_failed(l, fio_fsync_dir(dir, e), e) : 0;
}

static void note_epoch(void *arg, const struct batch_header *h)
{
	struct plog *l = arg;
	struct err e;

	if (h->leader_epoch > leader_epochs_latest(&l->epochs) && !l->failed &&
	    plog_durability_failed(l, leader_epochs_assign(&l->epochs, h->leader_epoch,
							   h->base_offset, &e), &e)) {
		/* Without its epochs the log cannot be trusted: plog_open fails. */
		log_error("%s: cannot record leader epoch %d: %s", l->dir, h->leader_epoch, e.msg);
		l->failed = 1;
	}
}

/* Remove segments from the list's end or all of it; files go at once.  lock held. */
static void remove_tail_locked(struct plog *l, size_t keep)
{
	struct err e;

	for (size_t i = keep; i < l->nsegs; i++) {
		if (segment_remove_files(l->segs[i], &e))
			log_warn("%s", e.msg);
		segment_unref(l->segs[i]);
	}
	l->nsegs = keep;
}

/* Load or rebuild the indexes of a segment below the recovery point. */
static int load_trusted(struct segment *s, int writable, struct err *e)
{
	struct seg_recovery r;
	struct err why;
	int rc;

	if (segment_load_indexes(s, writable, &why) == 0)
		return 0;
	log_info("%s: rebuilding indexes: %s", s->path, why.msg);
	rc = segment_recover(s, 0, s->base, NULL, NULL, &r, e);
	if (rc)
		return rc;
	if (r.truncated_bytes)
		log_warn("%s.log: cut %llu bytes: %s", s->path, (unsigned long long)r.truncated_bytes,
			 r.reason);
	return writable ? 0 : segment_seal(s, e);
}

/* CRC-scan segs[i]; a damaged one ends the log.  Returns 1 if it did. */
static int scan_segment(struct plog *l, size_t i, int64_t min_base, struct plog_recovery *rec,
			struct err *e)
{
	struct segment *s = l->segs[i];
	struct seg_recovery r;
	int rc;

	rc = segment_recover(s, 1, min_base, note_epoch, l, &r, e);
	if (rc)
		return rc;
	rec->segments_scanned++;
	rec->batches_checked += r.batches;
	if (!r.truncated_bytes)
		return 0;
	rec->bytes_truncated += r.truncated_bytes;
	rec->segments_deleted += (long)(l->nsegs - i - 1);
	log_warn("%s.log: cut %llu bytes at offset %lld: %s%s", s->path,
		 (unsigned long long)r.truncated_bytes, (long long)s->next_offset, r.reason,
		 l->nsegs - i - 1 ? "; later segments deleted" : "");
	remove_tail_locked(l, i + 1);
	return 1;
}

static int recover_segments(struct plog *l, const struct plog_open_opts *o,
			    struct plog_recovery *rec, struct err *e)
{
	size_t scan_from = l->nsegs;
	int64_t min_base = 0;
	int rc;

	/* The first segment that may hold unflushed data. */
	if (!o->clean_shutdown) {
		scan_from = 0;
		while (scan_from + 1 < l->nsegs && l->segs[scan_from + 1]->base <= o->recovery_point)
			scan_from++;
	}
	for (size_t i = 0; i < l->nsegs; i++) {
		struct segment *s = l->segs[i];
		int last = i + 1 == l->nsegs;

		if (i < scan_from) {
			rc = load_trusted(s, last, e);
			if (rc)
				return rc;
			if (s->base < min_base) {
				/* Segments overlap: the later one is the bad one. */
				log_warn("%s: base below the previous segment's end; deleting from here",
					 s->path);
				remove_tail_locked(l, i);
				break;
			}
			min_base = s->next_offset;
			continue;
		}
		rc = scan_segment(l, i, min_base, rec, e);
		if (rc < 0)
			return rc;
		min_base = s->next_offset;
		if (!last && !rc) {
			rc = segment_seal(s, e);
			if (rc)
				return rc;
		}
		if (rc == 1)
			break;
	}
	/* Every segment recovered: sync what the scan kept, so the recovery
	 * point can move to the log end. */
	for (size_t i = scan_from; i < l->nsegs; i++) {
		rc = segment_sync(l->segs[i], l->segs[i]->size, e);
		if (rc)
			return rc;
	}
	return 0;
}

static struct plog *plog_new(const char *dir, const struct plog_config *cfg)
{
	struct plog *l = xcalloc(1, sizeof(*l));

	l->dir = xstrdup(dir);
	dir_health_init(&l->own_health, l->dir);
	l->health = &l->own_health;
	l->cfg = *cfg;
	pthread_mutex_init(&l->lock, NULL);
	pthread_mutex_init(&l->flush_lock, NULL);
	pthread_cond_init(&l->flush_cond, NULL);
	return l;
}

int plog_open(const char *dir, const struct plog_config *cfg, const struct plog_open_opts *o,
	      struct plog **out, struct plog_recovery *rec_out, struct err *e)
{
	struct plog_recovery rec;
	struct plog *l;
	int64_t *bases = NULL;
	size_t n = 0;
	char path[4200];
	struct err ee;
	int rc;

	memset(&rec, 0, sizeof(rec));
	rc = fio_mkdir_p(dir, e);
	if (rc)
		return rc;
	l = plog_new(dir, cfg);
	if (o->health)
		l->health = o->health;
	if (dir_claim(dir, l, e)) {
		plog_free(l);
		return SLOG_ESTORAGE;
	}
	snprintf(path, sizeof(path), "%s/leader-epoch-checkpoint", dir);
	if (leader_epochs_open(&l->epochs, path, &ee))
		log_warn("%s: %s; rebuilding it from the log", dir, ee.msg);
	rc = finish_compaction(l, e);
	if (!rc)
		rc = list_segments(dir, &bases, &n, e);
	for (size_t i = 0; !rc && i < n; i++) {
		struct segment *s;
		rc = segment_open(dir, bases[i], &s, e);
		if (!rc) {
			s->created_ms = o->now_ms;
			plog_push_segment(l, s);
		}
	}
	free(bases);
	if (!rc)
		rc = recover_segments(l, o, &rec, e);
	if (!rc && l->failed)
		rc = err_set(e, SLOG_ESTORAGE, "%s: cannot record the leader epochs recovery found", dir);
	if (!rc && l->nsegs == 0) {
		struct segment *s;
		rc = segment_create(dir, o->log_start > 0 ? o->log_start : 0, o->now_ms, &s, e);
		if (!rc) {
			plog_push_segment(l, s);
			rc = fio_fsync_dir(dir, e);
		}
	}
	if (rc) {
		plog_free(l);
		return rc;
	}
	l->log_end = l->segs[l->nsegs - 1]->next_offset;
	l->log_start = l->segs[0]->base;
	if (o->log_start > l->log_start)
		l->log_start = o->log_start < l->log_end ? o->log_start : l->log_end;
	l->flushed = l->log_end;
	if (leader_epochs_truncate_after(&l->epochs, l->log_end, &ee))
		log_warn("%s: %s", dir, ee.msg);
	rec.segments = (long)l->nsegs;
	if (rec_out)
		*rec_out = rec;
	*out = l;
	return 0;
}

int plog_close(struct plog *l, struct err *e)
{
	int rc = plog_flush(l, INT64_MAX, e);

	/* With the data durable, leave index files a clean start can trust. */
	if (!rc)
		rc = segment_write_indexes(l->segs[l->nsegs - 1], e);
	plog_free(l);
	return rc;
}

int plog_destroy(struct plog *l, struct err *e)
{
	char dir[4096];
	int rc;

	snprintf(dir, sizeof(dir), "%s", l->dir);
	plog_free(l);
	rc = fio_rmdir_r(dir, e);
	if (!rc) {
		char parent[4096];
		fio_dirname(dir, parent, sizeof(parent));
		rc = fio_fsync_dir(parent, e);
	}
	return rc;
}

int plog_truncate(struct plog *l, int64_t offset, int64_t now_ms, struct err *e)
{
	struct err ee;
	size_t keep;
	int rc = 0;

	pthread_mutex_lock(&l->lock);
	if (offset >= l->log_end)
		goto out;
	/* Segments that start at or after offset go entirely.  Truncation is
	 * rare (a replica rejoining a new leader), so the files are removed
	 * under the lock rather than handed out of it. */
	keep = l->nsegs;
	while (keep > 0 && l->segs[keep - 1]->base >= offset)
		keep--;
	if (keep == 0 || offset <= l->log_start) {
		struct segment *s;
		int64_t base = offset > l->log_start ? offset : l->log_start;

		remove_tail_locked(l, 0);
		rc = segment_create(l->dir, base, now_ms, &s, e);
		if (rc) {
			l->failed = 1; /* no segment left to append to */
			goto out;
		}
		plog_push_segment(l, s);
		l->log_start = base;
	} else {
		remove_tail_locked(l, keep);
		rc = segment_truncate(l->segs[keep - 1], offset, e);
	}
	l->log_end = l->segs[l->nsegs - 1]->next_offset;
	l->dir_dirty = 1;
	if (leader_epochs_truncate_after(&l->epochs, l->log_end, &ee))
		log_warn("%s: %s", l->dir, ee.msg);
	pthread_mutex_lock(&l->flush_lock);
	if (l->flushed > l->log_end)
		l->flushed = l->log_end;
	pthread_mutex_unlock(&l->flush_lock);
out:
	pthread_mutex_unlock(&l->lock);
	return rc;
}
