/*
 * test_http_policy.c: which Host and Origin values a request may carry,
 * and which content types are JSON.
 */
#include <string.h>

#include "http/http_policy.h"
#include "unit.h"

static void test_hosts_are_addresses_or_the_brokers_names(void)
{
	struct http_policy p;
	struct err e;

	http_policy_init(&p, NULL, "0.0.0.0", "broker1.example");
	CHECK_EQ(http_policy_host(&p, "127.0.0.1:9292", &e), 0);
	CHECK_EQ(http_policy_host(&p, "127.0.0.1", &e), 0);
	CHECK_EQ(http_policy_host(&p, "10.1.2.3:80", &e), 0);
	CHECK_EQ(http_policy_host(&p, "[::1]:9292", &e), 0);
	CHECK_EQ(http_policy_host(&p, "[::1]", &e), 0);
	CHECK_EQ(http_policy_host(&p, "localhost:9292", &e), 0);
	CHECK_EQ(http_policy_host(&p, "LocalHost.", &e), 0);
	CHECK_EQ(http_policy_host(&p, "broker1.example:9292", &e), 0);
	CHECK_EQ(http_policy_host(NULL, NULL, &e), 0); /* HTTP/1.0: no Host */
	CHECK_EQ(http_policy_host(&p, "rebind.example:9292", &e), SLOG_EPOLICY_VIOLATION);
	CHECK(strstr(e.msg, "rebind.example") != NULL);
	CHECK_EQ(http_policy_host(&p, "localhost.evil.example", &e), SLOG_EPOLICY_VIOLATION);
	CHECK_EQ(http_policy_host(&p, "127.0.0.1.evil.example", &e), SLOG_EPOLICY_VIOLATION);
	CHECK_EQ(http_policy_host(&p, "localhost:92x", &e), SLOG_EPOLICY_VIOLATION);
	CHECK_EQ(http_policy_host(&p, "[::1", &e), SLOG_EPOLICY_VIOLATION);
	CHECK_EQ(http_policy_host(&p, "", &e), SLOG_EPOLICY_VIOLATION);
	CHECK_EQ(http_policy_host(&p, ":9292", &e), SLOG_EPOLICY_VIOLATION);
	http_policy_free(&p);
}

static void test_origins_are_listed_or_refused(void)
{
	struct http_policy p;

	http_policy_init(&p, NULL, NULL, NULL);
	CHECK(!http_policy_origin_allowed(&p, "http://127.0.0.1:9292"));
	CHECK(!http_policy_origin_allowed(&p, "null"));
	http_policy_free(&p);
	http_policy_init(&p, " http://ui.example , https://ops.example:8443", NULL, NULL);
	CHECK(http_policy_origin_allowed(&p, "http://ui.example"));
	CHECK(http_policy_origin_allowed(&p, "HTTPS://ops.example:8443"));
	CHECK(!http_policy_origin_allowed(&p, "http://ui.example.evil"));
	http_policy_free(&p);
	http_policy_init(&p, "*", NULL, NULL);
	CHECK(http_policy_origin_allowed(&p, "http://anything.example"));
	http_policy_free(&p);
}

static void test_json_is_application_json_with_parameters(void)
{
	CHECK(http_policy_is_json("application/json"));
	CHECK(http_policy_is_json("Application/JSON; charset=utf-8"));
	CHECK(!http_policy_is_json("text/plain"));
	CHECK(!http_policy_is_json("application/x-www-form-urlencoded"));
	CHECK(!http_policy_is_json("application/jsonx"));
	CHECK(!http_policy_is_json(NULL));
}

int main(void)
{
	unit_run("hosts are addresses or the broker's names",
		 test_hosts_are_addresses_or_the_brokers_names);
	unit_run("origins are listed or refused", test_origins_are_listed_or_refused);
	unit_run("JSON is application/json, parameters allowed",
		 test_json_is_application_json_with_parameters);
	return unit_done();
}
