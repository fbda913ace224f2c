/*
 * file_tail.c: following files by name through rotation and truncation
 * (file_tail.h has the rules).
 *
 * A scan gathers every path the globs match with its stat, then works in
 * three passes, so that a rename inside the followed set (app.log to
 * app.log.1 when both match) is never mistaken for a rotation:
 *   1. known inodes: the file is still followed, under whatever name;
 *   2. unknown inodes: a new file, unless its name is still held by a
 *      followed file that left it (a rotation): then it waits until the
 *      old file is drained and closed;
 *   3. followed files found under no name: draining.
 * Then each open file is checked for growth and truncation.
 *
 * inotify watches the globs' directories only: a directory's watch
 * reports writes to the files in it as well as creations and renames,
 * and survives the rotations a per-file watch would have to follow.
 */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <glob.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clock.h"
#include "connectors/file_tail.h"
#include "crc32c.h"
#include "log.h"
#include "xalloc.h"

struct tail_match {
	char *path;
	struct stat st;
};

struct tail_entry {
	struct tail_file f;
	int pend_opened, pend_truncated, pend_closing;
	int successor_ready;   /* a new file with data holds our old name */
};

struct file_tail {
	struct tail_opts o;
	char **patterns;
	int *literal;          /* patterns[i] is a path taken as written */
	size_t npatterns;
	int ifd;
	int first_scan_done;
	struct tail_entry **files;
	size_t nfiles, files_cap;
	size_t cursor;
	struct tail_entry *closed;     /* handed out as CLOSING; freed at the next call */
	int blocked;                   /* new files waiting for an old one to drain */
	char **warned;                 /* paths whose open failed, logged once */
	size_t nwarned, warned_cap;
	struct tail_match *matches;
	size_t nmatches, matches_cap;
};

/* A log line, prefixed by the connector's name as its task's lines are. */
__attribute__((format(printf, 3, 4))) static void tail_log(const struct file_tail *t, int level,
							 const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	const char *name = t->o.log_prefix;
	log_msg(level, "%s%s%s", name ? name : "", name ? ": " : "", msg);
}

static int has_wildcard(const char *s)
{
	return strpbrk(s, "*?[") != NULL;
}

static void add_pattern(struct file_tail *t, const char *p, size_t n, int literal)
{
	t->patterns = xrealloc(t->patterns, (t->npatterns + 1) * sizeof(*t->patterns));
	t->literal = xrealloc(t->literal, (t->npatterns + 1) * sizeof(*t->literal));
	t->patterns[t->npatterns] = xstrndup(p, n);
	t->literal[t->npatterns] = literal || !has_wildcard(t->patterns[t->npatterns]);
	t->npatterns++;
}

static int split_patterns(struct file_tail *t, const char *paths, struct err *e)
{
	const char *p = paths;
	while (p && *p) {
		const char *end = strchr(p, ',');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		while (n && (*p == ' ' || *p == '\t'))
			p++, n--;
		while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
			n--;
		if (n >= PATH_MAX)
			return err_set(e, SLOG_EINVALID_CONFIG, "file.paths: a pattern is longer than %d bytes",
				       PATH_MAX);
		if (n)
			add_pattern(t, p, n, 0);
		p = end ? end + 1 : NULL;
	}
	return 0;
}

int file_tail_new(const struct tail_opts *o, struct file_tail **out, struct err *e)
{
	struct file_tail *t = xcalloc(1, sizeof(*t));
	t->o = *o;
	t->ifd = -1;
	int rc = split_patterns(t, o->paths, e);
	if (rc == 0 && o->literal && *o->literal)
		add_pattern(t, o->literal, strlen(o->literal), 1);
	if (rc == 0 && t->npatterns == 0)
		rc = err_set(e, SLOG_EINVALID_CONFIG, "file.paths: no file to follow");
	if (rc < 0) {
		file_tail_free(t);
		return rc;
	}
	if (o->inotify) {
		t->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
		if (t->ifd < 0)
			tail_log(t, LOG_LEVEL_WARN, "inotify: %s; polling every %" PRId64 " ms",
				 strerror(errno), o->poll_ms);
	}
	*out = t;
	return 0;
}

static void entry_free(struct tail_entry *en)
{
	if (!en)
		return;
	if (en->f.fd >= 0)
		close(en->f.fd);
	free(en->f.path);
	free(en);
}

static void matches_clear(struct file_tail *t)
{
	for (size_t i = 0; i < t->nmatches; i++)
		free(t->matches[i].path);
	t->nmatches = 0;
}

void file_tail_free(struct file_tail *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->nfiles; i++)
		entry_free(t->files[i]);
	entry_free(t->closed);
	for (size_t i = 0; i < t->npatterns; i++)
		free(t->patterns[i]);
	for (size_t i = 0; i < t->nwarned; i++)
		free(t->warned[i]);
	matches_clear(t);
	free(t->matches);
	free(t->warned);
	free(t->patterns);
	free(t->literal);
	free(t->files);
	if (t->ifd >= 0)
		close(t->ifd);
	free(t);
}

int file_tail_fd(const struct file_tail *t)
{
	return t->ifd;
}

/* ---- fingerprints ---- */

static ssize_t read_head(int fd, uint8_t *buf)
{
	size_t got = 0;
	while (got < TAIL_FP_BYTES) {
		ssize_t n = pread(fd, buf + got, TAIL_FP_BYTES - got, (off_t)got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)got;
}

int tail_fingerprint(int fd, uint32_t *fp, size_t *fp_len)
{
	uint8_t head[TAIL_FP_BYTES];
	ssize_t got = read_head(fd, head);
	if (got < 0)
		return -1;
	*fp = crc32c(0, head, (size_t)got);
	*fp_len = (size_t)got;
	return 0;
}

void tail_fp_format(uint32_t fp, size_t fp_len, char *out, size_t size)
{
	if (fp_len >= TAIL_FP_BYTES)
		snprintf(out, size, "%08" PRIx32, fp);
	else
		snprintf(out, size, "%08" PRIx32 "/%zu", fp, fp_len);
}

int tail_fp_parse(const char *s, uint32_t *fp, size_t *fp_len)
{
	char *end;
	if (!s || strlen(s) < 8)
		return -1;
	errno = 0;
	unsigned long v = strtoul(s, &end, 16);
	if (errno || end != s + 8)
		return -1;
	*fp = (uint32_t)v;
	*fp_len = TAIL_FP_BYTES;
	if (*end == 0)
		return 0;
	if (*end != '/' || end[1] < '0' || end[1] > '9')
		return -1;
	unsigned long n = strtoul(end + 1, &end, 10);
	if (*end || n >= TAIL_FP_BYTES)
		return -1;
	*fp_len = n;
	return 0;
}

int tail_fp_matches(const struct tail_file *f, uint32_t fp, size_t fp_len)
{
	uint8_t head[TAIL_FP_BYTES];
	ssize_t got = read_head(f->fd, head);
	if (got < 0 || (size_t)got < fp_len)
		return 0;
	return crc32c(0, head, fp_len) == fp;
}

/*
 * Re-read the first bytes: 1 when the bytes we fingerprinted changed
 * (the file was truncated and written again), else 0 with the
 * fingerprint grown to what the file now has.
 */
static int fp_changed(struct tail_file *f)
{
	uint8_t head[TAIL_FP_BYTES];
	ssize_t got = read_head(f->fd, head);
	if (got < 0)
		return 0;
	if ((size_t)got < f->fp_len || crc32c(0, head, f->fp_len) != f->fp) {
		f->fp = crc32c(0, head, (size_t)got);
		f->fp_len = (size_t)got;
		return 1;
	}
	f->fp = crc32c(0, head, (size_t)got);
	f->fp_len = (size_t)got;
	return 0;
}

/* ---- the scan ---- */

static void watch_dirs(struct file_tail *t, const char *pattern)
{
	if (t->ifd < 0)
		return;
	char dir[PATH_MAX];
	const char *slash = strrchr(pattern, '/');
	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == pattern)
		snprintf(dir, sizeof(dir), "/");
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - pattern), pattern);
	uint32_t mask = IN_MODIFY | IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE |
			IN_CLOSE_WRITE | IN_ATTRIB;
	if (!has_wildcard(dir)) {
		inotify_add_watch(t->ifd, dir, mask);
		return;
	}
	glob_t g;
	if (glob(dir, GLOB_ONLYDIR, NULL, &g) == 0)
		for (size_t i = 0; i < g.gl_pathc; i++)
			inotify_add_watch(t->ifd, g.gl_pathv[i], mask);
	globfree(&g);
}

static void drain_inotify(struct file_tail *t)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	if (t->ifd < 0)
		return;
	while (read(t->ifd, buf, sizeof(buf)) > 0)
		;
}

static void add_match(struct file_tail *t, const char *path)
{
	struct stat st;
	if (stat(path, &st) < 0 || !S_ISREG(st.st_mode))
		return;
	for (size_t i = 0; i < t->nmatches; i++)
		if (strcmp(t->matches[i].path, path) == 0)
			return;
	t->matches = xgrow(t->matches, &t->matches_cap, t->nmatches + 1, sizeof(*t->matches));
	t->matches[t->nmatches].path = xstrdup(path);
	t->matches[t->nmatches].st = st;
	t->nmatches++;
}

static void gather(struct file_tail *t)
{
	matches_clear(t);
	for (size_t i = 0; i < t->npatterns; i++) {
		watch_dirs(t, t->patterns[i]);
		if (t->literal[i]) {
			add_match(t, t->patterns[i]);
			continue;
		}
		glob_t g;
		if (glob(t->patterns[i], 0, NULL, &g) == 0)
			for (size_t j = 0; j < g.gl_pathc; j++)
				add_match(t, g.gl_pathv[j]);
		globfree(&g);
	}
}

static struct tail_entry *by_inode(struct file_tail *t, dev_t dev, ino_t ino)
{
	for (size_t i = 0; i < t->nfiles; i++)
		if (t->files[i]->f.dev == dev && t->files[i]->f.ino == ino)
			return t->files[i];
	return NULL;
}

static struct tail_entry *by_path_unseen(struct file_tail *t, const char *path)
{
	for (size_t i = 0; i < t->nfiles; i++)
		if (!t->files[i]->f.seen && strcmp(t->files[i]->f.path, path) == 0)
			return t->files[i];
	return NULL;
}

static int warned_index(struct file_tail *t, const char *path)
{
	for (size_t i = 0; i < t->nwarned; i++)
		if (strcmp(t->warned[i], path) == 0)
			return (int)i;
	return -1;
}

static void warn_once(struct file_tail *t, const char *path, const char *why)
{
	if (warned_index(t, path) >= 0)
		return;
	tail_log(t, LOG_LEVEL_WARN, "file '%s': %s; trying again at each scan", path, why);
	t->warned = xgrow(t->warned, &t->warned_cap, t->nwarned + 1, sizeof(*t->warned));
	t->warned[t->nwarned++] = xstrdup(path);
}

static void unwarn(struct file_tail *t, const char *path)
{
	int i = warned_index(t, path);
	if (i < 0)
		return;
	free(t->warned[i]);
	t->warned[i] = t->warned[--t->nwarned];
}

/* Where a file just opened starts: its saved place, else read.from. */
static int64_t start_position(struct file_tail *t, struct tail_file *f)
{
	int64_t pos = t->o.start_at ? t->o.start_at(t->o.arg, f) : -1;
	if (pos > f->size) {
		tail_log(t, LOG_LEVEL_INFO, "file '%s': saved position %" PRId64 " is past its end %" PRId64
			 "; truncated while not followed, reading from 0", f->path, pos, f->size);
		pos = 0;
	}
	if (pos < 0)
		pos = t->first_scan_done || !t->o.from_end ? 0 : f->size;
	return pos;
}

static void open_file(struct file_tail *t, const struct tail_match *m)
{
	int fd = open(m->path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0) {
		warn_once(t, m->path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return;
	}
	unwarn(t, m->path);
	struct tail_entry *en = xcalloc(1, sizeof(*en));
	struct tail_file *f = &en->f;
	f->fd = fd;
	f->path = xstrdup(m->path);
	f->dev = st.st_dev;
	f->ino = st.st_ino;
	f->size = f->scan_size = st.st_size;
	f->seen = 1;
	if (tail_fingerprint(fd, &f->fp, &f->fp_len) < 0)
		f->fp_len = 0;
	f->pos = start_position(t, f);
	lseek(fd, (off_t)f->pos, SEEK_SET);
	en->pend_opened = 1;
	t->files = xgrow(t->files, &t->files_cap, t->nfiles + 1, sizeof(*t->files));
	t->files[t->nfiles++] = en;
}

int file_tail_adopt(struct file_tail *t, const char *path, struct err *e)
{
	struct tail_match m = { .path = (char *)path };
	if (stat(path, &m.st) < 0 || !S_ISREG(m.st.st_mode))
		return err_set(e, SLOG_EIO, "file '%s': %s", path, strerror(errno));
	if (by_inode(t, m.st.st_dev, m.st.st_ino))
		return 1;
	size_t before = t->nfiles;
	open_file(t, &m);
	if (t->nfiles == before)
		return err_set(e, SLOG_EIO, "file '%s': cannot be opened", path);
	struct tail_file *f = &t->files[before]->f;
	f->draining = 1;
	f->drain_since_ms = clock_mono_ms();
	tail_log(t, LOG_LEVEL_INFO, "file '%s' was rotated while not followed; reading it to its end",
		 path);
	return 0;
}

/* Pass 1: files still under some name; returns nothing, marks seen. */
static void pass_known(struct file_tail *t)
{
	for (size_t i = 0; i < t->nfiles; i++)
		t->files[i]->f.seen = 0;
	for (size_t i = 0; i < t->nmatches; i++) {
		struct tail_match *m = &t->matches[i];
		struct tail_entry *en = by_inode(t, m->st.st_dev, m->st.st_ino);
		if (!en)
			continue;
		en->f.seen = 1;
		if (strcmp(en->f.path, m->path) != 0) {
			tail_log(t, LOG_LEVEL_INFO, "file '%s' is now '%s'", en->f.path, m->path);
			free(en->f.path);
			en->f.path = xstrdup(m->path);
		}
	}
}

/* Pass 2: new inodes open, unless an old file still holds their name. */
static void pass_new(struct file_tail *t)
{
	t->blocked = 0;
	for (size_t i = 0; i < t->nmatches; i++) {
		struct tail_match *m = &t->matches[i];
		if (by_inode(t, m->st.st_dev, m->st.st_ino))
			continue;
		struct tail_entry *old = by_path_unseen(t, m->path);
		if (old) {
			if (m->st.st_size > 0)
				old->successor_ready = 1;
			t->blocked++;
			continue;
		}
		open_file(t, m);
	}
}

/* Pass 3: followed files under no name drain. */
static void pass_gone(struct file_tail *t, int64_t now)
{
	for (size_t i = 0; i < t->nfiles; i++) {
		struct tail_file *f = &t->files[i]->f;
		if (f->seen) {
			f->draining = 0;
			t->files[i]->successor_ready = 0;
			continue;
		}
		if (!f->draining) {
			tail_log(t, LOG_LEVEL_INFO, "file '%s' was renamed or deleted; reading it to its end",
				 f->path);
			f->draining = 1;
			f->drain_since_ms = now;
		}
	}
}

static void truncated(struct file_tail *t, struct tail_entry *en, const char *how)
{
	struct tail_file *f = &en->f;
	f->truncations++;
	tail_log(t, LOG_LEVEL_WARN,
		 "file '%s' was truncated (%s at position %" PRId64 "; truncation %" PRIu64
		 " of this file); reading it again from 0",
		 f->path, how, f->pos, f->truncations);
	f->pos = 0;
	f->at_eof = 0;
	lseek(f->fd, 0, SEEK_SET);
	en->pend_truncated = 1;
}

static void check_growth(struct file_tail *t, struct tail_entry *en, int64_t now)
{
	struct tail_file *f = &en->f;
	struct stat st;
	if (fstat(f->fd, &st) < 0)
		return;
	int64_t size = st.st_size;
	if (size < f->pos) {
		f->size = size;
		truncated(t, en, "size below position");
		fp_changed(f);
	} else if ((size != f->scan_size || f->fp_len < TAIL_FP_BYTES) && fp_changed(f)) {
		f->size = size;
		truncated(t, en, "first bytes changed");
	}
	f->size = f->scan_size = size;
	if (size > f->pos)
		f->at_eof = 0;
	if (f->draining && f->at_eof && size == f->pos &&
	    (en->successor_ready || now - f->drain_since_ms >= t->o.rotate_wait_ms))
		en->pend_closing = 1;
}

int file_tail_scan(struct file_tail *t, struct err *e)
{
	(void)e;
	int64_t now = clock_mono_ms();
	drain_inotify(t);
	gather(t);
	pass_known(t);
	pass_new(t);
	pass_gone(t, now);
	t->first_scan_done = 1;
	for (size_t i = 0; i < t->nfiles; i++)
		check_growth(t, t->files[i], now);
	matches_clear(t);
	return 0;
}

/* ---- events and reads ---- */

static void remove_entry(struct file_tail *t, size_t i)
{
	t->closed = t->files[i];
	memmove(&t->files[i], &t->files[i + 1], (t->nfiles - i - 1) * sizeof(*t->files));
	t->nfiles--;
	if (t->cursor > i)
		t->cursor--;
}

static int entry_event(struct file_tail *t, size_t i, struct tail_event *ev)
{
	struct tail_entry *en = t->files[i];
	ev->f = &en->f;
	if (en->pend_opened) {
		en->pend_opened = 0;
		ev->type = TAIL_OPENED;
		return 1;
	}
	if (en->pend_truncated) {
		en->pend_truncated = 0;
		ev->type = TAIL_TRUNCATED;
		return 1;
	}
	if (!en->f.at_eof) {
		ev->type = TAIL_READABLE;
		t->cursor = i + 1;
		return 1;
	}
	if (en->pend_closing) {
		ev->type = TAIL_CLOSING;
		tail_log(t, LOG_LEVEL_INFO, "file '%s' closed at %" PRId64 " after its rotation",
			 en->f.path, en->f.pos);
		remove_entry(t, i);
		return 1;
	}
	return 0;
}

int file_tail_next(struct file_tail *t, struct tail_event *ev)
{
	entry_free(t->closed);
	t->closed = NULL;
	/* Every file opened by the scan first, so the caller can record them
	 * all at once before it reads any. */
	for (size_t i = 0; i < t->nfiles; i++)
		if (t->files[i]->pend_opened)
			return entry_event(t, i, ev);
	size_t n = t->nfiles;
	for (size_t k = 0; k < n; k++) {
		size_t i = (t->cursor + k) % n;
		if (entry_event(t, i, ev))
			return 1;
	}
	return 0;
}

ssize_t file_tail_read(struct file_tail *t, struct tail_file *f, void *dst, size_t cap,
		       struct err *e)
{
	(void)t;
	ssize_t n;
	do
		n = read(f->fd, dst, cap);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return err_set(e, SLOG_EIO, "read '%s': %s", f->path, strerror(errno));
	if (n == 0)
		f->at_eof = 1;
	f->pos += n;
	if (f->pos > f->size)
		f->size = f->pos;
	return n;
}

const char *file_tail_unreadable(const struct file_tail *t)
{
	return t->nwarned ? t->warned[0] : NULL;
}

int file_tail_idle(const struct file_tail *t)
{
	if (t->blocked)
		return 0;
	for (size_t i = 0; i < t->nfiles; i++) {
		const struct tail_entry *en = t->files[i];
		if (!en->f.at_eof || en->pend_opened || en->pend_truncated || en->pend_closing)
			return 0;
	}
	return 1;
}

void file_tail_each(struct file_tail *t, void (*fn)(void *arg, struct tail_file *f), void *arg)
{
	for (size_t i = 0; i < t->nfiles; i++)
		fn(arg, &t->files[i]->f);
}
