/*
 * dir_claim.h: which directories the partition logs of this process hold.
 *
 * Two logs on one directory overwrite each other's records at the same
 * file positions (a topic once opened the metadata log's directory this
 * way).  plog_open claims its directory, by device and inode, so the same
 * directory under another name (a symlink, "a/../a") is caught too; the
 * claim goes when the log is freed.  Across processes the log
 * directories' .lock files keep brokers apart (log_dirs.h).
 */
#ifndef SLOG_DIR_CLAIM_H
#define SLOG_DIR_CLAIM_H

#include "err.h"

/* Claim dir for owner: SLOG_ESTORAGE naming the directory if another
 * owner holds it, or it cannot be examined. */
int dir_claim(const char *dir, const void *owner, struct err *e);

/* Whether a log of this process holds dir. */
int dir_claimed(const char *dir);

/* Give up owner's claim (none is fine). */
void dir_claim_release(const void *owner);

#endif
