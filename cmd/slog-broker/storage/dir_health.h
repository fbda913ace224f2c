/*
 * dir_health.h: whether a log directory can still be trusted.
 *
 * After a failed fsync the kernel may have dropped the dirty pages it
 * could not write, and a later fsync that succeeds says nothing about
 * them (PostgreSQL's "fsyncgate").  So the first failed fsync, failed
 * directory fsync or failed leader-epoch-cache write in a log dir takes
 * the whole directory offline until the broker restarts, as Kafka does
 * (replication spec D7): every partition log in it refuses appends and
 * flushes, so nothing is acknowledged after the failure, and refuses
 * reads above its recovery point, which may come from pages the disk
 * never took.  A failure that lost nothing (a file that could not be
 * opened for lack of descriptors, a write refused for lack of space)
 * fails only its request; see fio_last_error_was_sync().
 *
 * One dir_health per log dir, owned by log_dirs (log_dirs.h); every
 * partition log in the directory borrows a pointer to it, so storage
 * learns nothing of the layers above.  A partition log opened on its own
 * (tests, the metadata log) has a private one.  Lock-free: the state
 * only ever goes from online to offline, and the reason is written once,
 * before it is published.  One watcher may be told when it goes offline
 * (dir_health_watch), so that the layers above learn of it at once
 * without storage knowing them.
 */
#ifndef SLOG_DIR_HEALTH_H
#define SLOG_DIR_HEALTH_H

#include <stdatomic.h>

#include "err.h"

struct dir_health {
	const char *path;  /* borrowed: the directory, for messages */
	_Atomic int state; /* 0 online, 1 going offline, 2 offline (reason set) */
	char reason[sizeof(((struct err *)0)->msg)];
	void (*watch)(void *arg); /* set before the directory is shared */
	void *watch_arg;
};

void dir_health_init(struct dir_health *h, const char *path);

/*
 * Call fn(arg) once when the directory goes offline, on the thread whose
 * fsync failed, after the state and reason are published; fn must not
 * block nor take a partition log's locks.  Set it before any partition
 * log in the directory is used (it is read without a lock).
 */
void dir_health_watch(struct dir_health *h, void (*fn)(void *arg), void *arg);

/*
 * Take the directory offline because of why (the failed fsync's error).
 * The first call logs it, once, as an error; later calls do nothing.
 * Returns SLOG_ESTORAGE, with why kept in e (which may be why itself).
 */
int dir_health_fail(struct dir_health *h, const struct err *why, struct err *e);

int dir_health_offline(const struct dir_health *h);

/*
 * SLOG_ESTORAGE with a message saying the directory is offline and why,
 * for a request that found it so.
 */
int dir_health_error(const struct dir_health *h, struct err *e);

/* Why the directory went offline ("" while it is online). */
const char *dir_health_reason(const struct dir_health *h);

#endif
