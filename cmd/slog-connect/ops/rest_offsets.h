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

#include <jansson.h>

struct worker;
struct http_req;

/*
 * A worker view (worker_status, worker_info) or NULL when there is no such
 * connector, whether the worker said so with NULL or with JSON null.
 */
json_t *rest_found(json_t *view);

/* Answer r, a request on /connectors/{name}/offsets. */
void rest_offsets(struct worker *w, struct http_req *r, const char *name);

#endif
