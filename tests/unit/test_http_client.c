/*
 * test_http_client.c: how a broker address from -b, SLOG_BROKERS or a
 * config file becomes the URL the client calls.  No request is made.
 */
#include <string.h>

#include "http_client.h"
#include "unit.h"

/* The base URL http_client_init() makes of addr, or "" when it refuses it. */
static const char *base_of(const char *addr, struct err *e)
{
	static struct http_client c;
	static char base[sizeof(c.base)];

	if (http_client_init(&c, addr, e)) {
		http_client_free(&c);
		return "";
	}
	memcpy(base, c.base, sizeof(base));
	http_client_free(&c);
	return base;
}

static int base_is(const char *addr, const char *want)
{
	struct err e;
	const char *got = base_of(addr, &e);

	if (strcmp(got, want) == 0)
		return 1;
	unit_diag("  '%s' gave '%s', expected '%s'", addr, got, want);
	return 0;
}

static void test_a_host_without_a_port_means_9292(void)
{
	CHECK(base_is("localhost", "http://localhost:9292"));
	CHECK(base_is("broker1.example", "http://broker1.example:9292"));
	CHECK(base_is("http://localhost", "http://localhost:9292"));
	CHECK(base_is("http://localhost/", "http://localhost:9292"));
	CHECK(base_is("127.0.0.1", "http://127.0.0.1:9292"));
}

static void test_a_given_port_is_kept(void)
{
	CHECK(base_is("localhost:80", "http://localhost:80"));
	CHECK(base_is("127.0.0.1:4000", "http://127.0.0.1:4000"));
	CHECK(base_is("http://h:1/", "http://h:1"));
}

static void test_ipv6_addresses_take_brackets(void)
{
	CHECK(base_is("[::1]", "http://[::1]:9292"));
	CHECK(base_is("[::1]:4000", "http://[::1]:4000"));
	CHECK(base_is("http://[fe80::1]:7", "http://[fe80::1]:7"));
	/* Without brackets, the colons are the address's own. */
	CHECK(base_is("::1", "http://[::1]:9292"));
}

static void test_an_advertised_ipv6_host_gets_brackets(void)
{
	char url[64];

	http_base_url(url, sizeof(url), "::1", 4000);
	CHECK(strcmp(url, "http://[::1]:4000") == 0);
	http_base_url(url, sizeof(url), "10.0.0.1", 4000);
	CHECK(strcmp(url, "http://10.0.0.1:4000") == 0);
}

static void test_a_bad_address_is_refused_by_name(void)
{
	struct err e;

	CHECK_EQ(strlen(base_of("h:", &e)), 0);
	CHECK(strstr(e.msg, "'h:'") != NULL);
	CHECK_EQ(strlen(base_of("h:http", &e)), 0);
	CHECK(strstr(e.msg, "port") != NULL);
	CHECK_EQ(strlen(base_of("h:70000", &e)), 0);
	CHECK_EQ(strlen(base_of("h:0", &e)), 0);
	CHECK_EQ(strlen(base_of("[::1", &e)), 0);
	CHECK_EQ(strlen(base_of("[::1]x", &e)), 0);
	CHECK_EQ(strlen(base_of(":9292", &e)), 0);
	CHECK_EQ(strlen(base_of("https://h", &e)), 0);
	CHECK(strstr(e.msg, "only http://") != NULL);
	CHECK_EQ(strlen(base_of("", &e)), 0);
}

int main(void)
{
	unit_run("a host without a port means 9292", test_a_host_without_a_port_means_9292);
	unit_run("a given port is kept", test_a_given_port_is_kept);
	unit_run("IPv6 addresses take brackets", test_ipv6_addresses_take_brackets);
	unit_run("an advertised IPv6 host gets brackets", test_an_advertised_ipv6_host_gets_brackets);
	unit_run("a bad address is refused by name", test_a_bad_address_is_refused_by_name);
	return unit_done();
}
