/* tests/tool/lossyfs.h: what the parts of lossyfs share.
 *
 * lossyfs.c holds the state (fs), the files' data and the control
 * commands; lossyfs_names.c the operations on names, directories and
 * attributes.  Every function here is called by libfuse's threads and
 * takes fs.lock itself where it needs it, except node_find, which wants
 * it held.
 */
#ifndef LOSSYFS_H
#define LOSSYFS_H

#define FUSE_USE_VERSION 35

#include <dirent.h>
#include <fuse.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/types.h>

#include "lossyfs_journal.h"
#include "lossyfs_overlay.h"

#define NODE_BUCKETS 256

/* A backing file that is open or has something pending. */
struct node {
	struct node *next;
	dev_t dev;
	ino_t ino;
	int fd;           /* the backing file, read-write where possible; owned */
	unsigned handles; /* open file handles */
	struct overlay o;
};

/* An open file: fi->fh. */
struct handle {
	struct node *node;
	int sync;         /* opened O_SYNC or O_DSYNC: each write is durable */
};

/* The whole file system's state: one lock for all of it. */
struct lossyfs {
	pthread_mutex_t lock; /* guards everything below */
	int root;
	struct journal j;
	struct node *nodes[NODE_BUCKETS];
	uint64_t dirty, max_dirty;
	int fsync_fail;
	unsigned fsync_delay_ms;
	unsigned long long cuts, fsyncs, fsync_errors, dir_fsyncs, dropped_bytes, dropped_files,
		writebacks, sync_writes;
};

extern struct lossyfs fs;

/* An open directory: fi->fh. */
struct dir_handle {
	DIR *d;
	int root; /* the mount's root, whose listing hides the trash */
};

static inline struct dir_handle *DH(struct fuse_file_info *fi)
{
	return (struct dir_handle *)(uintptr_t)fi->fh;
}

static inline struct handle *H(struct fuse_file_info *fi)
{
	return (struct handle *)(uintptr_t)fi->fh;
}

/* The node of a backing inode, NULL if none; fs.lock held. */
struct node *node_find(dev_t dev, ino_t ino);

/* The backing path of a mount path: relative to the root, "." for the
 * root itself.  NULL for the trash, which the mount does not show. */
const char *rel(const char *path);

/* var := rel(path), and -ENOENT out of the operation if it is hidden. */
#define REL(var, path)                \
	const char *var = rel(path);  \
	if (!var)                     \
		return -ENOENT

/* Journal a name change just made on the backing directory; fs.lock
 * held.  A journal out of memory makes it durable at once (a real file
 * system may do that too), so it is not an error. */
void journal_note(enum ns_kind kind, const char *r, const char *r2, const char *trash,
		  int trash_dir);

/* lossyfs_names.c: the operations of struct fuse_operations by name. */
int lfs_getattr(const char *path, struct stat *st, struct fuse_file_info *fi);
int lfs_access(const char *path, int mask);
int lfs_readlink(const char *path, char *buf, size_t size);
int lfs_opendir(const char *path, struct fuse_file_info *fi);
int lfs_readdir(const char *path, void *buf, fuse_fill_dir_t fill, off_t off,
		struct fuse_file_info *fi, enum fuse_readdir_flags flags);
int lfs_releasedir(const char *path, struct fuse_file_info *fi);
int lfs_chmod(const char *path, mode_t mode, struct fuse_file_info *fi);
int lfs_chown(const char *path, uid_t uid, gid_t gid, struct fuse_file_info *fi);
int lfs_utimens(const char *path, const struct timespec tv[2], struct fuse_file_info *fi);
int lfs_statfs(const char *path, struct statvfs *st);
int lfs_mknod(const char *path, mode_t mode, dev_t dev);
int lfs_mkdir(const char *path, mode_t mode);
int lfs_symlink(const char *target, const char *path);
int lfs_link(const char *from, const char *to);
int lfs_unlink(const char *path);
int lfs_rmdir(const char *path);
int lfs_rename(const char *from, const char *to, unsigned flags);

#endif
