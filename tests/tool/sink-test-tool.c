/*
 * sink-test-tool: the consumer engine (consumer.h) and slog-connect's
 * sink loop (sink_run, runtime/sink_runner.c) with a sink whose
 * behaviour the test controls, for tests/54-consumer-sink.bats and
 * tests/74-connect-sink-runner.bats.
 *
 * The test sink keeps each record put and writes it on stdout only when
 * flushed, a line "TOPIC-P OFFSET KEY VALUE" (null as NULL), so stdout is
 * what a commit may cover; a partition given up is "released TOPIC-P" on
 * stderr.  Both modes run until SIGTERM; exit 1 with the error when the
 * engine or the task failed.
 *
 *   sink-test-tool engine [--fail-flush] [--batches] [--regex RE]
 *                  [--refresh-ms MS] [--commit-ms MS] BROKERS GROUP [TOPIC...]
 *       the engine as a member of GROUP with the test sink; --batches: it
 *       takes whole batches, a line "TOPIC-P batch BASE LAST" each; the
 *       engine's log lines go to stderr as "log LEVEL: ..."
 *   sink-test-tool task [-w KEY=VALUE]... FILE
 *       one task of the connector FILE, of class test-sink (registered
 *       here, never in the program; test.fail.flush = true fails every
 *       flush); -w sets the worker's keys.  At the end it prints the
 *       gauges ("gauge NAME{LABELS} N") and counters on stderr.
 */
#include <regex.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "batch.h"
#include "buf.h"
#include "clock.h"
#include "cluster_client.h"
#include "consumer.h"
#include "log.h"
#include "runtime/connector.h"
#include "runtime/connector_conf.h"
#include "runtime/error_policy.h"
#include "runtime/metrics.h"
#include "runtime/sink.h"
#include "transforms/transform.h"
#include "units.h"
#include "xalloc.h"

struct test_sink {
	struct buf pending;
	int fail_flush;
};

static void add_bytes(struct buf *b, const void *p, int32_t len)
{
	if (len < 0)
		buf_adds(b, "NULL");
	else
		buf_add(b, p ? p : "", (size_t)len);
}

static void add_line(struct buf *b, const char *topic, int32_t partition, int64_t offset,
		     const void *key, int32_t klen, const void *value, int32_t vlen)
{
	buf_addf(b, "%s-%d %lld ", topic, partition, (long long)offset);
	add_bytes(b, key, klen);
	buf_addc(b, ' ');
	add_bytes(b, value, vlen);
	buf_addc(b, '\n');
}

static int sink_flush(void *arg, struct err *e)
{
	struct test_sink *s = arg;

	if (s->fail_flush)
		return err_set(e, SLOG_EUNKNOWN, "the test sink refuses to flush");
	fwrite(s->pending.data ? s->pending.data : "", 1, s->pending.len, stdout);
	fflush(stdout);
	buf_reset(&s->pending);
	return 0;
}

static void sink_release(void *arg, const char *topic, int32_t partition)
{
	(void)arg;
	fprintf(stderr, "released %s-%d\n", topic, partition);
}

static volatile sig_atomic_t stop_flag;
static volatile sig_atomic_t *stop_ptr = &stop_flag;

static void on_term(int sig)
{
	(void)sig;
	*stop_ptr = 1;
}

static int fail(const char *what, const struct err *e)
{
	fprintf(stderr, "sink-test-tool: %s: %s\n", what, e->msg);
	return 1;
}

/* ---- engine: the consumer engine with the test sink ---- */

static int engine_put(void *arg, const char *topic, int32_t partition, const struct record *r,
		      struct err *e)
{
	struct test_sink *s = arg;

	(void)e;
	add_line(&s->pending, topic, partition, r->offset, r->key, r->key_len, r->value,
		 r->value_len);
	return 0;
}

static int engine_put_batch(void *arg, const char *topic, int32_t partition, const uint8_t *p,
			    size_t len, struct err *e)
{
	struct test_sink *s = arg;
	struct batch_header h;

	if (batch_next_in(p, len, &h, e))
		return e->code;
	buf_addf(&s->pending, "%s-%d batch %lld %lld\n", topic, partition,
		 (long long)h.base_offset, (long long)batch_last_offset(&h));
	return 0;
}

static void engine_log(void *arg, int level, const char *msg)
{
	(void)arg;
	fprintf(stderr, "log %d: %s\n", level, msg);
}

/* The options before BROKERS; the index of BROKERS, or -1. */
static int engine_args(int argc, char **argv, struct consumer_opts *o, struct consumer_sink *sink,
		       struct test_sink *ts, regex_t *re)
{
	int i;

	for (i = 0; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
		if (strcmp(argv[i], "--fail-flush") == 0)
			ts->fail_flush = 1;
		else if (strcmp(argv[i], "--batches") == 0)
			sink->put_batch = engine_put_batch;
		else if (i + 1 < argc && strcmp(argv[i], "--regex") == 0 &&
			 regcomp(re, argv[i + 1], REG_EXTENDED | REG_NOSUB) == 0)
			o->topics_regex = re, o->topics_pattern = argv[++i];
		else if (i + 1 < argc && strcmp(argv[i], "--refresh-ms") == 0 &&
			 units_parse_int(argv[++i], 1, 3600000, &o->topics_refresh_ms, NULL) == 0)
			continue;
		else if (i + 1 < argc && strcmp(argv[i], "--commit-ms") == 0 &&
			 units_parse_int(argv[++i], 1, 3600000, &o->commit_interval_ms, NULL) == 0)
			continue;
		else
			return -1;
	}
	return argc - i < 2 || (argc - i < 3 && !o->topics_regex) ? -1 : i;
}

static int engine(int argc, char **argv)
{
	struct consumer_opts o = { .timeout_ms = 30000, .max_bytes = 1 << 20,
				   .commit_interval_ms = 5000, .client_id = "sink-test-tool",
				   .start = { .kind = OFF_BEGINNING, .stop_ts = -1, .stop_offset = -1 },
				   .log = engine_log };
	struct test_sink ts = { .pending = BUF_INIT };
	struct consumer_sink sink = { .arg = &ts, .put = engine_put, .flush = sink_flush,
				      .release = sink_release };
	struct cluster cl;
	regex_t re;
	struct err e;
	int i = engine_args(argc, argv, &o, &sink, &ts, &re), rc;

	if (i < 0)
		return 2;
	o.group = argv[i + 1];
	o.topics = (const char **)argv + i + 2;
	o.ntopics = argc - i - 2;
	o.sink = &sink;
	rc = cluster_connect(&cl, argv[i], clock_mono_ms() + o.timeout_ms, &e);
	if (!rc) {
		rc = consumer_run(&cl, &o, &stop_flag, &e);
		cluster_close(&cl);
	}
	if (o.topics_regex)
		regfree(&re);
	buf_free(&ts.pending);
	return rc ? fail("engine", &e) : 0;
}

/* ---- task: the sink loop with the test-sink class ---- */

static int ts_open(struct connect_task *t, void **state, struct err *e)
{
	struct test_sink *s = xcalloc(1, sizeof(*s));

	(void)e;
	s->pending = (struct buf)BUF_INIT;
	s->fail_flush = cc_bool(t->cc, "test.fail.flush");
	*state = s;
	return 0;
}

static int ts_put(void *state, const struct crec *r, struct err *e)
{
	struct test_sink *s = state;

	(void)e;
	add_line(&s->pending, r->topic.data, r->partition, r->offset, r->key.data,
		 r->null_key ? -1 : (int32_t)r->key.len, r->value.data,
		 r->null_value ? -1 : (int32_t)r->value.len);
	return 0;
}

static void ts_close(void *state)
{
	struct test_sink *s = state;

	buf_free(&s->pending);
	free(s);
}

static const struct sink_ops ts_ops = { ts_open, ts_put, sink_flush, sink_release, ts_close };

static const struct conf_def ts_keys[] = {
	{ "test.fail.flush", CONF_BOOL, "false", 0, 0, 0, NULL, "every flush fails" },
};

static const struct connector_class test_sink_class = {
	.name = "test-sink",
	.kind = CONNECTOR_SINK,
	.keys = ts_keys,
	.nkeys = sizeof(ts_keys) / sizeof(ts_keys[0]),
	.sink = &ts_ops,
};

static struct connect_task task;

static void print_counters(struct connect_metrics *m)
{
	pthread_mutex_lock(&m->lock);
	for (size_t i = 0; i < m->ngauges; i++)
		fprintf(stderr, "gauge %s{%s} %lld\n", m->gauges[i].name, m->gauges[i].labels,
			(long long)m->gauges[i].value);
	pthread_mutex_unlock(&m->lock);
	fprintf(stderr, "records %lld dead_letter %lld skipped %lld transform_errors %lld\n",
		(long long)atomic_load(&m->records), (long long)atomic_load(&m->dead_letter),
		(long long)atomic_load(&m->skipped),
		(long long)atomic_load(&m->errors[STAGE_TRANSFORMATION]));
}

static int run_task(struct connector_conf *cc, struct worker_conf *wc)
{
	struct connect_metrics m;
	struct err e;
	int rc;

	metrics_init(&m);
	task.cc = cc;
	task.wc = wc;
	task.metrics = &m;
	rc = transform_chain_new(cc, 0, &task.chain, &e);
	if (rc) {
		metrics_destroy(&m);
		return fail("transforms", &e);
	}
	task.errors = error_policy_new(&task, &e);
	rc = task.errors ? sink_run(&task, &e) : e.code;
	print_counters(&m);
	error_policy_free(task.errors);
	transform_chain_free(task.chain);
	metrics_destroy(&m);
	return rc ? fail("task", &e) : 0;
}

static int task_main(int argc, char **argv)
{
	const char *sets[32];
	struct connector_conf *cc;
	struct worker_conf wc;
	struct err e;
	size_t nsets = 0;
	int i, rc;

	for (i = 0; i + 1 < argc && nsets < 32 && strcmp(argv[i], "-w") == 0; i += 2)
		sets[nsets++] = argv[i + 1];
	if (i + 1 != argc)
		return 2;
	stop_ptr = &task.stop;
	connector_class_register(&test_sink_class);
	if (worker_conf_load(NULL, sets, nsets, &wc, &e))
		return fail("worker", &e);
	if (connector_conf_load(argv[i], NULL, 0, &wc, &cc, &e)) {
		worker_conf_free(&wc);
		return fail("connector", &e);
	}
	rc = run_task(cc, &wc);
	connector_conf_free(cc);
	worker_conf_free(&wc);
	return rc;
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_term };
	int rc = 2;

	log_set_ident("sink-test-tool");
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	if (argc >= 2 && strcmp(argv[1], "engine") == 0)
		rc = engine(argc - 2, argv + 2);
	else if (argc >= 2 && strcmp(argv[1], "task") == 0)
		rc = task_main(argc - 2, argv + 2);
	if (rc == 2)
		fprintf(stderr, "usage: sink-test-tool engine [OPTIONS] BROKERS GROUP [TOPIC...] | "
				"task [-w KEY=VALUE]... FILE\n");
	return rc;
}
