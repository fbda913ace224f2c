/*
 * leader_epoch.h: which leader epoch began at which offset.
 *
 * Each partition keeps, in leader-epoch-checkpoint, the list of
 * (epoch, start offset) pairs: the first offset written under each leader
 * epoch.  Replication uses it to find where a follower's log diverged
 * from a new leader's (Kafka's KIP-101/279); storage keeps it exact under
 * appends, truncation and recovery.  Entries are strictly increasing in
 * both fields.
 *
 * Not thread-safe: the partition log's lock guards it.  The file is
 * rewritten (atomically) only when an entry is added or removed, which
 * happens when leadership changes, not per append.
 */
#ifndef SLOG_LEADER_EPOCH_H
#define SLOG_LEADER_EPOCH_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

struct leader_epoch_entry {
	int32_t epoch;
	int64_t start_offset;
};

struct leader_epochs {
	char *path;
	struct leader_epoch_entry *v;
	size_t n, cap;
};

/* Load path (a missing file is an empty list).  On an error le is still
 * usable, empty, and will write path when entries are added. */
int leader_epochs_open(struct leader_epochs *le, const char *path, struct err *e);
void leader_epochs_close(struct leader_epochs *le);

/*
 * Note that offset was written under epoch.  A new, larger epoch adds an
 * entry and rewrites the file; the current epoch is a no-op; an older
 * epoch is ignored (it can only come from recovery re-reading old data).
 * When the file cannot be written the entry is not added.
 */
int leader_epochs_assign(struct leader_epochs *le, int32_t epoch, int64_t offset, struct err *e);

/* Drop entries that start at or after end_offset (log truncated to it). */
int leader_epochs_truncate_after(struct leader_epochs *le, int64_t end_offset, struct err *e);

/* Drop entries wholly before start (log start moved); keeps the one covering it. */
int leader_epochs_truncate_before(struct leader_epochs *le, int64_t start, struct err *e);

/* The latest epoch, or -1 when there is none. */
int32_t leader_epochs_latest(const struct leader_epochs *le);

/*
 * Where epoch ended, as a leader answers a follower (KIP-101/279): for
 * the largest known epoch <= epoch (into *found_epoch), the start of the
 * next larger one, or log_end for the latest.  An epoch older than every
 * entry ended at the first entry's start (*found_epoch = epoch: retention
 * removed what it held); one newer than every entry, or an empty cache,
 * is undefined: -1, and *found_epoch = -1.
 */
int64_t leader_epochs_end_offset(const struct leader_epochs *le, int32_t epoch, int64_t log_end,
				 int32_t *found_epoch);

#endif
