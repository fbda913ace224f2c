/*
 * test_client_config.c: the client config file, SLOG_<KEY> names and -X
 * pairs: what is read, what is skipped, and errors that name the place.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client_config.h"
#include "unit.h"

/* Write text to a file in the test's directory; returns its path. */
static const char *write_file(const char *text)
{
	static char path[4200];
	FILE *f;

	snprintf(path, sizeof(path), "%s/slog.conf", unit_tmpdir());
	f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
	return path;
}

static const struct client_value *value_of(const struct client_config *cc, const char *key)
{
	size_t n;
	const struct client_key *keys = client_config_keys(&n);

	return &cc->v[client_config_find(key) - keys];
}

static void test_a_file_gives_values_with_their_line(void)
{
	struct client_config cc;
	struct err e;
	const char *path = write_file("# a comment\n\n  brokers = h1:1,h2  # the lab\n"
				      "linger.ms=20\nclient.id = \"a #1\" # quoted\n");

	client_config_init(&cc, CLIENT_PRODUCE);
	REQUIRE_EQ(client_config_load_file(&cc, path, &e), 0);
	CHECK(strcmp(value_of(&cc, "brokers")->value, "h1:1,h2") == 0);
	CHECK(strstr(value_of(&cc, "brokers")->where, "slog.conf:3") != NULL);
	CHECK(strcmp(value_of(&cc, "linger.ms")->value, "20") == 0);
	CHECK_EQ(value_of(&cc, "linger.ms")->src, CLIENT_SRC_FILE);
	/* client.id is slog-consume's: skipped here, kept there. */
	CHECK(value_of(&cc, "client.id")->value == NULL);
	client_config_free(&cc);
	client_config_init(&cc, CLIENT_CONSUME);
	REQUIRE_EQ(client_config_load_file(&cc, path, &e), 0);
	CHECK(strcmp(value_of(&cc, "client.id")->value, "a #1") == 0);
	CHECK(value_of(&cc, "linger.ms")->value == NULL);
	client_config_free(&cc);
}

static void test_a_bad_line_names_file_and_line(void)
{
	struct client_config cc;
	struct err e;

	client_config_init(&cc, CLIENT_TOPICS);
	CHECK_EQ(client_config_load_file(&cc, write_file("brokers = h\nno.such.key = 1\n"), &e),
		 SLOG_EINVALID_CONFIG);
	CHECK(strstr(e.msg, "slog.conf:2: unknown key 'no.such.key'") != NULL);
	CHECK_EQ(client_config_load_file(&cc, write_file("\nbrokers h\n"), &e), SLOG_EINVALID_CONFIG);
	CHECK(strstr(e.msg, "slog.conf:2: expected 'key = value'") != NULL);
	CHECK_EQ(client_config_load_file(&cc, write_file("= h\n"), &e), SLOG_EINVALID_CONFIG);
	CHECK_EQ(client_config_load_file(&cc, "/nonexistent/slog.conf", &e), SLOG_EINVALID_CONFIG);
	CHECK(strstr(e.msg, "cannot read config file '/nonexistent/slog.conf'") != NULL);
	client_config_free(&cc);
}

static void test_every_key_has_its_variable_and_option(void)
{
	char name[80];

	client_config_env_name(client_config_find("session.timeout.ms"), name, sizeof(name));
	CHECK(strcmp(name, "SLOG_SESSION_TIMEOUT_MS") == 0);
	client_config_env_name(client_config_find("brokers"), name, sizeof(name));
	CHECK(strcmp(name, "SLOG_BROKERS") == 0);
	client_config_option(client_config_find("max.in.flight"), name, sizeof(name));
	CHECK(strcmp(name, "max-in-flight") == 0);
}

static void test_the_environment_overrides_the_file(void)
{
	struct client_config cc;
	struct err e;

	client_config_init(&cc, CLIENT_GROUPS);
	REQUIRE_EQ(client_config_load_file(&cc, write_file("timeout.ms = 5s\n"), &e), 0);
	setenv("SLOG_TIMEOUT_MS", "7s", 1);
	setenv("SLOG_LINGER_MS", "9", 1); /* not slog-groups' key */
	client_config_load_env(&cc);
	CHECK(strcmp(value_of(&cc, "timeout.ms")->value, "7s") == 0);
	CHECK(strcmp(value_of(&cc, "timeout.ms")->where, "SLOG_TIMEOUT_MS") == 0);
	CHECK(value_of(&cc, "linger.ms")->value == NULL);
	setenv("SLOG_TIMEOUT_MS", "", 1); /* empty: unset */
	client_config_free(&cc);
	client_config_init(&cc, CLIENT_GROUPS);
	client_config_load_env(&cc);
	CHECK(value_of(&cc, "timeout.ms")->value == NULL);
	unsetenv("SLOG_TIMEOUT_MS");
	unsetenv("SLOG_LINGER_MS");
	client_config_free(&cc);
}

static void test_x_pairs_are_checked_for_the_program(void)
{
	struct client_config cc;
	struct err e;

	client_config_init(&cc, CLIENT_TOPICS);
	CHECK_EQ(client_config_set_pair(&cc, "timeout.ms=1s", &e), 0);
	CHECK_EQ(value_of(&cc, "timeout.ms")->src, CLIENT_SRC_FLAG);
	CHECK_EQ(client_config_set_pair(&cc, "linger.ms=1", &e), SLOG_EINVALID_CONFIG);
	CHECK(strstr(e.msg, "slog-topics does not take 'linger.ms' (slog-produce does)") != NULL);
	CHECK_EQ(client_config_set_pair(&cc, "nope=1", &e), SLOG_EINVALID_CONFIG);
	CHECK(strstr(e.msg, "unknown key 'nope'") != NULL);
	CHECK_EQ(client_config_set_pair(&cc, "brokers", &e), SLOG_EINVALID_CONFIG);
	CHECK(strstr(e.msg, "is not KEY=VALUE") != NULL);
	client_config_free(&cc);
}

int main(void)
{
	unit_run("a file gives values with their line", test_a_file_gives_values_with_their_line);
	unit_run("a bad line names file and line", test_a_bad_line_names_file_and_line);
	unit_run("every key has its variable and option", test_every_key_has_its_variable_and_option);
	unit_run("the environment overrides the file", test_the_environment_overrides_the_file);
	unit_run("-X pairs are checked for the program", test_x_pairs_are_checked_for_the_program);
	return unit_done();
}
