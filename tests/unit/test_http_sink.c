/*
 * test_http_sink.c: the HTTP sink's answer classes, Retry-After, retry
 * waits, and the records it holds (http_sink_policy.h, sink_retry.h,
 * sink_batch.h).
 */
#include <string.h>

#include "connectors/http_sink_policy.h"
#include "connectors/sink_batch.h"
#include "connectors/sink_retry.h"
#include "unit.h"

static void test_each_status_class_has_one_action(void)
{
	struct http_status_set retry, dlq;
	struct err e;

	REQUIRE_EQ(http_status_set_parse("429,5xx,network", &retry, &e), 0);
	REQUIRE_EQ(http_status_set_parse("4xx", &dlq, &e), 0);
	CHECK_EQ(http_sink_action(&retry, &dlq, 200), HTTP_DELIVERED);
	CHECK_EQ(http_sink_action(&retry, &dlq, 204), HTTP_DELIVERED);
	CHECK_EQ(http_sink_action(&retry, &dlq, 500), HTTP_RETRY);
	CHECK_EQ(http_sink_action(&retry, &dlq, 503), HTTP_RETRY);
	CHECK_EQ(http_sink_action(&retry, &dlq, 429), HTTP_RETRY);
	CHECK_EQ(http_sink_action(&retry, &dlq, HTTP_STATUS_NETWORK), HTTP_RETRY);
	CHECK_EQ(http_sink_action(&retry, &dlq, 400), HTTP_DEAD_LETTER);
	CHECK_EQ(http_sink_action(&retry, &dlq, 404), HTTP_DEAD_LETTER);
	CHECK_EQ(http_sink_action(&retry, &dlq, 302), HTTP_FAIL);

	REQUIRE_EQ(http_status_set_parse("408, 429", &retry, &e), 0);
	REQUIRE_EQ(http_status_set_parse("", &dlq, &e), 0);
	CHECK_EQ(http_sink_action(&retry, &dlq, 408), HTTP_RETRY);
	CHECK_EQ(http_sink_action(&retry, &dlq, 400), HTTP_FAIL);
	CHECK_EQ(http_sink_action(&retry, &dlq, 500), HTTP_FAIL);
	CHECK_EQ(http_sink_action(&retry, &dlq, HTTP_STATUS_NETWORK), HTTP_FAIL);

	CHECK_EQ(http_status_set_parse("5xx,oops", &retry, &e), SLOG_EINVALID_CONFIG);
	CHECK(strstr(e.msg, "'oops'") != NULL);
	CHECK_EQ(http_status_set_parse("6xx", &retry, &e), SLOG_EINVALID_CONFIG);
	CHECK_EQ(http_status_set_parse("42", &retry, &e), SLOG_EINVALID_CONFIG);
}

static void test_retry_after_takes_seconds_and_dates(void)
{
	CHECK_EQ(http_retry_after_ms("2", 0), 2000);
	CHECK_EQ(http_retry_after_ms(" 120", 0), 120000);
	/* Wed, 21 Oct 2015 07:28:00 GMT is 1445412480 s after the epoch. */
	CHECK_EQ(http_retry_after_ms("Wed, 21 Oct 2015 07:28:00 GMT", 1445412470000LL), 10000);
	CHECK_EQ(http_retry_after_ms("Wed, 21 Oct 2015 07:28:00 GMT", 1445412490000LL), 0);
	CHECK_EQ(http_retry_after_ms("soon", 0), -1);
}

static void test_retry_waits_double_with_jitter_and_stop_at_the_timeout(void)
{
	struct sink_retry r;
	int64_t wait;

	sink_retry_init(&r, -1, 1000);
	for (int attempt = 1; attempt <= 20; attempt++) {
		int64_t step = attempt >= 5 ? 1000 : 100 << (attempt - 1);
		REQUIRE(sink_retry_next(&r, attempt, 0, 1000000, -1, &wait));
		CHECK(wait >= step / 2 && wait <= step);
	}
	CHECK(sink_retry_next(&r, 1, 0, 0, 5000, &wait));
	CHECK_EQ(wait, 5000);

	sink_retry_init(&r, 0, 1000);
	CHECK(!sink_retry_next(&r, 1, 0, 0, -1, &wait));
	sink_retry_init(&r, 2000, 1000);
	CHECK(sink_retry_next(&r, 1, 0, 500, -1, &wait));
	CHECK(!sink_retry_next(&r, 9, 0, 1900, -1, &wait));
	CHECK(!sink_retry_next(&r, 1, 0, 0, 3000, &wait));
	CHECK_EQ(sink_retry_sleep(NULL, 10, NULL), 0);
}

static void test_a_batch_keeps_its_own_copies(void)
{
	struct sink_batch b;
	struct crec r;

	sink_batch_init(&b);
	crec_init(&r);
	for (int i = 0; i < 3; i++) {
		crec_reset(&r);
		crec_set_topic(&r, "t");
		r.partition = 2;
		r.offset = 10 + i;
		crec_set_key(&r, NULL, -1);
		crec_set_value(&r, "abc", i);
		crec_add_header(&r, "h", i ? "x" : NULL, i ? 1 : -1);
		sink_batch_add(&b, &r, 100 + i);
	}
	crec_set_value(&r, "zzz", 3);
	REQUIRE_EQ(b.n, 3);
	CHECK_EQ(b.first_ms, 100);
	CHECK_EQ(b.bytes, 0 + 1 + 2);
	CHECK_EQ(b.recs[2].offset, 12);
	CHECK(b.recs[1].null_key);
	CHECK(memcmp(b.recs[2].value.data, "ab", 2) == 0);
	CHECK(b.recs[0].headers[0].null_value);
	CHECK(!b.recs[1].headers[0].null_value);
	sink_batch_clear(&b);
	CHECK_EQ(b.n, 0);
	sink_batch_add(&b, &r, 200);
	CHECK_EQ(b.first_ms, 200);
	CHECK_EQ(b.bytes, 3);
	sink_batch_free(&b);
	crec_free(&r);
}

int main(void)
{
	unit_run("each status class has one action", test_each_status_class_has_one_action);
	unit_run("retry-after takes seconds and dates", test_retry_after_takes_seconds_and_dates);
	unit_run("retry waits double with jitter and stop at the timeout",
		 test_retry_waits_double_with_jitter_and_stop_at_the_timeout);
	unit_run("a batch keeps its own copies", test_a_batch_keeps_its_own_copies);
	return unit_done();
}
