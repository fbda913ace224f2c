/*
 * sink_runner.c: the task loop of every sink class.  See sink.h.
 *
 * The runner is the consumer engine (consumer.h) with a sink of its own
 * in front of the class's sink_ops: the engine fetches, joins the group
 * connect-<name> and commits; the runner turns each record into a crec,
 * runs the transform chain, hands what is left to put(), and counts.
 * The engine commits only what the runner's flush confirmed, and the
 * runner's flush is the class's flush() followed by the dead-letter
 * writer's (error_policy_flush()): a commit never covers a record that is
 * neither written out nor acknowledged in the dead-letter topic.
 *
 * When flushes happen is the engine's: every offset.flush.interval.ms,
 * as soon as the fetches bring nothing more, before a partition is given
 * up to another member, and when the task stops.  One crec is reused for
 * every record, so the steady state allocates nothing per record.
 */
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "cluster_client.h"
#include "consumer.h"
#include "group_id.h"
#include "runtime/connector.h"
#include "runtime/connector_conf.h"
#include "runtime/error_policy.h"
#include "runtime/metrics.h"
#include "runtime/sink.h"
#include "topic_name.h"
#include "transforms/transform.h"
#include "xalloc.h"

/* How long a flush may wait for the dead-letter topic's acknowledgements,
 * and how long the cluster may stay unreachable before the task fails. */
#define FLUSH_WAIT_MS 120000
#define TIMEOUT_MS 30000
/*
 * The group's session: a sink killed (kill -9, a crash) holds its
 * partitions until this passes, and a copy restarted at once waits that
 * long for them.  Kafka's 45 s default is long for a restart; 10 s, as
 * the mirror's, still outlasts a long flush (heartbeats go on from their
 * own thread meanwhile).
 */
#define SESSION_MS 10000

struct sink_runner {
	struct connect_task *t;
	const struct sink_ops *ops;
	void *state;
	struct crec rec;
	/* topics and topics.regex, as the engine takes them */
	char **topics;
	int ntopics;
	regex_t re;
	int have_re;
};

/* The labels of a partition's gauges, into b (empty). */
static void lag_labels(struct buf *b, const char *topic, int32_t partition)
{
	char p[16];

	snprintf(p, sizeof(p), "%d", partition);
	metrics_label(b, "topic", topic);
	metrics_label(b, "partition", p);
}

/*
 * A record failed at stage (why): the error policy decides (and counts
 * it).  It is the record as read that is dead-lettered, not what a
 * transform half made of it, as Kafka Connect reports the consumed record.
 */
static int record_failed(struct sink_runner *sr, enum connect_stage stage, const char *topic,
			 int32_t partition, const struct record *r, const struct err *why,
			 struct err *e)
{
	struct error_origin o = { stage, topic, partition, r->offset, NULL };
	struct err ignored;
	int rc;

	if (crec_from_record(&sr->rec, topic, partition, r, &ignored)) {
		/* Headers that cannot be walked: keep what can be kept. */
		crec_reset(&sr->rec);
		crec_set_topic(&sr->rec, topic);
		sr->rec.partition = partition;
		sr->rec.offset = r->offset;
		sr->rec.timestamp = r->timestamp;
		crec_set_key(&sr->rec, r->key, r->key_len);
		crec_set_value(&sr->rec, r->value, r->value_len);
	}
	rc = error_policy_failed(sr->t->errors, &sr->rec, &o, why, e);
	if (rc == 1)
		return error_policy_send(sr->t->errors, &sr->rec, e);
	return rc < 0 ? rc : 0;
}

/* The engine's put: crec, transforms, the class's put. */
static int runner_put(void *arg, const char *topic, int32_t partition, const struct record *r,
		      struct err *e)
{
	struct sink_runner *sr = arg;
	struct err why;
	int rc;

	if (crec_from_record(&sr->rec, topic, partition, r, &why))
		return record_failed(sr, STAGE_KAFKA_CONSUME, topic, partition, r, &why, e);
	rc = transform_chain_apply(sr->t->chain, &sr->rec, &why);
	if (rc < 0)
		return record_failed(sr, STAGE_TRANSFORMATION, topic, partition, r, &why, e);
	if (rc == 0)
		return 0; /* a filter dropped it: done with, and committed past */
	rc = sr->ops->put(sr->state, &sr->rec, e);
	if (rc)
		return rc;
	metrics_delivered(sr->t->metrics, 1, (int64_t)(sr->rec.key.len + sr->rec.value.len));
	return 0;
}

static int runner_flush(void *arg, struct err *e)
{
	struct sink_runner *sr = arg;
	int rc = sr->ops->flush(sr->state, e);

	if (!rc)
		rc = error_policy_flush(sr->t->errors, clock_mono_ms() + FLUSH_WAIT_MS, e);
	return rc;
}

static void runner_release(void *arg, const char *topic, int32_t partition)
{
	struct sink_runner *sr = arg;
	struct buf labels = BUF_INIT;

	if (sr->ops->release)
		sr->ops->release(sr->state, topic, partition);
	lag_labels(&labels, topic, partition);
	metrics_gauge_drop(sr->t->metrics, "sink_lag_records", labels.data);
	buf_free(&labels);
}

static void runner_position(void *arg, const char *topic, int32_t partition, int64_t next,
			    int64_t high_watermark)
{
	struct sink_runner *sr = arg;
	struct buf labels = BUF_INIT;

	lag_labels(&labels, topic, partition);
	metrics_gauge(sr->t->metrics, "sink_lag_records", labels.data,
		      high_watermark > next ? high_watermark - next : 0);
	buf_free(&labels);
}

static void runner_log(void *arg, int level, const char *msg)
{
	struct sink_runner *sr = arg;

	task_log(sr->t, level, "%s", msg);
}

/* topics = a, b: each name checked; topics.regex compiled. */
static int read_topics(struct sink_runner *sr, struct err *e)
{
	const char *list = cc_str(sr->t->cc, "topics"), *re = cc_str(sr->t->cc, "topics.regex");
	char msg[256];
	int rc;

	for (const char *p = list; p && *p;) {
		size_t len = strcspn(p, ",");
		char *name = xstrndup(p, len);
		char *b = name, *end = name + strlen(name);

		while (*b == ' ' || *b == '\t')
			b++;
		while (end > b && (end[-1] == ' ' || end[-1] == '\t'))
			*--end = '\0';
		if (*b && topic_name_check(b, e)) {
			free(name);
			return err_wrap(e, "topics");
		}
		if (*b) {
			sr->topics = xrealloc(sr->topics, (size_t)(sr->ntopics + 1) * sizeof(char *));
			sr->topics[sr->ntopics++] = xstrdup(b);
		}
		free(name);
		p += len + (p[len] == ',');
	}
	if (re && *re) {
		rc = regcomp(&sr->re, re, REG_EXTENDED | REG_NOSUB);
		if (rc) {
			regerror(rc, &sr->re, msg, sizeof(msg));
			return err_set(e, SLOG_EINVALID_CONFIG, "topics.regex '%s': %s", re, msg);
		}
		sr->have_re = 1;
	}
	if (!sr->ntopics && !sr->have_re)
		return err_set(e, SLOG_EINVALID_CONFIG, "a sink reads topics: set topics or topics.regex");
	return 0;
}

static void runner_free(struct sink_runner *sr)
{
	for (int i = 0; i < sr->ntopics; i++)
		free(sr->topics[i]);
	free(sr->topics);
	if (sr->have_re)
		regfree(&sr->re);
	crec_free(&sr->rec);
}

/* The engine's options for the task (group and client names in the bufs). */
static void runner_opts(struct sink_runner *sr, struct consumer_opts *o,
			const struct consumer_sink *sink, char *group, size_t gsize,
			char *client, size_t csize)
{
	const struct connect_task *t = sr->t;

	snprintf(group, gsize, "connect-%s", t->cc->name);
	/* Kafka Connect's name for a sink task's consumer. */
	snprintf(client, csize, "connector-consumer-%s-%d", t->cc->name, t->id);
	memset(o, 0, sizeof(*o));
	o->topics = (const char **)sr->topics;
	o->ntopics = sr->ntopics;
	o->topics_regex = sr->have_re ? &sr->re : NULL;
	o->topics_pattern = cc_str(t->cc, "topics.regex");
	/* A partition the group has no offset for starts at its beginning,
	 * as Connect's sinks (auto.offset.reset=earliest). */
	o->start.kind = OFF_BEGINNING;
	o->start.stop_ts = o->start.stop_offset = -1;
	o->timeout_ms = TIMEOUT_MS;
	o->max_bytes = 1 << 20;
	o->group = group;
	o->client_id = client;
	o->commit = COMMIT_AFTER;
	o->session_ms = SESSION_MS;
	o->commit_interval_ms = conf_get_num(&t->wc->conf, "offset.flush.interval.ms");
	if (o->commit_interval_ms <= 0)
		o->commit_interval_ms = 1000;
	o->sink = sink;
	o->log = runner_log;
	o->log_arg = sr;
}

int sink_run(struct connect_task *t, struct err *e)
{
	struct sink_runner sr = { .t = t, .ops = t->cc->cls->sink };
	struct consumer_sink sink = { .arg = &sr, .put = runner_put, .flush = runner_flush,
				      .release = runner_release, .position = runner_position };
	/* The broker takes client ids of up to 127 bytes: a longer name is cut. */
	char group[GROUP_ID_MAX + 1], client[128];
	struct consumer_opts o;
	struct cluster cl;
	int rc;

	crec_init(&sr.rec);
	rc = read_topics(&sr, e);
	if (!rc) {
		runner_opts(&sr, &o, &sink, group, sizeof(group), client, sizeof(client));
		if (strlen(t->cc->name) + 8 > GROUP_ID_MAX || group_id_check(group, e))
			rc = err_set(e, SLOG_EINVALID_CONFIG, "name '%s' cannot name the group "
				     "connect-<name> (at most %d bytes, no '/' or control characters)",
				     t->cc->name, GROUP_ID_MAX - 8);
	}
	if (!rc)
		rc = cluster_connect(&cl, t->wc->brokers, clock_mono_ms() + TIMEOUT_MS, e);
	if (rc) {
		runner_free(&sr);
		return rc;
	}
	rc = sr.ops->open(t, &sr.state, e);
	if (!rc) {
		t->ready = 1;
		rc = consumer_run(&cl, &o, &t->stop, e);
		t->ready = 0;
		sr.ops->close(sr.state);
	}
	cluster_close(&cl);
	runner_free(&sr);
	return rc;
}
