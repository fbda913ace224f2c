/*
 * test_exec_sink.c: the exec sink's commands: argv splitting, a batch
 * through a command's stdin, exit statuses, and stream mode's answers,
 * refusals and restarts (exec_child.h, exec_stream.h).
 *
 * The error policy is the runtime's; here a stand-in records what was
 * refused, so the test sees exactly which records went to it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "clock.h"
#include "connectors/exec_child.h"
#include "connectors/exec_stream.h"
#include "runtime/connector.h"
#include "runtime/error_policy.h"
#include "unit.h"

static int64_t refused[64];
static int nrefused;

int error_policy_failed(struct error_policy *ep, struct crec *r, const struct error_origin *o,
			const struct err *cause, struct err *e)
{
	(void)ep;
	(void)cause;
	(void)e;
	(void)r;
	if (nrefused < 64)
		refused[nrefused++] = o->offset;
	return 0;
}

int error_policy_send(struct error_policy *ep, const struct crec *r, struct err *e)
{
	(void)ep;
	(void)r;
	(void)e;
	return 0;
}

void task_log(const struct connect_task *t, int level, const char *fmt, ...)
{
	(void)t;
	(void)level;
	(void)fmt;
}

static void test_commands_split_like_a_shell_without_one(void)
{
	char **argv;
	struct err e;

	REQUIRE_EQ(exec_argv_split("tr  'a b' \"c\\\"d\" e\\ f", 0, &argv, &e), 0);
	CHECK(strcmp(argv[0], "tr") == 0);
	CHECK(strcmp(argv[1], "a b") == 0);
	CHECK(strcmp(argv[2], "c\"d") == 0);
	CHECK(strcmp(argv[3], "e f") == 0);
	CHECK(argv[4] == NULL);
	exec_argv_free(argv);
	REQUIRE_EQ(exec_argv_split("a | b", 1, &argv, &e), 0);
	CHECK(strcmp(argv[0], "/bin/sh") == 0 && strcmp(argv[2], "a | b") == 0);
	exec_argv_free(argv);
	CHECK_EQ(exec_argv_split("echo 'x", 0, &argv, &e), SLOG_EINVALID_CONFIG);
	CHECK_EQ(exec_argv_split("   ", 0, &argv, &e), SLOG_EINVALID_CONFIG);
}

static int run(const char *cmd, const char *input, int *status)
{
	char **argv;
	struct exec_child c;
	struct err e;
	int rc;

	if (exec_argv_split(cmd, 1, &argv, &e))
		return -1;
	rc = exec_child_start(&c, argv, 0, &e);
	if (!rc) {
		exec_child_write(&c, input, strlen(input), clock_mono_ms() + 5000, NULL, &e);
		exec_child_close_in(&c);
		rc = exec_child_wait(&c, clock_mono_ms() + 5000, NULL, status, &e);
	}
	exec_argv_free(argv);
	return rc;
}

static void test_a_batch_reaches_the_command_and_its_status_comes_back(void)
{
	char cmd[600], path[512], text[64] = "";
	int status = -1;

	snprintf(path, sizeof(path), "%s/out", unit_tmpdir());
	snprintf(cmd, sizeof(cmd), "cat > '%s'", path);
	REQUIRE_EQ(run(cmd, "a\nb\n", &status), 0);
	CHECK_EQ(status, 0);
	FILE *f = fopen(path, "r");
	REQUIRE(f);
	CHECK_EQ(fread(text, 1, sizeof(text) - 1, f), 4);
	fclose(f);
	CHECK(strcmp(text, "a\nb\n") == 0);

	REQUIRE_EQ(run("exit 3", "unread\n", &status), 0);
	exec_status_text(status, text, sizeof(text));
	CHECK(strcmp(text, "exit 3") == 0);

	char **argv;
	struct exec_child c;
	struct err e;
	REQUIRE_EQ(exec_argv_split("sleep 10", 0, &argv, &e), 0);
	REQUIRE_EQ(exec_child_start(&c, argv, 0, &e), 0);
	CHECK_EQ(exec_child_wait(&c, clock_mono_ms() + 100, NULL, &status, &e),
		 SLOG_EREQUEST_TIMED_OUT);
	CHECK_EQ(c.pid, 0);
	exec_argv_free(argv);
	REQUIRE_EQ(exec_argv_split("no-such-command-here", 0, &argv, &e), 0);
	CHECK_EQ(exec_child_start(&c, argv, 0, &e), SLOG_EIO);
	exec_argv_free(argv);
}

static struct crec *record(struct crec *r, int64_t offset, const char *value)
{
	crec_reset(r);
	crec_set_topic(r, "t");
	r->partition = 0;
	r->offset = offset;
	crec_set_value(r, value, (int32_t)strlen(value));
	return r;
}

/* Put values through a stream command and flush; the flush's result. */
static int stream(const char *cmd, const char *const *values, int n, int64_t retry_ms)
{
	struct connect_task t;
	struct sink_retry retry;
	struct crec r;
	struct err e;
	char **argv;
	int rc = 0;

	memset(&t, 0, sizeof(t));
	crec_init(&r);
	nrefused = 0;
	sink_retry_init(&retry, retry_ms, 50);
	if (exec_argv_split(cmd, 1, &argv, &e))
		return -1;
	struct sink_format *fmt = sink_format_new("value", &e);
	struct exec_stream *s = exec_stream_new(&t, argv, fmt, 4, 2000, &retry);
	for (int i = 0; i < n && !rc; i++)
		rc = exec_stream_put(s, record(&r, i, values[i]), &e);
	if (!rc)
		rc = exec_stream_flush(s, &e);
	if (rc)
		unit_diag("  %s", e.msg);
	exec_stream_free(s);
	sink_format_free(fmt);
	exec_argv_free(argv);
	crec_free(&r);
	return rc;
}

static void test_stream_mode_takes_answers_and_refusals(void)
{
	static const char *const values[] = { "a", "bad", "c", "d", "e", "bad", "g" };
	const char *cmd = "while read -r v; do if [ \"$v\" = bad ]; then echo error: no; "
			  "else echo ok; fi; done";

	CHECK_EQ(stream(cmd, values, 7, 1000), 0);
	CHECK_EQ(nrefused, 2);
	CHECK_EQ(refused[0], 1);
	CHECK_EQ(refused[1], 5);
}

static void test_stream_mode_restarts_a_command_that_dies(void)
{
	static const char *const values[] = { "a", "b", "c", "d", "e", "f" };
	char cmd[1400], marker[512];

	/* The first run answers one record and exits; the next runs answer all. */
	snprintf(marker, sizeof(marker), "%s/started", unit_tmpdir());
	snprintf(cmd, sizeof(cmd),
		 "if [ -e '%s' ]; then while read -r v; do echo ok; done; "
		 "else touch '%s'; read -r v; echo ok; exit 1; fi", marker, marker);
	CHECK_EQ(stream(cmd, values, 6, 5000), 0);
	CHECK_EQ(nrefused, 0);
}

static void test_stream_mode_gives_up_on_a_record_that_keeps_killing_it(void)
{
	static const char *const values[] = { "a", "poison", "c" };
	const char *cmd = "while read -r v; do [ \"$v\" = poison ] && exit 1; echo ok; done";

	CHECK_EQ(stream(cmd, values, 3, 300), 0);
	CHECK_EQ(nrefused, 1);
	CHECK_EQ(refused[0], 1);
}

int main(void)
{
	unit_run("commands split like a shell, without one", test_commands_split_like_a_shell_without_one);
	unit_run("a batch reaches the command and its status comes back",
		 test_a_batch_reaches_the_command_and_its_status_comes_back);
	unit_run("stream mode takes answers and refusals", test_stream_mode_takes_answers_and_refusals);
	unit_run("stream mode restarts a command that dies", test_stream_mode_restarts_a_command_that_dies);
	unit_run("stream mode gives up on a record that keeps killing it",
		 test_stream_mode_gives_up_on_a_record_that_keeps_killing_it);
	return unit_done();
}
