/*
 * leader_epoch.c: the leader epoch cache of one partition.
 */
#include "storage/leader_epoch.h"

#include <stdlib.h>
#include <string.h>

#include "storage/checkpoint.h"
#include "xalloc.h"

static int save(struct leader_epochs *le, struct err *e)
{
	struct checkpoint_entry *ce = xcalloc(le->n ? le->n : 1, sizeof(*ce));
	int rc;

	for (size_t i = 0; i < le->n; i++) {
		ce[i].a = le->v[i].epoch;
		ce[i].b = le->v[i].start_offset;
	}
	rc = checkpoint_write(le->path, 0, ce, le->n, e);
	free(ce);
	return rc;
}

int leader_epochs_open(struct leader_epochs *le, const char *path, struct err *e)
{
	struct checkpoint_entry *ce;
	size_t n;
	int rc;

	memset(le, 0, sizeof(*le));
	le->path = xstrdup(path);
	rc = checkpoint_read(path, 0, &ce, &n, e);
	if (rc)
		return rc; /* le stays usable, empty: the caller rebuilds it */
	le->v = xgrow(NULL, &le->cap, n + 1, sizeof(*le->v));
	for (size_t i = 0; i < n; i++) {
		if (ce[i].a < 0 || ce[i].a > INT32_MAX || ce[i].b < 0 ||
		    (le->n && (ce[i].a <= le->v[le->n - 1].epoch ||
			       ce[i].b < le->v[le->n - 1].start_offset)))
			continue; /* keep the consistent prefix-wise subset */
		le->v[le->n].epoch = (int32_t)ce[i].a;
		le->v[le->n].start_offset = ce[i].b;
		le->n++;
	}
	free(ce);
	return 0;
}

void leader_epochs_close(struct leader_epochs *le)
{
	free(le->path);
	free(le->v);
	memset(le, 0, sizeof(*le));
}

int leader_epochs_assign(struct leader_epochs *le, int32_t epoch, int64_t offset, struct err *e)
{
	int rc;

	if (epoch < 0)
		return 0;
	if (le->n && epoch <= le->v[le->n - 1].epoch)
		return 0;
	le->v = xgrow(le->v, &le->cap, le->n + 1, sizeof(*le->v));
	le->v[le->n].epoch = epoch;
	le->v[le->n].start_offset = offset;
	le->n++;
	rc = save(le, e);
	if (rc)
		le->n--; /* memory holds what the file holds (replication spec D6) */
	return rc;
}

int leader_epochs_truncate_after(struct leader_epochs *le, int64_t end_offset, struct err *e)
{
	size_t n = le->n;

	while (n && le->v[n - 1].start_offset >= end_offset)
		n--;
	if (n == le->n)
		return 0;
	le->n = n;
	return save(le, e);
}

int leader_epochs_truncate_before(struct leader_epochs *le, int64_t start, struct err *e)
{
	size_t drop = 0;

	/* Keep the last entry starting at or before start: it covers start. */
	while (drop + 1 < le->n && le->v[drop + 1].start_offset <= start)
		drop++;
	if (drop == 0 && (le->n == 0 || le->v[0].start_offset >= start))
		return 0;
	memmove(le->v, le->v + drop, (le->n - drop) * sizeof(*le->v));
	le->n -= drop;
	if (le->v[0].start_offset < start)
		le->v[0].start_offset = start;
	return save(le, e);
}

int32_t leader_epochs_latest(const struct leader_epochs *le)
{
	return le->n ? le->v[le->n - 1].epoch : -1;
}

int64_t leader_epochs_end_offset(const struct leader_epochs *le, int32_t epoch, int64_t log_end,
				 int32_t *found_epoch)
{
	size_t i = le->n;

	if (found_epoch)
		*found_epoch = -1;
	if (le->n == 0 || epoch > le->v[le->n - 1].epoch)
		return -1;
	if (epoch < le->v[0].epoch) {
		/* Older than everything kept: it ended where what we hold starts. */
		if (found_epoch)
			*found_epoch = epoch;
		return le->v[0].start_offset;
	}
	/* The largest entry with epoch <= the one asked about. */
	while (le->v[i - 1].epoch > epoch)
		i--;
	if (found_epoch)
		*found_epoch = le->v[i - 1].epoch;
	return i < le->n ? le->v[i].start_offset : log_end;
}
