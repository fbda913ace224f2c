/*
 * test_mirror_names.c: the mirror's topic and group lists read as
 * MirrorMaker 2 reads them (comma-separated whole-name expressions, an
 * exclude list over an include list, MM2's defaults), and translate
 * mode's rename.
 */
#include <string.h>

#include "connectors/mirror_names.h"
#include "unit.h"

static void test_lists_match_whole_names(void)
{
	struct mirror_filter f;

	REQUIRE(mirror_filter_init(&f, "orders, pay.*", "topics", NULL, "topics.exclude", NULL) == 0);
	CHECK(mirror_filter_match(&f, "orders"));
	CHECK(!mirror_filter_match(&f, "orders-eu")); /* a whole name, not a part */
	CHECK(!mirror_filter_match(&f, "old-orders"));
	CHECK(mirror_filter_match(&f, "payments"));
	CHECK(mirror_filter_match(&f, "pay"));
	mirror_filter_free(&f);
}

static void test_mm2_defaults_exclude_internal_topics_and_groups(void)
{
	struct mirror_filter t, g;

	REQUIRE(mirror_filter_init(&t, ".*", "topics", ".*[-.]internal,.*\\.replica,__.*",
				   "topics.exclude", NULL) == 0);
	CHECK(mirror_filter_match(&t, "orders"));
	CHECK(!mirror_filter_match(&t, "app-internal"));
	CHECK(!mirror_filter_match(&t, "app.internal"));
	CHECK(!mirror_filter_match(&t, "orders.replica"));
	CHECK(!mirror_filter_match(&t, "__consumer_offsets"));
	CHECK(mirror_filter_match(&t, "internal"));
	REQUIRE(mirror_filter_init(&g, ".*", "groups", "console-consumer-.*,connect-.*,__.*",
				   "groups.exclude", NULL) == 0);
	CHECK(mirror_filter_match(&g, "billing"));
	CHECK(!mirror_filter_match(&g, "connect-mirror"));
	CHECK(!mirror_filter_match(&g, "console-consumer-4711"));
	mirror_filter_free(&t);
	mirror_filter_free(&g);
}

static void test_a_bad_expression_names_its_key(void)
{
	struct mirror_filter f;
	struct err e;

	CHECK_EQ(mirror_filter_init(&f, "ok,(bad", "topics", NULL, "topics.exclude", &e),
		 SLOG_EINVALID_CONFIG);
	CHECK(strstr(e.msg, "topics: '(bad'") != NULL);
	CHECK_EQ(mirror_filter_init(&f, ".*", "groups", "[x", "groups.exclude", &e),
		 SLOG_EINVALID_CONFIG);
	CHECK(strstr(e.msg, "groups.exclude") != NULL);
}

static void test_rename_replaces_groups(void)
{
	regex_t re;
	char out[256];
	struct err e;

	REQUIRE(mirror_regex_whole(&re, "(.*)\\.events", "topic.rename.regex", NULL) == 0);
	CHECK_EQ(mirror_rename(&re, "east.$1", "orders.events", out, sizeof(out), &e), 0);
	CHECK(strcmp(out, "east.orders") == 0);
	CHECK_EQ(mirror_rename(&re, "east.$1", "orders", out, sizeof(out), &e), 0);
	CHECK(strcmp(out, "orders") == 0); /* not matched: the same name */
	CHECK_EQ(mirror_rename(&re, "$$$1", "a.events", out, sizeof(out), &e), 0);
	CHECK(strcmp(out, "$a") == 0);
	CHECK_EQ(mirror_rename(&re, "$1", "a.events", out, 1, &e), SLOG_EINVALID_TOPIC);
	CHECK_EQ(mirror_rename(NULL, NULL, "plain", out, sizeof(out), &e), 0);
	CHECK(strcmp(out, "plain") == 0);
	regfree(&re);
}

int main(void)
{
	unit_run("topics and groups are lists of whole-name expressions", test_lists_match_whole_names);
	unit_run("MirrorMaker 2's defaults leave out internal topics and groups",
		 test_mm2_defaults_exclude_internal_topics_and_groups);
	unit_run("an expression that does not compile names its key", test_a_bad_expression_names_its_key);
	unit_run("a rename replaces $N with the expression's groups", test_rename_replaces_groups);
	return unit_done();
}
