/*
 * transform_route.h: a record's topic rewritten.
 *
 *   route       Kafka's RegexRouter: when regex matches the whole topic,
 *               the topic becomes replacement ($1.. its groups);
 *               otherwise it stays
 *   route.time  Kafka's TimestampRouter: the topic becomes topic.format,
 *               with ${topic} the topic, ${timestamp} the record's time
 *               in timestamp.format, and strftime's % codes (UTC).
 *               timestamp.format is strftime's; one without '%' is read
 *               as Kafka's (Java's) pattern (yyyyMMdd), so Connect's
 *               configs run unchanged.  A record without a time (-1) is
 *               routed by the current time, the time the writer gives it.
 *
 * A topic a route makes that cannot name a topic fails the record.
 */
#ifndef SLOG_TRANSFORM_ROUTE_H
#define SLOG_TRANSFORM_ROUTE_H

#include "transforms/transform_type.h"

extern const struct transform_type transform_route;
extern const struct transform_type transform_route_time;

#endif
