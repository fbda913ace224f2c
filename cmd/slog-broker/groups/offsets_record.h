/*
 * offsets_record.h: one record of __consumer_offsets, both ways.
 *
 * The format is offsets_store.h's: the key names the group and the
 * partition, the value holds the offset, its metadata and when it was
 * committed, or is null (a tombstone).  Records come back from the disk
 * at every start and every change of coordinator, and the topic is an
 * ordinary one that a client could have written to, so the reader takes
 * nothing on trust: a record that is not one of ours is skipped.
 * Pure: no I/O, no locks.
 */
#ifndef SLOG_OFFSETS_RECORD_H
#define SLOG_OFFSETS_RECORD_H

#include <jansson.h>

#include "groups/group_coordinator.h"
#include "record.h"

enum offsets_record_kind {
	OFFSETS_RECORD_SKIP,      /* not a record of ours */
	OFFSETS_RECORD_COMMIT,    /* a committed offset */
	OFFSETS_RECORD_TOMBSTONE, /* the offset was deleted (only o.tp counts) */
};

struct offsets_record {
	char group[GC_GROUP_MAX + 1];
	struct gc_offset o; /* o.metadata points into value */
	json_t *value;      /* owned: offsets_record_clear() */
};

/* Read r (borrowed) into out: what it is. */
enum offsets_record_kind offsets_record_decode(const struct record *r, struct offsets_record *out);
void offsets_record_clear(struct offsets_record *or);

/*
 * The key and value text of o's record in group (a tombstone: no value)
 * into r; both malloc()ed, freed by offsets_record_free_text().  r's
 * timestamp is the commit's.  0, or -1 for what cannot be encoded (a
 * string that is not UTF-8).
 */
int offsets_record_encode(const char *group, const struct gc_offset *o, int tombstone,
			  struct record *r);
void offsets_record_free_text(struct record *r);

#endif
