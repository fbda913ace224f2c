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

#include "err.h"
#include "meta/meta_state.h"

/* Whether dir holds a partition log's segments: a log of the old format. */
int meta_migrate_is_old(const char *dir);

/* Rename the old log at dir to to, and make the rename durable. */
int meta_migrate_move(const char *dir, const char *to, struct err *e);

/*
 * Replay the old log in dir into s (initialised): records that do not fit
 * the state are skipped, as they always were; bytes that cannot be read
 * are SLOG_ECORRUPT_MESSAGE naming dir and the offset.
 */
int meta_migrate_replay(const char *dir, struct meta_state *s, struct err *e);

/*
 * Append recs (a JSON array, borrowed, as given: no version is added) to
 * the old log in dir as one batch, as those releases wrote it: for tests
 * of the migration (slog-test-tool metadata-append).
 */
int meta_migrate_append(const char *dir, json_t *recs, struct err *e);

#endif
