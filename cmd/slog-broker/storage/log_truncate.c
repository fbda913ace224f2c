/*
 * log_truncate.c: truncating a partition log, from its end (a replica's
 * divergent tail) or wholly (a replica restarting at the leader's log
 * start).
 *
 * Replication rule D4: a truncation is durable before it returns.  The
 * cut .log is fdatasynced, later segments and stale index files are
 * unlinked and the directory fsynced, the epoch cache and the damage
 * list rewritten (each atomically), and the recovery point lowered, on
 * disk too (the ceiling file below).  Otherwise, after a power loss, the
 * old bytes could come back behind new ones and pass their CRC check.  A
 * truncation that fails part way leaves the log refusing appends until
 * the broker restarts and recovery finds what the disk holds.
 */
#include <stdio.h>
#include <unistd.h>

#include "log.h"
#include "storage/fileio.h"
#include "storage/log_internal.h"
#include "units.h"

/*
 * A truncation lowers the recovery point below what the log directory's
 * checkpoint may still say, and new appends past the cut are not durable
 * yet: this file holds the lower value until a clean close, so that a
 * crash in between checks everything from the cut.
 */
#define CEILING_FILE "recovery-point-ceiling"

/* The ceiling a truncation left, INT64_MAX if none, 0 if unreadable. */
static int64_t read_ceiling(const char *dir)
{
	char path[4200];
	struct buf b = BUF_INIT;
	int64_t v = 0; /* unreadable: check everything */

	snprintf(path, sizeof(path), "%s/" CEILING_FILE, dir);
	if (access(path, F_OK) != 0)
		return INT64_MAX;
	if (fio_read_file(path, 64, &b, NULL) == 0) {
		buf_add(&b, "", 1);
		if (units_parse_int(b.data, 0, INT64_MAX, &v, NULL))
			v = 0;
	}
	buf_free(&b);
	return v;
}

int64_t plog_recovery_ceiling(const char *dir, int64_t rp)
{
	int64_t v = read_ceiling(dir);

	if (v >= rp)
		return rp;
	log_info("%s: recovery point %lld, lowered by a truncation", dir, (long long)v);
	return v;
}

/* Lower the ceiling to offset (never raise it: what lay between may not be synced). */
static int write_ceiling(const char *dir, int64_t offset, struct err *e)
{
	char path[4200], v[32];
	int n;

	if (read_ceiling(dir) <= offset)
		return 0;
	n = snprintf(v, sizeof(v), "%lld", (long long)offset);
	snprintf(path, sizeof(path), "%s/" CEILING_FILE, dir);
	return fio_write_atomic(path, v, (size_t)n, e);
}

void plog_drop_ceiling(const char *dir)
{
	char path[4200];

	snprintf(path, sizeof(path), "%s/" CEILING_FILE, dir);
	fio_unlink(path, NULL); /* if the unlink is lost, a later start checks more */
}

/* Cut the segment list and files at offset, inside the log.  lock held. */
static int cut_locked(struct plog *l, int64_t offset, struct err *e)
{
	size_t keep = l->nsegs;
	int rc;

	/* Segments that start at or after offset go entirely.  Truncation is
	 * rare (a replica rejoining a new leader), so the files are removed
	 * under the lock rather than handed out of it. */
	while (keep > 1 && l->segs[keep - 1]->base >= offset)
		keep--;
	rc = plog_remove_tail_locked(l, keep, e);
	return rc ? rc : segment_truncate(l->segs[keep - 1], offset, e);
}

/* Remove every segment and start an empty one at base.  lock held. */
static int restart_locked(struct plog *l, int64_t base, int64_t now_ms, struct err *e)
{
	struct segment *s;
	int rc = plog_remove_tail_locked(l, 0, e);

	if (!rc)
		rc = segment_create(l->dir, base, now_ms, &s, e);
	if (rc)
		return rc;
	plog_push_segment(l, s);
	l->log_start = base;
	return 0;
}

/*
 * After the files changed (rc: how that went): sync the directory, move
 * the log end, drop the epochs that start at or after epochs_from and
 * the damage outside the log, and lower the recovery point.  Any failure
 * leaves the log refusing appends.  lock held.
 */
static int settle_locked(struct plog *l, int rc, int64_t epochs_from, struct err *e)
{
	if (!rc)
		rc = plog_durability_failed(l, fio_fsync_dir(l->dir, e), e);
	if (rc || l->nsegs == 0) {
		l->failed = 1; /* what is on disk is not known: take no appends */
		return rc;
	}
	l->log_end = l->segs[l->nsegs - 1]->next_offset;
	if (epochs_from > l->log_end)
		epochs_from = l->log_end;
	rc = plog_durability_failed(l, leader_epochs_truncate_after(&l->epochs, epochs_from, e), e);
	log_damage_drop_from(&l->damage, l->log_end);
	log_damage_drop_before(&l->damage, l->log_start);
	if (!rc)
		rc = log_damage_save(&l->damage, l->dir, e);
	pthread_mutex_lock(&l->flush_lock);
	if (l->flushed > l->log_end)
		l->flushed = l->log_end;
	pthread_mutex_unlock(&l->flush_lock);
	if (rc)
		l->failed = 1;
	return rc;
}

int plog_truncate(struct plog *l, int64_t offset, int64_t now_ms, struct err *e)
{
	int rc;

	pthread_mutex_lock(&l->lock);
	rc = dir_health_offline(l->health) ? dir_health_error(l->health, e) : 0;
	if (rc)
		goto out;
	if (offset >= l->log_end) {
		/* Nothing to cut, but an epoch a new leader assigned at the log
		 * end, with nothing written under it, goes (Kafka's truncateTo). */
		rc = plog_durability_failed(l, leader_epochs_truncate_after(&l->epochs, offset, e), e);
		goto out;
	}
	rc = plog_durability_failed(l, write_ceiling(l->dir, offset, e), e);
	if (!rc && offset > l->log_start)
		rc = cut_locked(l, offset, e);
	else if (!rc) /* below the log start: the log restarts empty there */
		rc = restart_locked(l, l->log_start, now_ms, e);
	rc = settle_locked(l, rc, offset, e);
out:
	pthread_mutex_unlock(&l->lock);
	return rc;
}

int plog_restart_empty_locked(struct plog *l, int64_t offset, int64_t now_ms, struct err *e)
{
	int rc = dir_health_offline(l->health) ? dir_health_error(l->health, e) : 0;

	if (rc)
		return rc;
	rc = plog_durability_failed(l, write_ceiling(l->dir, offset, e), e);
	if (!rc)
		rc = restart_locked(l, offset, now_ms, e);
	/* No record is left: the leader's epochs arrive with its batches. */
	return settle_locked(l, rc, INT64_MIN, e);
}

int plog_truncate_fully_and_start_at(struct plog *l, int64_t offset, int64_t now_ms,
				     struct err *e)
{
	int rc;

	if (offset < 0)
		return err_set(e, SLOG_EINVALID_REQUEST, "%s: cannot start the log at offset %lld",
			       l->dir, (long long)offset);
	pthread_mutex_lock(&l->lock);
	rc = plog_restart_empty_locked(l, offset, now_ms, e);
	pthread_mutex_unlock(&l->lock);
	return rc;
}

/* Recovery cuts a torn tail with this too. */
int plog_remove_tail_locked(struct plog *l, size_t keep, struct err *e)
{
	struct err ee;
	int rc = 0;

	for (size_t i = keep; i < l->nsegs; i++) {
		if (segment_remove_files(l->segs[i], &ee)) {
			log_warn("%s", ee.msg);
			if (!rc) {
				rc = ee.code;
				if (e)
					*e = ee;
			}
		}
		segment_unref(l->segs[i]);
	}
	l->nsegs = keep;
	return rc;
}
