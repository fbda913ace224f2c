/*
 * segment_file.c: a segment's .log descriptor.  See segment.h.
 *
 * A segment owns no descriptor: every read, write, sync, truncation and
 * rename borrows the .log's from the process-wide cache (fd_cache.h) for
 * the length of one call and gives it back, so the cache may close it
 * whenever nobody holds it.
 */
#include "storage/segment.h"

#include <stdio.h>
#include <unistd.h>

#include "storage/fd_cache.h"
#include "storage/fileio.h"

int segment_fd_acquire(const struct segment *s, struct err *e)
{
	return fd_cache_acquire(s->file, e);
}

void segment_fd_release(const struct segment *s)
{
	fd_cache_release(s->file);
}

int segment_fd_dup(const struct segment *s, struct err *e)
{
	return fd_cache_dup(s->file, e);
}

ssize_t segment_pread(const struct segment *s, void *p, size_t n, uint64_t off, struct err *e)
{
	int fd = segment_fd_acquire(s, e);
	ssize_t got;

	if (fd < 0)
		return fd;
	got = fio_pread(fd, p, n, (off_t)off, s->path, e);
	segment_fd_release(s);
	return got;
}

int segment_log_truncate(struct segment *s, uint64_t len, struct err *e)
{
	char name[4200];
	int fd = segment_fd_acquire(s, e), rc;

	if (fd < 0)
		return fd;
	snprintf(name, sizeof(name), "%s.log%s", s->path, s->suffix);
	rc = fio_ftruncate(fd, (off_t)len, name, e);
	segment_fd_release(s);
	return rc;
}

int segment_cut(struct segment *s, uint64_t pos, struct err *e)
{
	int rc;

	if (pos >= s->size)
		return 0;
	rc = segment_log_truncate(s, pos, e);
	if (!rc)
		rc = segment_datasync(s, e);
	if (rc)
		return rc;
	s->size = pos;
	if (s->synced_size > pos)
		s->synced_size = pos;
	return 0;
}

int segment_datasync(struct segment *s, struct err *e)
{
	int fd = segment_fd_acquire(s, e), rc;

	if (fd < 0)
		return fd;
	rc = fio_fdatasync(fd, s->path, e);
	segment_fd_release(s);
	return rc;
}

int segment_rename(struct segment *s, const char *suffix, struct err *e)
{
	static const char *const exts[] = { ".log", ".index", ".timeindex" };
	/* Hold the descriptor open: a reader must not reopen the old name
	 * between the rename and the cache learning the new one. */
	int rc = segment_fd_acquire(s, e);

	if (rc < 0)
		return rc;
	rc = 0;
	for (size_t i = 0; i < 3 && !rc; i++) {
		char from[4200], to[4200];
		snprintf(from, sizeof(from), "%s%s%s", s->path, exts[i], s->suffix);
		snprintf(to, sizeof(to), "%s%s%s", s->path, exts[i], suffix);
		if (i > 0 && access(from, F_OK) != 0)
			continue;
		rc = fio_rename(from, to, e);
		if (!rc && i == 0)
			fd_cache_entry_rename(s->file, to);
	}
	if (!rc)
		snprintf(s->suffix, sizeof(s->suffix), "%s", suffix);
	segment_fd_release(s);
	return rc;
}
