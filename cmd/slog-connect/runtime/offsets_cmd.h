/*
 * offsets_cmd.h: slog-connect offsets NAME: a source's saved positions,
 * read, reset or set from the command line (KIP-875's use, without the
 * REST API: the connector may not even be running anywhere).
 *
 * The positions are the connector's records in offset.storage.topic
 * (offset_store.h).  A sink's progress is its group's committed offsets:
 * slog-groups shows and resets those (group connect-NAME).
 *
 * Changing positions while the connector runs is pointless: it writes
 * its own over them within a second.  Stop it first.
 */
#ifndef SLOG_OFFSETS_CMD_H
#define SLOG_OFFSETS_CMD_H

#include <stdio.h>

#include "runtime/connector_conf.h"
#include "err.h"

struct offsets_args {
	const char *name;
	int reset;              /* --reset: forget every position */
	const char *set_offset; /* --set-offset: {"partition":{...},"offset":{...}|null} */
	int json;               /* --format json: Connect's {"offsets":[...]} */
	int64_t timeout_ms;
};

/*
 * Print the positions (after the change asked for, if any) to out.
 * 0, or an error with e: a bad --set-offset, the cluster unreachable.
 */
int offsets_command(const struct worker_conf *wc, const struct offsets_args *a, FILE *out,
		    struct err *e);

#endif
