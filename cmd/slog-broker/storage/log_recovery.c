/*
 * log_recovery.c: opening a partition log (finding its segments and
 * recovering what a crash may have left half-written) and closing it.
 * Truncation is in log_truncate.c.
 *
 * Recovery follows Kafka's rule: segments wholly below the recovery point
 * were fsynced and only need their index files checked, and the batches
 * after the last index entry, which nothing else vouches for, CRC-checked
 * (a segment that fails is scanned whole).  From the segment that holds
 * the recovery point on, every batch is read and CRC-checked.
 *
 * Where Kafka cuts the log at the first bad batch, slog cuts only a torn
 * tail: damage with nothing valid after it.  A corrupt batch that valid
 * batches follow, in its segment or a later one, is not what a crash
 * leaves; cutting there would delete acknowledged records and hand their
 * offsets out again.  It stays in place, its offsets are recorded as
 * damaged (log_damage.h) and reads of them fail.  What was acknowledged
 * under flush-on-ack was fsynced, so it lies below the recovery point or
 * passes the check: a cut drops only what nobody was promised.
 */
#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "storage/dir_claim.h"
#include "storage/fileio.h"
#include "storage/log_internal.h"
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
	int fd = fio_open(path, O_RDONLY, 0, NULL);

	if (fd < 0)
		return base;
	while (fio_pread(fd, hdr, sizeof(hdr), pos, path, NULL) == (ssize_t)sizeof(hdr) &&
	       batch_header_parse(hdr, sizeof(hdr), &h, NULL) == 0) {
		end = batch_last_offset(&h) + 1;
		pos += (off_t)batch_size(&h);
	}
	fio_close(fd);
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

/* Segments before the first one that may hold unflushed data. */
static size_t trusted_count(const struct plog *l, const struct plog_open_opts *o)
{
	size_t i = 0;

	if (o->clean_shutdown)
		return l->nsegs;
	while (i + 1 < l->nsegs && l->segs[i + 1]->base <= o->recovery_point)
		i++;
	return i;
}

static void add_damage(struct plog *l, const struct segment *s, int64_t first, int64_t last,
		       uint64_t pos, uint64_t end, const char *reason)
{
	struct log_damage_range d = { first, last, s->base, pos, end };

	if (last < first && pos == end)
		return;
	log_damage_add(&l->damage, &d);
	log_error("%s.log: bytes %llu-%llu (offsets %lld-%lld) are damaged (%s); kept in place, "
		  "as valid batches follow", s->path, (unsigned long long)pos,
		  (unsigned long long)end, (long long)first, (long long)last, reason);
}

void plog_report_damage(struct plog *l, const struct segment *s, uint64_t pos,
			const struct batch_header *h, const char *why)
{
	struct err e;

	pthread_mutex_lock(&l->lock);
	add_damage(l, s, h->base_offset, batch_last_offset(h), pos, pos + batch_size(h), why);
	/* Rare, and small: saved under the lock so that saves never cross. */
	if (log_damage_save(&l->damage, l->dir, &e))
		log_warn("%s: %s", l->dir, e.msg);
	pthread_mutex_unlock(&l->lock);
}

/* Record the damage in segs[i] before upto, which valid batches follow. */
static void keep_damage(struct plog *l, size_t i, const struct seg_recovery *r, uint64_t upto)
{
	struct segment *s = l->segs[i];
	int64_t next_base = i + 1 < l->nsegs ? l->segs[i + 1]->base : s->next_offset;

	for (size_t k = 0; k < r->ndamage; k++)
		add_damage(l, s, r->damage[k].first, r->damage[k].last, r->damage[k].pos,
			   r->damage[k].end, r->reason);
	if (r->valid_end < upto)
		add_damage(l, s, s->next_offset, next_base - 1, r->valid_end, upto, r->reason);
}

/* Does segs[i] hold a valid batch? */
static int holds_data(const struct plog *l, const struct seg_recovery *r, const char *scanned,
		      size_t i)
{
	return scanned[i] ? r[i].batches > 0 : l->segs[i]->size > 0;
}

/*
 * Where the log's tail begins: in the first segment whose end a crash
 * cut short (an acknowledgement needs every earlier byte synced, so
 * nothing after it was acknowledged), else in the last segment holding a
 * valid batch.
 */
static size_t tail_segment(const struct plog *l, const struct seg_recovery *r,
			   const char *scanned)
{
	size_t t = l->nsegs - 1;

	for (size_t i = 0; i < l->nsegs; i++)
		if (scanned[i] && r[i].torn)
			return i;
	while (t > 0 && !holds_data(l, r, scanned, t))
		t--;
	return t;
}

/*
 * Only damage that no valid batch follows is a torn tail: cut it, and
 * delete the segments after it.  Damage before a valid batch is no tail:
 * cutting there would drop acknowledged records and hand their offsets
 * out again, so it stays in place and is recorded (log_damage.h).
 */
static int settle_damage(struct plog *l, const struct seg_recovery *r, const char *scanned,
			 struct plog_recovery *rec, struct err *e)
{
	size_t t = tail_segment(l, r, scanned);
	struct segment *s = l->segs[t];
	int rc = 0;

	for (size_t i = 0; i < t; i++)
		if (scanned[i])
			keep_damage(l, i, &r[i], l->segs[i]->size);
	if (scanned[t])
		keep_damage(l, t, &r[t], r[t].valid_end);
	if (scanned[t] && r[t].valid_end < s->size) {
		rec->bytes_truncated += s->size - r[t].valid_end;
		log_warn("%s.log: cut %llu bytes at offset %lld: %s", s->path,
			 (unsigned long long)(s->size - r[t].valid_end), (long long)s->next_offset,
			 r[t].reason);
		rc = segment_cut(s, r[t].valid_end, e);
	}
	if (!rc && t + 1 < l->nsegs) {
		log_warn("%s: deleting %zu segments after offset %lld: they follow the torn tail",
			 l->dir, l->nsegs - t - 1, (long long)s->next_offset);
		rec->segments_deleted += (long)(l->nsegs - t - 1);
		plog_remove_tail_locked(l, t + 1, NULL);
		rc = fio_fsync_dir(l->dir, e);
	}
	return rc;
}

/*
 * Load a segment's indexes when they, and everything in it, can be
 * trusted: 1 if so, 0 if it must be scanned.
 */
static int load_trusted(struct segment *s, int writable, int64_t recovery_point)
{
	struct err why;

	if (segment_load_indexes(s, writable, &why)) {
		log_info("%s: checking every batch: %s", s->path, why.msg);
		return 0;
	}
	/* Past the recovery point, nothing was ever checked. */
	return s->next_offset <= recovery_point;
}

static int recover_segments(struct plog *l, const struct plog_open_opts *o,
			    struct plog_recovery *rec, struct err *e)
{
	size_t scan_from = trusted_count(l, o), n = l->nsegs;
	struct seg_recovery *r = xcalloc(n ? n : 1, sizeof(*r));
	char *scanned = xcalloc(n ? n : 1, 1);
	int64_t min_base = 0;
	int rc = 0;

	for (size_t i = 0; i < l->nsegs && !rc; i++) {
		struct segment *s = l->segs[i];
		if (i < scan_from && load_trusted(s, i + 1 == l->nsegs, o->recovery_point)) {
			if (s->base < min_base) {
				/* Segments overlap: the later one is the bad one. */
				log_warn("%s: base below the previous segment's end; deleting from here",
					 s->path);
				plog_remove_tail_locked(l, i, NULL);
				break;
			}
			min_base = s->next_offset;
			continue;
		}
		rc = segment_recover(s, min_base, note_epoch, l, &r[i], e);
		scanned[i] = 1;
		rec->segments_scanned++;
		rec->batches_checked += r[i].batches;
		min_base = s->next_offset;
	}
	if (!rc && l->nsegs)
		rc = settle_damage(l, r, scanned, rec, e);
	/* Seal what the scan rebuilt, and sync it, so the recovery point can
	 * move to the log end. */
	for (size_t i = 0; i < l->nsegs && !rc; i++) {
		if (!scanned[i])
			continue;
		if (i + 1 < l->nsegs)
			rc = segment_seal(l->segs[i], e);
		if (!rc)
			rc = segment_sync(l->segs[i], l->segs[i]->size, e);
	}
	free(r);
	free(scanned);
	return rc;
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
	struct plog_open_opts opts = *o;
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
	if (log_damage_load(&l->damage, dir, &ee))
		log_warn("%s: %s", dir, ee.msg);
	opts.recovery_point = plog_recovery_ceiling(dir, o->recovery_point);
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
		rc = recover_segments(l, &opts, &rec, e);
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
	log_damage_drop_from(&l->damage, l->log_end);
	log_damage_drop_before(&l->damage, l->log_start);
	if (log_damage_save(&l->damage, dir, &ee))
		log_warn("%s: %s", dir, ee.msg);
	rec.damaged_ranges = (long)l->damage.n;
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
	if (!rc)
		plog_drop_ceiling(l->dir);
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

size_t plog_damaged(struct plog *l, int64_t *first, int64_t *last, size_t max)
{
	size_t n;

	n = 0;
	/* /metrics asks for the count: like plog_size, it does not wait long
	 * behind an append stalled on its disk. */
	if (max == 0 && !plog_lock_briefly(l))
		return l->damaged_seen;
	if (max)
		pthread_mutex_lock(&l->lock);
	for (size_t i = 0; i < l->damage.n; i++) {
		if (l->damage.v[i].last < l->log_start)
			continue; /* retention took it */
		if (n < max) {
			first[n] = l->damage.v[i].first;
			last[n] = l->damage.v[i].last;
		}
		n++;
	}
	pthread_mutex_unlock(&l->lock);
	l->damaged_seen = n;
	return n;
}
