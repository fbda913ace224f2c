/* tests/tool/lossyfs_names.c: names, directories and attributes.
 *
 * A change of a name is made on the backing directory at once, under
 * fs.lock, and journalled (lossyfs_journal.h) until a directory fsync
 * makes it durable; what it takes away waits in the trash.  The checks
 * rename(2) and rmdir(2) would make on the target are made here first,
 * since moving a name to the trash would otherwise skip them.
 * Attributes other than the size pass straight through.
 */
#include "lossyfs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

int lfs_getattr(const char *path, struct stat *st, struct fuse_file_info *fi)
{
	struct node *n;
	int rc;

	if (fi && fi->fh) {
		rc = fstat(H(fi)->node->fd, st);
	} else {
		REL(r, path);
		rc = fstatat(fs.root, r, st, AT_SYMLINK_NOFOLLOW);
	}
	if (rc != 0)
		return -errno;
	if (!S_ISREG(st->st_mode))
		return 0;
	pthread_mutex_lock(&fs.lock);
	n = node_find(st->st_dev, st->st_ino);
	if (n) {
		st->st_size = (off_t)n->o.size;
		st->st_blocks = (blkcnt_t)((n->o.size + 511) / 512);
	}
	pthread_mutex_unlock(&fs.lock);
	return 0;
}

int lfs_access(const char *path, int mask)
{
	REL(r, path);
	return faccessat(fs.root, r, mask, AT_EACCESS) == 0 ? 0 : -errno;
}

int lfs_readlink(const char *path, char *buf, size_t size)
{
	ssize_t n;

	REL(r, path);
	if (size == 0)
		return -EINVAL;
	n = readlinkat(fs.root, r, buf, size - 1);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return 0;
}

int lfs_opendir(const char *path, struct fuse_file_info *fi)
{
	struct dir_handle *h;
	int fd;

	REL(r, path);
	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	fd = openat(fs.root, r, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || !(h->d = fdopendir(fd))) {
		int err = fd < 0 ? errno : ENOMEM;

		if (fd >= 0)
			close(fd);
		free(h);
		return -err;
	}
	h->root = strcmp(r, ".") == 0;
	fi->fh = (uintptr_t)h;
	return 0;
}


int lfs_readdir(const char *path, void *buf, fuse_fill_dir_t fill, off_t off,
		       struct fuse_file_info *fi, enum fuse_readdir_flags flags)
{
	struct dir_handle *h = DH(fi);
	struct dirent *e;

	(void)path;
	(void)off;
	(void)flags;
	rewinddir(h->d);
	while ((e = readdir(h->d)) != NULL) {
		if (h->root && strcmp(e->d_name, JOURNAL_TRASH) == 0)
			continue;
		if (fill(buf, e->d_name, NULL, 0, 0))
			break;
	}
	return 0;
}

int lfs_releasedir(const char *path, struct fuse_file_info *fi)
{
	(void)path;
	closedir(DH(fi)->d);
	free(DH(fi));
	return 0;
}

int lfs_chmod(const char *path, mode_t mode, struct fuse_file_info *fi)
{
	(void)fi;
	REL(r, path);
	return fchmodat(fs.root, r, mode, 0) == 0 ? 0 : -errno;
}

int lfs_chown(const char *path, uid_t uid, gid_t gid, struct fuse_file_info *fi)
{
	(void)fi;
	REL(r, path);
	return fchownat(fs.root, r, uid, gid, AT_SYMLINK_NOFOLLOW) == 0 ? 0 : -errno;
}

int lfs_utimens(const char *path, const struct timespec tv[2], struct fuse_file_info *fi)
{
	(void)fi;
	REL(r, path);
	return utimensat(fs.root, r, tv, AT_SYMLINK_NOFOLLOW) == 0 ? 0 : -errno;
}

int lfs_statfs(const char *path, struct statvfs *st)
{
	(void)path;
	return fstatvfs(fs.root, st) == 0 ? 0 : -errno;
}

/* ---- names: each change is done at once and journalled ------------------ */

void journal_note(enum ns_kind kind, const char *r, const char *r2, const char *trash,
		  int trash_dir)
{
	journal_add(&fs.j, kind, r, r2, trash, trash_dir);
}

/* A new name: the one function behind mknod, mkdir, symlink and link,
 * so that each is made and journalled under the lock the same way.
 * from is the symlink's target or the link's existing name. */
enum make { MAKE_NODE, MAKE_DIR, MAKE_SYMLINK, MAKE_LINK };

static int make_name(enum make how, const char *path, const char *from, mode_t mode, dev_t dev)
{
	const char *src = NULL;
	int rc;

	REL(r, path);
	if (how == MAKE_LINK && !(src = rel(from)))
		return -ENOENT;
	pthread_mutex_lock(&fs.lock);
	switch (how) {
	case MAKE_NODE: rc = mknodat(fs.root, r, mode, dev); break;
	case MAKE_DIR: rc = mkdirat(fs.root, r, mode); break;
	case MAKE_SYMLINK: rc = symlinkat(from, fs.root, r); break;
	default: rc = linkat(fs.root, src, fs.root, r, 0); break;
	}
	rc = rc != 0 ? -errno : 0;
	if (rc == 0)
		journal_note(how == MAKE_DIR ? NS_MKDIR : NS_CREATE, r, NULL, NULL, 0);
	pthread_mutex_unlock(&fs.lock);
	return rc;
}

int lfs_mknod(const char *path, mode_t mode, dev_t dev)
{
	return make_name(MAKE_NODE, path, NULL, mode, dev);
}

int lfs_mkdir(const char *path, mode_t mode)
{
	return make_name(MAKE_DIR, path, NULL, mode, 0);
}

int lfs_symlink(const char *target, const char *path)
{
	return make_name(MAKE_SYMLINK, path, target, 0, 0);
}

int lfs_link(const char *from, const char *to)
{
	return make_name(MAKE_LINK, to, from, 0, 0);
}

/* Whether the backing directory r has no entries. */
static int dir_empty(const char *r)
{
	int fd = openat(fs.root, r, O_RDONLY | O_DIRECTORY | O_CLOEXEC), n = 0;
	struct dirent *e;
	DIR *d;

	if (fd < 0)
		return -errno;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -ENOMEM;
	}
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	closedir(d);
	return n == 0;
}

/* An unlink or rmdir: the name goes to the trash until it is durable. */
static int remove_name(const char *r, int is_dir)
{
	char trash[32];
	struct stat st;
	int rc;

	if (fstatat(fs.root, r, &st, AT_SYMLINK_NOFOLLOW) != 0)
		return -errno;
	if (is_dir != !!S_ISDIR(st.st_mode))
		return is_dir ? -ENOTDIR : -EISDIR;
	if (is_dir && (rc = dir_empty(r)) <= 0)
		return rc < 0 ? rc : -ENOTEMPTY;
	rc = journal_trash(&fs.j, r, trash, sizeof(trash));
	if (rc == 0)
		journal_note(NS_REMOVE, r, NULL, trash, is_dir);
	return rc;
}

int lfs_unlink(const char *path)
{
	int rc;

	REL(r, path);
	pthread_mutex_lock(&fs.lock);
	rc = remove_name(r, 0);
	pthread_mutex_unlock(&fs.lock);
	return rc;
}

int lfs_rmdir(const char *path)
{
	int rc;

	REL(r, path);
	if (strcmp(r, ".") == 0)
		return -EBUSY;
	pthread_mutex_lock(&fs.lock);
	rc = remove_name(r, 1);
	pthread_mutex_unlock(&fs.lock);
	return rc;
}

/* rename(2)'s checks of a target that exists, as the kernel would make
 * them; 1 if it must go to the trash first, 0 if the rename is a no-op
 * (the same file), -errno if it is refused. */
static int rename_target(const char *r, const char *r2, const struct stat *a, unsigned flags)
{
	struct stat b;
	int rc;

	if (fstatat(fs.root, r2, &b, AT_SYMLINK_NOFOLLOW) != 0)
		return errno == ENOENT ? 2 : -errno;
	if (flags & RENAME_NOREPLACE)
		return -EEXIST;
	if (a->st_dev == b.st_dev && a->st_ino == b.st_ino)
		return 0;
	if (S_ISDIR(a->st_mode) && !S_ISDIR(b.st_mode))
		return -ENOTDIR;
	if (!S_ISDIR(a->st_mode) && S_ISDIR(b.st_mode))
		return -EISDIR;
	if (S_ISDIR(b.st_mode) && (rc = dir_empty(r2)) <= 0)
		return rc < 0 ? rc : -ENOTEMPTY;
	(void)r;
	return 1;
}

static int rename_locked(const char *r, const char *r2, unsigned flags)
{
	char trash[32] = "";
	struct stat a;
	int t;

	if (flags & ~(unsigned)RENAME_NOREPLACE)
		return -EINVAL;
	if (fstatat(fs.root, r, &a, AT_SYMLINK_NOFOLLOW) != 0)
		return -errno;
	t = rename_target(r, r2, &a, flags);
	if (t <= 0)
		return t;
	if (t == 1 && (t = journal_trash(&fs.j, r2, trash, sizeof(trash))) != 0)
		return t;
	if (renameat(fs.root, r, fs.root, r2) != 0) {
		int err = errno;
		char back[64];

		if (trash[0]) {
			snprintf(back, sizeof(back), JOURNAL_TRASH "/%s", trash);
			renameat(fs.root, back, fs.root, r2);
		}
		return -err;
	}
	journal_note(NS_RENAME, r, r2, trash[0] ? trash : NULL, S_ISDIR(a.st_mode));
	return 0;
}

int lfs_rename(const char *from, const char *to, unsigned flags)
{
	int rc;

	REL(r, from);
	REL(r2, to);
	pthread_mutex_lock(&fs.lock);
	rc = rename_locked(r, r2, flags);
	pthread_mutex_unlock(&fs.lock);
	return rc;
}
