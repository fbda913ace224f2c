/*
 * mirror_promote.h: `slog-connect mirror promote TOPIC`: fail over.
 *
 * A mirror topic (exact mode's copy, with mirror.source) refuses
 * producers.  Promoting removes mirror.source: producers may write to it
 * from then on, after the mirrored records, and the mirror's appends to
 * it are refused (a mirror still running stops copying it).  Consumer
 * groups whose offsets the mirror copied carry on from them.
 */
#ifndef SLOG_MIRROR_PROMOTE_H
#define SLOG_MIRROR_PROMOTE_H

#include "err.h"

/*
 * Promote topic on the cluster at brokers (host:port list).  0; or
 * SLOG_EUNKNOWN_TOPIC_OR_PARTITION, SLOG_EINVALID_REQUEST (the topic is
 * no mirror topic), or the cluster's error, with e saying it.  Blocks
 * for up to 30 s.
 */
int mirror_promote(const char *brokers, const char *topic, struct err *e);

#endif
