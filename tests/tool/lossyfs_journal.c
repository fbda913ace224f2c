/* tests/tool/lossyfs_journal.c: the undo log of name changes.
 *
 * Undo runs newest first, so when a change is undone the names stand as
 * they did right after it was made: the paths recorded then are still
 * the right ones, however later changes moved things around.  That is
 * why the records keep paths and not inodes; only the parents' inodes
 * are kept, to match a directory fsync whatever the directory is called
 * by then.
 */
#include "lossyfs_journal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Remove one trash entry (a file or an empty directory). */
static int remove_at(int dir, const char *name, int is_dir)
{
	if (unlinkat(dir, name, is_dir ? AT_REMOVEDIR : 0) == 0)
		return 0;
	return -errno;
}

int journal_init(struct journal *j, int root)
{
	struct dirent *d;
	DIR *dp;
	int fd;

	memset(j, 0, sizeof(*j));
	j->root = root;
	if (mkdirat(root, JOURNAL_TRASH, 0700) != 0 && errno != EEXIST)
		return -errno;
	fd = openat(root, JOURNAL_TRASH, O_RDONLY | O_DIRECTORY);
	if (fd < 0)
		return -errno;
	dp = fdopendir(fd);
	if (!dp) {
		close(fd);
		return -ENOMEM;
	}
	while ((d = readdir(dp)) != NULL) {
		if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0)
			continue;
		if (remove_at(fd, d->d_name, 0) == -EISDIR)
			remove_at(fd, d->d_name, 1);
	}
	closedir(dp);
	return 0;
}

static void op_free(struct ns_op *op)
{
	free(op->path);
	free(op->path2);
}

void journal_free(struct journal *j)
{
	size_t i;

	for (i = 0; i < j->n; i++)
		op_free(&j->ops[i]);
	free(j->ops);
	j->ops = NULL;
	j->n = j->cap = 0;
}

/* The parent directory of path, identified by its inode. */
static void parent_id(int root, const char *path, dev_t *dev, ino_t *ino)
{
	char parent[4096];
	const char *slash = strrchr(path, '/');
	struct stat st;
	int n = slash ? (int)(slash - path) : 1;

	snprintf(parent, sizeof(parent), "%.*s", n, slash ? path : ".");
	if (fstatat(root, parent, &st, 0) != 0) {
		*dev = 0;
		*ino = 0;
		return;
	}
	*dev = st.st_dev;
	*ino = st.st_ino;
}

/* Finish a change made durable: what it put in the trash goes for good. */
static void op_commit(struct journal *j, struct ns_op *op)
{
	char path[64];

	if (op->trash[0]) {
		snprintf(path, sizeof(path), JOURNAL_TRASH "/%s", op->trash);
		remove_at(j->root, path, op->trash_dir);
	}
	op_free(op);
}

int journal_add(struct journal *j, enum ns_kind kind, const char *path, const char *path2,
		const char *trash, int trash_dir)
{
	struct ns_op op = { .kind = kind, .trash_dir = trash_dir };

	op.path = strdup(path);
	op.path2 = path2 ? strdup(path2) : NULL;
	if (trash)
		snprintf(op.trash, sizeof(op.trash), "%s", trash);
	if (!op.path || (path2 && !op.path2) || (j->n == j->cap && j->cap > SIZE_MAX / 2 / sizeof(op)))
		goto durable;
	if (j->n == j->cap) {
		size_t cap = j->cap ? j->cap * 2 : 64;
		struct ns_op *p = realloc(j->ops, cap * sizeof(*p));

		if (!p)
			goto durable;
		j->ops = p;
		j->cap = cap;
	}
	parent_id(j->root, path, &op.dev[0], &op.ino[0]);
	op.dev[1] = op.dev[0];
	op.ino[1] = op.ino[0];
	if (path2)
		parent_id(j->root, path2, &op.dev[1], &op.ino[1]);
	j->ops[j->n++] = op;
	return 0;
durable:
	j->durable++;
	op_commit(j, &op);
	return -ENOMEM;
}

int journal_trash(struct journal *j, const char *path, char *name, size_t size)
{
	char to[64];

	snprintf(name, size, "%llu", ++j->seq);
	snprintf(to, sizeof(to), JOURNAL_TRASH "/%s", name);
	if (renameat(j->root, path, j->root, to) != 0)
		return -errno;
	return 0;
}

size_t journal_commit_dir(struct journal *j, dev_t dev, ino_t ino)
{
	size_t i, last = 0, k;

	for (i = 0; i < j->n; i++) {
		const struct ns_op *op = &j->ops[i];

		if ((op->dev[0] == dev && op->ino[0] == ino) || (op->dev[1] == dev && op->ino[1] == ino))
			last = i + 1;
	}
	for (k = 0; k < last; k++)
		op_commit(j, &j->ops[k]);
	memmove(j->ops, j->ops + last, (j->n - last) * sizeof(j->ops[0]));
	j->n -= last;
	j->durable += last;
	return last;
}

void journal_commit_all(struct journal *j)
{
	size_t k;

	for (k = 0; k < j->n; k++)
		op_commit(j, &j->ops[k]);
	j->durable += j->n;
	j->n = 0;
}

static void undo_failed(const char *what, const struct ns_op *op, int err)
{
	fprintf(stderr, "lossyfs: cannot undo the %s of '%s': %s\n", what, op->path, strerror(err));
}

/* Put back what op changed; the names stand as right after it. */
static void op_undo(struct journal *j, struct ns_op *op)
{
	char trash[64];

	snprintf(trash, sizeof(trash), JOURNAL_TRASH "/%s", op->trash);
	switch (op->kind) {
	case NS_CREATE:
	case NS_MKDIR:
		if (unlinkat(j->root, op->path, op->kind == NS_MKDIR ? AT_REMOVEDIR : 0) != 0)
			undo_failed("creation", op, errno);
		break;
	case NS_REMOVE:
		if (renameat(j->root, trash, j->root, op->path) != 0)
			undo_failed("removal", op, errno);
		break;
	case NS_RENAME:
		if (renameat(j->root, op->path2, j->root, op->path) != 0)
			undo_failed("rename", op, errno);
		if (op->trash[0] && renameat(j->root, trash, j->root, op->path2) != 0)
			undo_failed("replacement", op, errno);
		break;
	}
	op_free(op);
}

size_t journal_undo(struct journal *j)
{
	size_t n = j->n;

	while (j->n > 0)
		op_undo(j, &j->ops[--j->n]);
	j->undone += n;
	return n;
}
