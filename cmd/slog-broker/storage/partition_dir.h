/*
 * partition_dir.h: which topic a partition directory belongs to, and its
 * removal.
 *
 * Directories are named <topic>-<n>, so a topic deleted and created
 * again under the same name would find the old incarnation's directory
 * if removing it had failed, and adopt its records.  Two things prevent
 * that (Kafka does the same):
 *
 *   partition.metadata   "version: 0\ntopic_id: <id>\n" in each partition
 *                        directory; a directory whose id is not the
 *                        topic's is an old incarnation's, and is removed
 *                        instead of opened
 *   <topic>-<n>.<id>-delete
 *                        a deleted partition's directory is first renamed
 *                        to this (one atomic rename, made durable), then
 *                        removed; the next start removes any left over
 */
#ifndef SLOG_PARTITION_DIR_H
#define SLOG_PARTITION_DIR_H

#include "err.h"

struct plog;

#define PARTITION_METADATA "partition.metadata"
#define PARTITION_DELETE_SUFFIX "-delete"

/*
 * Before opening path for topic_id: a directory of another topic id is
 * renamed aside and removed.  If a log of this broker still has it open
 * (the old topic's last user has not let go yet) that is SLOG_ESTORAGE:
 * try again.  A directory without partition.metadata (from before it
 * existed) is kept.
 */
int partition_dir_check(const char *path, const char *topic_id, struct err *e);

/*
 * Record topic_id in path/partition.metadata (creating path), unless it
 * says so already.  Call before plog_open: the file is not fsynced on
 * its own (two more fsyncs per partition would double the time a wide
 * topic takes to create); plog_open's directory fsync of a new partition
 * covers its entry, and a file lost or torn by a crash reads as no id,
 * so the directory is kept and stamped again at the next open.
 */
int partition_dir_stamp(const char *path, const char *topic_id, struct err *e);

/* Rename an open log's directory to <dir>.<topic_id>-delete, durably; the
 * caller is its only user and removes it next (plog_destroy). */
int partition_dir_retire(struct plog *l, const char *topic_id, struct err *e);

#endif
