/*
 * topic_ensure.h: make sure a topic slog-connect writes to exists,
 * creating it as the runtime needs it (the dead-letter topic, the
 * offsets topic), as Kafka Connect's workers create theirs.
 *
 * The replication factor asked for is capped at the number of brokers
 * the cluster lists, so that Kafka's defaults (3) work on a cluster of
 * one broker; where there are enough brokers it is kept.  Blocks until
 * the topic's partitions have leaders or the deadline passes.
 */
#ifndef SLOG_TOPIC_ENSURE_H
#define SLOG_TOPIC_ENSURE_H

#include <jansson.h>
#include <stdint.h>

#include "cluster_client.h"
#include "err.h"

/*
 * 0 once name exists (created with partitions, replication (<= 0: the
 * broker's default) and configs, borrowed, may be NULL, when it did not),
 * or the error of the lookup or of the creation.
 */
int topic_ensure(struct cluster *cl, const char *name, int32_t partitions, int32_t replication,
		 json_t *configs, int64_t deadline_ms, struct err *e);

#endif
