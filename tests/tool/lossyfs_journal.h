/* tests/tool/lossyfs_journal.h: names that are not yet durable.
 *
 * Every change of a name under the backing directory (a create, mkdir,
 * link, symlink, unlink, rmdir or rename) is done on the backing
 * directory at once, so that readers see it, and recorded here until a
 * directory fsync makes it durable.  A power cut undoes the records not
 * yet durable, newest first, which gives back the names exactly as they
 * stood at the last durable point.  What an unlink, rmdir or a rename
 * over an existing name takes away is not removed: it waits in a trash
 * directory (JOURNAL_TRASH, hidden from the mount) until the change is
 * durable, so that a cut can put it back.
 *
 * The model is an ordered metadata journal, as ext4's: the fsync of a
 * directory D makes durable every change up to the last one that touched
 * D (as its parent, or either parent of a rename), and with it every
 * earlier change elsewhere.  A file's own fsync makes no name durable
 * (POSIX asks for the directory's fsync; ext4 happens to give more).
 *
 * Paths are relative to the backing root (no leading '/').  The caller
 * serialises every call.
 */
#ifndef LOSSYFS_JOURNAL_H
#define LOSSYFS_JOURNAL_H

#include <stddef.h>
#include <sys/types.h>

#define JOURNAL_TRASH ".lossyfs-trash"

enum ns_kind {
	NS_CREATE,  /* path made (a file, link, symlink or node) */
	NS_MKDIR,   /* path made, a directory */
	NS_REMOVE,  /* path moved to trash (an unlink or rmdir) */
	NS_RENAME,  /* path moved to path2; trash: what path2 held, if anything */
};

struct ns_op {
	enum ns_kind kind;
	char *path, *path2;
	char trash[32];      /* name in JOURNAL_TRASH, "" if none */
	int trash_dir;       /* the trash entry is a directory */
	dev_t dev[2];        /* the parent directories the change touched */
	ino_t ino[2];
};

struct journal {
	int root;            /* the backing root, borrowed */
	struct ns_op *ops;   /* oldest first; none durable yet */
	size_t n, cap;
	unsigned long long seq;     /* names of trash entries */
	unsigned long long durable; /* changes made durable, ever */
	unsigned long long undone;  /* changes undone by cuts, ever */
};

/* Over the backing root fd: makes JOURNAL_TRASH and empties it (what a
 * killed lossyfs left there belongs to no journal now).  0 or -errno. */
int journal_init(struct journal *j, int root);
void journal_free(struct journal *j);

/* Record a change already done on the backing directory.  path2 for
 * NS_RENAME only; trash is the name journal_trash gave (or NULL).
 * 0 or -ENOMEM (the change is then durable at once, as a real file
 * system may make it). */
int journal_add(struct journal *j, enum ns_kind kind, const char *path, const char *path2,
		const char *trash, int trash_dir);

/* Move path into the trash; its name there into name (size >= 32).
 * 0 or -errno. */
int journal_trash(struct journal *j, const char *path, char *name, size_t size);

/* A fsync of the directory (dev, ino): make durable every change up to
 * the last one that touched it.  Returns how many became durable. */
size_t journal_commit_dir(struct journal *j, dev_t dev, ino_t ino);

/* A clean unmount: every change becomes durable. */
void journal_commit_all(struct journal *j);

/* A power cut: undo every change not durable, newest first.  Returns how
 * many were undone; an undo that fails is reported on stderr and the
 * rest go on. */
size_t journal_undo(struct journal *j);

#endif
