/*
 * offsets_file.h: the offsets file reset-offsets --from-file reads.
 *
 * One "topic,partition,offset" line per partition, the form Kafka's
 * kafka-consumer-groups --export writes and the plan of slog-groups
 * reset-offsets --format csv prints; so a plan can be printed, edited
 * and applied.  Blank lines, '#' comments and a "topic,partition,offset"
 * header are skipped.
 */
#ifndef SLOG_GROUPS_OFFSETS_FILE_H
#define SLOG_GROUPS_OFFSETS_FILE_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

struct file_offset {
	char *topic;             /* owned */
	int32_t partition;
	int64_t offset;
};

/*
 * Read path ("-": standard input) into *out (freed with
 * offsets_file_free).  SLOG_EIO when it cannot be read;
 * SLOG_EINVALID_REQUEST, with "path:line:" in the message, for a bad
 * line, a partition named twice, or no line at all.
 */
int offsets_file_read(const char *path, struct file_offset **out, size_t *n, struct err *e);

void offsets_file_free(struct file_offset *v, size_t n);

#endif
