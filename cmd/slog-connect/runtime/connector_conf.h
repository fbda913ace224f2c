/*
 * connector_conf.h: one connector's config file, and the worker's.
 *
 * A connector file is `key = value` lines, read as the broker's config is
 * (conf.h: comments, quotes, units such as 5s or 1MiB), with three
 * additions:
 *
 *   ${NAME}         the environment variable NAME (unset: an error naming
 *                   it); ${NAME:-default} when unset or empty; ${file:PATH}
 *                   the contents of PATH, trailing newline dropped (secrets)
 *   [prefix]        a section: the keys below it are read as prefix.key,
 *                   so [transforms.host] then `type = insert-header` is
 *                   transforms.host.type; `[]` ends the section
 *   Kafka's names   connector.class takes slog's short names (file-source)
 *                   and Kafka Connect's (FileStreamSource, or the full
 *                   org.apache.kafka... class), so Connect's standalone
 *                   file connector configs run unchanged
 *
 * The keys are the common ones (below) plus the class's own
 * (connector.h); transforms.<alias>.* and predicates.<alias>.* go to the
 * transforms (transform.h), which check them by their own tables.  An
 * unknown key, a bad value, or a missing required key is an error naming
 * the key and FILE:LINE.
 *
 * Common keys: name (required), connector.class (required), tasks.max,
 * enabled, topic / topics / topics.regex (as the class takes them),
 * key.converter and value.converter (accepted and ignored when they name
 * Connect's String/ByteArray/Json converters: records stay bytes),
 * transforms, predicates, and errors.* (error_policy.h), whose defaults
 * come from the worker file.
 *
 * The worker file (connect.conf; -c) holds bootstrap.servers (else
 * $SLOG_BROKERS, else 127.0.0.1:9292), listeners (the REST API,
 * http://127.0.0.1:8083; empty: none), connectors.dir,
 * offset.storage.topic (__connect_offsets), offset.flush.interval.ms
 * (1000), and errors.* defaults.  Sinks and the mirror always use the
 * group connect-<name>, as Kafka Connect's sinks do.
 */
#ifndef SLOG_CONNECTOR_CONF_H
#define SLOG_CONNECTOR_CONF_H

#include <stdint.h>
#include <stdio.h>

#include "conf.h"
#include "runtime/connector.h"
#include "err.h"

/* One transforms.<alias>.* or predicates.<alias>.* block, as written. */
struct conf_block {
	char *alias;
	char **keys, **values, **origins; /* the keys without the prefix; origins "FILE:LINE" */
	size_t n;
};

struct connector_conf {
	char *path;                       /* the file, or "-" for stdin */
	char *name;
	const struct connector_class *cls;
	struct conf conf;                 /* the common keys and the class's, typed */
	struct conf_def *defs;            /* that table (common + class), owned */
	struct conf_block *transforms;    /* in the order `transforms` lists them */
	size_t ntransforms;
	struct conf_block *predicates;
	size_t npredicates;
	uint64_t digest;                  /* of the resolved keys: reload restarts a connector whose digest changed */
};

/*
 * Read and check a connector file (path "-": stdin).  overrides are
 * "key=value" pairs from --set, applied last.  0 with *out (free with
 * connector_conf_free), or SLOG_EINVALID_CONFIG and e naming the key and
 * place; worker supplies the errors.* defaults (may be NULL).
 */
int connector_conf_load(const char *path, const char *const *overrides, size_t noverrides,
			const struct worker_conf *worker, struct connector_conf **out,
			struct err *e);
void connector_conf_free(struct connector_conf *cc);

/* Typed values (the key must be in the table: conf.h's getters). */
int64_t cc_num(const struct connector_conf *cc, const char *key);
int cc_bool(const struct connector_conf *cc, const char *key);
const char *cc_str(const struct connector_conf *cc, const char *key); /* NULL when unset */

/* A transform's or predicate's key, or NULL. */
const char *conf_block_get(const struct conf_block *b, const char *key);

/* A key whose value is a secret (password, token, ...): listings show
 * "(hidden)" instead. */
int connector_conf_is_secret(const char *key);

/* Key i of c has no value (a string left at an empty default): listings
 * leave it out, so that they read back as a file. */
int connector_conf_unset(const struct conf *c, size_t i);

/* `check`'s listing: every key, its value and where it came from. */
void connector_conf_print(const struct connector_conf *cc, FILE *out);

/* The worker's file (NULL: defaults and the environment only). */
struct worker_conf {
	struct conf conf;
	char *brokers;                    /* resolved bootstrap.servers */
};
int worker_conf_load(const char *path, const char *const *overrides, size_t noverrides,
		     struct worker_conf *out, struct err *e);
void worker_conf_free(struct worker_conf *wc);

#endif
