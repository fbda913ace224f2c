/*
 * registry.h: the broker's topic registry (registry.c): the runtime topics
 * and partitions (struct topic, struct partition in broker.h) mirroring
 * the metadata state, their references, and where each partition's
 * leader is (replication.h moves a partition's high watermark).  Callers hold meta_lock as each function states (the lookups of
 * leaders and addresses too); broker.h has the locking rules and the partitions'
 * lifetime.
 */
#ifndef SLOG_REGISTRY_H
#define SLOG_REGISTRY_H

#include <jansson.h>
#include <stdint.h>

#include "err.h"

struct broker;
struct meta_topic;
struct partition;
struct topic;

/*
 * A topic's runtime, its logs opened, not yet in the registry: the
 * metadata publisher builds it without meta_lock, then either inserts it
 * (meta_lock held for writing) or discards it, removing its files.
 */
struct topic *registry_prepare(struct broker *b, const struct meta_topic *mt, struct err *e);
void registry_insert(struct broker *b, struct topic *t);
void registry_discard(struct broker *b, struct topic *t);

/*
 * More partitions for t, in two steps like a new topic: open the logs of
 * partitions [t->npart, count) into *parts (without meta_lock), then
 * either registry_grow_commit() (meta_lock held for writing) or
 * registry_grow_discard().
 */
int registry_grow_prepare(struct broker *b, struct topic *t, int32_t count,
			struct partition ***parts, struct err *e);
void registry_grow_commit(struct topic *t, int32_t count, struct partition **parts);
void registry_grow_discard(struct broker *b, struct topic *t, int32_t count,
			 struct partition **parts);

/* Resolve the topic's configuration again and hand it to its logs. */
int registry_reconfigure(struct broker *b, struct topic *t, json_t *overrides, struct err *e);

/*
 * Take a topic out of the registry (meta_lock held for writing): its
 * partitions are marked deleted, their compaction cancelled and their
 * waiters woken.  Returns it, or NULL; hand it to registry_release().
 */
struct topic *registry_detach(struct broker *b, const char *name);

/* Drop the registry's references to a detached topic (without meta_lock). */
void registry_release(struct topic *t);

/* Close every log (shutdown).  Returns the first error. */
int registry_close_all(struct broker *b, struct err *e);

/* Lookup (meta_lock held, for reading or writing). */
struct topic *broker_topic(struct broker *b, const char *name);
struct partition *topic_partition(struct topic *t, int32_t p);

/* Take a reference (meta_lock held, or holding one already); returns p. */
struct partition *partition_get(struct partition *p);
/* Give one back (any thread, no lock needed).  The last closes the log,
 * removing its files if the topic was deleted. */
void partition_put(struct partition *p);

/* The same for a topic's struct alone (its name, config, sticky counter;
 * not its partitions array, which grows under meta_lock). */
struct topic *topic_get(struct topic *t);
void topic_put(struct topic *t);

/* The node that leads p in the published metadata (-1: none). */
int32_t partition_leader(struct broker *b, const struct partition *p);

/*
 * The host and port of broker node's "http" endpoint as it registered
 * (borrowed: valid while meta_lock is held); this node's own before its
 * registration is published.  0, or -1 when it is not registered.
 */
int broker_endpoint(struct broker *b, int32_t node, const char **host, int *port);

/* {"node_id","host","port"} of a broker of the cluster, for redirects
 * (host "" and port 0 when it is not registered). */
json_t *broker_address(struct broker *b, int32_t node);

/* A reference to every partition in the registry (takes meta_lock for
 * reading): *n of them, for a job that works on each without the lock;
 * registry_put_all() gives them back and frees the array. */
struct partition **registry_hold_all(struct broker *b, size_t *n);
void registry_put_all(struct partition **v, size_t n);

#endif
