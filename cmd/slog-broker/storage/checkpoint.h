/*
 * checkpoint.h: small text checkpoint files, in Kafka's layout.
 *
 *   0                  version
 *   2                  number of entries
 *   orders 0 1042      one entry per line: a name, a number, a number
 *   orders 1 977
 *
 * The same shape serves the per-log-dir recovery-point and log-start
 * checkpoints (topic partition offset) and, with an empty name, the
 * per-partition leader-epoch-checkpoint (epoch offset).  Files are
 * replaced atomically (fio_write_atomic), so a reader finds the old or
 * the new version whole.  A file that does not parse is an error that
 * names the line: the caller decides whether to fall back (to a full
 * recovery, which is always safe).
 */
#ifndef SLOG_CHECKPOINT_H
#define SLOG_CHECKPOINT_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

struct checkpoint_entry {
	char name[256]; /* topic, or "" in two-number files */
	int64_t a;      /* partition, or epoch */
	int64_t b;      /* offset */
};

/*
 * Read path.  *entries (caller frees; NULL when there are none) and *n
 * receive the entries; a missing file gives zero entries and returns 0.
 * with_name says whether lines carry a name before the two numbers.
 */
int checkpoint_read(const char *path, int with_name, struct checkpoint_entry **entries,
		    size_t *n, struct err *e);

/* Replace path with these entries, durably. */
int checkpoint_write(const char *path, int with_name, const struct checkpoint_entry *entries,
		     size_t n, struct err *e);

#endif
