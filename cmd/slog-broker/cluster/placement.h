/*
 * placement.h: where a topic's partitions go.
 *
 * Pure: it sees only the brokers it is given (the controller passes the
 * available ones, in id order) and a starting point, and writes each
 * partition's replicas.  Partition p's replicas are the rf brokers from
 * position start + p on, round-robin, and its leader the first of them:
 * consecutive partitions get consecutive leaders, so leaders spread
 * evenly over the brokers, and a random start (the caller's) keeps every
 * topic from leading on the same broker first.  This is Kafka's
 * rack-unaware assignment without its follower shift: until partitions
 * replicate (the next issue), only the leader carries data.
 */
#ifndef SLOG_PLACEMENT_H
#define SLOG_PLACEMENT_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

/*
 * The replicas of partitions [from, to): out[(p - from) * rf + j] is
 * replica j of partition p (j = 0: its leader).  rf larger than
 * nbrokers is SLOG_EINVALID_REPLICATION_FACTOR, naming both; rf < 1 and
 * an empty range of brokers too.
 */
int placement_assign(const int32_t *brokers, size_t nbrokers, int32_t rf, int32_t from,
		     int32_t to, uint32_t start, int32_t *out, struct err *e);

#endif
