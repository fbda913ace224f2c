/*
 * transform_exec.h: exec, a record through a coprocess.
 *
 * exec.command runs once, when the chain is built (split into words as
 * exec_argv_split() says; exec.shell = true runs it with /bin/sh -c).
 * Each record goes to its stdin as one NDJSON line in slog-consume -J's
 * shape and comes back as one line in slog-produce -J's: what the line
 * names replaces the record's key, value and headers (a field it leaves
 * out is null; topic, partition and timestamp stay unless it names them).
 * An empty line, or null, drops the record.  `jq -c --unbuffered 'EXPR'`
 * fits (jq's `empty` prints nothing, so it would fail the record by
 * timeout: write null).
 *
 * A record fails (and the error policy decides) when no line comes back
 * within exec.timeout.ms, when the child dies, or when its line is not a
 * record.  The child is then killed, and started again for the next
 * record: one start per record at most, so a child that cannot live costs
 * each record one failure, never a hang.
 */
#ifndef SLOG_TRANSFORM_EXEC_H
#define SLOG_TRANSFORM_EXEC_H

#include "transforms/transform_type.h"

extern const struct transform_type transform_exec;

#endif
