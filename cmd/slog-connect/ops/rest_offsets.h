/*
 * rest_offsets.h: GET, PATCH and DELETE /connectors/{c}/offsets, as
 * Kafka Connect has them since KIP-875.
 *
 * A source's offsets are its records in the offset topic
 * (offset_store.h): {"partition":{...},"offset":{...}}.  A sink's are
 * the committed offsets of its group connect-<name>, in Connect's sink
 * form {"partition":{"kafka_topic","kafka_partition"},
 * "offset":{"kafka_offset"}}.  Changing them (PATCH, DELETE) is refused
 * with 400 unless the connector is STOPPED (PUT .../stop), as in
 * Connect: a running task would write its own progress over them.
 *
 * Each call talks to the cluster (bounded by 15 s) on the REST thread.
 */
#ifndef SLOG_CONNECT_REST_OFFSETS_H
#define SLOG_CONNECT_REST_OFFSETS_H

struct worker;
struct http_req;

/* Answer r, a request on /connectors/{name}/offsets. */
void rest_offsets(struct worker *w, struct http_req *r, const char *name);

#endif
