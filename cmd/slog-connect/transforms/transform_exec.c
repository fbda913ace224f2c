/*
 * transform_exec.c: the exec step (transform_exec.h) over a coprocess.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "log.h"
#include "ndjson.h"
#include "transforms/coprocess.h"
#include "transforms/transform_exec.h"
#include "xalloc.h"

/* How long a child has to finish after its stdin closed, at the end. */
#define EXEC_GRACE_MS 2000
/* How long a child that closed its output has to exit before it is killed. */
#define EXEC_DYING_MS 200

struct exec {
	struct coprocess child;
	const char *command;          /* as configured, for messages */
	int64_t timeout_ms;
	struct buf line, reply;       /* kept across records */
	struct ndjson_record scratch;
};

static int exec_init(struct tstep *s, struct err *e)
{
	struct exec *x = xcalloc(1, sizeof(*x));
	char **argv;
	struct err se;
	s->state = x;
	s->reads_value = s->writes_value = 1;
	ndjson_record_init(&x->scratch);
	x->command = tconf_str(&s->conf, "exec.command");
	x->timeout_ms = tconf_num(&s->conf, "exec.timeout.ms");
	if (!x->command)
		return tconf_error(&s->conf, "exec.command", e, "missing");
	if (exec_argv_split(x->command, tconf_bool(&s->conf, "exec.shell"), &argv, &se) < 0)
		return tconf_error(&s->conf, "exec.command", e, "%s", se.msg);
	coprocess_init_take(&x->child, argv);
	if (!s->env->check_only && coprocess_start(&x->child, &se) < 0)
		return tconf_error(&s->conf, "exec.command", e, "%s", se.msg);
	return 0;
}

/* The exchange failed: kill the child (the next record starts another). */
static int child_failed(struct tstep *s, struct exec *x, struct err *e)
{
	char how[64];
	/* A child that closed its output is exiting: a moment lets its
	 * status say why.  One that hangs gets none. */
	coprocess_kill(&x->child, e->code == SLOG_EREQUEST_TIMED_OUT ? 0 : EXEC_DYING_MS, how,
		       sizeof(how));
	err_wrap(e, "exec '%s'", x->command);
	if (how[0]) {
		size_t n = strlen(e->msg);
		snprintf(e->msg + n, sizeof(e->msg) - n, " (%s)", how);
	}
	log_msg(LOG_LEVEL_WARN, "%s: task %d: transforms.%s: %s; starting it again for the next record",
		s->env->connector, s->env->task_id, s->conf.alias, e->msg);
	return e->code;
}

static int exec_apply(struct tstep *s, struct crec *r, struct err *e)
{
	struct exec *x = s->state;
	if (!coprocess_running(&x->child) && coprocess_start(&x->child, e) < 0)
		return err_wrap(e, "exec");
	buf_reset(&x->line);
	crec_write_ndjson(r, &x->line);
	int rc = coprocess_exchange(&x->child, x->line.data, x->line.len, &x->reply,
				    clock_mono_ms() + x->timeout_ms, e);
	if (rc < 0)
		return child_failed(s, x, e);
	/* An empty line drops the record; so does null, which is what jq
	 * makes easiest to print (`if .value == "" then null else . end`). */
	if (x->reply.len == 0 || (x->reply.len == 4 && memcmp(x->reply.data, "null", 4) == 0))
		return 0;
	rc = crec_parse_ndjson(r, &x->scratch, x->reply.data, x->reply.len, e);
	if (rc < 0)
		return err_wrap(e, "exec '%s' answered what is not a record", x->command);
	return 1;
}

static void exec_free(struct tstep *s)
{
	struct exec *x = s->state;
	if (!x)
		return;
	if (x->child.argv)
		coprocess_free(&x->child, EXEC_GRACE_MS);
	ndjson_record_free(&x->scratch);
	buf_free(&x->line);
	buf_free(&x->reply);
	free(x);
}

static const struct conf_def exec_keys[] = {
	TRANSFORM_COMMON_KEYS,
	{ "exec.command", CONF_STRING, NULL, 0, 0, 0, NULL,
	  "the command: one NDJSON line in, one line out per record" },
	{ "exec.shell", CONF_BOOL, "false", 0, 1, 0, NULL, "run exec.command with /bin/sh -c" },
	{ "exec.timeout.ms", CONF_DURATION, "5s", 1, 3600000, 1, NULL,
	  "how long a record may take; then it fails and the command restarts" },
};

const struct transform_type transform_exec = {
	.name = "exec",
	.doc = "each record through a coprocess (exec.command, e.g. jq -c --unbuffered): "
	       "one NDJSON line in, one line out, an empty line drops it",
	.keys = exec_keys,
	.nkeys = sizeof(exec_keys) / sizeof(exec_keys[0]),
	.init = exec_init,
	.apply = exec_apply,
	.free = exec_free,
};
