/*
 * sink_files.c: a file sink's open files (sink_files.h).
 *
 * A file is known by its template expanded at roll index 0 (its key):
 * partitions whose keys match share it, and a partition whose key
 * changes (the hour in the path moved on) leaves the old file to the
 * next flush, which syncs and closes it once no partition uses it.  A
 * file rolled by size or time goes to the closing list, where its
 * descriptor waits for that same flush: the data it holds is committed
 * only once it is synced, so it cannot be closed unsynced.
 *
 * On the first open of a key the roll index is found on the disk (the
 * highest index whose file exists), so a restart appends to the file it
 * was writing rather than starting over at index 0.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "connectors/sink_files.h"
#include "connectors/sink_path.h"
#include "xalloc.h"

/* Bytes buffered per file before they are written. */
#define SINK_FILES_CHUNK (64 * 1024)

struct sfile {
	char *key;          /* the template at index 0: the file's identity */
	char *topic;        /* what the key was expanded from, to expand it at */
	int32_t partition;  /* the next roll index */
	int64_t wall_ms;
	struct buf path;    /* the file written now (its index applied) */
	int idx;            /* roll index; -1 until looked up on the disk */
	int fd;             /* -1: closed (not yet opened, rolled, or idle) */
	int64_t size;       /* bytes in the file, written or pending */
	struct buf pending;
	int64_t opened_ms, last_ms;
	int dirty;          /* written since its last fsync */
	int created;        /* created since its directory's last fsync */
	int refs;           /* partitions writing here */
};

/* A rolled file waiting for the flush that syncs and closes it. */
struct closing {
	int fd;
	char *path;
	int created;
};

struct slot {
	char *topic;
	int32_t partition;
	struct sfile *f;
	int64_t sec;        /* the wall second f was chosen at */
};

struct sink_files {
	struct sink_files_opts o;
	int timed;          /* the template holds strftime tokens */
	struct slot *slots;
	size_t nslots, slots_cap;
	struct sfile **files;
	size_t nfiles, files_cap;
	struct closing *closing;
	size_t nclosing, closing_cap;
	struct buf scratch;
};

static int io_error(struct err *e, const char *what, const char *path)
{
	return err_set(e, SLOG_EIO, "%s '%s': %s", what, path, strerror(errno));
}

struct sink_files *sink_files_new(const struct sink_files_opts *o, struct err *e)
{
	if (sink_path_check(o->path_template, e))
		return NULL;
	struct sink_files *sf = xcalloc(1, sizeof(*sf));
	sf->o = *o;
	sf->timed = sink_path_has_time(o->path_template);
	return sf;
}

static void file_free(struct sfile *f)
{
	if (f->fd >= 0)
		close(f->fd);
	free(f->key);
	free(f->topic);
	buf_free(&f->path);
	buf_free(&f->pending);
	free(f);
}

void sink_files_free(struct sink_files *sf)
{
	if (!sf)
		return;
	for (size_t i = 0; i < sf->nslots; i++)
		free(sf->slots[i].topic);
	for (size_t i = 0; i < sf->nfiles; i++)
		file_free(sf->files[i]);
	for (size_t i = 0; i < sf->nclosing; i++) {
		close(sf->closing[i].fd);
		free(sf->closing[i].path);
	}
	free(sf->slots);
	free(sf->files);
	free(sf->closing);
	buf_free(&sf->scratch);
	free(sf);
}

/* fsync the directory holding path, so that a file created there stays. */
static int sync_parent(const char *path, struct err *e)
{
	const char *slash = strrchr(path, '/');
	char *dir = !slash ? xstrdup(".") : xstrndup(path, slash == path ? 1 : (size_t)(slash - path));
	int rc = 0, fd;

	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fsync(fd) < 0)
		rc = io_error(e, "sync directory", dir);
	if (fd >= 0)
		close(fd);
	free(dir);
	return rc;
}

/*
 * mkdir -p of path's directory.  With sync, a directory made here has
 * its parent fsynced at once: until then a crash could lose its name,
 * and every file below it with it.  Directories are made rarely (a new
 * hour of an hourly template), so the wait is not on the data path.
 */
static int make_parent(const char *path, int sync, struct err *e)
{
	char *dir = xstrdup(path);
	int rc = 0;

	for (char *p = dir + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		if (mkdir(dir, 0755) == 0) {
			if (sync && (rc = sync_parent(dir, e)))
				break;
		} else if (errno != EEXIST) {
			rc = io_error(e, "create directory", dir);
			break;
		}
		*p = '/';
	}
	free(dir);
	return rc;
}

static int write_all(int fd, const char *p, size_t n, const char *path, struct err *e)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return io_error(e, "write", path);
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int write_pending(struct sfile *f, struct err *e)
{
	if (f->pending.len == 0)
		return 0;
	int rc = write_all(f->fd, f->pending.data, f->pending.len, f->path.data, e);
	buf_reset(&f->pending);
	return rc;
}

/* The path of f at roll index idx, into out. */
static int file_path(struct sink_files *sf, const struct sfile *f, int idx, struct buf *out,
		     struct err *e)
{
	return sink_path_expand(sf->o.path_template, f->topic, f->partition, idx, f->wall_ms, out,
				e);
}

/* The highest roll index of f with a file on the disk (0 when none). */
static int find_index(struct sink_files *sf, struct sfile *f, struct err *e)
{
	struct stat st;
	int idx = 0;

	for (;;) {
		if (file_path(sf, f, idx + 1, &sf->scratch, e))
			return -1;
		if (stat(sf->scratch.data, &st) < 0)
			return idx;
		idx++;
	}
}

/*
 * Open f to append a record of n bytes: at its current roll index, or
 * past every file that cannot take the record under max_bytes.
 */
static int file_open(struct sink_files *sf, struct sfile *f, size_t n, int64_t now_ms,
		     struct err *e)
{
	struct stat st;

	if (f->idx < 0 && (f->idx = find_index(sf, f, e)) < 0) {
		f->idx = -1;
		return SLOG_EINVALID_CONFIG;
	}
	for (;;) {
		int rc = file_path(sf, f, f->idx, &f->path, e);
		if (rc || (rc = make_parent(f->path.data, sf->o.fsync, e)))
			return rc;
		int flags = O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC;
		f->fd = open(f->path.data, flags | O_EXCL, 0644);
		f->created = f->fd >= 0;
		if (f->fd < 0 && errno == EEXIST)
			f->fd = open(f->path.data, flags, 0644);
		if (f->fd < 0 || fstat(f->fd, &st) < 0)
			return io_error(e, "open", f->path.data);
		f->size = st.st_size;
		if (!sf->o.max_bytes || f->size == 0 || f->size + (int64_t)n <= sf->o.max_bytes)
			break;
		close(f->fd);
		f->fd = -1;
		f->idx++;
	}
	f->opened_ms = now_ms;
	return 0;
}

/* Start f's next file: the current one waits for the flush to sync and close it. */
static int file_roll(struct sink_files *sf, struct sfile *f, struct err *e)
{
	if (f->fd >= 0) {
		int rc = write_pending(f, e);
		if (rc)
			return rc;
		struct closing *c;
		sf->closing = xgrow(sf->closing, &sf->closing_cap, sf->nclosing + 1, sizeof(*c));
		c = &sf->closing[sf->nclosing++];
		c->fd = f->fd;
		c->path = xstrdup(f->path.data);
		c->created = f->created;
		f->fd = -1;
		f->dirty = f->created = 0;
	}
	f->idx++;
	f->size = 0;
	return 0;
}

static struct slot *find_slot(struct sink_files *sf, const char *topic, int32_t partition)
{
	for (size_t i = 0; i < sf->nslots; i++)
		if (sf->slots[i].partition == partition && strcmp(sf->slots[i].topic, topic) == 0)
			return &sf->slots[i];
	return NULL;
}

static struct slot *add_slot(struct sink_files *sf, const char *topic, int32_t partition)
{
	struct slot *s;

	sf->slots = xgrow(sf->slots, &sf->slots_cap, sf->nslots + 1, sizeof(*s));
	s = &sf->slots[sf->nslots++];
	memset(s, 0, sizeof(*s));
	s->topic = xstrdup(topic);
	s->partition = partition;
	s->sec = -1;
	return s;
}

static struct sfile *file_for_key(struct sink_files *sf, const char *key, const char *topic,
				  int32_t partition, int64_t wall_ms)
{
	struct sfile *f;

	for (size_t i = 0; i < sf->nfiles; i++)
		if (strcmp(sf->files[i]->key, key) == 0)
			return sf->files[i];
	f = xcalloc(1, sizeof(*f));
	f->key = xstrdup(key);
	f->topic = xstrdup(topic);
	f->partition = partition;
	f->wall_ms = wall_ms;
	f->idx = -1;
	f->fd = -1;
	sf->files = xgrow(sf->files, &sf->files_cap, sf->nfiles + 1, sizeof(*sf->files));
	sf->files[sf->nfiles++] = f;
	return f;
}

/* Point the slot at the file its template names at wall_ms. */
static int route(struct sink_files *sf, struct slot *s, int64_t wall_ms, struct err *e)
{
	int64_t sec = wall_ms / 1000;

	if (s->f && (!sf->timed || s->sec == sec))
		return 0;
	if (sink_path_expand(sf->o.path_template, s->topic, s->partition, 0, wall_ms, &sf->scratch,
			     e))
		return SLOG_EINVALID_CONFIG;
	s->sec = sec;
	if (s->f && strcmp(s->f->key, sf->scratch.data) == 0)
		return 0;
	if (s->f)
		s->f->refs--; /* synced and closed by the next flush */
	s->f = file_for_key(sf, sf->scratch.data, s->topic, s->partition, wall_ms);
	s->f->refs++;
	return 0;
}

int sink_files_write(struct sink_files *sf, const char *topic, int32_t partition, const void *p,
		     size_t n, int64_t wall_ms, int64_t now_ms, struct err *e)
{
	struct slot *s = find_slot(sf, topic, partition);
	struct sfile *f;
	int rc;

	if (!s)
		s = add_slot(sf, topic, partition);
	if ((rc = route(sf, s, wall_ms, e)))
		return rc;
	f = s->f;
	int by_time = sf->o.roll_ms && f->fd >= 0 && now_ms - f->opened_ms >= sf->o.roll_ms;
	int by_size = sf->o.max_bytes && f->size > 0 && f->size + (int64_t)n > sf->o.max_bytes;
	if ((by_time || by_size) && (rc = file_roll(sf, f, e)))
		return rc;
	if (f->fd < 0 && (rc = file_open(sf, f, n, now_ms, e)))
		return rc;
	buf_add(&f->pending, p, n);
	f->size += (int64_t)n;
	f->last_ms = now_ms;
	f->dirty = 1;
	if (f->pending.len >= SINK_FILES_CHUNK)
		return write_pending(f, e);
	return 0;
}

/* Write f out and make it durable. */
static int file_sync(struct sink_files *sf, struct sfile *f, struct err *e)
{
	if (f->fd < 0)
		return 0;
	if (write_pending(f, e))
		return SLOG_EIO;
	if (sf->o.fsync && f->dirty && fsync(f->fd) < 0)
		return io_error(e, "sync", f->path.data);
	if (sf->o.fsync && f->created && sync_parent(f->path.data, e))
		return SLOG_EIO;
	f->dirty = f->created = 0;
	return 0;
}

static int flush_closing(struct sink_files *sf, struct err *e)
{
	while (sf->nclosing > 0) {
		struct closing *c = &sf->closing[sf->nclosing - 1];
		if (sf->o.fsync && fsync(c->fd) < 0)
			return io_error(e, "sync", c->path);
		if (sf->o.fsync && c->created && sync_parent(c->path, e))
			return SLOG_EIO;
		close(c->fd);
		free(c->path);
		sf->nclosing--;
	}
	return 0;
}

/* After f was synced: close it if it is due to roll or idle, free it if unused. */
static int file_retire(struct sink_files *sf, size_t i, int64_t now_ms)
{
	struct sfile *f = sf->files[i];

	if (f->fd >= 0 && sf->o.roll_ms && now_ms - f->opened_ms >= sf->o.roll_ms) {
		close(f->fd);
		f->fd = -1;
		f->idx++;
		f->size = 0;
	} else if (f->fd >= 0 && sf->o.idle_close_ms && now_ms - f->last_ms >= sf->o.idle_close_ms) {
		close(f->fd);
		f->fd = -1;
	}
	if (f->refs > 0)
		return 0;
	file_free(f);
	sf->files[i] = sf->files[--sf->nfiles];
	return 1;
}

int sink_files_flush(struct sink_files *sf, int64_t now_ms, struct err *e)
{
	if (flush_closing(sf, e))
		return SLOG_EIO;
	for (size_t i = 0; i < sf->nfiles; i++)
		if (file_sync(sf, sf->files[i], e))
			return SLOG_EIO;
	for (size_t i = 0; i < sf->nfiles;)
		if (!file_retire(sf, i, now_ms))
			i++;
	return 0;
}

void sink_files_release(struct sink_files *sf, const char *topic, int32_t partition)
{
	struct slot *s = find_slot(sf, topic, partition);

	if (!s)
		return;
	if (s->f)
		s->f->refs--;
	free(s->topic);
	*s = sf->slots[--sf->nslots];
	for (size_t i = 0; i < sf->nfiles;) {
		struct sfile *f = sf->files[i];
		if (f->refs > 0) {
			i++;
			continue;
		}
		/* The runner flushed before giving the partition up: nothing is pending. */
		if (f->fd >= 0)
			write_pending(f, NULL);
		file_free(f);
		sf->files[i] = sf->files[--sf->nfiles];
	}
}

size_t sink_files_open_count(const struct sink_files *sf)
{
	size_t n = sf->nclosing;

	for (size_t i = 0; i < sf->nfiles; i++)
		n += sf->files[i]->fd >= 0;
	return n;
}
