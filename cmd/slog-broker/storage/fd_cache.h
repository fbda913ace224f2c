/*
 * fd_cache.h: a bounded, process-wide cache of open segment descriptors.
 *
 * A broker may hold many thousands of segment files (partitions times
 * segments), but a process has a fixed number of descriptors, shared with
 * its connections.  So a file is not tied to a descriptor: each file has
 * an entry that knows how to open it, and the cache keeps at most `max`
 * of them open, closing the least recently used idle one when it needs
 * room.  A descriptor is borrowed with fd_cache_acquire() and given back
 * with fd_cache_release(); a borrowed descriptor is never closed, so a
 * reader (a pread, or a dup taken for sendfile) always sees a valid one.
 * While every cached descriptor is borrowed the cache may hold more than
 * max for a moment; it shrinks back as they are given back.
 *
 * Closing a descriptor loses nothing: written bytes stay in the page
 * cache, and an fdatasync through a later descriptor of the same file
 * writes them (Linux syncs the inode, and reports a writeback error to
 * the first fsync after it on any descriptor opened before or after).
 *
 * Thread-safe: one mutex guards every entry's descriptor and the LRU
 * list.  open(2) and close(2) run outside it.
 */
#ifndef SLOG_FD_CACHE_H
#define SLOG_FD_CACHE_H

#include <stddef.h>

#include "err.h"

struct fd_cache_entry;

/* A new entry for path (copied), opened with flags when first needed. */
struct fd_cache_entry *fd_cache_entry_new(const char *path, int flags);

/* Close the descriptor (no one may hold it) and free the entry. */
void fd_cache_entry_free(struct fd_cache_entry *en);

/* The file was renamed: reopen it under path from now on. */
void fd_cache_entry_rename(struct fd_cache_entry *en, const char *path);

/* Borrow the descriptor, opening the file if it is closed: the
 * descriptor, or a negative SLOG_E* code. */
int fd_cache_acquire(struct fd_cache_entry *en, struct err *e);
void fd_cache_release(struct fd_cache_entry *en);

/* A descriptor of the caller's own for the file (a dup of the cached
 * one, for sendfile), or a negative code; the caller closes it. */
int fd_cache_dup(struct fd_cache_entry *en, struct err *e);

/* At most max descriptors open (at least 1); the default is half the
 * process's RLIMIT_NOFILE. */
void fd_cache_set_max(size_t max);
size_t fd_cache_max(void);
size_t fd_cache_default_max(void);

/* Descriptors open now. */
size_t fd_cache_open_count(void);

/* Close idle descriptors until at most keep are open; returns how many
 * were closed.  Used to make room when open(2) says EMFILE. */
size_t fd_cache_shrink(size_t keep);

#endif
