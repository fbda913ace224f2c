/*
 * test_transforms.c: slog-connect's transforms: each type, predicates
 * and negate, a run of JSON steps parsed once, and the errors that name
 * a key and its place.  The exec coprocess and the transform pipe are
 * test_transform_exec.c's.
 */
#include <stdio.h>
#include <string.h>

#include "transform_fixture.h"
#include "transforms/transform_timestamp.h"
#include "unit.h"

static void test_an_empty_chain_keeps_every_record(void)
{
	struct tfix f;
	struct crec r;
	struct err e;
	tf_begin(&f, &r);
	struct transform_chain *tc = tf_chain(&f);
	REQUIRE(tc);
	CHECK(transform_chain_empty(tc));
	CHECK_EQ(tf_run(tc, &r, "t", "k", "v", &e), 1);
	CHECK(tf_is(&r.value, "v"));
	tf_finish(tc, &r, &f);
}

static void test_filter_drops_what_its_conditions_match(void)
{
	struct tfix f;
	struct crec r;
	struct err e;
	tf_begin(&f, &r);
	tf_transform(&f, "health", "type=filter", "value.regex=GET /healthz", NULL);
	tf_transform(&f, "internal", "type=filter", "topic.regex=__.*", NULL);
	tf_transform(&f, "nokey", "type=filter", "key.regex=^skip", NULL);
	tf_transform(&f, "dbg", "type=filter", "header.regex=level:^(debug|trace)$", NULL);
	tf_transform(&f, "tomb", "type=filter", "tombstone=true", NULL);
	tf_transform(&f, "marked", "type=filter", "header.exists=drop-me", NULL);
	struct transform_chain *tc = tf_chain(&f);
	REQUIRE(tc);
	CHECK_EQ(tf_run(tc, &r, "app", "k", "GET /healthz 200", &e), 0);
	CHECK_EQ(tf_run(tc, &r, "app", "k", "GET /users 200", &e), 1);
	CHECK_EQ(tf_run(tc, &r, "__internal", "k", "x", &e), 0);
	CHECK_EQ(tf_run(tc, &r, "app__x", "k", "x", &e), 1); /* topic.regex matches whole names */
	CHECK_EQ(tf_run(tc, &r, "app", "skip-1", "x", &e), 0);
	CHECK_EQ(tf_run(tc, &r, "app", NULL, "x", &e), 1);  /* a null key matches no regex */
	CHECK_EQ(tf_run(tc, &r, "app", "k", NULL, &e), 0);
	tf_rec(&r, "app", "k", "x");
	crec_add_header(&r, "level", "debug", 5);
	CHECK_EQ(transform_chain_apply(tc, &r, &e), 0);
	tf_rec(&r, "app", "k", "x");
	crec_add_header(&r, "level", "error", 5);
	CHECK_EQ(transform_chain_apply(tc, &r, &e), 1);
	crec_add_header(&r, "drop-me", NULL, -1);
	CHECK_EQ(transform_chain_apply(tc, &r, &e), 0);
	tf_finish(tc, &r, &f);
}

static void test_filter_with_negate_keeps_only_what_matches(void)
{
	struct tfix f;
	struct crec r;
	struct err e;
	tf_begin(&f, &r);
	tf_transform(&f, "errors", "type=filter", "value.regex=ERROR|WARN", "negate=true", NULL);
	struct transform_chain *tc = tf_chain(&f);
	REQUIRE(tc);
	CHECK_EQ(tf_run(tc, &r, "app", "k", "INFO all is well", &e), 0);
	CHECK_EQ(tf_run(tc, &r, "app", "k", "ERROR disk full", &e), 1);
	tf_finish(tc, &r, &f);
}

static void test_kafka_filter_with_a_predicate_and_negate(void)
{
	struct tfix f;
	struct crec r;
	struct err e;
	tf_begin(&f, &r);
	tf_predicate(&f, "isfoo", "type=org.apache.kafka.connect.transforms.predicates.TopicNameMatches",
		  "pattern=foo.*", NULL);
	tf_transform(&f, "dropfoo", "type=org.apache.kafka.connect.transforms.Filter", "predicate=isfoo",
		  NULL);
	struct transform_chain *tc = tf_chain(&f);
	REQUIRE(tc);
	CHECK_EQ(tf_run(tc, &r, "foobar", "k", "v", &e), 0);
	CHECK_EQ(tf_run(tc, &r, "bar", "k", "v", &e), 1);
	tf_again(tc, &f);
	tf_predicate(&f, "isfoo", "type=TopicNameMatches", "pattern=foo.*", NULL);
	tf_transform(&f, "keepfoo", "type=Filter", "predicate=isfoo", "negate=true", NULL);
	tc = tf_chain(&f);
	REQUIRE(tc);
	CHECK_EQ(tf_run(tc, &r, "foobar", "k", "v", &e), 1);
	CHECK_EQ(tf_run(tc, &r, "bar", "k", "v", &e), 0);
	tf_finish(tc, &r, &f);
}

static void test_a_predicate_guards_any_transform(void)
{
	struct tfix f;
	struct crec r;
	struct err e;
	tf_begin(&f, &r);
	tf_predicate(&f, "hastrace", "type=HasHeaderKey", "name=trace", NULL);
	tf_predicate(&f, "tomb", "type=RecordIsTombstone", NULL);
	tf_predicate(&f, "big", "type=match", "value.regex=^.{10,}$", NULL);
	tf_transform(&f, "mark", "type=insert-header", "header=traced", "value=yes", "predicate=hastrace",
		  NULL);
	tf_transform(&f, "live", "type=insert-header", "header=live", "value=1", "predicate=tomb",
		  "negate=true", NULL);
	tf_transform(&f, "size", "type=insert-header", "header=big", "value=1", "predicate=big", NULL);
	struct transform_chain *tc = tf_chain(&f);
	REQUIRE(tc);
	tf_rec(&r, "t", "k", "0123456789");
	crec_add_header(&r, "trace", "1", 1);
	CHECK_EQ(transform_chain_apply(tc, &r, &e), 1);
	CHECK(tf_header(&r, "traced") && strcmp(tf_header(&r, "traced"), "yes") == 0);
	CHECK(tf_header(&r, "live") != NULL);
	CHECK(tf_header(&r, "big") != NULL);
	CHECK_EQ(tf_run(tc, &r, "t", "k", NULL, &e), 1);
	CHECK(tf_header(&r, "traced") == NULL);
	CHECK(tf_header(&r, "live") == NULL);
	CHECK(tf_header(&r, "big") == NULL);
	tf_finish(tc, &r, &f);
}

static void test_route_renames_topics_with_groups(void)
{
	struct tfix f;
	struct crec r;
	struct err e;
	tf_begin(&f, &r);
	tf_transform(&f, "r", "type=RegexRouter", "regex=app-(.*)-(v[0-9]+)", "replacement=$2.$1", NULL);
	struct transform_chain *tc = tf_chain(&f);
	REQUIRE(tc);
	CHECK_EQ(tf_run(tc, &r, "app-logs-v2", "k", "v", &e), 1);
	CHECK(tf_is(&r.topic, "v2.logs"));
	CHECK_EQ(tf_run(tc, &r, "other", "k", "v", &e), 1);
	CHECK(tf_is(&r.topic, "other"));
	tf_again(tc, &f);
	tf_transform(&f, "bad", "type=route", "regex=(.*)", "replacement=$1 x", NULL);
	tc = tf_chain(&f);
	REQUIRE(tc);
	CHECK(tf_run(tc, &r, "t", "k", "v", &e) < 0);
	CHECK(strstr(e.msg, "transforms.bad: routed to 't x'") != NULL);
	tf_finish(tc, &r, &f);
}

static void test_route_time_names_the_topic_by_the_record_time(void)
{
	struct tfix f;
	struct crec r;
	struct err e;
	tf_begin(&f, &r);
	tf_transform(&f, "day", "type=route.time", NULL);
	tf_transform(&f, "kafka", "type=TimestampRouter", "topic.format=${topic}_${timestamp}",
		  "timestamp.format=yyyy-MM", NULL);
	tf_transform(&f, "direct", "type=route.time", "topic.format=${topic}.%H", NULL);
	struct transform_chain *tc = tf_chain(&f);
	REQUIRE(tc);
	tf_rec(&r, "logs", "k", "v");
	r.timestamp = 1796092200000; /* 2026-12-01T02:30:00Z */
	CHECK_EQ(transform_chain_apply(tc, &r, &e), 1);
	CHECK(tf_is(&r.topic, "logs-20261201_2026-12.02"));
	tf_finish(tc, &r, &f);
}

static void test_insert_header_static_and_from_the_record(void)
{
	struct tfix f;
	struct crec r;
	struct err e;
	tf_begin(&f, &r);
	tf_transform(&f, "a", "type=insert-header", "header=env", "value=prod", NULL);
	tf_transform(&f, "b", "type=InsertHeader", "header=src", "value.literal=kafka", NULL);
	tf_transform(&f, "c", "type=insert-header", "header=ts", "value.from=timestamp", NULL);
	tf_transform(&f, "d", "type=insert-header", "header=t", "value.from=topic", NULL);
	tf_transform(&f, "e", "type=insert-header", "header=p", "value.from=partition", NULL);
	tf_transform(&f, "f", "type=insert-header", "header=o", "value.from=offset", NULL);
	tf_transform(&f, "g", "type=insert-header", "header=c", "value.from=connector", NULL);
	tf_transform(&f, "h", "type=insert-header", "header=host", "value.from=host", NULL);
	struct transform_chain *tc = tf_chain(&f);
	REQUIRE(tc);
	tf_rec(&r, "logs", "k", "v");
	r.timestamp = 1234;
	r.partition = 3;
	r.offset = 77;
	CHECK_EQ(transform_chain_apply(tc, &r, &e), 1);
	CHECK_EQ(r.nheaders, 8);
	CHECK(strcmp(tf_header(&r, "env"), "prod") == 0);
	CHECK(strcmp(tf_header(&r, "src"), "kafka") == 0);
	CHECK(strcmp(tf_header(&r, "ts"), "1234") == 0);
	CHECK(strcmp(tf_header(&r, "t"), "logs") == 0);
	CHECK(strcmp(tf_header(&r, "p"), "3") == 0);
	CHECK(strcmp(tf_header(&r, "o"), "77") == 0);
	CHECK(strcmp(tf_header(&r, "c"), "conn") == 0);
	CHECK(strlen(tf_header(&r, "host")) > 0);
	tf_finish(tc, &r, &f);
}

static void test_drop_headers_removes_every_named_one(void)
{
	struct tfix f;
	struct crec r;
	struct err e;
	tf_begin(&f, &r);
	tf_transform(&f, "d", "type=DropHeaders", "headers=a, c", NULL);
	struct transform_chain *tc = tf_chain(&f);
	REQUIRE(tc);
	tf_rec(&r, "t", "k", "v");
	crec_add_header(&r, "a", "1", 1);
	crec_add_header(&r, "b", "2", 1);
	crec_add_header(&r, "a", "3", 1);
	crec_add_header(&r, "c", "4", 1);
	CHECK_EQ(transform_chain_apply(tc, &r, &e), 1);
	CHECK_EQ(r.nheaders, 1);
	CHECK(strcmp(tf_header(&r, "b"), "2") == 0);
	tf_finish(tc, &r, &f);
}

static void test_value_to_key_and_header_from_read_json_pointers(void)
{
	struct tfix f;
	struct crec r;
	struct err e;
	tf_begin(&f, &r);
	tf_transform(&f, "k", "type=value-to-key", "fields=/user/id", NULL);
	tf_transform(&f, "h", "type=header-from", "fields=/user/name,level,/nope", "headers=user,lvl,none",
		  NULL);
	struct transform_chain *tc = tf_chain(&f);
	REQUIRE(tc);
	const char *v = "{ \"user\": {\"id\": \"u7\", \"name\": \"Ann\"}, \"level\": 3 }";
	CHECK_EQ(tf_run(tc, &r, "t", NULL, v, &e), 1);
	CHECK(tf_is(&r.key, "u7"));
	CHECK(strcmp(tf_header(&r, "user"), "Ann") == 0);
	CHECK(strcmp(tf_header(&r, "lvl"), "3") == 0);
	CHECK(strcmp(tf_header(&r, "none"), "(null)") == 0);
	CHECK(tf_is(&r.value, v)); /* read, not changed: the bytes stay as they came */
	CHECK_EQ(tf_run(tc, &r, "t", NULL, "{\"user\":{}}", &e), SLOG_EINVALID_RECORD);
	CHECK(strcmp(e.msg, "transforms.k: value has no field /user/id") == 0);
	tf_again(tc, &f);
	tf_transform(&f, "k", "type=ValueToKey", "fields=a,/b/c", NULL);
	tf_transform(&f, "h", "type=HeaderFrom$Value", "fields=a", "headers=a", "operation=move", NULL);
	tc = tf_chain(&f);
	REQUIRE(tc);
	CHECK_EQ(tf_run(tc, &r, "t", NULL, "{\"a\":1,\"b\":{\"c\":[true]},\"d\":1.1}", &e), 1);
	CHECK(tf_is(&r.key, "{\"a\":1,\"c\":[true]}"));
	CHECK(tf_is(&r.value, "{\"b\":{\"c\":[true]},\"d\":1.1}"));
	tf_finish(tc, &r, &f);
}

static void test_insert_replace_extract_hoist_fields(void)
{
	struct tfix f;
	struct crec r;
	struct err e;
	tf_begin(&f, &r);
	tf_transform(&f, "ins", "type=InsertField$Value", "topic.field=topic", "offset.field=/meta/offset",
		  "partition.field=p", "static.field=dc", "static.value=eu-1", "timestamp.field=ts", NULL);
	tf_transform(&f, "rep", "type=replace-field", "exclude=secret", "renames=dc:region", NULL);
	struct transform_chain *tc = tf_chain(&f);
	REQUIRE(tc);
	tf_rec(&r, "logs", NULL, "{\"msg\":\"hi\",\"secret\":\"x\"}");
	r.timestamp = 5;
	r.offset = 9;
	CHECK_EQ(transform_chain_apply(tc, &r, &e), 1);
	/* partition -1 (a source's record) is left out */
	CHECK(tf_is(&r.value, "{\"msg\":\"hi\",\"topic\":\"logs\",\"meta\":{\"offset\":9},"
			   "\"ts\":5,\"region\":\"eu-1\"}"));
	CHECK_EQ(tf_run(tc, &r, "logs", NULL, "[1,2]", &e), SLOG_EINVALID_RECORD);
	CHECK(strcmp(e.msg, "transforms.ins: value is an array, not a JSON object") == 0);
	CHECK_EQ(tf_run(tc, &r, "logs", NULL, "not json", &e), SLOG_EINVALID_RECORD);
	CHECK(strstr(e.msg, "transforms.ins: value is not JSON") == e.msg);
	tf_again(tc, &f);
	tf_transform(&f, "k1", "type=InsertField$Value", "topic.field=t!", "offset.field=o?", NULL);
	tf_transform(&f, "k2", "type=ReplaceField$Value", "blacklist=x", "whitelist=t,o,y", NULL);
	tc = tf_chain(&f);
	REQUIRE(tc);
	tf_rec(&r, "logs", NULL, "{\"x\":1,\"y\":2}");
	r.offset = 4;
	CHECK_EQ(transform_chain_apply(tc, &r, &e), 1);
	CHECK(tf_is(&r.value, "{\"y\":2,\"t\":\"logs\",\"o\":4}"));
	tf_again(tc, &f);
	tf_transform(&f, "inc", "type=replace-field", "include=b,a", NULL);
	tf_transform(&f, "ex", "type=extract-field", "field=/a/msg", NULL);
	tf_transform(&f, "ho", "type=hoist-field", "field=line", NULL);
	tc = tf_chain(&f);
	REQUIRE(tc);
	CHECK_EQ(tf_run(tc, &r, "t", NULL, "{\"a\":{\"msg\":\"GET /\"},\"c\":1}", &e), 1);
	CHECK(tf_is(&r.value, "{\"line\":\"GET /\"}"));
	tf_again(tc, &f);
	tf_transform(&f, "ex", "type=ExtractField$Value", "field=msg", NULL);
	tf_transform(&f, "tag", "type=insert-header", "header=x", "value=1", NULL);
	tf_transform(&f, "ho", "type=HoistField$Value", "field=wrapped", NULL);
	tc = tf_chain(&f);
	REQUIRE(tc);
	CHECK_EQ(tf_run(tc, &r, "t", NULL, "{\"msg\":\"plain text\"}", &e), 1);
	CHECK(tf_is(&r.value, "{\"wrapped\":\"plain text\"}"));
	CHECK_EQ(tf_run(tc, &r, "t", NULL, "{\"nomsg\":1}", &e), SLOG_EINVALID_RECORD);
	/* A tombstone is left alone by JSON transforms. */
	CHECK_EQ(tf_run(tc, &r, "t", NULL, NULL, &e), 1);
	CHECK(r.null_value);
	tf_again(tc, &f);
	tf_transform(&f, "ho", "type=hoist-field", "field=line", NULL);
	tc = tf_chain(&f);
	REQUIRE(tc);
	CHECK_EQ(tf_run(tc, &r, "t", NULL, "a \"quoted\" line", &e), 1);
	CHECK(tf_is(&r.value, "{\"line\":\"a \\\"quoted\\\" line\"}"));
	tf_finish(tc, &r, &f);
}

static void test_kafka_key_classes_work_on_the_key(void)
{
	struct tfix f;
	struct crec r;
	struct err e;
	tf_begin(&f, &r);
	/* Kafka's pair: ValueToKey makes {"id":7}, ExtractField$Key takes 7 out. */
	tf_transform(&f, "createKey", "type=org.apache.kafka.connect.transforms.ValueToKey",
		     "fields=id", NULL);
	tf_transform(&f, "extractInt", "type=org.apache.kafka.connect.transforms.ExtractField$Key",
		     "field=id", NULL);
	struct transform_chain *tc = tf_chain(&f);
	REQUIRE(tc);
	CHECK_EQ(tf_run(tc, &r, "t", NULL, "{\"id\":7,\"n\":\"x\"}", &e), 1);
	CHECK(tf_is(&r.key, "7"));
	CHECK(tf_is(&r.value, "{\"id\":7,\"n\":\"x\"}"));
	tf_again(tc, &f);
	tf_transform(&f, "h", "type=HoistField$Key", "field=k", NULL);
	tf_transform(&f, "i", "type=InsertField$Key", "static.field=v", "static.value=1", NULL);
	tf_transform(&f, "m", "type=MaskField$Key", "fields=k", NULL);
	tf_transform(&f, "r", "type=ReplaceField$Key", "renames=k:key", NULL);
	tc = tf_chain(&f);
	REQUIRE(tc);
	CHECK_EQ(tf_run(tc, &r, "t", "user-1", "not json", &e), 1);
	CHECK(tf_is(&r.key, "{\"key\":\"\",\"v\":\"1\"}"));
	CHECK(tf_is(&r.value, "not json"));
	CHECK_EQ(tf_run(tc, &r, "t", NULL, "v", &e), 1);
	CHECK(r.null_key);
	tf_again(tc, &f);
	tf_transform(&f, "x", "type=ExtractField$Key", "field=id", NULL);
	tc = tf_chain(&f);
	REQUIRE(tc);
	CHECK_EQ(tf_run(tc, &r, "t", "[1]", "v", &e), SLOG_EINVALID_RECORD);
	CHECK(strcmp(e.msg, "transforms.x: key has no field id") == 0);
	CHECK_EQ(tf_run(tc, &r, "t", "plain", "v", &e), SLOG_EINVALID_RECORD);
	CHECK(strstr(e.msg, "transforms.x: key is not JSON") == e.msg);
	tf_again(tc, &f);
	tf_transform(&f, "x", "type=ValueToKey$Key", "fields=id", NULL);
	CHECK(strcmp(tf_chain_error(&f), "t.conf:1: transforms.x.type: unknown transform type "
					 "'ValueToKey$Key'") == 0);
	tf_again(NULL, &f);
	tf_transform(&f, "x", "type=MaskField$Key", "regex=[0-9]", NULL);
	CHECK(strcmp(tf_chain_error(&f), "t.conf:1: transforms.x.type: MaskField$Key works on JSON "
					 "fields of the key only") == 0);
	tf_finish(NULL, &r, &f);
}

static void test_a_run_of_json_steps_parses_once_and_writes_once(void)
{
	struct tfix f;
	struct crec r;
	struct err e;
	tf_begin(&f, &r);
	tf_transform(&f, "a", "type=insert-field", "static.field=a", "static.value=1", NULL);
	tf_transform(&f, "h", "type=insert-header", "header=x", "value=y", NULL);
	tf_transform(&f, "b", "type=insert-field", "static.field=b", "static.value=2", NULL);
	tf_transform(&f, "k", "type=value-to-key", "fields=z", NULL);
	tf_transform(&f, "m", "type=mask", "fields=z", NULL);
	struct transform_chain *tc = tf_chain(&f);
	REQUIRE(tc);
	CHECK_EQ(tf_run(tc, &r, "t", NULL, "{\"z\": 1.1, \"w\": [0.1, 1e300, 12345678901234]}", &e), 1);
	CHECK_EQ(transform_chain_parses(tc), 1);
	/* Compact, in order, and numbers as they came. */
	CHECK(tf_is(&r.value, "{\"z\":0.0,\"w\":[0.1,1e+300,12345678901234],\"a\":\"1\",\"b\":\"2\"}"));
	CHECK(tf_is(&r.key, "1.1"));

	/* A step that rewrites the bytes ends the run: the next parses again. */
	tf_again(tc, &f);
	tf_transform(&f, "a", "type=insert-field", "static.field=a", "static.value=x", NULL);
	tf_transform(&f, "m", "type=mask", "regex=x", NULL);
	tf_transform(&f, "b", "type=insert-field", "static.field=b", "static.value=y", NULL);
	tc = tf_chain(&f);
	REQUIRE(tc);
	CHECK_EQ(tf_run(tc, &r, "t", NULL, "{}", &e), 1);
	CHECK(tf_is(&r.value, "{\"a\":\"*\",\"b\":\"y\"}"));
	CHECK_EQ(transform_chain_parses(tc), 2);
	tf_finish(tc, &r, &f);
}

static void test_mask_fields_and_regex(void)
{
	struct tfix f;
	struct crec r;
	struct err e;
	tf_begin(&f, &r);
	tf_transform(&f, "m", "type=MaskField$Value", "fields=s,n,r,b,o,/deep/x,missing", NULL);
	struct transform_chain *tc = tf_chain(&f);
	REQUIRE(tc);
	CHECK_EQ(tf_run(tc, &r, "t", NULL,
		     "{\"s\":\"pw\",\"n\":42,\"r\":2.5,\"b\":true,\"o\":{\"a\":1},\"deep\":{\"x\":\"y\"},"
		     "\"keep\":null}",
		     &e),
		 1);
	CHECK(tf_is(&r.value, "{\"s\":\"\",\"n\":0,\"r\":0.0,\"b\":false,\"o\":{},\"deep\":{\"x\":\"\"},"
			   "\"keep\":null}"));
	tf_again(tc, &f);
	tf_transform(&f, "m", "type=mask", "fields=email", "replacement=***", NULL);
	tf_transform(&f, "cards", "type=mask", "regex=([0-9]{12})([0-9]{4})", "replacement=XXXX$2", NULL);
	tf_transform(&f, "pins", "type=mask", "regex=pin=[0-9]+", NULL);
	tc = tf_chain(&f);
	REQUIRE(tc);
	CHECK_EQ(tf_run(tc, &r, "t", NULL, "{\"email\":\"a@b\",\"card\":\"4111111111111111 pin=1234\"}",
		     &e),
		 1);
	CHECK(tf_is(&r.value, "{\"email\":\"***\",\"card\":\"XXXX1111 ********\"}"));
	tf_finish(tc, &r, &f);
}

static void test_timestamp_from_a_field_or_a_header(void)
{
	struct tfix f;
	struct crec r;
	struct err e;
	tf_begin(&f, &r);
	tf_transform(&f, "t", "type=timestamp", "field=/at", NULL);
	struct transform_chain *tc = tf_chain(&f);
	REQUIRE(tc);
	CHECK_EQ(tf_run(tc, &r, "t", NULL, "{\"at\":1700000000123}", &e), 1);
	CHECK_EQ(r.timestamp, 1700000000123LL);
	CHECK_EQ(tf_run(tc, &r, "t", NULL, "{\"at\":\"2026-12-01T02:30:00.250Z\"}", &e), 1);
	CHECK_EQ(r.timestamp, 1796092200250LL);
	CHECK_EQ(tf_run(tc, &r, "t", NULL, "{\"at\":\"2026-12-01 04:30:00+02:00\"}", &e), 1);
	CHECK_EQ(r.timestamp, 1796092200000LL);
	CHECK_EQ(tf_run(tc, &r, "t", NULL, "{\"at\":\"yesterday\"}", &e), SLOG_EINVALID_TIMESTAMP);
	CHECK_EQ(tf_run(tc, &r, "t", NULL, "{}", &e), SLOG_EINVALID_TIMESTAMP);
	CHECK(strcmp(e.msg, "transforms.t: value has no time in field /at") == 0);
	tf_again(tc, &f);
	tf_transform(&f, "t", "type=timestamp", "header=sent", "unix.precision=seconds", NULL);
	tc = tf_chain(&f);
	REQUIRE(tc);
	tf_rec(&r, "t", NULL, "not json at all");
	crec_add_header(&r, "sent", "1700000000", 10);
	CHECK_EQ(transform_chain_apply(tc, &r, &e), 1);
	CHECK_EQ(r.timestamp, 1700000000000LL);
	CHECK_EQ(transform_chain_parses(tc), 0);
	tf_finish(tc, &r, &f);

	int64_t ms;
	CHECK_EQ(transform_timestamp_parse_iso("2026-12-01", 10, &ms, &e), 0);
	CHECK_EQ(ms, 1796083200000LL);
	CHECK(transform_timestamp_parse_iso("2026-13-01", 10, &ms, &e) < 0);
	CHECK(transform_timestamp_parse_iso("2026-12-01T02:3", 15, &ms, &e) < 0);
}

/* The message building a chain of one transform with these keys gives. */
static const char *error_of(const char *k1, const char *k2, const char *k3)
{
	static char msg[320];
	struct tfix f;
	tf_init(&f);
	tf_predicate(&f, "p", "type=tombstone", NULL);
	tf_transform(&f, "x", k1, k2, k3, NULL);
	snprintf(msg, sizeof(msg), "%s", tf_chain_error(&f));
	tf_free(&f);
	return msg;
}

#define CHECK_ERROR(msg, k1, k2, k3)                                  \
	do {                                                          \
		const char *got_ = error_of(k1, k2, k3);              \
		if (!CHECK(strcmp(got_, msg) == 0))                   \
			unit_diag("  got '%s'", got_);                \
	} while (0)

static void test_errors_name_the_key_and_where_it_was_set(void)
{
	/* The predicate block is line 1: the transform's keys are lines 2.. */
	CHECK_ERROR("t.conf:3: transforms.x.fieldz: unknown config key", "type=mask", "fieldz=a", NULL);
	CHECK_ERROR("t.conf:2: transforms.x.type: unknown transform type 'masker'", "type=masker", NULL,
		    NULL);
	CHECK_ERROR("t.conf:3: transforms.x.regex: bad regular expression '(': "
		    "Unmatched ( or \\(",
		    "type=route", "regex=(", "replacement=y");
	CHECK_ERROR("t.conf:3: transforms.x.replacement: '$2': the regex has 1 group(s)", "type=route",
		    "replacement=$2", "regex=(a)");
	CHECK_ERROR("t.conf:2: transforms.x.regex: missing", "type=route", "replacement=y", NULL);
	CHECK_ERROR("t.conf:3: transforms.x.negate: 'maybe' is not a boolean (true or false)", "type=filter",
		    "negate=maybe", NULL);
	CHECK_ERROR("t.conf:3: transforms.x.negate: negate needs a predicate", "type=insert-header",
		    "negate=true", "header=h");
	CHECK_ERROR("t.conf:3: transforms.x.predicate: no predicate 'q' (predicates = ... and "
		    "predicates.q.type)",
		    "type=drop-headers", "predicate=q", "headers=a");
	CHECK_ERROR("t.conf:3: transforms.x.predicate: a filter takes a predicate or its own "
		    "conditions, not both",
		    "type=filter", "predicate=p", "tombstone=true");
	CHECK_ERROR("t.conf:2: transforms.x: mask takes fields or regex (one of them)", "type=mask",
		    NULL, NULL);
	CHECK_ERROR("t.conf:3: transforms.x.value.from: 'ip' is not one of "
		    "timestamp|topic|partition|offset|connector|host",
		    "type=insert-header", "value.from=ip", "header=h");
	CHECK_ERROR("t.conf:3: transforms.x.timestamp.format: 'S' is not one of the pattern letters "
		    "known (yyyy yy MM dd HH mm ss DDD EEE MMM); strftime's % codes take the rest",
		    "type=route.time", "timestamp.format=yyyyMMddSSS", NULL);
	CHECK_ERROR("t.conf:3: transforms.x.exec.command: command 'no-such-command-here': "
		    "No such file or directory",
		    "type=exec", "exec.command=no-such-command-here --x", NULL);
	CHECK_ERROR("t.conf:3: transforms.x.exec.command: command 'jq 'x': unclosed quote", "type=exec",
		    "exec.command=jq 'x", NULL);
	CHECK_ERROR("t.conf:3: transforms.x.fields: '/a~2': '~' not followed by 0 or 1",
		    "type=value-to-key", "fields=/a~2", NULL);
	CHECK_ERROR("t.conf:4: transforms.x.headers: 1 header(s) for 2 field(s)", "type=header-from",
		    "fields=a,b", "headers=h");

	struct tfix f;
	tf_init(&f);
	tf_predicate(&f, "p", "type=HasHeaderKey", NULL);
	const char *msg = tf_chain_error(&f);
	CHECK(strcmp(msg, "t.conf:1: predicates.p: has-header needs 'name'") == 0);
	tf_free(&f);
	tf_init(&f);
	tf_predicate(&f, "p", "type=match", "tombstone=false", NULL);
	msg = tf_chain_error(&f);
	CHECK(strcmp(msg, "t.conf:1: predicates.p: a match predicate needs a condition") == 0);
	tf_free(&f);
}

struct listed {
	int n, exec;
};

static void count_type(void *arg, const char *type, const char *doc)
{
	struct listed *seen = arg;
	seen->n++;
	seen->exec |= strcmp(type, "exec") == 0 && doc && *doc;
}

static void test_check_refuses_bad_keys_and_starts_nothing(void)
{
	struct tfix f;
	struct err e;
	tf_init(&f);
	tf_transform(&f, "x", "type=exec", "exec.command=no-such-command-here", NULL);
	CHECK_EQ(transform_chain_check(&f.cc, &e), 0);
	tf_transform(&f, "y", "type=route", "regex=a", "replacement=b", "pattern=c", NULL);
	CHECK_EQ(transform_chain_check(&f.cc, &e), SLOG_EINVALID_CONFIG);
	if (!CHECK(strcmp(e.msg, "t.conf:6: transforms.y.pattern: unknown config key") == 0))
		unit_diag("  got %s", e.msg);
	tf_free(&f);
}

static void test_types_are_listed(void)
{
	struct listed seen = { 0, 0 };
	transform_list_types(count_type, &seen);
	CHECK_EQ(seen.n, 14);
	CHECK(seen.exec);
}

int main(void)
{
	unit_run("an empty chain keeps every record", test_an_empty_chain_keeps_every_record);
	unit_run("filter drops what its conditions match", test_filter_drops_what_its_conditions_match);
	unit_run("filter with negate keeps only what matches",
		 test_filter_with_negate_keeps_only_what_matches);
	unit_run("Kafka's Filter with a predicate and negate", test_kafka_filter_with_a_predicate_and_negate);
	unit_run("a predicate guards any transform", test_a_predicate_guards_any_transform);
	unit_run("route renames topics with groups", test_route_renames_topics_with_groups);
	unit_run("route.time names the topic by the record time",
		 test_route_time_names_the_topic_by_the_record_time);
	unit_run("insert-header static and from the record",
		 test_insert_header_static_and_from_the_record);
	unit_run("drop-headers removes every named one", test_drop_headers_removes_every_named_one);
	unit_run("value-to-key and header-from read JSON pointers",
		 test_value_to_key_and_header_from_read_json_pointers);
	unit_run("insert, replace, extract and hoist fields", test_insert_replace_extract_hoist_fields);
	unit_run("Kafka's $Key classes work on the key", test_kafka_key_classes_work_on_the_key);
	unit_run("a run of JSON steps parses once and writes once",
		 test_a_run_of_json_steps_parses_once_and_writes_once);
	unit_run("mask fields and regex", test_mask_fields_and_regex);
	unit_run("timestamp from a field or a header", test_timestamp_from_a_field_or_a_header);
	unit_run("errors name the key and where it was set",
		 test_errors_name_the_key_and_where_it_was_set);
	unit_run("check refuses bad keys and starts nothing",
		 test_check_refuses_bad_keys_and_starts_nothing);
	unit_run("types are listed", test_types_are_listed);
	return unit_done();
}
