/*
 * fd_cache.c: segment descriptors opened on demand and closed when idle.
 * See fd_cache.h.
 *
 * Open entries sit on one list, most recently used first.  Eviction
 * walks it from the tail and closes entries nobody borrows; it runs after
 * an acquire opened a file, after a release, and when fileio meets EMFILE
 * (fio_set_emfile_hook), so every open(2) in the broker can get room from
 * the cache.  Descriptors are detached under the lock and closed after it.
 */
#include "storage/fd_cache.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "storage/fileio.h"
#include "xalloc.h"

#define EVICT_BATCH 64

struct fd_cache_entry {
	char *path;    /* cache lock */
	unsigned gen;  /* bumped by each rename; cache lock */
	int flags;
	int fd;        /* -1 while closed; cache lock */
	int users;     /* borrowers of fd; cache lock */
	struct fd_cache_entry *prev, *next; /* the LRU list while open */
};

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static struct fd_cache_entry *lru_head, *lru_tail; /* cache lock */
static size_t nopen;                                  /* cache lock */
static size_t max_open;                               /* cache lock; 0: default */
static pthread_once_t hook_once = PTHREAD_ONCE_INIT;

size_t fd_cache_default_max(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY)
		return 4096;
	return rl.rlim_cur / 2 > 0 ? (size_t)(rl.rlim_cur / 2) : 1;
}

static size_t limit_locked(void)
{
	if (!max_open)
		max_open = fd_cache_default_max();
	return max_open;
}

static void lru_unlink(struct fd_cache_entry *en)
{
	if (en->prev)
		en->prev->next = en->next;
	else
		lru_head = en->next;
	if (en->next)
		en->next->prev = en->prev;
	else
		lru_tail = en->prev;
	en->prev = en->next = NULL;
}

static void lru_push(struct fd_cache_entry *en)
{
	en->prev = NULL;
	en->next = lru_head;
	if (lru_head)
		lru_head->prev = en;
	lru_head = en;
	if (!lru_tail)
		lru_tail = en;
}

/* Detach up to cap idle descriptors while more than keep are open. */
static size_t detach_idle(size_t keep, int *fds, size_t cap)
{
	struct fd_cache_entry *en = lru_tail;
	size_t n = 0;

	while (en && nopen > keep && n < cap) {
		struct fd_cache_entry *prev = en->prev;
		if (en->users == 0) {
			fds[n++] = en->fd;
			en->fd = -1;
			lru_unlink(en);
			nopen--;
		}
		en = prev;
	}
	return n;
}

static void close_all(const int *fds, size_t n)
{
	for (size_t i = 0; i < n; i++)
		fio_close(fds[i]);
}

size_t fd_cache_shrink(size_t keep)
{
	int fds[EVICT_BATCH];
	size_t n, total = 0;

	do {
		pthread_mutex_lock(&cache_lock);
		n = detach_idle(keep, fds, EVICT_BATCH);
		pthread_mutex_unlock(&cache_lock);
		close_all(fds, n);
		total += n;
	} while (n == EVICT_BATCH);
	return total;
}

/* fileio met EMFILE: give back half of what the cache holds. */
static int make_room(void)
{
	size_t open = fd_cache_open_count();

	return fd_cache_shrink(open / 2) > 0;
}

static void install_hook(void)
{
	fio_set_emfile_hook(make_room);
}

struct fd_cache_entry *fd_cache_entry_new(const char *path, int flags)
{
	struct fd_cache_entry *en = xcalloc(1, sizeof(*en));

	pthread_once(&hook_once, install_hook);
	en->path = xstrdup(path);
	en->flags = flags;
	en->fd = -1;
	return en;
}

void fd_cache_entry_free(struct fd_cache_entry *en)
{
	int fd;

	if (!en)
		return;
	pthread_mutex_lock(&cache_lock);
	fd = en->fd;
	if (fd >= 0) {
		lru_unlink(en);
		nopen--;
	}
	pthread_mutex_unlock(&cache_lock);
	fio_close(fd);
	free(en->path);
	free(en);
}

void fd_cache_entry_rename(struct fd_cache_entry *en, const char *path)
{
	char *copy = xstrdup(path), *old;

	pthread_mutex_lock(&cache_lock);
	old = en->path;
	en->path = copy;
	en->gen++;
	pthread_mutex_unlock(&cache_lock);
	free(old);
}

/* Borrow en's descriptor if it is open.  cache lock held. */
static int borrow_locked(struct fd_cache_entry *en)
{
	if (en->fd < 0)
		return -1;
	en->users++;
	if (lru_head != en) {
		lru_unlink(en);
		lru_push(en);
	}
	return en->fd;
}

int fd_cache_acquire(struct fd_cache_entry *en, struct err *e)
{
	int fds[EVICT_BATCH + 1];
	size_t n = 0;
	char *path;
	unsigned gen;
	int fd, got;

	for (;;) {
		pthread_mutex_lock(&cache_lock);
		fd = borrow_locked(en);
		path = fd < 0 ? xstrdup(en->path) : NULL;
		gen = en->gen;
		pthread_mutex_unlock(&cache_lock);
		if (fd >= 0)
			return fd;
		/* Open outside the lock: a path lookup may wait on the disk. */
		got = fio_open(path, en->flags, 0, e);
		free(path);
		pthread_mutex_lock(&cache_lock);
		fd = borrow_locked(en);
		if (fd < 0 && got >= 0) {
			en->fd = got;
			lru_push(en);
			nopen++;
			fd = borrow_locked(en);
		} else if (got >= 0) {
			fds[n++] = got; /* another thread opened it first */
		}
		if (fd >= 0)
			n += detach_idle(limit_locked(), fds + n, EVICT_BATCH);
		/* A rename between the lookup and the open: try the new name. */
		if (fd < 0 && gen != en->gen) {
			pthread_mutex_unlock(&cache_lock);
			continue;
		}
		pthread_mutex_unlock(&cache_lock);
		close_all(fds, n);
		return fd >= 0 ? fd : got;
	}
}

void fd_cache_release(struct fd_cache_entry *en)
{
	int fds[EVICT_BATCH];
	size_t n;

	pthread_mutex_lock(&cache_lock);
	en->users--;
	n = nopen > limit_locked() ? detach_idle(limit_locked(), fds, EVICT_BATCH) : 0;
	pthread_mutex_unlock(&cache_lock);
	close_all(fds, n);
}

int fd_cache_dup(struct fd_cache_entry *en, struct err *e)
{
	int fd = fd_cache_acquire(en, e), dup;

	if (fd < 0)
		return fd;
	dup = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	if (dup < 0 && (errno == EMFILE || errno == ENFILE) && make_room())
		dup = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	if (dup < 0)
		dup = err_set(e, SLOG_EIO, "dup %s: %s", en->path, strerror(errno));
	fd_cache_release(en);
	return dup;
}

void fd_cache_set_max(size_t max)
{
	pthread_mutex_lock(&cache_lock);
	max_open = max ? max : 1;
	pthread_mutex_unlock(&cache_lock);
	fd_cache_shrink(max ? max : 1);
}

size_t fd_cache_max(void)
{
	size_t v;

	pthread_mutex_lock(&cache_lock);
	v = limit_locked();
	pthread_mutex_unlock(&cache_lock);
	return v;
}

size_t fd_cache_open_count(void)
{
	size_t v;

	pthread_mutex_lock(&cache_lock);
	v = nopen;
	pthread_mutex_unlock(&cache_lock);
	return v;
}
