/*
 * transform_pipe.h: `slog-connect transform FILE`, a connector's chain of
 * transforms as a filter: NDJSON records on in (slog-consume -J's shape),
 * the records the chain keeps on out in the same shape.
 *
 * So a chain is tried in a pipe before it runs:
 *   slog-consume -J -t app -e | slog-connect transform app.conf | head
 *
 * A line that does not parse or that a transform fails on is reported on
 * stderr ("slog-connect: line 3: transforms.mask: value is not JSON ...")
 * and left out; the lines after it go on, as a filter should.  A line's
 * topic, partition, offset and timestamp are the record's, as a sink
 * would see them; a line without a topic is the connector's topic.
 */
#ifndef SLOG_TRANSFORM_PIPE_H
#define SLOG_TRANSFORM_PIPE_H

#include <stdio.h>

#include "err.h"

struct connector_conf;

/*
 * Run cc's chain over in to out.  0 when every line went through (kept
 * or dropped); SLOG_EINVALID_RECORD when some failed (e says how many;
 * each was reported on stderr); SLOG_EINVALID_CONFIG when the chain does
 * not build; SLOG_EIO when in or out fail.
 */
int transform_pipe(const struct connector_conf *cc, FILE *in, FILE *out, struct err *e);

#endif
