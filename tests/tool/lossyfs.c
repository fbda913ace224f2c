/* tests/tool/lossyfs.c: a FUSE file system that loses what was not
 * fsynced, on command, as a power cut would.
 *
 *   lossyfs [-d] [--max-dirty BYTES] [--fsname NAME] BACKING MOUNTPOINT SOCKET
 *           (runs in the foreground until unmounted)
 *   lossyfs --ctl SOCKET cut | fsync-fail on|off | fsync-delay MS | stats
 *
 * Everything passes through to the directory BACKING, which always holds
 * the durable state: file bytes and sizes as of each file's last fsync
 * or fdatasync (lossyfs_overlay.h keeps the rest in memory), and names
 * as of the last directory fsync that covered them (lossyfs_journal.h
 * keeps the undo records).  "cut" drops every unsynced byte and size
 * change and undoes every name change not made durable; the processes
 * using the mount must be dead by then (a power cut kills them too), or
 * their caches would still show the lost data.
 *
 * Not modelled (passed through, durable at once): modes, owners, times,
 * extended attributes.  A write is never torn: a cut keeps all of a
 * write that a fsync covered and none of one it did not.  A write to a
 * file opened O_SYNC/O_DSYNC, or carrying O_DSYNC (RWF_DSYNC: libraft's
 * writes), is durable at once.  A failed fsync (fsync-fail on) leaves
 * the data in memory, visible and not durable: a cut still drops it.
 * When more than --max-dirty bytes (default 256 MiB) are held, a write
 * makes its file durable at once, as the kernel's writeback would.
 *
 * One lock guards all state; an fsync-delay sleeps outside it, so the
 * rest of the file system keeps answering while an fsync waits.
 */
#include "lossyfs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "lossyfs_ctl.h"

struct lossyfs fs = { .lock = PTHREAD_MUTEX_INITIALIZER, .max_dirty = 256ull << 20 };

/* ---- nodes ------------------------------------------------------------- */

static struct node **bucket(dev_t dev, ino_t ino)
{
	return &fs.nodes[(ino ^ dev) % NODE_BUCKETS];
}

struct node *node_find(dev_t dev, ino_t ino)
{
	struct node *n;

	for (n = *bucket(dev, ino); n; n = n->next)
		if (n->dev == dev && n->ino == ino)
			return n;
	return NULL;
}

static void node_free(struct node *n)
{
	struct node **p;

	for (p = bucket(n->dev, n->ino); *p != n; p = &(*p)->next)
		;
	*p = n->next;
	fs.dirty -= n->o.dirty;
	overlay_drop(&n->o, 0);
	close(n->fd);
	free(n);
}

/* The node of the open backing file fd, one more handle on it; fd is
 * taken (closed, or kept as the node's).  NULL and errno on failure. */
static struct node *node_take(int fd)
{
	struct stat st;
	struct node *n;

	if (fstat(fd, &st) != 0)
		goto fail;
	n = node_find(st.st_dev, st.st_ino);
	if (n) {
		close(fd);
		n->handles++;
		return n;
	}
	n = calloc(1, sizeof(*n));
	if (!n) {
		errno = ENOMEM;
		goto fail;
	}
	n->dev = st.st_dev;
	n->ino = st.st_ino;
	n->fd = fd;
	n->handles = 1;
	overlay_init(&n->o, (uint64_t)st.st_size);
	n->next = *bucket(n->dev, n->ino);
	*bucket(n->dev, n->ino) = n;
	return n;
fail:
	close(fd);
	return NULL;
}

static void node_put(struct node *n)
{
	if (--n->handles == 0 && !overlay_pending(&n->o))
		node_free(n);
}

static int node_sync(struct node *n)
{
	uint64_t before = n->o.dirty;
	int rc = overlay_sync(&n->o, n->fd);

	fs.dirty -= before - n->o.dirty;
	return rc;
}

/* ---- paths ------------------------------------------------------------- */

/* The backing path of a mount path: relative to the root, "." for the
 * root itself.  NULL for the trash, which the mount does not show. */
const char *rel(const char *path)
{
	size_t t = strlen(JOURNAL_TRASH);

	while (*path == '/')
		path++;
	if (!*path)
		return ".";
	if (strncmp(path, JOURNAL_TRASH, t) == 0 && (path[t] == '\0' || path[t] == '/'))
		return NULL;
	return path;
}

/* Open a backing file read-write (root may; the node needs to write
 * whatever handle comes later), read-only where that is refused. */
static int open_backing(const char *r, int flags, mode_t mode)
{
	int keep = flags & (O_CREAT | O_EXCL | O_NOFOLLOW);
	int fd = openat(fs.root, r, O_RDWR | O_CLOEXEC | keep, mode);

	if (fd < 0 && (errno == EACCES || errno == EROFS || errno == ETXTBSY))
		fd = openat(fs.root, r, O_RDONLY | O_CLOEXEC | keep, mode);
	return fd < 0 ? -errno : fd;
}

/* Make a handle of a freshly opened fd; truncate when asked. */
static int handle_make(int fd, struct fuse_file_info *fi)
{
	struct handle *h = calloc(1, sizeof(*h));

	if (!h) {
		close(fd);
		return -ENOMEM;
	}
	pthread_mutex_lock(&fs.lock);
	h->node = node_take(fd);
	if (h->node && (fi->flags & O_TRUNC))
		overlay_truncate(&h->node->o, 0);
	pthread_mutex_unlock(&fs.lock);
	if (!h->node) {
		int err = errno;

		free(h);
		return -err;
	}
	h->sync = (fi->flags & (O_SYNC | O_DSYNC)) != 0;
	fi->fh = (uintptr_t)h;
	fi->direct_io = 0;
	fi->keep_cache = 0;
	return 0;
}


/* ---- file data ------------------------------------------------------------ */

static int lfs_open(const char *path, struct fuse_file_info *fi)
{
	int fd;

	REL(r, path);
	fd = open_backing(r, fi->flags & O_NOFOLLOW, 0);
	return fd < 0 ? fd : handle_make(fd, fi);
}

static int lfs_create(const char *path, mode_t mode, struct fuse_file_info *fi)
{
	struct stat st;
	int fd, made;

	REL(r, path);
	pthread_mutex_lock(&fs.lock);
	made = fstatat(fs.root, r, &st, AT_SYMLINK_NOFOLLOW) != 0 && errno == ENOENT;
	fd = open_backing(r, made ? O_CREAT | O_EXCL : fi->flags & O_EXCL ? O_CREAT | O_EXCL : 0,
			  mode);
	if (fd >= 0 && made)
		journal_note(NS_CREATE, r, NULL, NULL, 0);
	pthread_mutex_unlock(&fs.lock);
	return fd < 0 ? fd : handle_make(fd, fi);
}

static int lfs_release(const char *path, struct fuse_file_info *fi)
{
	struct handle *h = H(fi);

	(void)path;
	pthread_mutex_lock(&fs.lock);
	node_put(h->node);
	pthread_mutex_unlock(&fs.lock);
	free(h);
	return 0;
}

static int lfs_read(const char *path, char *buf, size_t size, off_t off, struct fuse_file_info *fi)
{
	struct node *n = H(fi)->node;
	ssize_t r;

	(void)path;
	if (off < 0)
		return -EINVAL;
	if (size > INT_MAX)
		size = INT_MAX;
	pthread_mutex_lock(&fs.lock);
	r = overlay_read(&n->o, n->fd, buf, size, (uint64_t)off);
	pthread_mutex_unlock(&fs.lock);
	return (int)r;
}

/* What every fsync meets first: the delay (outside the lock), then the
 * injected failure. */
static int fsync_fault(void)
{
	unsigned ms;
	int fail;

	pthread_mutex_lock(&fs.lock);
	ms = fs.fsync_delay_ms;
	pthread_mutex_unlock(&fs.lock);
	if (ms) {
		struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000 };

		while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
			;
	}
	pthread_mutex_lock(&fs.lock);
	fail = fs.fsync_fail;
	fs.fsyncs++;
	fs.fsync_errors += !!fail;
	pthread_mutex_unlock(&fs.lock);
	return fail ? -EIO : 0;
}

/* A write of a file opened O_SYNC or O_DSYNC, or with RWF_DSYNC (the
 * kernel adds O_DSYNC to fi->flags for it: libraft's io_submit writes,
 * which on direct I/O it does not follow with an fsync) is durable at
 * once, and meets the fsync faults first. */
static int lfs_write(const char *path, const char *buf, size_t size, off_t off,
		     struct fuse_file_info *fi)
{
	struct handle *h = H(fi);
	struct node *n = h->node;
	int rc, sync = h->sync || (fi->flags & O_DSYNC);
	uint64_t before;

	(void)path;
	if (off < 0)
		return -EINVAL;
	if (size > INT_MAX)
		size = INT_MAX;
	if (sync && (rc = fsync_fault()) != 0)
		return rc;
	pthread_mutex_lock(&fs.lock);
	before = n->o.dirty;
	rc = overlay_write(&n->o, buf, size, (uint64_t)off);
	fs.dirty += n->o.dirty - before;
	if (rc == 0 && (sync || fs.dirty > fs.max_dirty)) {
		fs.writebacks += !sync;
		fs.sync_writes += !!sync;
		rc = node_sync(n);
	}
	pthread_mutex_unlock(&fs.lock);
	return rc ? rc : (int)size;
}

static int lfs_truncate(const char *path, off_t size, struct fuse_file_info *fi)
{
	struct fuse_file_info tmp = { .flags = O_WRONLY };
	int rc;

	if (size < 0)
		return -EINVAL;
	if (!fi || !fi->fh) {
		fi = &tmp;
		rc = lfs_open(path, fi);
		if (rc)
			return rc;
	}
	pthread_mutex_lock(&fs.lock);
	overlay_truncate(&H(fi)->node->o, (uint64_t)size);
	pthread_mutex_unlock(&fs.lock);
	if (fi == &tmp)
		lfs_release(path, fi);
	return 0;
}

/* posix_fallocate's extension of the size (libraft's segments); keeping
 * the size, it changes nothing a reader or a cut could tell apart. */
static int lfs_fallocate(const char *path, int mode, off_t off, off_t len,
			 struct fuse_file_info *fi)
{
	struct node *n = H(fi)->node;

	(void)path;
	if (off < 0 || len <= 0 || off > INT64_MAX / 2 || len > INT64_MAX / 2)
		return -EINVAL;
	if (mode & ~FALLOC_FL_KEEP_SIZE)
		return -EOPNOTSUPP;
	if (mode & FALLOC_FL_KEEP_SIZE)
		return 0;
	pthread_mutex_lock(&fs.lock);
	if ((uint64_t)(off + len) > n->o.size)
		overlay_truncate(&n->o, (uint64_t)(off + len));
	pthread_mutex_unlock(&fs.lock);
	return 0;
}

static int lfs_fsync(const char *path, int datasync, struct fuse_file_info *fi)
{
	int rc = fsync_fault();

	(void)path;
	(void)datasync;
	if (rc)
		return rc;
	pthread_mutex_lock(&fs.lock);
	rc = node_sync(H(fi)->node);
	pthread_mutex_unlock(&fs.lock);
	return rc;
}

static int lfs_fsyncdir(const char *path, int datasync, struct fuse_file_info *fi)
{
	struct stat st;
	int rc = fsync_fault();

	(void)path;
	(void)datasync;
	if (rc)
		return rc;
	if (fstat(dirfd(DH(fi)->d), &st) != 0)
		return -errno;
	pthread_mutex_lock(&fs.lock);
	fs.dir_fsyncs++;
	journal_commit_dir(&fs.j, st.st_dev, st.st_ino);
	pthread_mutex_unlock(&fs.lock);
	return 0;
}

/* ---- control ---------------------------------------------------------------- */

/* The power cut: names back to their durable state, then every file's
 * bytes and size (the journal first: an undone creation removes files
 * whose nodes then only wait for their last handle). */
static void power_cut(char *reply, size_t size)
{
	unsigned long long undone, bytes = 0, files = 0;
	struct node *n, *next;
	struct stat st;
	size_t b;

	undone = journal_undo(&fs.j);
	for (b = 0; b < NODE_BUCKETS; b++) {
		for (n = fs.nodes[b]; n; n = next) {
			next = n->next;
			if (overlay_pending(&n->o))
				files++;
			bytes += n->o.dirty;
			fs.dirty -= n->o.dirty;
			overlay_drop(&n->o, fstat(n->fd, &st) == 0 ? (uint64_t)st.st_size : 0);
			if (n->handles == 0)
				node_free(n);
		}
	}
	fs.cuts++;
	fs.dropped_bytes += bytes;
	fs.dropped_files += files;
	snprintf(reply, size, "ok cut: %llu bytes of %llu files dropped, %llu name changes undone",
		 bytes, files, undone);
}

static void stats(char *reply, size_t size)
{
	unsigned long long pending = 0;
	struct node *n;
	size_t b;

	for (b = 0; b < NODE_BUCKETS; b++)
		for (n = fs.nodes[b]; n; n = n->next)
			pending += overlay_pending(&n->o) != 0;
	snprintf(reply, size,
		 "ok cuts=%llu fsyncs=%llu fsync_errors=%llu dir_fsyncs=%llu dirty_bytes=%" PRIu64
		 " dirty_files=%llu pending_names=%zu durable_names=%llu undone_names=%llu"
		 " dropped_bytes=%llu dropped_files=%llu writebacks=%llu sync_writes=%llu"
		 " fsync_fail=%s"
		 " fsync_delay_ms=%u",
		 fs.cuts, fs.fsyncs, fs.fsync_errors, fs.dir_fsyncs, fs.dirty, pending, fs.j.n,
		 fs.j.durable, fs.j.undone, fs.dropped_bytes, fs.dropped_files, fs.writebacks,
		 fs.sync_writes, fs.fsync_fail ? "on" : "off", fs.fsync_delay_ms);
}

/* A number 0..max in decimal, whole string; -1 if not. */
static long long parse_count(const char *s, long long max)
{
	char *end;
	long long v;

	if (!s || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	return errno || *end || v > max ? -1 : v;
}

static void command(const char *line, char *reply, size_t size)
{
	const char *arg = strchr(line, ' ');
	size_t verb = arg ? (size_t)(arg - line) : strlen(line);
	long long ms;

	arg = arg ? arg + 1 : "";
	pthread_mutex_lock(&fs.lock);
	if (verb == 3 && strncmp(line, "cut", 3) == 0 && !*arg) {
		power_cut(reply, size);
	} else if (verb == 5 && strncmp(line, "stats", 5) == 0 && !*arg) {
		stats(reply, size);
	} else if (verb == 10 && strncmp(line, "fsync-fail", 10) == 0 &&
		   (strcmp(arg, "on") == 0 || strcmp(arg, "off") == 0)) {
		fs.fsync_fail = strcmp(arg, "on") == 0;
		snprintf(reply, size, "ok fsync-fail %s", arg);
	} else if (verb == 11 && strncmp(line, "fsync-delay", 11) == 0 &&
		   (ms = parse_count(arg, 3600000)) >= 0) {
		fs.fsync_delay_ms = (unsigned)ms;
		snprintf(reply, size, "ok fsync-delay %lld", ms);
	} else {
		snprintf(reply, size, "error: unknown command (cut, stats, fsync-fail on|off, "
				      "fsync-delay MS)");
	}
	pthread_mutex_unlock(&fs.lock);
}

/* ---- mount ------------------------------------------------------------------ */

/* No kernel caching of names or attributes: after a cut the kernel must
 * ask again, and a size is only ever the overlay's. */
static void *lfs_init(struct fuse_conn_info *conn, struct fuse_config *cfg)
{
	(void)conn;
	cfg->entry_timeout = 0;
	cfg->attr_timeout = 0;
	cfg->negative_timeout = 0;
	cfg->use_ino = 1;
	cfg->nullpath_ok = 1;
	cfg->hard_remove = 1;
	cfg->kernel_cache = 0;
	cfg->auto_cache = 0;
	cfg->direct_io = 0;
	return NULL;
}

static const struct fuse_operations lfs_ops = {
	.init = lfs_init,
	.getattr = lfs_getattr,
	.access = lfs_access,
	.readlink = lfs_readlink,
	.opendir = lfs_opendir,
	.readdir = lfs_readdir,
	.releasedir = lfs_releasedir,
	.fsyncdir = lfs_fsyncdir,
	.mknod = lfs_mknod,
	.mkdir = lfs_mkdir,
	.symlink = lfs_symlink,
	.unlink = lfs_unlink,
	.rmdir = lfs_rmdir,
	.rename = lfs_rename,
	.link = lfs_link,
	.chmod = lfs_chmod,
	.chown = lfs_chown,
	.truncate = lfs_truncate,
	.utimens = lfs_utimens,
	.open = lfs_open,
	.create = lfs_create,
	.read = lfs_read,
	.write = lfs_write,
	.statfs = lfs_statfs,
	.release = lfs_release,
	.fsync = lfs_fsync,
	.fallocate = lfs_fallocate,
};

/* A clean unmount is a clean shutdown: everything becomes durable. */
static void flush_all(void)
{
	struct node *n;
	size_t b;

	for (b = 0; b < NODE_BUCKETS; b++)
		while ((n = fs.nodes[b]) != NULL) {
			node_sync(n);
			node_free(n);
		}
	journal_commit_all(&fs.j);
	journal_free(&fs.j);
}

static int serve(const char *mountpoint, const char *socket, const char *fsname, int debug)
{
	static char a0[] = "lossyfs", a1[] = "-o", a3[] = "-d";
	char opts[256];
	char *argv[] = { a0, a1, opts, a3, NULL };
	struct fuse_args args = FUSE_ARGS_INIT(debug ? 4 : 3, argv);
	struct fuse_loop_config loop = { .clone_fd = 0, .max_idle_threads = 16 };
	struct ctl_server *ctl = NULL;
	struct fuse *f;
	int rc = 1;

	/* The name shows in /proc/mounts, where a sweep finds its mounts. */
	if (strchr(fsname, ',') || (size_t)snprintf(opts, sizeof(opts), "fsname=%s,subtype=lossyfs",
						     fsname) >= sizeof(opts)) {
		fprintf(stderr, "lossyfs: bad --fsname '%s'\n", fsname);
		return 2;
	}
	f = fuse_new(&args, &lfs_ops, sizeof(lfs_ops), NULL);
	if (!f)
		return 1;
	if (fuse_mount(f, mountpoint) != 0)
		goto out;
	if (fuse_set_signal_handlers(fuse_get_session(f)) != 0)
		goto unmount;
	ctl = ctl_start(socket, command);
	if (!ctl) {
		fprintf(stderr, "lossyfs: cannot listen on '%s': %s\n", socket, strerror(errno));
		goto handlers;
	}
	rc = fuse_loop_mt(f, &loop) != 0;
	ctl_stop(ctl);
handlers:
	fuse_remove_signal_handlers(fuse_get_session(f));
unmount:
	fuse_unmount(f);
out:
	fuse_destroy(f);
	fuse_opt_free_args(&args);
	return rc;
}

static int usage(void)
{
	fprintf(stderr, "usage: lossyfs [-d] [--max-dirty BYTES] [--fsname NAME] BACKING MOUNTPOINT "
			"SOCKET\n"
			"       lossyfs --ctl SOCKET cut | stats | fsync-fail on|off | fsync-delay MS\n");
	return 2;
}

int main(int argc, char **argv)
{
	const char *fsname = "lossyfs";
	int i = 1, debug = 0, rc;
	long long max;

	if (argc >= 4 && strcmp(argv[1], "--ctl") == 0)
		return ctl_client(argv[2], argc - 3, argv + 3);
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "-d") == 0) {
			debug = 1;
		} else if (strcmp(argv[i], "--max-dirty") == 0 && i + 1 < argc &&
			   (max = parse_count(argv[i + 1], LLONG_MAX)) > 0) {
			fs.max_dirty = (uint64_t)max;
			i++;
		} else if (strcmp(argv[i], "--fsname") == 0 && i + 1 < argc) {
			fsname = argv[++i];
		} else {
			return usage();
		}
	}
	if (argc - i != 3)
		return usage();
	fs.root = open(argv[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fs.root < 0 || (rc = journal_init(&fs.j, fs.root)) != 0) {
		fprintf(stderr, "lossyfs: cannot use '%s' as the backing directory: %s\n", argv[i],
			strerror(fs.root < 0 ? errno : -rc));
		return 1;
	}
	rc = serve(argv[i + 1], argv[i + 2], fsname, debug);
	flush_all();
	close(fs.root);
	return rc;
}
