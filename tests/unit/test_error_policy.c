/*
 * test_error_policy.c: errors.* as a task reads them: tolerance none
 * fails, all skips (counted) or dead-letters with Kafka's
 * __connect.errors.* headers, and the waits between retries (exponential,
 * jittered, capped, raised by Retry-After, cut at errors.retry.timeout).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/connector_conf.h"
#include "runtime/error_policy.h"
#include "runtime/metrics.h"
#include "unit.h"

static const struct connector_class probe_class = {
	"probe-source", NULL, CONNECTOR_SOURCE, NULL, 0, NULL, NULL, NULL,
};

struct fixture {
	struct connector_conf *cc;
	struct connect_metrics m;
	struct connect_task t;
	struct error_policy *ep;
};

/* A task of the probe class with the errors.* keys given ("k=v\n" lines). */
static int setup(struct fixture *f, const char *keys)
{
	char path[4200];
	struct err e;
	FILE *out;

	memset(f, 0, sizeof(*f));
	snprintf(path, sizeof(path), "%s/c.conf", unit_tmpdir());
	out = fopen(path, "w");
	fprintf(out, "name = app-logs\nconnector.class = probe-source\n%s", keys);
	fclose(out);
	if (connector_conf_load(path, NULL, 0, NULL, &f->cc, &e)) {
		unit_diag("%s", e.msg);
		return -1;
	}
	metrics_init(&f->m);
	f->t.cc = f->cc;
	f->t.id = 2;
	f->t.metrics = &f->m;
	f->ep = error_policy_new(&f->t, &e);
	return f->ep ? 0 : -1;
}

static void teardown(struct fixture *f)
{
	error_policy_free(f->ep);
	metrics_destroy(&f->m);
	connector_conf_free(f->cc);
}

static const char *header(const struct crec *r, const char *key)
{
	const struct crec_header *h = crec_find_header(r, key);

	return h ? buf_cstr(&h->value) : NULL;
}

static int header_is(const struct crec *r, const char *key, const char *want)
{
	const char *v = header(r, key);

	if (v && strcmp(v, want) == 0)
		return 1;
	unit_diag("  %s: got %s, expected %s", key, v ? v : "(none)", want);
	return 0;
}

static void test_none_fails(void)
{
	struct fixture f;
	struct error_origin o = { .stage = STAGE_TRANSFORMATION, .partition = -1, .offset = -1 };
	struct crec r;
	struct err cause, e;

	REQUIRE(setup(&f, "") == 0);
	crec_init(&r);
	err_set(&cause, SLOG_EINVALID_RECORD, "field 'x' is not a number");
	CHECK_EQ(error_policy_failed(f.ep, &r, &o, &cause, &e), SLOG_EINVALID_RECORD);
	CHECK(strstr(e.msg, "TRANSFORMATION failed (errors.tolerance=none): field 'x'") != NULL);
	CHECK_EQ(atomic_load(&f.m.errors[STAGE_TRANSFORMATION]), 1);
	crec_free(&r);
	teardown(&f);
}

static void test_all_skips_and_counts(void)
{
	struct fixture f;
	struct error_origin o = { .stage = STAGE_VALUE_CONVERTER, .partition = -1, .offset = -1 };
	struct crec r;
	struct err cause, e;

	REQUIRE(setup(&f, "errors.tolerance = all\n") == 0);
	crec_init(&r);
	crec_set_topic(&r, "logs");
	err_set(&cause, SLOG_EINVALID_RECORD, "not JSON");
	CHECK_EQ(error_policy_failed(f.ep, &r, &o, &cause, &e), 0);
	CHECK_EQ(atomic_load(&f.m.skipped), 1);
	CHECK_EQ(atomic_load(&f.m.dead_letter), 0);
	CHECK_EQ(atomic_load(&f.m.errors[STAGE_VALUE_CONVERTER]), 1);
	CHECK(strcmp(buf_cstr(&r.topic), "logs") == 0);
	crec_free(&r);
	teardown(&f);
}

/* A sink's record: where it was read, and Kafka's names for the rest. */
static void test_dead_letter_headers_sink(void)
{
	struct fixture f;
	struct error_origin o = { .stage = STAGE_TASK_PUT, .topic = "orders", .partition = 3,
				  .offset = 1234 };
	struct crec r;
	struct err cause, e;

	REQUIRE(setup(&f, "errors.tolerance = all\nerrors.deadletterqueue.topic.name = dlq\n") == 0);
	crec_init(&r);
	crec_set_topic(&r, "orders");
	r.partition = 3;
	r.offset = 1234;
	r.timestamp = 1700000000000;
	crec_set_key(&r, "k", 1);
	crec_set_value(&r, "v", 1);
	crec_add_header(&r, "trace", "t1", 2);
	err_set(&cause, SLOG_EINVALID_REQUEST, "HTTP 400 from http://sink/");
	CHECK_EQ(error_policy_failed(f.ep, &r, &o, &cause, &e), 1);
	CHECK(strcmp(buf_cstr(&r.topic), "dlq") == 0);
	CHECK_EQ(r.partition, -1);
	CHECK_EQ(r.timestamp, -1);
	CHECK(strcmp(buf_cstr(&r.key), "k") == 0 && strcmp(buf_cstr(&r.value), "v") == 0);
	/* The record's own headers first, as they were. */
	REQUIRE(r.nheaders == 10);
	CHECK(strcmp(buf_cstr(&r.headers[0].key), "trace") == 0);
	CHECK(header_is(&r, "__connect.errors.topic", "orders"));
	CHECK(header_is(&r, "__connect.errors.partition", "3"));
	CHECK(header_is(&r, "__connect.errors.offset", "1234"));
	CHECK(header_is(&r, "__connect.errors.connector.name", "app-logs"));
	CHECK(header_is(&r, "__connect.errors.task.id", "2"));
	CHECK(header_is(&r, "__connect.errors.stage", "TASK_PUT"));
	CHECK(header_is(&r, "__connect.errors.class.name", "probe-source"));
	CHECK(header_is(&r, "__connect.errors.exception.class.name", "INVALID_REQUEST"));
	CHECK(header_is(&r, "__connect.errors.exception.message", "HTTP 400 from http://sink/"));
	CHECK(header(&r, "__connect.errors.source") == NULL);
	CHECK_EQ(atomic_load(&f.m.dead_letter), 1);
	crec_free(&r);
	teardown(&f);
}

/* A source's record: where it was going, and where it came from. */
static void test_dead_letter_headers_source(void)
{
	struct fixture f;
	struct error_origin o = { .stage = STAGE_KAFKA_PRODUCE, .partition = -1, .offset = -1,
				  .source = "file:/var/log/a.log@1234" };
	struct crec r;
	struct err cause;

	REQUIRE(setup(&f, "errors.tolerance = all\nerrors.deadletterqueue.topic.name = dlq\n") == 0);
	crec_init(&r);
	crec_set_topic(&r, "app-logs");
	err_set(&cause, SLOG_EMESSAGE_TOO_LARGE, "too large");
	error_policy_dead_letter(f.ep, &r, &o, &cause);
	CHECK(header_is(&r, "__connect.errors.topic", "app-logs"));
	CHECK(header(&r, "__connect.errors.partition") == NULL);
	CHECK(header_is(&r, "__connect.errors.source", "file:/var/log/a.log@1234"));
	CHECK(header_is(&r, "__connect.errors.stage", "KAFKA_PRODUCE"));
	CHECK(strcmp(buf_cstr(&r.topic), "dlq") == 0);
	crec_free(&r);
	teardown(&f);
}

static void test_dead_letter_without_headers(void)
{
	struct fixture f;
	struct error_origin o = { .stage = STAGE_TASK_PUT, .topic = "t", .partition = 0 };
	struct crec r;
	struct err cause;

	REQUIRE(setup(&f, "errors.tolerance = all\nerrors.deadletterqueue.topic.name = dlq\n"
			  "errors.deadletterqueue.context.headers.enable = false\n") == 0);
	crec_init(&r);
	err_set(&cause, SLOG_EINVALID_REQUEST, "x");
	error_policy_dead_letter(f.ep, &r, &o, &cause);
	CHECK_EQ(r.nheaders, 0);
	CHECK(strcmp(buf_cstr(&r.topic), "dlq") == 0);
	crec_free(&r);
	teardown(&f);
}

static void test_retry_waits(void)
{
	struct fixture f;
	int64_t wait;

	/* Kafka's default: no retries at all. */
	REQUIRE(setup(&f, "") == 0);
	CHECK_EQ(error_policy_retry(f.ep, 1, 0, 0, -1, &wait), 0);
	teardown(&f);

	REQUIRE(setup(&f, "errors.retry.timeout = 10s\nerrors.retry.delay.max.ms = 1s\n") == 0);
	for (int attempt = 1; attempt <= 8; attempt++) {
		int64_t base = 100 << (attempt - 1);
		if (base > 1000)
			base = 1000;
		for (int i = 0; i < 50; i++) {
			REQUIRE(error_policy_retry(f.ep, attempt, 0, 100, -1, &wait) == 1);
			/* Exponential from 100 ms, capped, half of it jitter. */
			CHECK(wait >= base / 2 && wait <= base);
		}
	}
	/* A server's Retry-After raises the wait past the cap ... */
	CHECK_EQ(error_policy_retry(f.ep, 1, 0, 100, 5000, &wait), 1);
	CHECK_EQ(wait, 5000);
	/* ... but not past errors.retry.timeout: then no retry. */
	CHECK_EQ(error_policy_retry(f.ep, 1, 0, 6000, 5000, &wait), 0);
	/* The last wait is cut to the time left. */
	CHECK_EQ(error_policy_retry(f.ep, 8, 0, 9900, -1, &wait), 1);
	CHECK(wait <= 100);
	CHECK_EQ(error_policy_retry(f.ep, 1, 0, 10000, -1, &wait), 0);
	CHECK(atomic_load(&f.m.retries) > 0);
	teardown(&f);

	/* -1: forever. */
	REQUIRE(setup(&f, "errors.retry.timeout = -1\n") == 0);
	CHECK_EQ(error_policy_retry(f.ep, 40, 0, INT64_MAX / 2, -1, &wait), 1);
	CHECK(wait >= 30000 && wait <= 60000);
	teardown(&f);
}

static void test_stage_names(void)
{
	CHECK(strcmp(connect_stage_name(STAGE_TASK_POLL), "TASK_POLL") == 0);
	CHECK(strcmp(connect_stage_name(STAGE_VALUE_CONVERTER), "VALUE_CONVERTER") == 0);
	CHECK(strcmp(connect_stage_name(STAGE_KAFKA_CONSUME), "KAFKA_CONSUME") == 0);
}

int main(void)
{
	connector_class_register(&probe_class);
	unit_run("errors.tolerance=none: a failed record fails the task", test_none_fails);
	unit_run("errors.tolerance=all without a topic: skipped and counted", test_all_skips_and_counts);
	unit_run("a sink's dead letter carries Kafka's error headers", test_dead_letter_headers_sink);
	unit_run("a source's dead letter says where it came from", test_dead_letter_headers_source);
	unit_run("context headers can be turned off", test_dead_letter_without_headers);
	unit_run("retry waits grow, jitter, cap and honour Retry-After", test_retry_waits);
	unit_run("stages have Kafka's names", test_stage_names);
	return unit_done();
}
