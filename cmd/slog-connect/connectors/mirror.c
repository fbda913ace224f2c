/*
 * mirror.c: the mirror connector: copies topics from another cluster.
 *
 * MirrorMaker 2's keys (source.bootstrap.servers, topics, topics.exclude,
 * groups, groups.exclude, refresh.topics.interval.seconds,
 * sync.topic.configs.enabled, sync.group.offsets.enabled and
 * sync.group.offsets.interval.seconds) and its class names, so that an
 * MM2 source connector's file reads here; the target is the worker's
 * cluster (bootstrap.servers).
 *
 * Two modes.  exact (the default while names map one to one and no
 * transform changes records) appends the source's batches to read-only
 * copies at their own offsets (mirror_exact.c), and copies group offsets
 * 1:1 (mirror_groups.c): a consumer group fails over to the target by
 * just connecting there, after `slog-connect mirror promote TOPIC`.
 * translate re-produces records into renamed or transformed copies
 * (mirror_translate.c).
 *
 * A task reads the source's partitions with the consumer engine as group
 * connect-<name> on the source: copies of this file run on several hosts
 * (or tasks.max > 1) split the partitions, and slog-groups describe shows
 * the mirror's lag there.  The engine reads a fixed list of topics; the
 * housekeeping thread (mirror_internal.h) finds the list again every
 * refresh, and when it changes the engine stops (flushing and committing
 * what it copied) and starts again with the new one.  Only task 0 copies
 * topic configs and group offsets; every task makes a copy it needs.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "connectors/mirror_internal.h"
#include "consumer.h"
#include "log.h"
#include "runtime/connector_conf.h"
#include "runtime/metrics.h"
#include "transforms/transform.h"
#include "xalloc.h"

#define I64MAX INT64_MAX
#define TICK_MS 100
/* The source group's session, Kafka Connect's worker group's: a mirror
 * killed on one host gives its partitions up to the others after this. */
#define SESSION_MS 10000

static const struct conf_def mirror_keys[] = {
	{ "source.bootstrap.servers", CONF_STRING, NULL, 0, 0, 0, NULL,
	  "host:port of brokers of the cluster copied from (required)" },
	{ "topics", CONF_STRING, ".*", 0, 0, 0, NULL,
	  "topics to copy: comma-separated regular expressions, each matching a whole name" },
	{ "topics.exclude", CONF_STRING, ".*[-.]internal,.*\\.replica,__.*", 0, 0, 0, NULL,
	  "topics not to copy, as topics" },
	{ "groups", CONF_STRING, ".*", 0, 0, 0, NULL,
	  "consumer groups whose offsets are copied (exact mode), as topics" },
	{ "groups.exclude", CONF_STRING, "console-consumer-.*,connect-.*,__.*", 0, 0, 0, NULL,
	  "groups whose offsets are not copied" },
	{ "refresh.topics.interval.seconds", CONF_DURATION, "10", 100, I64MAX, 1000, NULL,
	  "how often new topics, partitions and configs of the source are looked for" },
	{ "sync.topic.configs.enabled", CONF_BOOL, "true", 0, 0, 0, NULL,
	  "keep the copies' topic configs the source's" },
	{ "sync.group.offsets.enabled", CONF_BOOL, "true", 0, 0, 0, NULL,
	  "copy consumer groups' committed offsets to the target (exact mode)" },
	{ "sync.group.offsets.interval.seconds", CONF_DURATION, "5", 100, I64MAX, 1000, NULL,
	  "how often group offsets are copied" },
	{ "mirror.mode", CONF_ENUM, NULL, 0, 0, 0, "exact|translate",
	  "exact: same offsets, read-only copies; translate: records re-produced (default: exact "
	  "unless a rename or a transform is set)" },
	{ "topic.rename.regex", CONF_STRING, NULL, 0, 0, 0, NULL,
	  "translate: a copy's name is the source's with this whole-name match replaced" },
	{ "topic.rename.replacement", CONF_STRING, NULL, 0, 0, 0, NULL,
	  "translate: the replacement, $1..$9 for the groups" },
};

/* exact unless the mode says otherwise, or a rename or transforms need
 * records re-produced. */
static int exact_mode(const struct connector_conf *cc)
{
	if (conf_get_source(&cc->conf, "mirror.mode") != CONF_SRC_DEFAULT)
		return cc_num(cc, "mirror.mode") == 0;
	return !cc_str(cc, "topic.rename.regex") && cc->ntransforms == 0;
}

static int check_keys(const struct connector_conf *cc, struct err *e)
{
	const char *src = cc_str(cc, "source.bootstrap.servers");
	int exact = exact_mode(cc);

	if (!src || !*src)
		return err_set(e, SLOG_EINVALID_CONFIG, "source.bootstrap.servers: required");
	if (exact && cc_str(cc, "topic.rename.regex"))
		return err_set(e, SLOG_EINVALID_CONFIG,
			       "topic.rename.regex: renamed copies need mirror.mode = translate");
	if (exact && cc->ntransforms)
		return err_set(e, SLOG_EINVALID_CONFIG,
			       "transforms: exact mode copies batches as they are; transforms need "
			       "mirror.mode = translate");
	if (cc_str(cc, "topic.rename.replacement") && !cc_str(cc, "topic.rename.regex"))
		return err_set(e, SLOG_EINVALID_CONFIG,
			       "topic.rename.replacement: needs topic.rename.regex");
	return 0;
}

static int conf_from(struct mirror_conf *c, const struct connector_conf *cc, struct err *e)
{
	int rc = check_keys(cc, e);

	memset(c, 0, sizeof(*c));
	if (rc)
		return rc;
	c->source_brokers = cc_str(cc, "source.bootstrap.servers");
	c->exact = exact_mode(cc);
	c->replacement = cc_str(cc, "topic.rename.replacement");
	c->refresh_ms = cc_num(cc, "refresh.topics.interval.seconds");
	c->group_sync_ms = cc_num(cc, "sync.group.offsets.interval.seconds");
	c->sync_configs = cc_bool(cc, "sync.topic.configs.enabled");
	c->sync_groups = cc_bool(cc, "sync.group.offsets.enabled");
	snprintf(c->group, sizeof(c->group), "connect-%s", cc->name);
	rc = mirror_filter_init(&c->topics, cc_str(cc, "topics"), "topics",
				cc_str(cc, "topics.exclude"), "topics.exclude", e);
	if (!rc)
		rc = mirror_filter_init(&c->groups, cc_str(cc, "groups"), "groups",
					cc_str(cc, "groups.exclude"), "groups.exclude", e);
	if (!rc && cc_str(cc, "topic.rename.regex")) {
		rc = mirror_regex_whole(&c->rename, cc_str(cc, "topic.rename.regex"),
					"topic.rename.regex", e);
		c->has_rename = rc == 0;
	}
	if (rc)
		mirror_conf_free(c);
	return rc;
}

int mirror_conf_init(struct mirror_conf *c, const struct connect_task *t, struct err *e)
{
	return conf_from(c, t->cc, e);
}

void mirror_conf_free(struct mirror_conf *c)
{
	mirror_filter_free(&c->topics);
	mirror_filter_free(&c->groups);
	if (c->has_rename)
		regfree(&c->rename);
	c->has_rename = 0;
}

static int mirror_check(const struct connector_conf *cc, struct err *e)
{
	struct mirror_conf c;
	int rc = conf_from(&c, cc, e);

	if (rc)
		return err_wrap(e, "%s", cc->path);
	mirror_conf_free(&c);
	return 0;
}

int mirror_cluster_id(struct cluster *cl, char *out, size_t size, struct err *e)
{
	json_t *j = NULL;
	const char *id;
	int rc = cluster_json(cl, "GET", "/v1/cluster", NULL, mirror_deadline(), &j, e);

	id = rc ? NULL : json_string_value(json_object_get(j, "cluster_id"));
	if (!rc && !id)
		rc = err_set(e, SLOG_EUNKNOWN, "the cluster did not say its cluster_id");
	if (!rc)
		snprintf(out, size, "%s", id);
	json_decref(j);
	return rc;
}

static void lag_labels(const char *topic, int32_t partition, char *out, size_t size)
{
	snprintf(out, size, "topic=\"%s\",partition=\"%d\"", topic, partition);
}

void mirror_lag_set(struct mirror *m, const char *topic, int32_t partition, int64_t next,
		    int64_t hw)
{
	char labels[320];

	lag_labels(topic, partition, labels, sizeof(labels));
	metrics_gauge(m->t->metrics, "mirror_lag_records", labels, hw > next ? hw - next : 0);
}

void mirror_lag_drop(struct mirror *m, const char *topic, int32_t partition)
{
	char labels[320];

	lag_labels(topic, partition, labels, sizeof(labels));
	metrics_gauge_drop(m->t->metrics, "mirror_lag_records", labels);
}

/* ---- the housekeeping thread ---- */

/* Both clusters, or an error (the source and target named). */
static int connect_both(struct mirror *m, struct cluster *src, struct cluster *dst,
			struct err *e)
{
	int rc = cluster_connect(src, m->conf.source_brokers, mirror_deadline(), e);

	if (rc)
		return err_wrap(e, "source cluster %s", m->conf.source_brokers);
	rc = cluster_connect(dst, m->t->wc->brokers, mirror_deadline(), e);
	if (rc) {
		cluster_close(src);
		return err_wrap(e, "target cluster %s", m->t->wc->brokers);
	}
	return 0;
}

static void sleep_ms(int64_t ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static int hk_done(struct mirror *m)
{
	int done;

	pthread_mutex_lock(&m->lock);
	done = m->done;
	pthread_mutex_unlock(&m->lock);
	return done;
}

/* One round of what is due; *next_* move on. */
static void hk_round(struct mirror *m, struct cluster *src, struct cluster *dst,
		     int64_t *next_refresh, int64_t *next_groups)
{
	int64_t now = clock_mono_ms();
	struct err e;

	if (now >= *next_refresh) {
		if (mirror_topics_refresh(m, src, dst, m->t->id == 0, &e) < 0)
			task_log(m->t, LOG_LEVEL_WARN, "cannot list the source's topics: %s", e.msg);
		*next_refresh = clock_mono_ms() + m->conf.refresh_ms;
	}
	if (now >= *next_groups) {
		if (mirror_groups_sync(m, src, dst, &e))
			task_log(m->t, LOG_LEVEL_WARN, "cannot copy group offsets: %s", e.msg);
		*next_groups = clock_mono_ms() + m->conf.group_sync_ms;
	}
}

static void *housekeeping(void *arg)
{
	struct mirror *m = arg;
	struct cluster src, dst;
	int64_t next_refresh = clock_mono_ms() + m->conf.refresh_ms, next_groups = INT64_MAX;
	int connected = 0;
	struct err e;

	if (m->conf.exact && m->conf.sync_groups && m->t->id == 0)
		next_groups = clock_mono_ms();
	while (!hk_done(m)) {
		if (task_stopping(m->t)) {
			pthread_mutex_lock(&m->lock);
			m->engine_stop = 1;
			pthread_cond_broadcast(&m->changed);
			pthread_mutex_unlock(&m->lock);
		} else if (!connected) {
			connected = connect_both(m, &src, &dst, &e) == 0;
			if (!connected)
				task_log(m->t, LOG_LEVEL_WARN, "%s", e.msg);
		} else {
			hk_round(m, &src, &dst, &next_refresh, &next_groups);
		}
		sleep_ms(TICK_MS);
	}
	if (connected) {
		cluster_close(&src);
		cluster_close(&dst);
	}
	return NULL;
}

/* ---- the engine ---- */

static void engine_log(void *arg, int level, const char *msg)
{
	task_log(arg, level, "%s", msg);
}

/* The topics to read now (owned copies); waits while there are none.
 * 0 when the task stops first. */
static size_t take_topics(struct mirror *m, char ***out)
{
	size_t n = 0;

	pthread_mutex_lock(&m->lock);
	m->engine_stop = 0;
	while (!m->ntopics && !task_stopping(m->t)) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 200 * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&m->changed, &m->lock, &ts);
		m->engine_stop = 0;
	}
	*out = NULL;
	if (!task_stopping(m->t)) {
		n = m->ntopics;
		*out = xcalloc(n + 1, sizeof(**out));
		for (size_t i = 0; i < n; i++)
			(*out)[i] = xstrdup(m->topics[i]);
	}
	pthread_mutex_unlock(&m->lock);
	return n;
}

/* Read topics with the engine until it stops: the task stops, or the
 * topics change. */
static int run_engine(struct mirror *m, struct cluster *src, const struct consumer_sink *sink,
		      char **topics, size_t n, struct err *e)
{
	char client[300];
	struct consumer_opts o = { .timeout_ms = 30000, .max_bytes = 4 << 20,
				   .commit_interval_ms = 1000, .commit = COMMIT_AFTER,
				   .session_ms = SESSION_MS };

	snprintf(client, sizeof(client), "slog-connect-%s-%d", m->t->cc->name, m->t->id);
	o.topics = (const char **)topics;
	o.ntopics = (int)n;
	o.start.kind = OFF_STORED;
	o.start.stop_ts = -1;
	o.start.stop_offset = -1;
	o.group = m->conf.group;
	o.client_id = client;
	o.sink = sink;
	o.log = engine_log;
	o.log_arg = m->t;
	return consumer_run(src, &o, &m->engine_stop, e);
}

/* The sink of the task's mode on its own connections. */
static void *sink_new(struct mirror *m, struct cluster *src, struct cluster *dst,
		      struct consumer_sink *sink, struct err *e)
{
	if (m->conf.exact)
		return mirror_exact_new(m, src, dst, sink);
	return mirror_translate_new(m, src, dst, sink, e);
}

static void sink_free(struct mirror *m, void *x)
{
	if (m->conf.exact)
		mirror_exact_free(x);
	else
		mirror_translate_free(x);
}

/* Run the engine again each time the topics change, until the task stops. */
static int engine_loop(struct mirror *m, struct cluster *src, struct cluster *dst, struct err *e)
{
	struct consumer_sink sink;
	struct cluster engine_src;
	void *x;
	int rc = cluster_connect(&engine_src, m->conf.source_brokers, mirror_deadline(), e);

	if (rc)
		return err_wrap(e, "source cluster %s", m->conf.source_brokers);
	x = sink_new(m, src, dst, &sink, e);
	if (!x)
		rc = e->code;
	m->t->ready = x != NULL;
	while (!rc && !task_stopping(m->t)) {
		char **topics;
		struct err why;
		size_t n = take_topics(m, &topics);

		if (n && m->conf.exact &&
		    mirror_resume_at_copy(m, src, dst, topics, n, &why) &&
		    why.code != SLOG_ENON_EMPTY_GROUP)
			task_log(m->t, LOG_LEVEL_WARN, "cannot check where the copies end: %s", why.msg);
		if (n)
			rc = run_engine(m, &engine_src, &sink, topics, n, e);
		cluster_names_free(topics, n);
	}
	m->t->ready = 0;
	sink_free(m, x);
	cluster_close(&engine_src);
	return rc;
}

static int mirror_start(struct mirror *m, struct connect_task *t, struct cluster *src,
			struct cluster *dst, struct err *e)
{
	int rc;

	memset(m, 0, sizeof(*m));
	m->t = t;
	rc = mirror_conf_init(&m->conf, t, e);
	if (rc)
		return rc;
	rc = connect_both(m, src, dst, e);
	if (rc) {
		mirror_conf_free(&m->conf);
		return rc;
	}
	rc = mirror_cluster_id(src, m->source_id, sizeof(m->source_id), e);
	if (!rc)
		rc = mirror_cluster_id(dst, m->target_id, sizeof(m->target_id), e);
	if (!rc && strcmp(m->source_id, m->target_id) == 0)
		rc = err_set(e, SLOG_EINVALID_CONFIG,
			     "source.bootstrap.servers: the source is the target cluster (%s)",
			     m->source_id);
	if (rc) {
		cluster_close(src);
		cluster_close(dst);
		mirror_conf_free(&m->conf);
		return rc;
	}
	pthread_mutex_init(&m->lock, NULL);
	pthread_cond_init(&m->changed, NULL);
	return 0;
}

static void mirror_end(struct mirror *m, struct cluster *src, struct cluster *dst)
{
	cluster_close(src);
	cluster_close(dst);
	cluster_names_free(m->topics, m->ntopics);
	cluster_names_free(m->skipped, m->nskipped);
	pthread_mutex_destroy(&m->lock);
	pthread_cond_destroy(&m->changed);
	mirror_conf_free(&m->conf);
}

static int mirror_run(struct connect_task *t, struct err *e)
{
	struct mirror m;
	struct cluster src, dst;
	pthread_t hk;
	int rc = mirror_start(&m, t, &src, &dst, e);

	if (rc)
		return rc;
	task_log(t, LOG_LEVEL_INFO, "copying cluster %s to %s (%s mode)", m.source_id, m.target_id,
		 m.conf.exact ? "exact" : "translate");
	/* The first list before reading: the copies exist before any append. */
	rc = mirror_topics_refresh(&m, &src, &dst, t->id == 0, e);
	if (rc >= 0)
		rc = pthread_create(&hk, NULL, housekeeping, &m) ? err_set(e, SLOG_EUNKNOWN,
			"cannot start a thread") : 0;
	if (rc >= 0) {
		rc = engine_loop(&m, &src, &dst, e);
		pthread_mutex_lock(&m.lock);
		m.done = 1;
		pthread_mutex_unlock(&m.lock);
		pthread_join(hk, NULL);
	}
	mirror_end(&m, &src, &dst);
	return rc < 0 ? rc : 0;
}

static const char *const mirror_aliases[] = {
	"MirrorSourceConnector", "org.apache.kafka.connect.mirror.MirrorSourceConnector", NULL,
};

const struct connector_class mirror_class = {
	.name = "mirror",
	.aliases = mirror_aliases,
	.kind = CONNECTOR_SOURCE,
	.keys = mirror_keys,
	.nkeys = sizeof(mirror_keys) / sizeof(mirror_keys[0]),
	.check = mirror_check,
	.run = mirror_run,
};
