/*
 * metrics.h: one connector's counters, read by /metrics.
 *
 * Tasks count as they go (atomics: the REST thread reads while tasks
 * write); gauges with a label (a file's lag, a partition's) sit in a
 * small table under a mutex, set at most a few times a second.
 *
 * /metrics prints them as Prometheus text, each with the label
 * connector="<name>":
 *
 *   slog_connect_records_total        records delivered (source: acked by
 *                                     slog; sink: written out)
 *   slog_connect_bytes_total          their key and value bytes
 *   slog_connect_errors_total{stage}  failures by stage (error_policy.h)
 *   slog_connect_dead_letter_total    records sent to the dead-letter topic
 *   slog_connect_skipped_total        records skipped (tolerance all, no topic)
 *   slog_connect_retries_total        operations retried
 *   slog_connect_restarts_total       task restarts after a failure
 *   slog_connect_connector_state      1 for the state it is in ({state})
 *   slog_connect_batch_latency_seconds  read -> acknowledged / written (histogram)
 *   slog_connect_source_lag_bytes{file}, slog_connect_sink_lag_records{topic,partition},
 *   slog_connect_mirror_lag_records{topic,partition}, slog_connect_mirror_latency_seconds
 */
#ifndef SLOG_CONNECT_METRICS_H
#define SLOG_CONNECT_METRICS_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "buf.h"

#define METRICS_STAGES 6       /* enum connect_stage */
#define METRICS_LATENCY_BUCKETS 12

struct metrics_gauge {
	char *name;            /* "source_lag_bytes" (owned) */
	char *labels;          /* file="/var/log/a.log" (escaped; owned) */
	int64_t value;
	double fvalue;         /* for seconds; used when is_float */
	int is_float;
};

struct connect_metrics {
	atomic_llong records, bytes, dead_letter, skipped, retries, restarts;
	atomic_llong errors[METRICS_STAGES];
	atomic_llong latency_count, latency_sum_us;
	atomic_llong latency_buckets[METRICS_LATENCY_BUCKETS];
	pthread_mutex_t lock;  /* guards gauges */
	struct metrics_gauge *gauges;
	size_t ngauges, gauges_cap;
};

void metrics_init(struct connect_metrics *m);
void metrics_destroy(struct connect_metrics *m);

/* Count n records of bytes delivered. */
void metrics_delivered(struct connect_metrics *m, int64_t n, int64_t bytes);
void metrics_error(struct connect_metrics *m, int stage);
/* One record's time from read to delivered, in microseconds.  The
 * histogram's upper bounds, in seconds: 0.005 0.01 0.025 0.05 0.1 0.25
 * 0.5 1 2.5 5 10 30, then +Inf. */
void metrics_latency(struct connect_metrics *m, int64_t us);
/* n records that each took us (a batch acknowledged at once). */
void metrics_latency_n(struct connect_metrics *m, int64_t us, int64_t n);

/* Set a labelled gauge (labels as Prometheus writes them, or ""). */
void metrics_gauge(struct connect_metrics *m, const char *name, const char *labels, int64_t v);
void metrics_gauge_seconds(struct connect_metrics *m, const char *name, const char *labels,
			   double seconds);
/* Append name="value" to labels (a comma first when labels is not
 * empty), value escaped as Prometheus reads it: for metrics_gauge(). */
void metrics_label(struct buf *labels, const char *name, const char *value);
/* Forget a gauge (a file no longer followed, a partition given up). */
void metrics_gauge_drop(struct connect_metrics *m, const char *name, const char *labels);

/* Append this connector's lines (without HELP/TYPE lines) to out. */
void metrics_render(struct connect_metrics *m, const char *connector, const char *state,
		    struct buf *out);
/* The HELP and TYPE lines, once per page. */
void metrics_render_help(struct buf *out);
/*
 * A whole /metrics page from the lines of every connector (as
 * metrics_render wrote them, one connector after another; '#' lines are
 * dropped): each metric's lines together under its HELP and TYPE, as
 * the text format wants a metric in one group.
 */
void metrics_page(const char *lines, struct buf *out);

#endif
