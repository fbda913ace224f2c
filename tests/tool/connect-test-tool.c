/*
 * connect-test-tool: slog-connect's record writer, error policy and
 * offset store driven from the shell, for the bats tests of delivery
 * (tests/71-connect-delivery.bats), as a source task would drive them.
 *
 *   write -b BROKERS [-t TOPIC] [-s KEY=VALUE]...
 *       send each NDJSON line of stdin (slog-produce -J's shape) through a
 *       record writer, with a task whose connector keys (errors.*,
 *       producer.override.*, topic) -s sets; flush, and print
 *       "sent N done_upto M dead_letter D skipped S errors E".  Checks on
 *       the way that done_upto never goes back nor passes what was sent.
 *       Exit 1 with the writer's error when it fails.
 *   offsets -b BROKERS -T TOPIC -c NAME list
 *   offsets -b BROKERS -T TOPIC -c NAME put PARTITION OFFSET
 *   offsets -b BROKERS -T TOPIC -c NAME reset
 *       open the offset store (reading the topic), print the connector's
 *       offsets as JSON (list), or set one (JSON texts) or forget all
 *       (reset), then flush.
 */
#include <getopt.h>
#include <jansson.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "conf.h"
#include "ndjson.h"
#include "runtime/connector.h"
#include "runtime/connector_conf.h"
#include "runtime/error_policy.h"
#include "runtime/metrics.h"
#include "runtime/offset_store.h"
#include "runtime/record_writer.h"
#include "xalloc.h"

#define DEADLINE_MS 30000

static const struct conf_def own_keys[] = {
	{ "topic", CONF_STRING, NULL, 0, 0, 0, NULL, "the connector's topic" },
};

static const struct connector_class test_class = { .name = "test-source",
						   .kind = CONNECTOR_SOURCE };

static int die(const char *what, const struct err *e)
{
	fprintf(stderr, "connect-test-tool: %s: %s\n", what, e->msg);
	return 1;
}

/* The connector's table: its own keys, the writer's and the policy's. */
static struct conf_def *task_keys(size_t *n)
{
	size_t k = 0, own = sizeof(own_keys) / sizeof(own_keys[0]);
	struct conf_def *defs = xcalloc(own + writer_nkeys + error_policy_nkeys, sizeof(*defs));

	for (size_t i = 0; i < own; i++)
		defs[k++] = own_keys[i];
	for (size_t i = 0; i < writer_nkeys; i++)
		defs[k++] = writer_keys[i];
	for (size_t i = 0; i < error_policy_nkeys; i++)
		defs[k++] = error_policy_keys[i];
	*n = k;
	return defs;
}

struct task_env {
	struct connector_conf cc;
	struct worker_conf wc;
	struct connect_metrics m;
	struct connect_task t;
};

static int task_setup(struct task_env *te, const char *brokers, char **sets, int nsets,
		      struct err *e)
{
	size_t n;

	memset(te, 0, sizeof(*te));
	te->cc.name = xstrdup("test-connector");
	te->cc.cls = &test_class;
	te->cc.defs = task_keys(&n);
	if (conf_init(&te->cc.conf, te->cc.defs, n, e))
		return e->code;
	for (int i = 0; i < nsets; i++)
		if (conf_set_pair(&te->cc.conf, sets[i], CONF_SRC_CMDLINE, e))
			return e->code;
	te->wc.brokers = xstrdup(brokers ? brokers : "");
	metrics_init(&te->m);
	te->t.cc = &te->cc;
	te->t.wc = &te->wc;
	te->t.metrics = &te->m;
	te->t.errors = error_policy_new(&te->t, e);
	return te->t.errors ? 0 : e->code;
}

static void task_teardown(struct task_env *te)
{
	error_policy_free(te->t.errors);
	metrics_destroy(&te->m);
	conf_free(&te->cc.conf);
	free(te->cc.defs);
	free(te->cc.name);
	free(te->wc.brokers);
}

/* done_upto moves forward only, and never past what was sent. */
static int check_done(struct record_writer *w, uint64_t *last_done)
{
	uint64_t d = writer_done_upto(w);

	if (d < *last_done || d > writer_last_seq(w)) {
		fprintf(stderr, "connect-test-tool: done_upto %llu after %llu, %llu sent\n",
			(unsigned long long)d, (unsigned long long)*last_done,
			(unsigned long long)writer_last_seq(w));
		return 1;
	}
	*last_done = d;
	return 0;
}

/* Drive the writer until the input has a line (or its end) to read. */
static int wait_input(struct record_writer *w, int fd, struct err *e)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int rc;

	while (poll(&p, 1, 0) == 0)
		if ((rc = writer_poll(w, fd, 100, e)))
			return rc;
	return 0;
}

/* stdin is unbuffered, so that poll(2) sees every byte not yet read. */
static int send_lines(struct record_writer *w, FILE *in, uint64_t *last_done, struct err *e)
{
	struct ndjson_record nr;
	struct crec r;
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	uint64_t seq;
	int rc = 0;

	ndjson_record_init(&nr);
	crec_init(&r);
	setvbuf(in, NULL, _IONBF, 0);
	while (!(rc = wait_input(w, fileno(in), e)) && (len = getline(&line, &cap, in)) > 0) {
		crec_reset(&r);
		r.partition = -1;
		r.offset = -1;
		r.timestamp = -1;
		if ((rc = crec_parse_ndjson(&r, &nr, line, (size_t)len, e)))
			break;
		if ((rc = writer_send(w, &r, &seq, e)) || (rc = writer_poll(w, -1, 0, e)))
			break;
		if (check_done(w, last_done))
			rc = SLOG_EUNKNOWN, err_set(e, rc, "done_upto went wrong");
	}
	free(line);
	crec_free(&r);
	ndjson_record_free(&nr);
	return rc;
}

static int cmd_write(const char *brokers, const char *topic, char **sets, int nsets)
{
	struct task_env te;
	struct writer_opts o;
	struct record_writer *w;
	uint64_t last_done = 0;
	struct err e;
	int rc;

	if (task_setup(&te, brokers, sets, nsets, &e))
		return die("task", &e);
	writer_opts_from_task(&te.t, &o);
	if (topic)
		o.default_topic = topic;
	w = writer_new(&te.t, &o, clock_mono_ms() + DEADLINE_MS, &e);
	if (!w) {
		task_teardown(&te);
		return die("writer", &e);
	}
	rc = send_lines(w, stdin, &last_done, &e);
	if (!rc)
		rc = writer_flush(w, clock_mono_ms() + DEADLINE_MS, &e);
	if (!rc)
		rc = check_done(w, &last_done);
	printf("sent %llu done_upto %llu dead_letter %lld skipped %lld errors %lld\n",
	       (unsigned long long)writer_last_seq(w), (unsigned long long)writer_done_upto(w),
	       (long long)atomic_load(&te.m.dead_letter), (long long)atomic_load(&te.m.skipped),
	       (long long)atomic_load(&te.m.errors[STAGE_KAFKA_PRODUCE]));
	fflush(stdout);
	writer_free(w);
	task_teardown(&te);
	return rc ? die("write", &e) : 0;
}

static json_t *json_arg(const char *text)
{
	json_t *j = json_loads(text, JSON_DECODE_ANY, NULL);

	if (!j) {
		fprintf(stderr, "connect-test-tool: not JSON: %s\n", text);
		exit(2);
	}
	return j;
}

static int cmd_offsets(const char *brokers, const char *topic, const char *name, int argc,
		       char **argv)
{
	struct offset_store *s;
	struct err e;
	int rc = 0;

	if (argc < 1 || !topic || !name)
		return 2;
	if (offset_store_open(brokers, topic, name, clock_mono_ms() + DEADLINE_MS, &s, &e))
		return die("open", &e);
	if (strcmp(argv[0], "list") == 0) {
		json_t *l = offset_store_list(s);
		char *text = json_dumps(l, JSON_COMPACT | JSON_SORT_KEYS);
		printf("%s\n", text);
		free(text);
		json_decref(l);
	} else if (strcmp(argv[0], "put") == 0 && argc == 3) {
		json_t *part = json_arg(argv[1]);
		offset_store_put(s, part, json_arg(argv[2]));
		json_decref(part);
	} else if (strcmp(argv[0], "reset") == 0) {
		offset_store_reset(s);
	} else {
		rc = 2;
	}
	if (!rc && offset_store_flush(s, clock_mono_ms() + DEADLINE_MS, &e))
		rc = die("flush", &e);
	offset_store_close(s);
	return rc;
}

int main(int argc, char **argv)
{
	const char *brokers = NULL, *topic = NULL, *otopic = NULL, *name = NULL, *cmd;
	char **sets = xcalloc((size_t)argc, sizeof(*sets));
	int nsets = 0, c, rc;

	if (argc < 2) {
		fprintf(stderr, "usage: connect-test-tool write|offsets ...\n");
		return 2;
	}
	cmd = argv[1];
	optind = 2;
	while ((c = getopt(argc, argv, "b:t:s:T:c:")) != -1) {
		switch (c) {
		case 'b': brokers = optarg; break;
		case 't': topic = optarg; break;
		case 's': sets[nsets++] = optarg; break;
		case 'T': otopic = optarg; break;
		case 'c': name = optarg; break;
		default: return 2;
		}
	}
	if (strcmp(cmd, "write") == 0)
		rc = cmd_write(brokers, topic, sets, nsets);
	else if (strcmp(cmd, "offsets") == 0)
		rc = cmd_offsets(brokers, otopic, name, argc - optind, argv + optind);
	else
		rc = 2;
	free(sets);
	return rc;
}
