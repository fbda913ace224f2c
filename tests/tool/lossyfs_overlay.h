/* tests/tool/lossyfs_overlay.h: the bytes of one file that are not yet
 * durable.
 *
 * lossyfs keeps every backing file as it stood at its last fsync: the
 * backing file is the "platter".  What was written since, and any change
 * of size, lives here, in memory, until the next fsync or fdatasync of
 * the file applies it (overlay_sync) or a power cut throws it away
 * (overlay_drop).  Readers see the overlay on top of the backing bytes
 * (overlay_read), as they would see the page cache.
 *
 * The caller serialises every call on one overlay (lossyfs holds one
 * lock for the whole file system).  No function here takes ownership of
 * its arguments; overlay_init/overlay_drop own the extents.
 */
#ifndef LOSSYFS_OVERLAY_H
#define LOSSYFS_OVERLAY_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* One run of unsynced bytes [off, off + len), cap bytes allocated. */
struct extent {
	uint64_t off;
	size_t len, cap;
	unsigned char *data;
};

struct overlay {
	struct extent *ext;  /* sorted by off, never overlapping */
	size_t n, cap;
	uint64_t size;       /* the size readers see */
	/* Backing bytes at or past floor are not there for readers: a
	 * truncate below the backing size that is not yet durable.  Equal
	 * to UINT64_MAX while no such truncate is pending. */
	uint64_t floor;
	uint64_t backing;    /* the backing file's size (the durable size) */
	uint64_t dirty;      /* bytes held in ext */
};

/* An overlay over a backing file of size backing: nothing pending. */
void overlay_init(struct overlay *o, uint64_t backing);

/* Whether anything (bytes or a size change) is pending. */
int overlay_pending(const struct overlay *o);

/* Hold len bytes at off as written.  0, or -ENOMEM / -EFBIG. */
int overlay_write(struct overlay *o, const void *buf, size_t len, uint64_t off);

/* A truncate (or an extension: fallocate, ftruncate up) to size. */
void overlay_truncate(struct overlay *o, uint64_t size);

/* Read up to len bytes at off as a reader sees them, through fd (the
 * backing file) and the overlay.  The count read, or -errno. */
ssize_t overlay_read(const struct overlay *o, int fd, void *buf, size_t len, uint64_t off);

/* Apply everything pending to the backing file fd (sizes, then bytes);
 * afterwards nothing is pending.  0 or -errno (the overlay is then
 * unchanged, so a later sync retries). */
int overlay_sync(struct overlay *o, int fd);

/* Forget everything pending (a power cut); the overlay stays usable,
 * over a backing file of size backing. */
void overlay_drop(struct overlay *o, uint64_t backing);

#endif
