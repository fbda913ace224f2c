/*
 * metrics.c: Prometheus text exposition.  See metrics.h.
 */
#include "metrics.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "broker.h"
#include "xalloc.h"

static const char *const api_names[API_COUNT_] = {
	"produce", "fetch", "offsets", "metadata", "admin", "groups", "health", "metrics", "other",
};

/* Upper bounds in seconds (Prometheus' "le"); the last bucket is +Inf. */
static const double bucket_le[] = { 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
				    0.025,  0.05,    0.1,    0.25,  0.5,    1,     2.5,  10 };
#define NBUCKETS (sizeof(bucket_le) / sizeof(bucket_le[0]))

/* Status classes counted separately: 2xx, 4xx, 5xx. */
struct api_stats {
	_Atomic uint64_t count[3];
	_Atomic uint64_t buckets[NBUCKETS + 1];
	_Atomic uint64_t sum_ns;
};

struct metrics {
	struct api_stats api[API_COUNT_];
};

struct metrics *metrics_new(void)
{
	return xcalloc(1, sizeof(struct metrics));
}

void metrics_free(struct metrics *m)
{
	free(m);
}

void metrics_request(struct metrics *m, enum api api, int status, int64_t duration_ns)
{
	struct api_stats *s = &m->api[api];
	double secs = (double)duration_ns / 1e9;
	size_t k = 0;

	s->count[status >= 500 ? 2 : status >= 400 ? 1 : 0]++;
	while (k < NBUCKETS && secs > bucket_le[k])
		k++;
	s->buckets[k]++;
	s->sum_ns += (uint64_t)(duration_ns > 0 ? duration_ns : 0);
}

static void render_requests(struct metrics *m, struct buf *out)
{
	static const char *const classes[3] = { "2xx", "4xx", "5xx" };

	buf_adds(out, "# HELP slog_requests_total HTTP requests answered, by API and status class.\n"
		      "# TYPE slog_requests_total counter\n");
	for (int a = 0; a < API_COUNT_; a++)
		for (int c = 0; c < 3; c++)
			buf_addf(out, "slog_requests_total{api=\"%s\",status=\"%s\"} %llu\n", api_names[a],
				 classes[c], (unsigned long long)m->api[a].count[c]);
	buf_adds(out, "# HELP slog_request_duration_seconds Time from request to answer, by API.\n"
		      "# TYPE slog_request_duration_seconds histogram\n");
	for (int a = 0; a < API_COUNT_; a++) {
		struct api_stats *s = &m->api[a];
		uint64_t cum = 0;
		for (size_t k = 0; k <= NBUCKETS; k++) {
			cum += s->buckets[k];
			if (k < NBUCKETS)
				buf_addf(out, "slog_request_duration_seconds_bucket{api=\"%s\",le=\"%g\"} %llu\n",
					 api_names[a], bucket_le[k], (unsigned long long)cum);
			else
				buf_addf(out, "slog_request_duration_seconds_bucket{api=\"%s\",le=\"+Inf\"} %llu\n",
					 api_names[a], (unsigned long long)cum);
		}
		buf_addf(out, "slog_request_duration_seconds_sum{api=\"%s\"} %.6f\n", api_names[a],
			 (double)s->sum_ns / 1e9);
		buf_addf(out, "slog_request_duration_seconds_count{api=\"%s\"} %llu\n", api_names[a],
			 (unsigned long long)cum);
	}
}

static void family(struct buf *out, const char *name, const char *type, const char *help)
{
	buf_addf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void render_topics(struct broker *b, struct buf *out)
{
	static const struct {
		const char *name, *help;
		size_t off;
	} counters[] = {
		{ "slog_topic_bytes_in_total", "Bytes appended to the topic.",
		  offsetof(struct partition, bytes_in) },
		{ "slog_topic_records_in_total", "Records appended to the topic.",
		  offsetof(struct partition, records_in) },
		{ "slog_topic_bytes_out_total", "Bytes of the topic sent to fetchers.",
		  offsetof(struct partition, bytes_out) },
		{ "slog_topic_records_out_total", "Records (offsets) of the topic sent to fetchers.",
		  offsetof(struct partition, records_out) },
	};

	for (size_t c = 0; c < sizeof(counters) / sizeof(counters[0]); c++) {
		family(out, counters[c].name, "counter", counters[c].help);
		for (size_t i = 0; i < b->ntopics; i++) {
			struct topic *t = b->topics[i];
			uint64_t sum = 0;
			for (int32_t p = 0; p < t->npart; p++)
				sum += *(_Atomic uint64_t *)((char *)t->parts[p] + counters[c].off);
			buf_addf(out, "%s{topic=\"%s\"} %llu\n", counters[c].name, t->name,
				 (unsigned long long)sum);
		}
	}
	family(out, "slog_partition_size_bytes", "gauge", "Bytes of the partition's log on disk.");
	for (size_t i = 0; i < b->ntopics; i++)
		for (int32_t p = 0; p < b->topics[i]->npart; p++)
			buf_addf(out, "slog_partition_size_bytes{topic=\"%s\",partition=\"%d\"} %llu\n",
				 b->topics[i]->name, p,
				 (unsigned long long)plog_size(b->topics[i]->parts[p]->log));
	family(out, "slog_partition_corrupt_ranges", "gauge",
	       "Damaged offset ranges kept in the partition's log (reads of them fail).");
	for (size_t i = 0; i < b->ntopics; i++)
		for (int32_t p = 0; p < b->topics[i]->npart; p++)
			buf_addf(out, "slog_partition_corrupt_ranges{topic=\"%s\",partition=\"%d\"} %zu\n",
				 b->topics[i]->name, p,
				 plog_damaged(b->topics[i]->parts[p]->log, NULL, NULL, 0));
	{
		static const char *const names[3] = { "slog_partition_log_start_offset",
						      "slog_partition_log_end_offset",
						      "slog_partition_high_watermark" };
		static const char *const helps[3] = { "First offset readers may fetch.",
						      "Offset the next record will get.",
						      "Offsets below this are committed." };
		/* Each family's samples follow its own header, as the format asks. */
		for (int k = 0; k < 3; k++) {
			family(out, names[k], "gauge", helps[k]);
			for (size_t i = 0; i < b->ntopics; i++) {
				struct topic *t = b->topics[i];
				for (int32_t p = 0; p < t->npart; p++) {
					int64_t v[3];
					plog_offsets(t->parts[p]->log, &v[0], &v[1]);
					v[2] = t->parts[p]->hw;
					buf_addf(out, "%s{topic=\"%s\",partition=\"%d\"} %lld\n", names[k],
						 t->name, p, (long long)v[k]);
				}
			}
		}
	}
}

/* A label value in the exposition format: \\, \" and \n escaped. */
static void label_value(struct buf *out, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			buf_addf(out, "\\%c", *s);
		else if (*s == '\n')
			buf_adds(out, "\\n");
		else
			buf_add(out, s, 1);
	}
}

static void render_log_dirs(struct broker *b, struct buf *out)
{
	long offline = 0;

	family(out, "slog_log_dir_offline", "gauge",
	       "1 when the log dir went offline after a failed fsync, else 0.");
	for (size_t i = 0; i < b->dirs.n; i++) {
		buf_adds(out, "slog_log_dir_offline{dir=\"");
		label_value(out, b->dirs.v[i].path);
		buf_addf(out, "\"} %d\n", dir_health_offline(&b->dirs.v[i].health) ? 1 : 0);
	}
	for (size_t i = 0; i < b->ntopics; i++)
		for (int32_t p = 0; p < b->topics[i]->npart; p++)
			offline += plog_offline(b->topics[i]->parts[p]->log);
	family(out, "slog_offline_partitions", "gauge",
	       "Partitions that take no writes: their log dir is offline, or they failed alone.");
	buf_addf(out, "slog_offline_partitions %ld\n", offline);
}

static void render_process(struct broker *b, struct buf *out)
{
	struct rusage ru;
	long rss_pages = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (f) {
		long size;
		if (fscanf(f, "%ld %ld", &size, &rss_pages) != 2)
			rss_pages = 0;
		fclose(f);
	}
	getrusage(RUSAGE_SELF, &ru);
	family(out, "process_resident_memory_bytes", "gauge", "Resident memory.");
	buf_addf(out, "process_resident_memory_bytes %ld\n", rss_pages * sysconf(_SC_PAGESIZE));
	family(out, "process_cpu_seconds_total", "counter", "User and system CPU time.");
	buf_addf(out, "process_cpu_seconds_total %.3f\n",
		 (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
			 (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6);
	family(out, "process_start_time_seconds", "gauge", "When the broker started (Unix time).");
	buf_addf(out, "process_start_time_seconds %.3f\n", (double)b->started_ms / 1000);
}

void metrics_render(struct metrics *m, struct broker *b, struct buf *out)
{
	render_requests(m, out);
	render_topics(b, out);
	render_log_dirs(b, out);
	render_process(b, out);
}
