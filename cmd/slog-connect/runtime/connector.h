/*
 * connector.h: what a connector is, and what the runtime gives it.
 *
 * A connector class (file-source, http-sink, mirror, ...) is a table
 * entry: its names, the keys it takes (besides the keys every connector
 * takes, connector_conf.h), and either a run function (sources and the
 * mirror: a loop that owns its input) or sink operations (sinks: the
 * runtime reads the topics and hands them records, sink.h).
 *
 * A running connector is a task: one thread, its own connections to the
 * cluster, its own transform chain and error policy.  tasks.max > 1 runs
 * that many tasks of a sink or mirror, each a member of the group
 * connect-<name>; a source runs one task.
 *
 * Life of a task (worker.c): the runtime starts a thread that calls
 * run() (or the sink loop).  run() returns 0 when task_stopping() said to
 * stop (SIGTERM, pause, reload, restart) after it has drained: every
 * record read was delivered or given up on by the error policy, and its
 * progress saved.  It returns a negative SLOG_E* (e says why) when it
 * failed: the task is FAILED, and the runtime starts it again after a
 * backoff (1 s doubling to 5 min), alone: other connectors go on.
 *
 * Pausing stops the task the same way (its progress saved) and resuming
 * starts it again: a paused sink leaves its group, so its partitions go
 * to the copies of it running elsewhere.
 */
#ifndef SLOG_CONNECTOR_H
#define SLOG_CONNECTOR_H

#include <signal.h>
#include <stdint.h>

#include "conf.h"
#include "err.h"

struct connector_conf;
struct worker_conf;
struct connect_metrics;
struct transform_chain;
struct error_policy;
struct sink_ops;
struct connect_task;

enum connector_kind { CONNECTOR_SOURCE, CONNECTOR_SINK };

struct connector_class {
	const char *name;              /* "file-source" */
	const char *const *aliases;    /* NULL-terminated: Kafka's class names for it */
	enum connector_kind kind;
	const struct conf_def *keys;   /* its own keys (conf.h), with defaults and docs */
	size_t nkeys;
	/* Checks across keys, after each key parsed (may be NULL). */
	int (*check)(const struct connector_conf *cc, struct err *e);
	/* Sources and the mirror: the task's loop (above).  NULL for sinks. */
	int (*run)(struct connect_task *t, struct err *e);
	/* Sinks: how records are written out (sink.h).  NULL otherwise. */
	const struct sink_ops *sink;
};

/* The class whose name or alias is name ("FileStreamSource",
 * "org.apache.kafka.connect.file.FileStreamSourceConnector"), or NULL. */
const struct connector_class *connector_class_find(const char *name);
/* Every class built in, for the connector-plugins listing. */
const struct connector_class *const *connector_classes(size_t *n);
/* Make cls findable by connector_class_find() (unit tests' own classes,
 * before any thread starts); 0, or -1 when the table is full. */
int connector_class_register(const struct connector_class *cls);

enum task_state { TASK_UNASSIGNED, TASK_RUNNING, TASK_PAUSED, TASK_FAILED, TASK_STOPPED };

/* Kafka Connect's name of a state: "RUNNING", "PAUSED", ... */
const char *task_state_name(enum task_state s);

/*
 * What the runtime hands a task.  Everything is the runtime's: the task
 * reads it and never frees it.
 */
struct connect_task {
	const struct connector_conf *cc;
	const struct worker_conf *wc;
	int id;                          /* 0 .. tasks.max-1 */
	struct connect_metrics *metrics; /* this connector's counters (metrics.h) */
	struct transform_chain *chain;   /* its transforms (transform.h); never NULL */
	struct error_policy *errors;     /* errors.* and the dead-letter topic (error_policy.h) */
	/* Set by the runtime, read by the task: stop, drain, save progress. */
	volatile sig_atomic_t stop;
	/* Set by the task while it is ready to take data (readyz). */
	volatile sig_atomic_t ready;
};

/* The runtime asked the task to stop. */
static inline int task_stopping(const struct connect_task *t)
{
	return t->stop != 0;
}

/*
 * Log a line about the task, prefixed by the connector's name
 * ("app-logs: ..."), at the level given (log.h).
 */
void task_log(const struct connect_task *t, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
