/*
 * meta_migrate.h: the metadata log of releases before the quorum.
 *
 * Those releases kept the metadata log as a partition log: each record a
 * record of a batch, its key the record's type, its value the JSON
 * object, in the directory that now holds the quorum's Raft log.  A node
 * that finds one there moves it aside to <dir>.migrated (durably, before
 * anything else is written), replays it into a state with the same checks
 * as before (a record of a newer version stops the broker, naming it), and
 * the quorum commits that state as its first entry (meta_log.c).  The old
 * log is kept: a crash before that entry commits finds it again.
 */
#ifndef SLOG_META_MIGRATE_H
#define SLOG_META_MIGRATE_H

#include <jansson.h>
#include <stdint.h>

#include "err.h"

/* Whether dir holds a partition log's segments: a log of the old format. */
int meta_migrate_is_old(const char *dir);

/* Rename the old log at dir to to, and make the rename durable. */
int meta_migrate_move(const char *dir, const char *to, struct err *e);

/*
 * Read the old log in dir: fn(arg, record, offset) for each record in
 * order (the record borrowed for the call), until fn fails.  A value
 * that is not JSON is SLOG_ECORRUPT_MESSAGE naming dir and the offset.
 * (The caller applies them: meta_log.c, with the checks every committed
 * record gets.)
 */
int meta_migrate_read(const char *dir,
		      int (*fn)(void *arg, json_t *rec, int64_t offset, struct err *e), void *arg,
		      struct err *e);

/*
 * Append recs (a JSON array, borrowed, as given: no version is added) to
 * the old log in dir as one batch, as those releases wrote it: for tests
 * of the migration (slog-test-tool metadata-append).
 */
int meta_migrate_append(const char *dir, json_t *recs, struct err *e);

#endif
