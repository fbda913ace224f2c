/*
 * test_metrics.c: a connector's counters, gauges and latency histogram
 * come out as Prometheus text, and stay right under concurrent writers.
 */
#include <pthread.h>
#include <string.h>

#include "runtime/error_policy.h"
#include "runtime/metrics.h"
#include "unit.h"

/* The stage names come from error_policy.c, which this branch does not
 * have yet; Kafka's names, as that file gives them. */
static int has_line(const struct buf *b, const char *line)
{
	size_t n = strlen(line);
	const char *p = buf_cstr(b);
	while ((p = strstr(p, line)) != NULL) {
		if ((p == buf_cstr(b) || p[-1] == '\n') && (p[n] == '\n' || p[n] == '\0'))
			return 1;
		p += n;
	}
	return 0;
}

static void test_counters_print_with_the_connector_label(void)
{
	struct connect_metrics m;
	struct buf out = BUF_INIT;
	metrics_init(&m);
	metrics_delivered(&m, 3, 120);
	metrics_delivered(&m, 2, 30);
	metrics_error(&m, STAGE_TRANSFORMATION);
	atomic_fetch_add(&m.dead_letter, 1);
	atomic_fetch_add(&m.restarts, 2);
	metrics_render(&m, "app-logs", "RUNNING", &out);
	CHECK(has_line(&out, "slog_connect_records_total{connector=\"app-logs\"} 5"));
	CHECK(has_line(&out, "slog_connect_bytes_total{connector=\"app-logs\"} 150"));
	CHECK(has_line(&out, "slog_connect_errors_total{connector=\"app-logs\",stage=\"TRANSFORMATION\"} 1"));
	CHECK(has_line(&out, "slog_connect_errors_total{connector=\"app-logs\",stage=\"TASK_POLL\"} 0"));
	CHECK(has_line(&out, "slog_connect_dead_letter_total{connector=\"app-logs\"} 1"));
	CHECK(has_line(&out, "slog_connect_restarts_total{connector=\"app-logs\"} 2"));
	CHECK(has_line(&out, "slog_connect_connector_state{connector=\"app-logs\",state=\"RUNNING\"} 1"));
	buf_free(&out);
	metrics_destroy(&m);
}

static void test_latency_buckets_are_cumulative(void)
{
	struct connect_metrics m;
	struct buf out = BUF_INIT;
	metrics_init(&m);
	metrics_latency(&m, 1000);      /* 1 ms: first bucket */
	metrics_latency(&m, 200000);    /* 0.2 s */
	metrics_latency(&m, 60000000);  /* 60 s: only +Inf */
	metrics_render(&m, "c", NULL, &out);
	CHECK(has_line(&out, "slog_connect_batch_latency_seconds_bucket{connector=\"c\",le=\"0.005\"} 1"));
	CHECK(has_line(&out, "slog_connect_batch_latency_seconds_bucket{connector=\"c\",le=\"0.1\"} 1"));
	CHECK(has_line(&out, "slog_connect_batch_latency_seconds_bucket{connector=\"c\",le=\"0.25\"} 2"));
	CHECK(has_line(&out, "slog_connect_batch_latency_seconds_bucket{connector=\"c\",le=\"30\"} 2"));
	CHECK(has_line(&out, "slog_connect_batch_latency_seconds_bucket{connector=\"c\",le=\"+Inf\"} 3"));
	CHECK(has_line(&out, "slog_connect_batch_latency_seconds_count{connector=\"c\"} 3"));
	CHECK(has_line(&out, "slog_connect_batch_latency_seconds_sum{connector=\"c\"} 60.201000"));
	CHECK(strstr(buf_cstr(&out), "connector_state") == NULL);
	buf_free(&out);
	metrics_destroy(&m);
}

static void test_gauges_are_set_replaced_and_dropped(void)
{
	struct connect_metrics m;
	struct buf out = BUF_INIT, lab = BUF_INIT;
	metrics_init(&m);
	metrics_label(&lab, "file", "/var/log/a \"b\"\\c\n");
	CHECK(strcmp(buf_cstr(&lab), "file=\"/var/log/a \\\"b\\\"\\\\c\\n\"") == 0);
	metrics_gauge(&m, "source_lag_bytes", buf_cstr(&lab), 10);
	metrics_gauge(&m, "source_lag_bytes", buf_cstr(&lab), 7);
	metrics_gauge(&m, "source_lag_bytes", "file=\"/b\"", 1);
	metrics_gauge_seconds(&m, "mirror_latency_seconds", "", 0.25);
	metrics_render(&m, "c", "PAUSED", &out);
	CHECK(has_line(&out, "slog_connect_source_lag_bytes{connector=\"c\",file=\"/var/log/a \\\"b\\\"\\\\c\\n\"} 7"));
	CHECK(has_line(&out, "slog_connect_source_lag_bytes{connector=\"c\",file=\"/b\"} 1"));
	CHECK(has_line(&out, "slog_connect_mirror_latency_seconds{connector=\"c\"} 0.250000"));
	metrics_gauge_drop(&m, "source_lag_bytes", buf_cstr(&lab));
	buf_reset(&out);
	metrics_render(&m, "c", "PAUSED", &out);
	CHECK(strstr(buf_cstr(&out), "/var/log/a") == NULL);
	CHECK(has_line(&out, "slog_connect_source_lag_bytes{connector=\"c\",file=\"/b\"} 1"));
	buf_free(&lab);
	buf_free(&out);
	metrics_destroy(&m);
}

static void test_help_names_each_metric_once(void)
{
	struct buf out = BUF_INIT;
	metrics_render_help(&out);
	CHECK(has_line(&out, "# TYPE slog_connect_records_total counter"));
	CHECK(has_line(&out, "# TYPE slog_connect_batch_latency_seconds histogram"));
	CHECK(has_line(&out, "# TYPE slog_connect_source_lag_bytes gauge"));
	const char *p = strstr(buf_cstr(&out), "# HELP slog_connect_records_total ");
	REQUIRE(p != NULL);
	CHECK(strstr(p + 1, "# HELP slog_connect_records_total ") == NULL);
	buf_free(&out);
}

static void *count_many(void *arg)
{
	struct connect_metrics *m = arg;
	for (int i = 0; i < 100000; i++) {
		metrics_delivered(m, 1, 10);
		metrics_latency(m, 100);
		if (i % 1000 == 0)
			metrics_gauge(m, "sink_lag_records", "topic=\"t\",partition=\"0\"", i);
	}
	return NULL;
}

static void test_concurrent_writers_lose_no_count(void)
{
	struct connect_metrics m;
	pthread_t th[4];
	metrics_init(&m);
	for (int i = 0; i < 4; i++)
		pthread_create(&th[i], NULL, count_many, &m);
	for (int i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	CHECK_EQ(atomic_load(&m.records), 400000);
	CHECK_EQ(atomic_load(&m.bytes), 4000000);
	CHECK_EQ(atomic_load(&m.latency_count), 400000);
	CHECK_EQ(m.ngauges, 1);
	metrics_destroy(&m);
}

int main(void)
{
	unit_run("counters print with the connector label", test_counters_print_with_the_connector_label);
	unit_run("latency buckets are cumulative", test_latency_buckets_are_cumulative);
	unit_run("gauges are set, replaced and dropped", test_gauges_are_set_replaced_and_dropped);
	unit_run("help names each metric once", test_help_names_each_metric_once);
	unit_run("concurrent writers lose no count", test_concurrent_writers_lose_no_count);
	return unit_done();
}
