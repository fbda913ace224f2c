/*
 * fileio.h: every disk operation of the broker goes through here.
 *
 * Two reasons for one narrow module.  Errors: each call returns 0 (or a
 * byte count) or a negative SLOG_E* code with a message naming the file
 * and the system's reason, so storage code never juggles errno.  Faults:
 * a test can make the Nth write or fsync fail with a chosen errno, tear a
 * write in half, or "crash" the process's view of the disk by cutting
 * every tracked file back to what was last fsynced (plus a torn piece of
 * what was not), so crash recovery and EIO handling are ordinary unit
 * tests (sqlite's VFS idea).  Fault injection costs one predictable
 * branch per call when it is off.
 *
 * All functions may block on the disk.  They are thread-safe; the fault
 * settings are meant to be changed while no other thread does I/O.
 */
#ifndef SLOG_FILEIO_H
#define SLOG_FILEIO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "buf.h"
#include "err.h"

/* open(2); returns the descriptor or a negative code.  When the process
 * is out of descriptors (EMFILE, ENFILE) the hook below is asked to give
 * some back and the open is tried once more. */
int fio_open(const char *path, int flags, mode_t mode, struct err *e);
void fio_close(int fd);

/* Called when an open meets EMFILE or ENFILE; returns nonzero when it
 * closed descriptors (the descriptor cache, fd_cache.h, installs one). */
void fio_set_emfile_hook(int (*fn)(void));

/* Write all of p at off (retrying short writes). */
int fio_pwrite(int fd, const void *p, size_t n, off_t off, const char *what, struct err *e);

/* Read up to n bytes at off; returns the count read (short only at EOF). */
ssize_t fio_pread(int fd, void *p, size_t n, off_t off, const char *what, struct err *e);

int fio_fdatasync(int fd, const char *what, struct err *e);
int fio_fsync(int fd, const char *what, struct err *e);
int fio_ftruncate(int fd, off_t len, const char *what, struct err *e);
int fio_size(int fd, uint64_t *size, const char *what, struct err *e);

int fio_rename(const char *from, const char *to, struct err *e);
int fio_unlink(const char *path, struct err *e);    /* missing is not an error */
int fio_mkdir_p(const char *path, struct err *e);   /* mkdir -p */
int fio_rmdir_r(const char *path, struct err *e);   /* rm -r */
int fio_fsync_dir(const char *dir, struct err *e);

/* The directory part of path, into out. */
void fio_dirname(const char *path, char *out, size_t size);

/*
 * Replace path with data durably: write path.tmp, fsync it, rename it over
 * path, fsync the directory.  Readers see the old or the new file, never
 * a mix, and after a crash one of the two is there whole.
 */
int fio_write_atomic(const char *path, const void *data, size_t n, struct err *e);

/* Read a whole file of at most max bytes into out (appended). */
int fio_read_file(const char *path, size_t max, struct buf *out, struct err *e);

/*
 * Whether this thread's last failed fio_* call failed in fsync or
 * fdatasync itself (1), or elsewhere: open, write, rename (0).  The two
 * call for different answers.  After a failed fsync the kernel may have
 * dropped the pages it could not write, so no later fsync can vouch for
 * them: the log dir must go offline.  A failure to open the file or the
 * directory to sync (EMFILE, ENFILE) or to write it (ENOSPC) lost
 * nothing: that request fails and a later one may succeed.  Like errno,
 * read it right after the failing call.
 */
int fio_last_error_was_sync(void);

/* fsync and fdatasync calls made so far (for tests and benchmarks). */
uint64_t fio_sync_count(void);

/* ---- fault injection, for tests ---- */

struct fio_faults {
	long fail_write_at;  /* the Nth pwrite from now fails (1 = next); 0 off */
	int write_errno;     /* errno it fails with (ENOSPC, EIO, ...) */
	int tear_write;      /* the failing write first writes half its bytes */
	long fail_sync_at;   /* the Nth fsync/fdatasync from now fails; 0 off */
	int sync_errno;
	long fail_rename_at; /* the Nth rename from now fails (EIO); 0 off */
	/* Called before every fsync/fdatasync with what is synced; a nonzero
	 * return fails it with that errno (tests: slow or failing disks, and
	 * which locks are held while a sync runs). */
	int (*before_sync)(const char *what);
	int track;           /* remember per file what has been fsynced */
};

void fio_faults_set(const struct fio_faults *f);
void fio_faults_clear(void);

/*
 * A stalled disk: fsyncs and fdatasyncs of paths that start with prefix
 * wait until fio_stall_syncs(NULL).  Independent of fio_faults_set.
 */
void fio_stall_syncs(const char *prefix);

/*
 * A test hook for whole-program tests: when the environment holds
 * SLOG_FAULT_FSYNC_FAIL=TEXT, every later fsync or fdatasync of a path
 * containing TEXT fails with EIO.  The broker calls this once at start;
 * nothing else reads the variable.
 */
void fio_faults_from_env(void);

/*
 * Simulate power loss for every file written since tracking began: each
 * is cut back to its length at its last fsync, plus (when tear is set) a
 * random part of the bytes written after it.  A file shrunk
 * (fio_ftruncate) below that length and not fsynced since gets the cut
 * bytes back; a file unlinked (fio_unlink) while tracking, whose
 * directory was not fsynced since (fio_fsync_dir), comes back with what
 * it durably held.  Afterwards tracking starts afresh.  Returns how many
 * files were changed.
 */
int fio_sim_crash(int tear, uint64_t seed);

#endif
