/*
 * broker_config.h: every key slog-broker understands, and how a topic's
 * effective configuration is derived.
 *
 * Two tables.  Broker keys (slog-broker.conf(5)) use Kafka's names where
 * Kafka has one.  Topic keys are Kafka's topic-level names; each has a
 * broker key that sets its cluster-wide default (retention.ms <-
 * log.retention.ms), so a topic's value comes from, in order: its own
 * override ("topic"), the broker's configuration ("broker"), or the
 * built-in default ("default").
 */
#ifndef SLOG_BROKER_CONFIG_H
#define SLOG_BROKER_CONFIG_H

#include <jansson.h>
#include <stdio.h>

#include "conf.h"
#include "storage/partition_log.h"

extern const struct conf_def broker_conf_defs[];
extern const size_t broker_conf_ndefs;

struct topic_conf_def {
	struct conf_def def;    /* key, type, built-in default, range, doc */
	const char *broker_key; /* the broker key that sets its default, or NULL */
};
extern const struct topic_conf_def topic_conf_defs[];
extern const size_t topic_conf_ndefs;

enum cleanup_policy { CLEANUP_DELETE = 0, CLEANUP_COMPACT = 1, CLEANUP_COMPACT_DELETE = 2 };

/* A topic's configuration, resolved to values. */
struct topic_config {
	struct plog_config log;
	int64_t max_message_bytes;
	int64_t min_insync_replicas;
	int unclean_leader_election; /* unclean.leader.election.enable */
	int cleanup_policy;       /* enum cleanup_policy */
	int log_append_time;      /* message.timestamp.type = LogAppendTime */
	int compression;          /* a codec id, or -1 for "producer" */
	int64_t delete_retention_ms;
	int64_t min_compaction_lag_ms;
	double min_cleanable_ratio;
	int64_t ts_before_max_ms; /* reject timestamps older than now - this */
	int64_t ts_after_max_ms;  /* ... or newer than now + this */
	/* mirror.source, "<cluster-id>/<topic>": the topic is a mirror's copy
	 * of that topic, read-only to producers; "" for an ordinary topic. */
	char mirror_source[320];
};

/*
 * Resolve a topic's configuration from its overrides (a JSON object of
 * key -> string value, may be NULL) over the broker's conf.  Fails only
 * if an override does not parse (overrides are checked when set).
 */
int topic_config_resolve(const struct conf *broker, json_t *overrides, struct topic_config *out,
			 struct err *e);

/* Whether key is a topic config. */
int topic_config_known(const char *key);

/* Check one override: known key, parseable value.  Returns 0 or INVALID_CONFIG. */
int topic_config_check(const char *key, const char *value, struct err *e);

/*
 * The topic's configuration as a JSON list of {"name","value","source"},
 * value as text in the key's own unit (ms, bytes), source "topic",
 * "broker" or "default".
 */
json_t *topic_config_describe(const struct conf *broker, json_t *overrides);

/* Effective retention.ms: Kafka's log.retention.ms/.minutes/.hours precedence. */
int64_t broker_retention_ms(const struct conf *c);
int64_t broker_roll_ms(const struct conf *c);

/*
 * Print every key with its effective value as a config file says it, and
 * where the value came from after a '#': "default", "file FILE:LINE",
 * "env SLOG_KEY", "command line --set", or, for a key that was not set
 * but that another key gives (log.retention.ms from log.retention.hours,
 * advertised.listeners from listeners), "derived from KEY".  Keys with no
 * value are left out, so that the output loads back as it is.
 */
void broker_config_print(const struct conf *c, FILE *out);

struct quorum_voter;

/* process.roles as bits. */
#define BROKER_CONFIG_ROLE_BROKER 1
#define BROKER_CONFIG_ROLE_CONTROLLER 2

/*
 * The node's part in the cluster: *roles (BROKER_CONFIG_ROLE_*) and the
 * quorum's voters (at most QUORUM_MAX_VOTERS), this node alone on
 * 127.0.0.1 port 0 when controller.quorum.voters is unset.  A node with
 * the controller role must be a voter and a voter must have it; a broker
 * that is no voter needs controller.quorum.bootstrap.servers to find the
 * controller.  SLOG_EINVALID_CONFIG naming the keys otherwise.
 */
int broker_config_cluster(const struct conf *c, int32_t node_id, int *roles,
			  struct quorum_voter *voters, size_t *nvoters, struct err *e);

#endif
