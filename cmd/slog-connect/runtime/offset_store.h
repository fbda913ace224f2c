/*
 * offset_store.h: a source's progress in the cluster, in Kafka Connect's
 * form.
 *
 * The topic (offset.storage.topic, default __connect_offsets; created
 * compacted when missing, as Connect's distributed workers create
 * connect-offsets) holds one record per source position:
 *
 *   key    ["<connector name>",{<source partition>}]   compact JSON
 *   value  {<offset>}                                  JSON; null: reset
 *
 * e.g. key ["app-logs",{"dev":2049,"ino":1312}], value
 * {"path":"/var/log/app.log","fp":"1c2d...","pos":81920}.  The last
 * record per key wins (compaction keeps it); a tombstone forgets it.
 *
 * Opening reads the topic from its start to its end and keeps the last
 * value of each of this connector's keys.  put() changes the map in
 * memory; flush() writes the changed keys (acks=all) and returns once
 * they are acknowledged.  A source calls flush about once a second
 * (offset.flush.interval.ms) with positions it knows delivered
 * (record_writer.h), and once more when it stops.
 *
 * Single-threaded: one task uses its store.
 */
#ifndef SLOG_OFFSET_STORE_H
#define SLOG_OFFSET_STORE_H

#include <jansson.h>
#include <stdint.h>

#include "err.h"

struct offset_store;

/* brokers, the topic and the connector's name; reads the topic (above). */
int offset_store_open(const char *brokers, const char *topic, const char *connector,
		      int64_t deadline_ms, struct offset_store **out, struct err *e);
void offset_store_close(struct offset_store *s);

/* The offset saved for a source partition (borrowed), or NULL. */
json_t *offset_store_get(struct offset_store *s, json_t *partition);

/* Every (partition, offset) pair of the connector, as a JSON array of
 * {"partition":{...},"offset":{...}} (Connect's GET .../offsets shape;
 * new reference). */
json_t *offset_store_list(struct offset_store *s);

/* Set (offset taken; NULL: forget) the offset of a source partition. */
void offset_store_put(struct offset_store *s, json_t *partition, json_t *offset_take);

/* Forget every partition of the connector (offsets --reset). */
void offset_store_reset(struct offset_store *s);

/* Write what changed since the last flush; 0 once acknowledged. */
int offset_store_flush(struct offset_store *s, int64_t deadline_ms, struct err *e);

#endif
