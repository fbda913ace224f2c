/*
 * broker_config.c: the broker's and topics' configuration keys.  See
 * broker_config.h.  Docs here feed slog-broker --help-config and the
 * slog-broker.conf(5) page, which list the same keys.
 */
#include "broker_config.h"

#include <stdio.h>
#include <string.h>

#include "compress.h"
#include "cluster/quorum.h"
#include "meta/meta_log.h"

#define DAY_MS (24LL * 3600 * 1000)
#define I64MAX INT64_MAX
/* The smallest segment.bytes: each segment costs files, index mappings and
 * memory, and with Kafka's floor of 14 bytes every batch made a segment. */
#define SEGMENT_BYTES_MIN (64 << 10)

const struct conf_def broker_conf_defs[] = {
	{ "node.id", CONF_INT, "1", 0, INT32_MAX, 0, NULL, "this broker's id in the cluster" },
	{ "process.roles", CONF_ENUM, "broker,controller", 0, 0, 0,
	  "broker|controller|broker,controller|controller,broker",
	  "what this node does: serve partitions (broker), vote in the metadata quorum (controller), or both" },
	{ "controller.quorum.voters", CONF_STRING, NULL, 0, 0, 0, NULL,
	  "the metadata quorum: id@host:port of each voter, comma-separated (the Raft address); "
	  "unset: this node alone" },
	{ "controller.quorum.bootstrap.servers", CONF_STRING, NULL, 0, 0, 0, NULL,
	  "host:port of the HTTP API of controller nodes, comma-separated: where a broker that is not "
	  "a voter first asks for the controller" },
	{ "controller.quorum.election.timeout.ms", CONF_DURATION, "500ms", 50, 60000, 1, NULL,
	  "a voter that hears nothing from a controller this long (to twice as long) calls an election" },
	{ "controller.quorum.request.timeout.ms", CONF_DURATION, "10s", 100, 3600000, 1, NULL,
	  "how long a metadata change waits for the quorum to commit it" },
	{ "metadata.snapshot.records", CONF_INT, "4096", 16, 1000000, 0, NULL,
	  "committed metadata records between snapshots of the metadata log" },
	{ "broker.heartbeat.interval.ms", CONF_DURATION, "500ms", 10, 60000, 1, NULL,
	  "how often a broker tells the controller it is alive" },
	{ "broker.session.timeout.ms", CONF_DURATION, "3s", 50, 3600000, 1, NULL,
	  "a broker silent this long is fenced: it leads nothing and gets no new replicas" },
	{ "listeners", CONF_STRING, "127.0.0.1:9292", 0, 0, 0, NULL,
	  "address and port the HTTP API listens on (host:port, or http://host:port)" },
	{ "advertised.listeners", CONF_STRING, NULL, 0, 0, 0, NULL,
	  "address clients are told to use; defaults to listeners" },
	{ "log.dirs", CONF_STRING, "./slog-data", 0, 0, 0, NULL,
	  "comma-separated data directories; partitions are spread over them" },
	{ "metadata.log.dir", CONF_STRING, NULL, 0, 0, 0, NULL,
	  "directory of the metadata log; defaults to __cluster_metadata in the first of log.dirs" },
	{ "num.partitions", CONF_INT, "1", 1, 100000, 0, NULL,
	  "partitions of a topic created without a count (and of auto-created topics)" },
	{ "max.partitions.per.request", CONF_INT, "10000", 1, 100000, 0, NULL,
	  "most partitions one create or add-partitions request may ask for" },
	{ "default.replication.factor", CONF_INT, "1", 1, 100, 0, NULL,
	  "replicas of a topic created without a count" },
	{ "min.insync.replicas", CONF_INT, "1", 1, 100, 0, NULL,
	  "replicas that must have a batch before acks=all is answered" },
	{ "unclean.leader.election.enable", CONF_BOOL, "false", 0, 1, 0, NULL,
	  "default of the topic key: elect a replica outside the ISR when no in-sync one is left "
	  "(acknowledged records may be lost)" },
	{ "replica.lag.time.max.ms", CONF_DURATION, "30s", 10, I64MAX, 1, NULL,
	  "a follower that has not caught up with the leader's durable log end this long leaves the "
	  "ISR" },
	{ "replica.fetch.max.bytes", CONF_BYTES, "1MiB", 1024, INT32_MAX, 0, NULL,
	  "bytes a follower asks for per partition in one fetch (one batch more if it is larger)" },
	{ "replica.fetch.response.max.bytes", CONF_BYTES, "10MiB", 1024, INT32_MAX, 0, NULL,
	  "bytes a follower asks for in one fetch, all partitions together" },
	{ "replica.fetch.wait.max.ms", CONF_DURATION, "500ms", 0, 60000, 1, NULL,
	  "how long a follower's fetch waits at the leader for new records" },
	{ "replica.fetch.backoff.ms", CONF_DURATION, "100ms", 1, 60000, 1, NULL,
	  "how long a follower waits before fetching again after an error" },
	{ "auto.leader.rebalance.enable", CONF_BOOL, "true", 0, 1, 0, NULL,
	  "move leadership back to each partition's preferred replica once it is in sync" },
	{ "leader.imbalance.check.interval.seconds", CONF_DURATION, "300", 1, I64MAX, 1000, NULL,
	  "how often the controller looks for partitions not led by their preferred replica" },
	{ "controlled.shutdown.enable", CONF_BOOL, "true", 0, 1, 0, NULL,
	  "on SIGTERM, move this broker's leaderships away before it stops" },
	{ "controlled.shutdown.timeout.ms", CONF_DURATION, "30s", 0, I64MAX, 1, NULL,
	  "how long a controlled shutdown waits for leaderships to move before it stops anyway" },
	{ "auto.create.topics.enable", CONF_BOOL, "false", 0, 1, 0, NULL,
	  "create a topic when a producer first writes to it (off: such a produce answers 404)" },
	{ "delete.topic.enable", CONF_BOOL, "true", 0, 1, 0, NULL, "allow deleting topics" },
	{ "log.retention.ms", CONF_DURATION, "7d", -1, I64MAX, 1, NULL,
	  "default retention.ms: delete segments older than this (-1: keep forever)" },
	{ "log.retention.minutes", CONF_DURATION, NULL, -1, I64MAX, 60000, NULL,
	  "log.retention.ms in minutes (used when log.retention.ms is not set)" },
	{ "log.retention.hours", CONF_DURATION, "168", -1, I64MAX, 3600000, NULL,
	  "log.retention.ms in hours (used when neither of the above is set)" },
	{ "log.retention.bytes", CONF_BYTES, "-1", -1, I64MAX, 0, NULL,
	  "default retention.bytes per partition (-1: no limit)" },
	{ "log.segment.bytes", CONF_BYTES, "1GiB", SEGMENT_BYTES_MIN, INT32_MAX, 0, NULL,
	  "default segment.bytes: roll the active segment at this size" },
	{ "log.roll.ms", CONF_DURATION, NULL, 1, I64MAX, 1, NULL,
	  "default segment.ms: roll the active segment at this age" },
	{ "log.roll.hours", CONF_DURATION, "168", 1, I64MAX, 3600000, NULL,
	  "log.roll.ms in hours (used when log.roll.ms is not set)" },
	{ "log.segment.open.files.max", CONF_INT, "0", 0, INT32_MAX, 0, NULL,
	  "segment files kept open at once; idle ones are closed (0: half of RLIMIT_NOFILE)" },
	{ "log.index.interval.bytes", CONF_BYTES, "4096", 0, INT32_MAX, 0, NULL,
	  "default index.interval.bytes: bytes between offset index entries" },
	{ "log.cleanup.policy", CONF_ENUM, "delete", 0, 0, 0, "delete|compact|compact,delete",
	  "default cleanup.policy" },
	{ "log.message.timestamp.type", CONF_ENUM, "CreateTime", 0, 0, 0,
	  "CreateTime|LogAppendTime", "default message.timestamp.type" },
	{ "log.retention.check.interval.ms", CONF_DURATION, "5m", 1, I64MAX, 1, NULL,
	  "how often retention runs" },
	{ "log.flush.on.ack", CONF_BOOL, "true", 0, 1, 0, NULL,
	  "with acks=all, answer only after the batch is fsynced (group commit)" },
	{ "log.flush.offset.checkpoint.interval.ms", CONF_DURATION, "1m", 1, I64MAX, 1, NULL,
	  "how often recovery points are flushed and checkpointed" },
	{ "message.max.bytes", CONF_BYTES, "1048588", 0, INT32_MAX, 0, NULL,
	  "default max.message.bytes: the largest batch a topic accepts" },
	{ "message.max.uncompressed.bytes", CONF_BYTES, "64MiB", 1024, 512LL << 20, 0, NULL,
	  "the most a produced batch's records may take decompressed" },
	{ "compression.type", CONF_ENUM, "producer", 0, 0, 0, "producer|uncompressed|zstd",
	  "default compression.type" },
	{ "socket.request.max.bytes", CONF_BYTES, "100MiB", 1024, INT32_MAX, 0, NULL,
	  "the largest request body the broker reads" },
	{ "num.network.threads", CONF_INT, "0", 0, 256, 0, NULL,
	  "threads serving HTTP (0: one per CPU core, at least 4)" },
	{ "fetch.max.wait.ms", CONF_DURATION, "30s", 0, 3600000, 1, NULL,
	  "the longest a fetch may wait for new records (max_wait_ms is capped to this)" },
	{ "connections.max.idle.ms", CONF_DURATION, "10m", 0, I64MAX, 1, NULL,
	  "close keep-alive connections idle this long" },
	{ "max.connections", CONF_INT, "10000", 1, 1000000, 0, NULL,
	  "HTTP connections open at once (a few more serve only health checks)" },
	{ "max.connections.per.ip", CONF_INT, "1000", 0, 1000000, 0, NULL,
	  "HTTP connections open at once from one address (0: no limit)" },
	{ "http.request.header.timeout.ms", CONF_DURATION, "10s", 1, 3600000, 1, NULL,
	  "a request's line and headers must arrive within this, however slowly they trickle" },
	{ "http.request.body.timeout.ms", CONF_DURATION, "60s", 1, 86400000, 1, NULL,
	  "a request's body must arrive within this after its headers" },
	{ "queued.max.request.bytes", CONF_BYTES, "512MiB", 1024, I64MAX, 0, NULL,
	  "request body bytes all connections may hold at once; over it, 429" },
	{ "http.json.max.bytes", CONF_BYTES, "1MiB", 1024, INT32_MAX, 0, NULL,
	  "the largest JSON body of an admin or group request" },
	{ "http.cors.allowed.origins", CONF_STRING, NULL, 0, 0, 0, NULL,
	  "comma-separated browser origins allowed to use the API (*: any; default none)" },
	{ "log.cleaner.enable", CONF_BOOL, "true", 0, 1, 0, NULL,
	  "run the cleaner that compacts topics with cleanup.policy compact" },
	{ "log.cleaner.backoff.ms", CONF_DURATION, "15s", 1, I64MAX, 1, NULL,
	  "how often the cleaner looks for work" },
	{ "log.cleaner.io.max.bytes.per.second", CONF_BYTES, "0", 0, I64MAX, 0, NULL,
	  "the cleaner's read and write budget (0: no limit)" },
	{ "log.cleaner.dedupe.buffer.size", CONF_BYTES, "128MiB", 65536, 1LL << 40, 0, NULL,
	  "memory for the cleaner's key map; it must hold the keys of a segment" },
	{ "log.cleaner.min.cleanable.ratio", CONF_RATIO, "0.5", 0, 1, 0, NULL,
	  "default min.cleanable.dirty.ratio" },
	{ "log.cleaner.delete.retention.ms", CONF_DURATION, "1d", 0, I64MAX, 1, NULL,
	  "default delete.retention.ms" },
	{ "log.cleaner.min.compaction.lag.ms", CONF_DURATION, "0", 0, I64MAX, 1, NULL,
	  "default min.compaction.lag.ms" },
	{ "group.consumer.session.timeout.ms", CONF_DURATION, "45s", 1, I64MAX, 1, NULL,
	  "a group member's session timeout when it asks for none" },
	{ "group.consumer.heartbeat.interval.ms", CONF_DURATION, "5s", 1, I64MAX, 1, NULL,
	  "how often group members heartbeat (at most a third of their session timeout)" },
	{ "group.min.session.timeout.ms", CONF_DURATION, "6s", 1, I64MAX, 1, NULL,
	  "the shortest session timeout a group member may ask for" },
	{ "group.max.session.timeout.ms", CONF_DURATION, "30m", 1, I64MAX, 1, NULL,
	  "the longest session timeout a group member may ask for" },
	{ "offsets.topic.num.partitions", CONF_INT, "50", 1, 1000, 0, NULL,
	  "partitions of __consumer_offsets, made at the first group request (fixed after)" },
	{ "offsets.topic.replication.factor", CONF_INT, "3", 1, 100, 0, NULL,
	  "replicas of __consumer_offsets (fewer when fewer brokers are registered when it is made)" },
	{ "offsets.topic.segment.bytes", CONF_BYTES, "100MiB", SEGMENT_BYTES_MIN, INT32_MAX, 0, NULL,
	  "segment.bytes of __consumer_offsets: smaller segments are compacted sooner" },
	{ "offsets.retention.minutes", CONF_DURATION, "10080", 1, I64MAX, 60000, NULL,
	  "forget the offsets of a group that has had no member and no commit for this long" },
	{ "offsets.retention.check.interval.ms", CONF_DURATION, "10m", 1, I64MAX, 1, NULL,
	  "how often expired group offsets are looked for" },
	{ "offsets.commit.timeout.ms", CONF_DURATION, "5s", 1, 3600000, 1, NULL,
	  "how long a commit waits for the in-sync replicas to have it" },
	{ "log.level", CONF_ENUM, "info", 0, 0, 0, "error|warn|info|debug", "least severe log level" },
};
const size_t broker_conf_ndefs = sizeof(broker_conf_defs) / sizeof(broker_conf_defs[0]);

const struct topic_conf_def topic_conf_defs[] = {
	{ { "cleanup.policy", CONF_ENUM, "delete", 0, 0, 0, "delete|compact|compact,delete",
	    "delete old segments, keep the last record per key, or both" }, "log.cleanup.policy" },
	{ { "retention.ms", CONF_DURATION, "7d", -1, I64MAX, 1, NULL,
	    "delete segments whose newest record is older than this (-1: forever)" }, NULL },
	{ { "retention.bytes", CONF_BYTES, "-1", -1, I64MAX, 0, NULL,
	    "delete the oldest segments while a partition is larger (-1: no limit)" },
	  "log.retention.bytes" },
	{ { "segment.bytes", CONF_BYTES, "1GiB", SEGMENT_BYTES_MIN, INT32_MAX, 0, NULL,
	    "roll segments at this size" },
	  "log.segment.bytes" },
	{ { "segment.ms", CONF_DURATION, "7d", 1, I64MAX, 1, NULL, "roll segments at this age" }, NULL },
	{ { "index.interval.bytes", CONF_BYTES, "4096", 0, INT32_MAX, 0, NULL,
	    "bytes between offset index entries" }, "log.index.interval.bytes" },
	{ { "max.message.bytes", CONF_BYTES, "1048588", 0, INT32_MAX, 0, NULL,
	    "the largest batch accepted" }, "message.max.bytes" },
	{ { "min.insync.replicas", CONF_INT, "1", 1, 100, 0, NULL,
	    "replicas that must have a batch before acks=all is answered" }, "min.insync.replicas" },
	{ { "unclean.leader.election.enable", CONF_BOOL, "false", 0, 1, 0, NULL,
	    "elect a replica outside the ISR when no in-sync one is left (may lose records)" },
	  "unclean.leader.election.enable" },
	{ { "message.timestamp.type", CONF_ENUM, "CreateTime", 0, 0, 0, "CreateTime|LogAppendTime",
	    "keep the producer's timestamps, or stamp the broker's time on append" },
	  "log.message.timestamp.type" },
	{ { "compression.type", CONF_ENUM, "producer", 0, 0, 0, "producer|uncompressed|zstd",
	    "store batches as the producer sent them, or recompress" }, "compression.type" },
	{ { "delete.retention.ms", CONF_DURATION, "1d", 0, I64MAX, 1, NULL,
	    "how long compaction keeps tombstones" }, "log.cleaner.delete.retention.ms" },
	{ { "min.compaction.lag.ms", CONF_DURATION, "0", 0, I64MAX, 1, NULL,
	    "records younger than this are not compacted" }, "log.cleaner.min.compaction.lag.ms" },
	{ { "min.cleanable.dirty.ratio", CONF_RATIO, "0.5", 0, 1, 0, NULL,
	    "compact once this share of the log is new since the last compaction" },
	  "log.cleaner.min.cleanable.ratio" },
	{ { "message.timestamp.before.max.ms", CONF_DURATION, "-1", -1, I64MAX, 1, NULL,
	    "refuse records stamped more than this before the broker's clock (-1: no limit)" },
	  NULL },
	{ { "message.timestamp.after.max.ms", CONF_DURATION, "1h", -1, I64MAX, 1, NULL,
	    "refuse records stamped more than this after the broker's clock (-1: no limit)" },
	  NULL },
	{ { "mirror.source", CONF_STRING, NULL, 0, 0, 0, NULL,
	    "<cluster-id>/<topic> this topic mirrors: producers are refused (READ_ONLY_TOPIC), "
	    "only the mirror appends; remove it to promote the topic" }, NULL },
};
const size_t topic_conf_ndefs = sizeof(topic_conf_defs) / sizeof(topic_conf_defs[0]);

/* Kafka's precedence: the most precise key that was set wins. */
static int64_t precedence(const struct conf *c, const char *ms, const char *min, const char *hours)
{
	if (conf_get_source(c, ms) != CONF_SRC_DEFAULT || (!min && !hours))
		return conf_get_num(c, ms);
	if (min && conf_get_source(c, min) != CONF_SRC_DEFAULT)
		return conf_get_num(c, min);
	return conf_get_num(c, hours);
}

int64_t broker_retention_ms(const struct conf *c)
{
	return precedence(c, "log.retention.ms", "log.retention.minutes", "log.retention.hours");
}

int64_t broker_roll_ms(const struct conf *c)
{
	return precedence(c, "log.roll.ms", NULL, "log.roll.hours");
}

static const struct topic_conf_def *find_topic_def(const char *key)
{
	for (size_t i = 0; i < topic_conf_ndefs; i++)
		if (strcmp(topic_conf_defs[i].def.key, key) == 0)
			return &topic_conf_defs[i];
	return NULL;
}

int topic_config_known(const char *key)
{
	return find_topic_def(key) != NULL;
}

/* "<cluster-id>/<topic>": both parts there, printable, within the field. */
static int check_mirror_source(const char *value, struct err *e)
{
	const char *slash = strchr(value, '/');
	struct topic_config cfg;

	for (const char *p = value; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return err_set(e, SLOG_EINVALID_CONFIG, "mirror.source: a control character");
	if (!slash || slash == value || !slash[1])
		return err_set(e, SLOG_EINVALID_CONFIG,
			       "mirror.source: '%s' is not <cluster-id>/<topic>", value);
	if (strlen(value) >= sizeof(cfg.mirror_source))
		return err_set(e, SLOG_EINVALID_CONFIG, "mirror.source: longer than %zu bytes",
			       sizeof(cfg.mirror_source) - 1);
	return 0;
}

int topic_config_check(const char *key, const char *value, struct err *e)
{
	const struct topic_conf_def *td = find_topic_def(key);
	int64_t num;

	if (!td)
		return err_set(e, SLOG_EINVALID_CONFIG, "unknown topic config '%s'", key);
	if (strcmp(key, "mirror.source") == 0)
		return check_mirror_source(value, e);
	if (conf_parse(&td->def, value, &num, NULL, e))
		return err_wrap(e, "%s", key);
	return 0;
}

/* Whether any of the broker keys that feed one topic key was set. */
static const char *source_of(const struct conf *broker, const char *const *keys)
{
	for (; *keys; keys++)
		if (conf_get_source(broker, *keys) != CONF_SRC_DEFAULT)
			return "broker";
	return "default";
}

/* One key's value (number, enum index) and where it came from. */
static int resolve_one(const struct conf *broker, json_t *overrides,
		       const struct topic_conf_def *td, int64_t *num, const char **source,
		       struct err *e)
{
	static const char *const retention[] = { "log.retention.ms", "log.retention.minutes",
						  "log.retention.hours", NULL };
	static const char *const roll[] = { "log.roll.ms", "log.roll.hours", NULL };
	json_t *o = overrides ? json_object_get(overrides, td->def.key) : NULL;

	if (o && json_is_string(o)) {
		*source = "topic";
		return conf_parse(&td->def, json_string_value(o), num, NULL, e);
	}
	if (strcmp(td->def.key, "retention.ms") == 0) {
		*source = source_of(broker, retention);
		*num = broker_retention_ms(broker);
	} else if (strcmp(td->def.key, "segment.ms") == 0) {
		*source = source_of(broker, roll);
		*num = broker_roll_ms(broker);
	} else if (td->broker_key) {
		const char *keys[] = { td->broker_key, NULL };
		*source = source_of(broker, keys);
		*num = conf_get_num(broker, td->broker_key);
	} else if (!td->def.def) {
		*source = "default"; /* a string with no value: unset */
		*num = 0;
	} else {
		*source = "default";
		return conf_parse(&td->def, td->def.def, num, NULL, e);
	}
	return 0;
}

static int64_t value_of(const struct conf *broker, json_t *overrides, const char *key, int *rc,
			struct err *e)
{
	const struct topic_conf_def *td = find_topic_def(key);
	const char *source;
	int64_t num = 0;

	if (!*rc)
		*rc = resolve_one(broker, overrides, td, &num, &source, e);
	return num;
}

int topic_config_resolve(const struct conf *broker, json_t *overrides, struct topic_config *out,
			 struct err *e)
{
	int rc = 0, comp;
	json_t *mirror;

	memset(out, 0, sizeof(*out));
	out->log.retention_ms = value_of(broker, overrides, "retention.ms", &rc, e);
	out->log.retention_bytes = value_of(broker, overrides, "retention.bytes", &rc, e);
	out->log.segment_bytes = value_of(broker, overrides, "segment.bytes", &rc, e);
	out->log.segment_ms = value_of(broker, overrides, "segment.ms", &rc, e);
	out->log.index_interval_bytes = value_of(broker, overrides, "index.interval.bytes", &rc, e);
	out->max_message_bytes = value_of(broker, overrides, "max.message.bytes", &rc, e);
	out->min_insync_replicas = value_of(broker, overrides, "min.insync.replicas", &rc, e);
	out->unclean_leader_election =
		value_of(broker, overrides, "unclean.leader.election.enable", &rc, e) != 0;
	out->cleanup_policy = (int)value_of(broker, overrides, "cleanup.policy", &rc, e);
	out->log_append_time = value_of(broker, overrides, "message.timestamp.type", &rc, e) == 1;
	comp = (int)value_of(broker, overrides, "compression.type", &rc, e);
	out->compression = comp == 0 ? -1 : comp == 1 ? CODEC_NONE : CODEC_ZSTD;
	out->delete_retention_ms = value_of(broker, overrides, "delete.retention.ms", &rc, e);
	out->min_compaction_lag_ms = value_of(broker, overrides, "min.compaction.lag.ms", &rc, e);
	out->min_cleanable_ratio =
		(double)value_of(broker, overrides, "min.cleanable.dirty.ratio", &rc, e) / 1e6;
	/* A compacted topic keeps a key's last record however old: time and
	 * size retention apply only with "compact,delete" (as in Kafka). */
	if (out->cleanup_policy == CLEANUP_COMPACT) {
		out->log.retention_ms = -1;
		out->log.retention_bytes = -1;
	}
	out->ts_before_max_ms = value_of(broker, overrides, "message.timestamp.before.max.ms", &rc, e);
	out->ts_after_max_ms = value_of(broker, overrides, "message.timestamp.after.max.ms", &rc, e);
	mirror = overrides ? json_object_get(overrides, "mirror.source") : NULL;
	if (json_is_string(mirror))
		snprintf(out->mirror_source, sizeof(out->mirror_source), "%s", json_string_value(mirror));
	return rc;
}

/* A value as text in the key's unit: enums by name, booleans as words. */
static void format_value(const struct topic_conf_def *td, int64_t num, char *out, size_t size)
{
	if (td->def.type == CONF_ENUM) {
		const char *p = td->def.choices;
		for (int64_t i = 0; i < num && p; i++) {
			p = strchr(p, '|');
			if (p)
				p++;
		}
		snprintf(out, size, "%.*s", p ? (int)strcspn(p, "|") : 0, p ? p : "");
	} else if (td->def.type == CONF_BOOL) {
		snprintf(out, size, "%s", num ? "true" : "false");
	} else if (td->def.type == CONF_RATIO) {
		snprintf(out, size, "%g", (double)num / 1e6);
	} else {
		snprintf(out, size, "%lld", (long long)num);
	}
}

json_t *topic_config_describe(const struct conf *broker, json_t *overrides)
{
	json_t *list = json_array();

	for (size_t i = 0; i < topic_conf_ndefs; i++) {
		const struct topic_conf_def *td = &topic_conf_defs[i];
		const char *source = "default";
		char text[384];
		int64_t num = 0;

		if (resolve_one(broker, overrides, td, &num, &source, NULL))
			continue;
		if (td->def.type == CONF_STRING) {
			/* Listed only when set, as a config file would have it. */
			json_t *o = overrides ? json_object_get(overrides, td->def.key) : NULL;
			if (!json_is_string(o))
				continue;
			snprintf(text, sizeof(text), "%s", json_string_value(o));
		} else {
			format_value(td, num, text, sizeof(text));
		}
		json_array_append_new(list, json_pack("{s:s, s:s, s:s, s:s}", "name", td->def.key,
						      "value", text, "source", source, "doc",
						      td->def.doc));
	}
	return list;
}

/* The key of the three that decides the effective retention.ms. */
static const char *retention_key(const struct conf *c)
{
	if (conf_get_source(c, "log.retention.ms") != CONF_SRC_DEFAULT)
		return "log.retention.ms";
	if (conf_get_source(c, "log.retention.minutes") != CONF_SRC_DEFAULT)
		return "log.retention.minutes";
	return "log.retention.hours";
}

/*
 * A key that was not set but whose effective value another key gives:
 * its value as text and that key.  Returns 0 when the key is not derived
 * (set, or a default of its own that nothing overrides).
 */
static int derived(const struct conf *c, const char *key, char *out, size_t size,
		   const char **from)
{
	const char *dirs;

	if (conf_get_source(c, key) != CONF_SRC_DEFAULT)
		return 0;
	if (strcmp(key, "log.retention.ms") == 0) {
		*from = retention_key(c);
		if (strcmp(*from, "log.retention.hours") == 0 &&
		    conf_get_source(c, *from) == CONF_SRC_DEFAULT)
			return 0; /* 168 hours is the 7d default */
		snprintf(out, size, "%lld", (long long)broker_retention_ms(c));
	} else if (strcmp(key, "log.roll.ms") == 0) {
		*from = "log.roll.hours";
		snprintf(out, size, "%lld", (long long)broker_roll_ms(c));
	} else if (strcmp(key, "advertised.listeners") == 0) {
		*from = "listeners";
		snprintf(out, size, "%s", conf_get_str(c, "listeners"));
	} else if (strcmp(key, "metadata.log.dir") == 0) {
		*from = "log.dirs";
		dirs = conf_get_str(c, "log.dirs");
		dirs += strspn(dirs, " ");
		snprintf(out, size, "%.*s/%s", (int)strcspn(dirs, ", "), dirs, META_LOG_DIR_NAME);
	} else {
		return 0;
	}
	return 1;
}

void broker_config_print(const struct conf *c, FILE *out)
{
	for (size_t i = 0; i < c->ndefs; i++) {
		const char *key = c->defs[i].key, *from;
		char v[512], src[4300];

		if (derived(c, key, v, sizeof(v), &from)) {
			fprintf(out, "%s = %s  # derived from %s\n", key, v, from);
			continue;
		}
		/* Keys with no value (no default, not set) are left out, so the
		 * output reads back as a config file. */
		if (c->vals[i].source == CONF_SRC_DEFAULT && !c->defs[i].def)
			continue;
		conf_format(c, i, v, sizeof(v));
		conf_format_source(c, i, src, sizeof(src));
		fprintf(out, "%s = %s  # %s\n", key, v, src);
	}
}

static int is_voter(const struct quorum_voter *voters, size_t n, int32_t id)
{
	for (size_t i = 0; i < n; i++)
		if (voters[i].id == id)
			return 1;
	return 0;
}

int broker_config_cluster(const struct conf *c, int32_t node_id, int *roles,
			  struct quorum_voter *voters, size_t *nvoters, struct err *e)
{
	/* The order of process.roles' choices: broker, controller, both, both. */
	static const int role_bits[] = { 1, 2, 3, 3 };
	const char *text = conf_get_str(c, "controller.quorum.voters");
	const char *bootstrap = conf_get_str(c, "controller.quorum.bootstrap.servers");
	int voter;

	*roles = role_bits[conf_get_num(c, "process.roles") & 3];
	*nvoters = 0;
	if (text && *text) {
		if (quorum_parse_voters(text, voters, nvoters, e))
			return conf_wrap_key(c, "controller.quorum.voters", e);
	} else if (*roles & BROKER_CONFIG_ROLE_CONTROLLER) {
		/* This node alone: nobody calls its Raft port. */
		voters[0].id = node_id;
		snprintf(voters[0].addr, sizeof(voters[0].addr), "127.0.0.1:0");
		*nvoters = 1;
	}
	voter = is_voter(voters, *nvoters, node_id);
	if ((*roles & BROKER_CONFIG_ROLE_CONTROLLER) && node_id < 1)
		return err_set(e, SLOG_EINVALID_CONFIG,
			       "node.id 0 cannot have the controller role: a voter's id is 1 or more");
	if ((*roles & BROKER_CONFIG_ROLE_CONTROLLER) && !voter)
		return err_set(e, SLOG_EINVALID_CONFIG,
			       "process.roles includes controller, but node.id %d is not among "
			       "controller.quorum.voters (%s)", node_id, text);
	if (!(*roles & BROKER_CONFIG_ROLE_CONTROLLER) && voter)
		return err_set(e, SLOG_EINVALID_CONFIG,
			       "node.id %d is a voter in controller.quorum.voters, but process.roles "
			       "(%s) does not include controller", node_id,
			       conf_get_str(c, "process.roles"));
	if (!(*roles & BROKER_CONFIG_ROLE_CONTROLLER) && (!bootstrap || !*bootstrap))
		return err_set(e, SLOG_EINVALID_CONFIG,
			       "process.roles=%s: a broker that is not a voter needs "
			       "controller.quorum.bootstrap.servers to find the controller",
			       conf_get_str(c, "process.roles"));
	return 0;
}
