/*
 * fileio.c: the broker's disk I/O and its fault injection.  See fileio.h.
 *
 * Crash simulation tracks files by descriptor while tracking is on: the
 * path (for cutting it later), the length at the last fsync, and the
 * furthest byte written.  Only append-style files need this; files
 * replaced with fio_write_atomic() are fsynced before they become
 * visible, so they never hold unsynced bytes under their final name.
 *
 * Two changes are undone by a crash until something makes them durable:
 * a file shrunk below its synced length gets the cut bytes back until it
 * is fsynced again, and an unlinked file comes back, with what it held,
 * until its directory is fsynced.  The bytes are kept in memory: tracking
 * is for tests.
 */
#include "storage/fileio.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "xalloc.h"

static struct fio_faults faults;
static char *env_fail_sync;  /* SLOG_FAULT_FSYNC_FAIL: fail fsyncs of matching paths */
static _Thread_local int last_error_was_sync;
static _Atomic uint64_t sync_count;
static _Atomic int faults_on;
static pthread_mutex_t faults_lock = PTHREAD_MUTEX_INITIALIZER;

struct tracked {
	int fd;
	char *path;
	uint64_t synced;  /* length durable at the last fsync */
	uint64_t written; /* furthest byte written */
	struct buf cut;   /* synced bytes from cut_from that a truncation removed */
	uint64_t cut_from;
};
static struct tracked *tracked;
static size_t ntracked, tracked_cap;

/* Files unlinked since their directory was last fsynced, with their durable bytes. */
struct unlinked {
	char *path;
	struct buf data;
};
static struct unlinked *unlinked;
static size_t nunlinked, unlinked_cap;

static int sys_err(struct err *e, const char *op, const char *what, int errnum)
{
	last_error_was_sync = 0;
	/* Out of descriptors is a storage error too: a retry after some are
	 * given back succeeds (KAFKA_STORAGE_ERROR is retriable in Kafka). */
	int code = errnum == ENOSPC || errnum == EDQUOT || errnum == EIO || errnum == EROFS ||
				   errnum == EMFILE || errnum == ENFILE
			   ? SLOG_ESTORAGE : SLOG_EIO;
	return err_set(e, code, "%s %s: %s", op, what, strerror(errnum));
}

/* The fault to inject for this call, if any: returns an errno or 0. */
static int next_fault(long *counter, int errnum)
{
	int rc = 0;

	if (!faults_on)
		return 0;
	pthread_mutex_lock(&faults_lock);
	if (*counter > 0 && --*counter == 0)
		rc = errnum ? errnum : EIO;
	pthread_mutex_unlock(&faults_lock);
	return rc;
}

static int (*_Atomic emfile_hook)(void);

void fio_set_emfile_hook(int (*fn)(void))
{
	emfile_hook = fn;
}

/* open(2), retried once after the hook made room when descriptors ran out. */
static int open_room(const char *path, int flags, mode_t mode)
{
	int fd = open(path, flags | O_CLOEXEC, mode);
	int (*hook)(void) = emfile_hook;

	if (fd < 0 && (errno == EMFILE || errno == ENFILE) && hook && hook())
		fd = open(path, flags | O_CLOEXEC, mode);
	return fd;
}

static struct tracked *track_find(int fd)
{
	for (size_t i = 0; i < ntracked; i++)
		if (tracked[i].fd == fd)
			return &tracked[i];
	return NULL;
}

static void track_open(int fd, const char *path, int flags)
{
	struct stat st;
	struct tracked *t;

	if (!faults_on || !faults.track)
		return;
	pthread_mutex_lock(&faults_lock);
	/* A file closed and opened again (fd_cache.c) keeps what is known of
	 * it: closing made nothing durable.  A created file is a new one. */
	for (size_t i = 0; !(flags & O_CREAT) && i < ntracked; i++) {
		if (tracked[i].fd == -1 && strcmp(tracked[i].path, path) == 0) {
			tracked[i].fd = fd;
			pthread_mutex_unlock(&faults_lock);
			return;
		}
	}
	tracked = xgrow(tracked, &tracked_cap, ntracked + 1, sizeof(*tracked));
	t = &tracked[ntracked++];
	t->fd = fd;
	t->path = xstrdup(path);
	t->synced = t->written = fstat(fd, &st) == 0 ? (uint64_t)st.st_size : 0;
	t->cut = (struct buf)BUF_INIT;
	t->cut_from = 0;
	pthread_mutex_unlock(&faults_lock);
}

static void track_update(int fd, uint64_t written_end, int synced)
{
	struct tracked *t;

	if (!faults_on || !faults.track)
		return;
	pthread_mutex_lock(&faults_lock);
	t = track_find(fd);
	if (t) {
		if (written_end > t->written)
			t->written = written_end;
		if (synced) {
			struct stat st;
			t->synced = fstat(fd, &st) == 0 ? (uint64_t)st.st_size : t->written;
			buf_free(&t->cut);
		}
	}
	pthread_mutex_unlock(&faults_lock);
}

static void track_forget(int fd)
{
	struct tracked *t;

	if (!faults_on || !faults.track)
		return;
	pthread_mutex_lock(&faults_lock);
	t = track_find(fd);
	if (t) {
		/* Closing does not make data durable: keep the record, fd unknown. */
		t->fd = -1;
	}
	pthread_mutex_unlock(&faults_lock);
}

int fio_open(const char *path, int flags, mode_t mode, struct err *e)
{
	int fd = open_room(path, flags, mode);

	if (fd < 0)
		return sys_err(e, "open", path, errno);
	if (flags & (O_WRONLY | O_RDWR))
		track_open(fd, path, flags);
	return fd;
}

void fio_close(int fd)
{
	if (fd < 0)
		return;
	track_forget(fd);
	close(fd);
}

int fio_pwrite(int fd, const void *p, size_t n, off_t off, const char *what, struct err *e)
{
	const char *c = p;
	size_t done = 0;
	int injected = next_fault(&faults.fail_write_at, faults.write_errno);

	if (injected) {
		if (faults.tear_write && n > 1 && pwrite(fd, c, n / 2, off) > 0)
			track_update(fd, (uint64_t)off + n / 2, 0);
		return sys_err(e, "write", what, injected);
	}
	while (done < n) {
		ssize_t w = pwrite(fd, c + done, n - done, off + (off_t)done);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (done)
				track_update(fd, (uint64_t)off + done, 0);
			return sys_err(e, "write", what, errno);
		}
		done += (size_t)w;
	}
	track_update(fd, (uint64_t)off + n, 0);
	return 0;
}

ssize_t fio_pread(int fd, void *p, size_t n, off_t off, const char *what, struct err *e)
{
	char *c = p;
	size_t done = 0;

	while (done < n) {
		ssize_t r = pread(fd, c + done, n - done, off + (off_t)done);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return sys_err(e, "read", what, errno);
		}
		if (r == 0)
			break;
		done += (size_t)r;
	}
	return (ssize_t)done;
}

/* ---- a stalled disk, for tests: fsyncs under a prefix wait ---- */

static _Atomic int stall_on;
static pthread_mutex_t stall_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t stall_cond = PTHREAD_COND_INITIALIZER;
static char stall_prefix[4096];

void fio_stall_syncs(const char *prefix)
{
	pthread_mutex_lock(&stall_lock);
	snprintf(stall_prefix, sizeof(stall_prefix), "%s", prefix ? prefix : "");
	stall_on = prefix != NULL;
	pthread_cond_broadcast(&stall_cond);
	pthread_mutex_unlock(&stall_lock);
}

static void stall_wait(const char *what)
{
	if (!stall_on)
		return;
	pthread_mutex_lock(&stall_lock);
	while (stall_on && strncmp(what, stall_prefix, strlen(stall_prefix)) == 0)
		pthread_cond_wait(&stall_cond, &stall_lock);
	pthread_mutex_unlock(&stall_lock);
}

static int sync_err(struct err *e, const char *what, int errnum)
{
	int rc = sys_err(e, "fsync", what, errnum);

	last_error_was_sync = 1;
	return rc;
}

static int do_sync(int fd, int data_only, const char *what, struct err *e)
{
	int injected;

	stall_wait(what);
	injected = next_fault(&faults.fail_sync_at, faults.sync_errno);

	if (!injected && faults_on) {
		int (*hook)(const char *what);
		pthread_mutex_lock(&faults_lock);
		hook = faults.before_sync;
		pthread_mutex_unlock(&faults_lock);
		if (hook)
			injected = hook(what);
	}
	if (!injected && env_fail_sync && strstr(what, env_fail_sync))
		injected = EIO;
	if (injected)
		return sync_err(e, what, injected);
	sync_count++;
	if ((data_only ? fdatasync(fd) : fsync(fd)) < 0)
		return sync_err(e, what, errno);
	track_update(fd, 0, 1);
	return 0;
}

int fio_fdatasync(int fd, const char *what, struct err *e)
{
	return do_sync(fd, 1, what, e);
}

int fio_fsync(int fd, const char *what, struct err *e)
{
	return do_sync(fd, 0, what, e);
}

/* Keep the synced bytes a truncation to len removes, for a crash to put
 * back; they join those an earlier truncation kept.  faults_lock held. */
static void track_cut(struct tracked *t, int fd, uint64_t len)
{
	uint64_t upto = t->cut.len ? t->cut_from : t->synced;
	struct buf b = BUF_INIT;
	ssize_t r;

	if (len >= upto)
		return;
	r = pread(fd, buf_reserve(&b, upto - len), upto - len, (off_t)len);
	buf_commit(&b, r > 0 ? (size_t)r : 0);
	buf_add(&b, t->cut.data, t->cut.len);
	buf_free(&t->cut);
	t->cut = b;
	t->cut_from = len;
}

int fio_ftruncate(int fd, off_t len, const char *what, struct err *e)
{
	if (faults_on && faults.track) {
		pthread_mutex_lock(&faults_lock);
		struct tracked *t = track_find(fd);
		if (t) {
			track_cut(t, fd, (uint64_t)len);
			t->written = (uint64_t)len;
		}
		pthread_mutex_unlock(&faults_lock);
	}
	if (ftruncate(fd, len) < 0)
		return sys_err(e, "truncate", what, errno);
	return 0;
}

int fio_size(int fd, uint64_t *size, const char *what, struct err *e)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return sys_err(e, "stat", what, errno);
	*size = (uint64_t)st.st_size;
	return 0;
}

int fio_rename(const char *from, const char *to, struct err *e)
{
	int injected = next_fault(&faults.fail_rename_at, EIO);

	if (injected)
		return sys_err(e, "rename", from, injected);
	if (rename(from, to) < 0)
		return sys_err(e, "rename", from, errno);
	return 0;
}

static void drop_saved(char *path, struct buf *bytes)
{
	free(path);
	buf_free(bytes);
}

/* Remember path's durable bytes before an unlink, and stop tracking it. */
static void track_unlink(const char *path)
{
	struct unlinked *u;
	struct buf b = BUF_INIT;

	if (!faults_on || !faults.track || fio_read_file(path, SIZE_MAX, &b, NULL))
		return;
	pthread_mutex_lock(&faults_lock);
	for (size_t i = ntracked; i-- > 0;) {
		struct tracked *t = &tracked[i];
		if (strcmp(t->path, path) != 0)
			continue;
		if (b.len > t->synced)
			b.len = t->synced;
		if (t->cut.len && t->cut_from <= b.len) {
			b.len = t->cut_from;
			buf_add(&b, t->cut.data, t->cut.len);
		}
		drop_saved(t->path, &t->cut);
		tracked[i] = tracked[--ntracked];
	}
	unlinked = xgrow(unlinked, &unlinked_cap, nunlinked + 1, sizeof(*unlinked));
	u = &unlinked[nunlinked++];
	u->path = xstrdup(path);
	u->data = b;
	pthread_mutex_unlock(&faults_lock);
}

/* dir was fsynced: the unlinks in it are durable. */
static void track_dir_synced(const char *dir)
{
	char d[4096];

	if (!faults_on || !faults.track)
		return;
	pthread_mutex_lock(&faults_lock);
	for (size_t i = nunlinked; i-- > 0;) {
		fio_dirname(unlinked[i].path, d, sizeof(d));
		if (strcmp(d, dir) != 0)
			continue;
		drop_saved(unlinked[i].path, &unlinked[i].data);
		unlinked[i] = unlinked[--nunlinked];
	}
	pthread_mutex_unlock(&faults_lock);
}

int fio_unlink(const char *path, struct err *e)
{
	track_unlink(path);
	if (unlink(path) < 0 && errno != ENOENT)
		return sys_err(e, "unlink", path, errno);
	return 0;
}

int fio_mkdir_p(const char *path, struct err *e)
{
	char tmp[4096];
	size_t n = strlen(path);

	if (n >= sizeof(tmp))
		return err_set(e, SLOG_EIO, "path too long: %s", path);
	memcpy(tmp, path, n + 1);
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
			return sys_err(e, "mkdir", tmp, errno);
		*p = '/';
	}
	if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
		return sys_err(e, "mkdir", tmp, errno);
	return 0;
}

int fio_rmdir_r(const char *path, struct err *e)
{
	DIR *d = opendir(path);
	struct dirent *de;
	int rc = 0;

	if (!d)
		return errno == ENOENT ? 0 : sys_err(e, "opendir", path, errno);
	while (!rc && (de = readdir(d))) {
		char child[4096];
		struct stat st;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		snprintf(child, sizeof(child), "%s/%s", path, de->d_name);
		if (lstat(child, &st) == 0 && S_ISDIR(st.st_mode))
			rc = fio_rmdir_r(child, e);
		else
			rc = fio_unlink(child, e);
	}
	closedir(d);
	if (!rc && rmdir(path) < 0 && errno != ENOENT)
		rc = sys_err(e, "rmdir", path, errno);
	return rc;
}

int fio_fsync_dir(const char *dir, struct err *e)
{
	int fd = open_room(dir, O_RDONLY | O_DIRECTORY, 0);
	int rc;

	if (fd < 0)
		return sys_err(e, "open", dir, errno);
	rc = do_sync(fd, 0, dir, e);
	close(fd);
	if (!rc)
		track_dir_synced(dir);
	return rc;
}

void fio_dirname(const char *path, char *out, size_t size)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		snprintf(out, size, ".");
	else if (slash == path)
		snprintf(out, size, "/");
	else
		snprintf(out, size, "%.*s", (int)(slash - path), path);
}

int fio_write_atomic(const char *path, const void *data, size_t n, struct err *e)
{
	char tmp[4096], dir[4096];
	int fd, rc;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = fio_open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644, e);
	if (fd < 0)
		return fd;
	rc = fio_pwrite(fd, data, n, 0, tmp, e);
	if (!rc)
		rc = fio_fsync(fd, tmp, e);
	fio_close(fd);
	if (!rc)
		rc = fio_rename(tmp, path, e);
	if (rc) {
		unlink(tmp);
		return rc;
	}
	fio_dirname(path, dir, sizeof(dir));
	return fio_fsync_dir(dir, e);
}

int fio_read_file(const char *path, size_t max, struct buf *out, struct err *e)
{
	int fd = fio_open(path, O_RDONLY, 0, e);
	uint64_t size;
	ssize_t r;
	int rc;

	if (fd < 0)
		return fd;
	rc = fio_size(fd, &size, path, e);
	if (!rc && size > max)
		rc = err_set(e, SLOG_EIO, "%s is %llu bytes, more than the %zu expected", path,
			     (unsigned long long)size, max);
	if (!rc) {
		r = fio_pread(fd, buf_reserve(out, (size_t)size), (size_t)size, 0, path, e);
		if (r < 0)
			rc = (int)r;
		else
			buf_commit(out, (size_t)r);
	}
	fio_close(fd);
	return rc;
}

int fio_last_error_was_sync(void)
{
	return last_error_was_sync;
}

uint64_t fio_sync_count(void)
{
	return sync_count;
}

void fio_faults_set(const struct fio_faults *f)
{
	pthread_mutex_lock(&faults_lock);
	faults = *f;
	faults_on = 1;
	pthread_mutex_unlock(&faults_lock);
}

void fio_faults_from_env(void)
{
	const char *v = getenv("SLOG_FAULT_FSYNC_FAIL");

	if (v && *v && !env_fail_sync)
		env_fail_sync = xstrdup(v);
}

/* Forget every tracked file and unlink.  faults_lock held. */
static void tracked_free(void)
{
	for (size_t i = 0; i < ntracked; i++)
		drop_saved(tracked[i].path, &tracked[i].cut);
	for (size_t i = 0; i < nunlinked; i++)
		drop_saved(unlinked[i].path, &unlinked[i].data);
	free(tracked);
	free(unlinked);
	tracked = NULL;
	unlinked = NULL;
	ntracked = tracked_cap = nunlinked = unlinked_cap = 0;
}

void fio_faults_clear(void)
{
	pthread_mutex_lock(&faults_lock);
	memset(&faults, 0, sizeof(faults));
	faults_on = 0;
	tracked_free();
	pthread_mutex_unlock(&faults_lock);
}

/* Write data as the whole of path; 0 or -1. */
static int put_file(const char *path, const struct buf *data)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	int rc = 0;

	if (fd < 0)
		return -1;
	if (data->len && pwrite(fd, data->data, data->len, 0) != (ssize_t)data->len)
		rc = -1;
	close(fd);
	return rc;
}

/* Cut one tracked file back to what its last fsync made durable, plus
 * (keep beyond synced) a torn piece of what followed.  1 if it changed. */
static int crash_file(const struct tracked *t, uint64_t keep)
{
	int fd;

	if (t->cut.len) {
		/* The truncation was never synced: the cut bytes come back. */
		fd = open(t->path, O_WRONLY | O_CLOEXEC);
		if (fd < 0)
			return 0;
		if (pwrite(fd, t->cut.data, t->cut.len, (off_t)t->cut_from) < 0)
			keep = t->cut_from;
		close(fd);
	}
	return truncate(t->path, (off_t)keep) == 0;
}

int fio_sim_crash(int tear, uint64_t seed)
{
	int cut = 0;

	pthread_mutex_lock(&faults_lock);
	for (size_t i = 0; i < ntracked; i++) {
		struct tracked *t = &tracked[i];
		uint64_t keep = t->synced;

		if (t->written <= t->synced && !t->cut.len)
			continue;
		if (tear && t->written > t->synced) {
			seed = seed * 6364136223846793005ull + 1442695040888963407ull;
			keep += (seed >> 33) % (t->written - t->synced + 1);
		}
		cut += crash_file(t, keep);
	}
	/* Unlinks whose directory was never synced are undone. */
	for (size_t i = 0; i < nunlinked; i++)
		cut += put_file(unlinked[i].path, &unlinked[i].data) == 0;
	/* Descriptors that were open now refer to files a real crash would
	 * have closed; forget them all and start over. */
	tracked_free();
	pthread_mutex_unlock(&faults_lock);
	return cut;
}
