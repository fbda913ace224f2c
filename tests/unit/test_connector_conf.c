/*
 * test_connector_conf.c: connector files and the worker file: keys,
 * classes by Kafka's names, ${...} references, sections, transform
 * blocks, and errors that name the key and its place.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/connector_conf.h"
#include "unit.h"

static const struct conf_def probe_keys[] = {
	{ "file", CONF_STRING, NULL, 0, 0, 0, NULL, "a path" },
	{ "batch.size", CONF_INT, "10", 1, 1000, 0, NULL, "a number" },
	{ "topics", CONF_STRING, "own-default", 0, 0, 0, NULL, "the class's own topics" },
};
static const char *const probe_aliases[] = { "ProbeSource", "org.example.ProbeSourceConnector",
					     NULL };
static const struct connector_class probe_class = {
	"probe-source", probe_aliases, CONNECTOR_SOURCE, probe_keys,
	sizeof(probe_keys) / sizeof(probe_keys[0]), NULL, NULL, NULL,
};

static char *write_file(const char *name, const char *text)
{
	static char path[4200];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", unit_tmpdir(), name);
	f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
	return path;
}

static int load(const char *text, const char *const *sets, size_t nsets,
		const struct worker_conf *wc, struct connector_conf **cc, struct err *e)
{
	return connector_conf_load(write_file("c.conf", text), sets, nsets, wc, cc, e);
}

static void test_kafka_names(void)
{
	struct connector_conf *cc;
	struct err e;

	REQUIRE(load("name=local-file-source\nconnector.class=ProbeSource\ntasks.max=1\n"
		     "file=test.txt\ntopic=connect-test\n", NULL, 0, NULL, &cc, &e) == 0);
	CHECK(strcmp(cc->name, "local-file-source") == 0);
	CHECK(cc->cls == &probe_class);
	CHECK(strcmp(cc_str(cc, "file"), "test.txt") == 0);
	CHECK(strcmp(cc_str(cc, "topic"), "connect-test") == 0);
	CHECK_EQ(cc_num(cc, "batch.size"), 10);
	/* The class's own key replaces the common one. */
	CHECK(strcmp(cc_str(cc, "topics"), "own-default") == 0);
	connector_conf_free(cc);
	REQUIRE(load("name=a\nconnector.class=org.example.ProbeSourceConnector\n", NULL, 0, NULL,
		     &cc, &e) == 0);
	connector_conf_free(cc);
}

static void test_unknown_key_names_place(void)
{
	struct connector_conf *cc;
	struct err e;

	REQUIRE(load("name=a\nconnector.class=probe-source\n\nfiel=x\n", NULL, 0, NULL, &cc, &e) ==
		SLOG_EINVALID_CONFIG);
	CHECK(strstr(e.msg, "c.conf:4") != NULL);
	CHECK(strstr(e.msg, "fiel") != NULL);
	REQUIRE(load("name=a\nconnector.class=nope\n", NULL, 0, NULL, &cc, &e) ==
		SLOG_EINVALID_CONFIG);
	CHECK(strstr(e.msg, "c.conf:2: connector.class: unknown class 'nope'") != NULL);
	REQUIRE(load("connector.class=probe-source\n", NULL, 0, NULL, &cc, &e) ==
		SLOG_EINVALID_CONFIG);
	CHECK(strstr(e.msg, "name is not set") != NULL);
	REQUIRE(load("name=a\nconnector.class=probe-source\nbatch.size=lots\n", NULL, 0, NULL, &cc,
		     &e) == SLOG_EINVALID_CONFIG);
	CHECK(strstr(e.msg, "c.conf:3: batch.size") != NULL);
}

static void test_references(void)
{
	struct connector_conf *cc;
	struct err e;
	char text[8400];

	setenv("PROBE_TOPIC", "from-env", 1);
	unsetenv("PROBE_UNSET");
	snprintf(text, sizeof(text),
		 "name=a-${PROBE_TOPIC}\nconnector.class=probe-source\ntopic=${PROBE_UNSET:-dflt}\n"
		 "file=${file:%s}\n", write_file("secret", "s3cret\n"));
	REQUIRE(load(text, NULL, 0, NULL, &cc, &e) == 0);
	CHECK(strcmp(cc->name, "a-from-env") == 0);
	CHECK(strcmp(cc_str(cc, "topic"), "dflt") == 0);
	CHECK(strcmp(cc_str(cc, "file"), "s3cret") == 0);
	connector_conf_free(cc);
	REQUIRE(load("name=a\nconnector.class=probe-source\ntopic=${PROBE_UNSET}\n", NULL, 0, NULL,
		     &cc, &e) == SLOG_EINVALID_CONFIG);
	CHECK(strstr(e.msg, "c.conf:3: topic") != NULL);
	CHECK(strstr(e.msg, "PROBE_UNSET is not set") != NULL);
	REQUIRE(load("name=a\nconnector.class=probe-source\ntopic=$${literal}\n", NULL, 0, NULL, &cc,
		     &e) == 0);
	CHECK(strcmp(cc_str(cc, "topic"), "${literal}") == 0);
	connector_conf_free(cc);
}

static void test_sections_and_blocks(void)
{
	struct connector_conf *cc;
	struct err e;

	REQUIRE(load("name=a\nconnector.class=probe-source\ntransforms = drop, host\n"
		     "[transforms.drop]\ntype = filter\nvalue.regex = GET /healthz\n"
		     "[transforms.host]\ntype=insert-header\nheader=host\nvalue=h1\n[]\ntopic=t\n",
		     NULL, 0, NULL, &cc,
		     &e) == 0);
	REQUIRE_EQ(cc->ntransforms, 2);
	CHECK(strcmp(cc->transforms[0].alias, "drop") == 0);
	CHECK(strcmp(conf_block_get(&cc->transforms[0], "type"), "filter") == 0);
	CHECK(strcmp(conf_block_get(&cc->transforms[0], "value.regex"), "GET /healthz") == 0);
	CHECK(strcmp(conf_block_get(&cc->transforms[1], "type"), "insert-header") == 0);
	CHECK(strcmp(cc->transforms[0].origins[0] + strlen(cc->transforms[0].origins[0]) - 2,
		     ":5") == 0);
	CHECK(strcmp(cc_str(cc, "topic"), "t") == 0);
	connector_conf_free(cc);
	REQUIRE(load("name=a\nconnector.class=probe-source\ntransforms=x\ntransforms.y.type=filter\n",
		     NULL, 0, NULL, &cc, &e) == SLOG_EINVALID_CONFIG);
	CHECK(strstr(e.msg, "c.conf:4") != NULL);
	CHECK(strstr(e.msg, "'y' is not listed in 'transforms'") != NULL);

}

static void test_converters(void)
{
	struct connector_conf *cc;
	struct err e;

	REQUIRE(load("name=a\nconnector.class=probe-source\n"
		     "value.converter=org.apache.kafka.connect.storage.StringConverter\n"
		     "value.converter.schemas.enable=false\n", NULL, 0, NULL, &cc, &e) == 0);
	connector_conf_free(cc);
	REQUIRE(load("name=a\nconnector.class=probe-source\n"
		     "value.converter=io.confluent.connect.avro.AvroConverter\n", NULL, 0, NULL, &cc,
		     &e) == SLOG_EINVALID_CONFIG);
	CHECK(strstr(e.msg, "c.conf:3: value.converter") != NULL);
}

static void test_overrides_and_worker_defaults(void)
{
	const char *sets[] = { "topic=over", "bootstrap.servers=127.0.0.1:1", "errors.log.enable=true" };
	struct worker_conf wc;
	struct connector_conf *cc;
	struct err e;
	uint64_t d1;

	REQUIRE(worker_conf_load(write_file("w.conf", "errors.tolerance = all\nlisteners=\n"), sets,
				 3, &wc, &e) == 0);
	CHECK(strcmp(wc.brokers, "127.0.0.1:1") == 0);
	CHECK(conf_get_bool(&wc.conf, "errors.log.enable"));
	REQUIRE(load("name=a\nconnector.class=probe-source\ntopic=file\n", sets, 3, &wc, &cc, &e) ==
		0);
	CHECK(strcmp(cc_str(cc, "topic"), "over") == 0);
	CHECK_EQ(cc_num(cc, "errors.tolerance"), 1);
	d1 = cc->digest;
	connector_conf_free(cc);
	REQUIRE(load("name=a\nconnector.class=probe-source\ntopic=file\nerrors.tolerance=none\n",
		     sets, 3, &wc, &cc, &e) == 0);
	CHECK_EQ(cc_num(cc, "errors.tolerance"), 0);
	CHECK(cc->digest != d1);
	connector_conf_free(cc);
	worker_conf_free(&wc);
	REQUIRE(worker_conf_load(write_file("w.conf", "no.such.key = 1\n"), NULL, 0, &wc, &e) ==
		SLOG_EINVALID_CONFIG);
	CHECK(strstr(e.msg, "w.conf:1") != NULL);
}

static void test_print_hides_secrets(void)
{
	static const struct conf_def keys[] = {
		{ "http.token", CONF_STRING, NULL, 0, 0, 0, NULL, "a bearer token" },
	};
	static const struct connector_class secret_class = {
		"secret-sink", NULL, CONNECTOR_SINK, keys, 1, NULL, NULL, NULL,
	};
	struct connector_conf *cc;
	struct err e;
	char out[4096] = "";
	FILE *f;

	REQUIRE(connector_class_register(&secret_class) == 0);
	REQUIRE(load("name=s\nconnector.class=secret-sink\nhttp.token=hunter2\ntopics=t\n", NULL, 0,
		     NULL, &cc, &e) == 0);
	f = fmemopen(out, sizeof(out) - 1, "w");
	connector_conf_print(cc, f);
	fclose(f);
	CHECK(strstr(out, "hunter2") == NULL);
	CHECK(strstr(out, "http.token = (hidden)") != NULL);
	CHECK(strstr(out, "topics = t") != NULL);
	connector_conf_free(cc);
}

int main(void)
{
	connector_class_register(&probe_class);
	unit_run("a connector file takes Kafka's class names and keys", test_kafka_names);
	unit_run("an unknown key or class names the file and line", test_unknown_key_names_place);
	unit_run("${ENV}, ${ENV:-default} and ${file:PATH} resolve", test_references);
	unit_run("sections prefix keys; transform blocks are kept", test_sections_and_blocks);
	unit_run("only pass-through converters are taken", test_converters);
	unit_run("--set and the worker file's errors.* apply", test_overrides_and_worker_defaults);
	unit_run("check's listing hides secrets", test_print_hides_secrets);
	return unit_done();
}
