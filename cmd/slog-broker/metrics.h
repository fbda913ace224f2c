/*
 * metrics.h: counters and latency histograms for /metrics.
 *
 * Request counts and latency histograms are kept per API (produce,
 * fetch, ...) with lock-free atomic counters, updated once per request
 * when it completes.  Per-topic traffic lives in each partition's
 * counters (broker.h) and is summed when /metrics is scraped, along with
 * partition sizes and offsets: a scrape costs work proportional to the
 * partitions, a request costs a few atomic adds.
 */
#ifndef SLOG_METRICS_H
#define SLOG_METRICS_H

#include <stdint.h>

#include "buf.h"

enum api {
	API_PRODUCE,
	API_FETCH,
	API_OFFSETS,
	API_METADATA,
	API_ADMIN,
	API_GROUPS,
	API_HEALTH,
	API_METRICS,
	API_OTHER,
	API_COUNT_
};

struct broker;
struct metrics;

struct metrics *metrics_new(void);
void metrics_free(struct metrics *m);

/* One finished request: its API, HTTP status and duration. */
void metrics_request(struct metrics *m, enum api api, int status, int64_t duration_ns);

/* The Prometheus text exposition of everything; meta_lock held for reading. */
void metrics_render(struct metrics *m, struct broker *b, struct buf *out);

#endif
