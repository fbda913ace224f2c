/*
 * metrics.c: a connector's counters and gauges, printed as Prometheus
 * text for /metrics.
 *
 * Counters are atomics with relaxed order: each is a total on its own,
 * and a scrape that sees records a moment before bytes is still true of
 * some instant close by.  The histogram keeps a count per bucket (not
 * cumulative), so one record costs one increment; rendering sums them
 * into Prometheus's cumulative le= buckets.  Gauges carry labels chosen
 * at run time (a file, a partition), so they live in a small table under
 * the mutex; they are set a few times a second, never per record.
 */
#include "runtime/metrics.h"

#include <stdlib.h>
#include <string.h>

#include "runtime/error_policy.h"
#include "xalloc.h"

static const double latency_bounds[METRICS_LATENCY_BUCKETS] = {
	0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30,
};

void metrics_init(struct connect_metrics *m)
{
	memset(m, 0, sizeof(*m));
	pthread_mutex_init(&m->lock, NULL);
}

void metrics_destroy(struct connect_metrics *m)
{
	for (size_t i = 0; i < m->ngauges; i++) {
		free(m->gauges[i].name);
		free(m->gauges[i].labels);
	}
	free(m->gauges);
	m->gauges = NULL;
	m->ngauges = m->gauges_cap = 0;
	pthread_mutex_destroy(&m->lock);
}

void metrics_delivered(struct connect_metrics *m, int64_t n, int64_t bytes)
{
	atomic_fetch_add_explicit(&m->records, n, memory_order_relaxed);
	atomic_fetch_add_explicit(&m->bytes, bytes, memory_order_relaxed);
}

void metrics_error(struct connect_metrics *m, int stage)
{
	if (stage < 0 || stage >= METRICS_STAGES)
		stage = STAGE_TASK_POLL;
	atomic_fetch_add_explicit(&m->errors[stage], 1, memory_order_relaxed);
}

void metrics_latency_n(struct connect_metrics *m, int64_t us, int64_t n)
{
	if (us < 0)
		us = 0;
	double s = (double)us / 1e6;
	for (int i = 0; i < METRICS_LATENCY_BUCKETS; i++) {
		if (s <= latency_bounds[i]) {
			atomic_fetch_add_explicit(&m->latency_buckets[i], n, memory_order_relaxed);
			break;
		}
	}
	/* Beyond the last bound only count and sum grow: that is +Inf. */
	atomic_fetch_add_explicit(&m->latency_sum_us, us * n, memory_order_relaxed);
	atomic_fetch_add_explicit(&m->latency_count, n, memory_order_relaxed);
}

void metrics_latency(struct connect_metrics *m, int64_t us)
{
	metrics_latency_n(m, us, 1);
}

/* The gauge (name, labels), created when missing; under the lock. */
static struct metrics_gauge *gauge_slot(struct connect_metrics *m, const char *name,
					const char *labels, int create)
{
	for (size_t i = 0; i < m->ngauges; i++) {
		struct metrics_gauge *g = &m->gauges[i];
		if (strcmp(g->name, name) == 0 && strcmp(g->labels, labels) == 0)
			return g;
	}
	if (!create)
		return NULL;
	if (m->ngauges == m->gauges_cap) {
		m->gauges_cap = m->gauges_cap ? m->gauges_cap * 2 : 8;
		m->gauges = xrealloc(m->gauges, m->gauges_cap * sizeof(*m->gauges));
	}
	struct metrics_gauge *g = &m->gauges[m->ngauges++];
	memset(g, 0, sizeof(*g));
	g->name = xstrdup(name);
	g->labels = xstrdup(labels);
	return g;
}

void metrics_gauge(struct connect_metrics *m, const char *name, const char *labels, int64_t v)
{
	pthread_mutex_lock(&m->lock);
	struct metrics_gauge *g = gauge_slot(m, name, labels ? labels : "", 1);
	g->value = v;
	g->is_float = 0;
	pthread_mutex_unlock(&m->lock);
}

void metrics_gauge_seconds(struct connect_metrics *m, const char *name, const char *labels,
			   double seconds)
{
	pthread_mutex_lock(&m->lock);
	struct metrics_gauge *g = gauge_slot(m, name, labels ? labels : "", 1);
	g->fvalue = seconds;
	g->is_float = 1;
	pthread_mutex_unlock(&m->lock);
}

void metrics_gauge_drop(struct connect_metrics *m, const char *name, const char *labels)
{
	pthread_mutex_lock(&m->lock);
	struct metrics_gauge *g = gauge_slot(m, name, labels ? labels : "", 0);
	if (g) {
		free(g->name);
		free(g->labels);
		*g = m->gauges[--m->ngauges];
	}
	pthread_mutex_unlock(&m->lock);
}

/* Prometheus's label value escapes: backslash, double quote, newline. */
static void add_escaped(struct buf *b, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			buf_addc(b, '\\');
		if (*s == '\n') {
			buf_adds(b, "\\n");
			continue;
		}
		buf_addc(b, *s);
	}
}

void metrics_label(struct buf *labels, const char *name, const char *value)
{
	if (labels->len)
		buf_addc(labels, ',');
	buf_addf(labels, "%s=\"", name);
	add_escaped(labels, value);
	buf_addc(labels, '"');
}

static int64_t load(atomic_llong *a)
{
	return atomic_load_explicit(a, memory_order_relaxed);
}

/* One line: slog_connect_<name>{connector="c"[,extra]} value. */
static void line_start(struct buf *out, const char *name, const char *connector,
		       const char *extra)
{
	buf_addf(out, "slog_connect_%s{connector=\"", name);
	add_escaped(out, connector);
	buf_addc(out, '"');
	if (extra && *extra) {
		buf_addc(out, ',');
		buf_adds(out, extra);
	}
	buf_adds(out, "} ");
}

static void counter(struct buf *out, const char *name, const char *connector, int64_t v)
{
	line_start(out, name, connector, NULL);
	buf_addf(out, "%lld\n", (long long)v);
}

static void render_latency(struct connect_metrics *m, const char *connector, struct buf *out)
{
	int64_t cum = 0;
	char le[48];
	for (int i = 0; i < METRICS_LATENCY_BUCKETS; i++) {
		cum += load(&m->latency_buckets[i]);
		snprintf(le, sizeof(le), "le=\"%g\"", latency_bounds[i]);
		line_start(out, "batch_latency_seconds_bucket", connector, le);
		buf_addf(out, "%lld\n", (long long)cum);
	}
	/* Read count after the buckets: +Inf never falls below the last bucket. */
	int64_t count = load(&m->latency_count);
	if (count < cum)
		count = cum;
	line_start(out, "batch_latency_seconds_bucket", connector, "le=\"+Inf\"");
	buf_addf(out, "%lld\n", (long long)count);
	line_start(out, "batch_latency_seconds_sum", connector, NULL);
	buf_addf(out, "%.6f\n", (double)load(&m->latency_sum_us) / 1e6);
	counter(out, "batch_latency_seconds_count", connector, count);
}

static void render_gauges(struct connect_metrics *m, const char *connector, struct buf *out)
{
	pthread_mutex_lock(&m->lock);
	for (size_t i = 0; i < m->ngauges; i++) {
		const struct metrics_gauge *g = &m->gauges[i];
		line_start(out, g->name, connector, g->labels);
		if (g->is_float)
			buf_addf(out, "%.6f\n", g->fvalue);
		else
			buf_addf(out, "%lld\n", (long long)g->value);
	}
	pthread_mutex_unlock(&m->lock);
}

void metrics_render(struct connect_metrics *m, const char *connector, const char *state,
		    struct buf *out)
{
	counter(out, "records_total", connector, load(&m->records));
	counter(out, "bytes_total", connector, load(&m->bytes));
	for (int s = 0; s < METRICS_STAGES; s++) {
		struct buf lab = BUF_INIT;
		metrics_label(&lab, "stage", connect_stage_name((enum connect_stage)s));
		line_start(out, "errors_total", connector, buf_cstr(&lab));
		buf_addf(out, "%lld\n", (long long)load(&m->errors[s]));
		buf_free(&lab);
	}
	counter(out, "dead_letter_total", connector, load(&m->dead_letter));
	counter(out, "skipped_total", connector, load(&m->skipped));
	counter(out, "retries_total", connector, load(&m->retries));
	counter(out, "restarts_total", connector, load(&m->restarts));
	if (state) {
		struct buf lab = BUF_INIT;
		metrics_label(&lab, "state", state);
		line_start(out, "connector_state", connector, buf_cstr(&lab));
		buf_adds(out, "1\n");
		buf_free(&lab);
	}
	render_latency(m, connector, out);
	render_gauges(m, connector, out);
}

static const struct {
	const char *name, *type, *help;
} metric_docs[] = {
	{ "records_total", "counter", "Records delivered (source: acknowledged by slog; sink: written out)." },
	{ "bytes_total", "counter", "Key and value bytes of the records delivered." },
	{ "errors_total", "counter", "Failures, by the stage they happened in." },
	{ "dead_letter_total", "counter", "Records sent to the dead-letter topic." },
	{ "skipped_total", "counter", "Records skipped by errors.tolerance=all without a dead-letter topic." },
	{ "retries_total", "counter", "Operations retried." },
	{ "restarts_total", "counter", "Task restarts after a failure." },
	{ "connector_state", "gauge", "1 for the state the connector is in." },
	{ "batch_latency_seconds", "histogram", "Time from a record read to its delivery." },
	{ "source_lag_bytes", "gauge", "Bytes of a followed file not yet acknowledged by the cluster." },
	{ "sink_lag_records", "gauge", "Records of a partition not yet written out." },
	{ "mirror_lag_records", "gauge", "Records of a source partition not yet mirrored." },
	{ "mirror_latency_seconds", "gauge", "Age of the last mirrored record when it was appended." },
};

void metrics_render_help(struct buf *out)
{
	for (size_t i = 0; i < sizeof(metric_docs) / sizeof(metric_docs[0]); i++) {
		buf_addf(out, "# HELP slog_connect_%s %s\n", metric_docs[i].name, metric_docs[i].help);
		buf_addf(out, "# TYPE slog_connect_%s %s\n", metric_docs[i].name, metric_docs[i].type);
	}
}

static int suffix_is(const char *s, size_t len, const char *suffix)
{
	return len == strlen(suffix) && strncmp(s, suffix, len) == 0;
}

/* The documented family a sample line belongs to (-1: none). */
static int line_family(const char *line, size_t len)
{
	const char *prefix = "slog_connect_";
	size_t plen = strlen(prefix), name_len = strcspn(line, "{ ");

	if (name_len > len || name_len < plen || strncmp(line, prefix, plen) != 0)
		return -1;
	line += plen;
	name_len -= plen;
	for (size_t i = 0; i < sizeof(metric_docs) / sizeof(metric_docs[0]); i++) {
		size_t n = strlen(metric_docs[i].name);
		if (name_len < n || strncmp(line, metric_docs[i].name, n) != 0)
			continue;
		const char *rest = line + n;
		size_t rest_len = name_len - n;
		if (rest_len == 0)
			return (int)i;
		if (strcmp(metric_docs[i].type, "histogram") == 0 &&
		    (suffix_is(rest, rest_len, "_bucket") || suffix_is(rest, rest_len, "_sum") ||
		     suffix_is(rest, rest_len, "_count")))
			return (int)i;
	}
	return -1;
}

/* Append the lines of family fam (-1: of no documented family). */
static int page_family(const char *lines, int fam, struct buf *out)
{
	int any = 0;
	for (const char *p = lines; *p;) {
		size_t len = strcspn(p, "\n");
		if (len && *p != '#' && line_family(p, len) == fam) {
			if (!any && fam >= 0) {
				buf_addf(out, "# HELP slog_connect_%s %s\n", metric_docs[fam].name,
					 metric_docs[fam].help);
				buf_addf(out, "# TYPE slog_connect_%s %s\n", metric_docs[fam].name,
					 metric_docs[fam].type);
			}
			any = 1;
			buf_add(out, p, len);
			buf_addc(out, '\n');
		}
		p += len + (p[len] == '\n');
	}
	return any;
}

void metrics_page(const char *lines, struct buf *out)
{
	for (size_t i = 0; i < sizeof(metric_docs) / sizeof(metric_docs[0]); i++)
		page_family(lines, (int)i, out);
	page_family(lines, -1, out);
}
