/*
 * broker_lifecycle.h: the controller's view of the brokers (KRaft's
 * BrokerHeartbeatManager; docs/design-notes.md "Broker liveness").
 *
 * Every broker heartbeats to the active controller (broker_heartbeat.h).
 * The HTTP handler hands each heartbeat to broker_lifecycle_heartbeat(),
 * which only notes it and answers with the state the image holds; one
 * thread of this module turns what it noted into metadata records, one
 * change at a time, so that no request thread waits for the quorum:
 *
 *   an incarnation the image does not hold      -> registered (fenced)
 *   fenced, and its metadata offset has reached
 *   the image's offset when it was registered    -> alive
 *   alive, and it asks to shut down              -> shutting_down
 *   alive or shutting_down, and silent for
 *   broker.session.timeout.ms, or the connection
 *   of its latest heartbeat closed               -> fenced
 *
 * It acts only while this node is the active controller
 * (controller_active), and a controller that has just been elected
 * counts every broker's silence from its election, not from before: the
 * heartbeats went to its predecessor.  The controller's own node is
 * never fenced because a connection closed (its heartbeats come from
 * itself), only by silence.
 *
 * A heartbeat may also list the broker's replicas on an offline log dir
 * (replication spec D7; Kafka's BrokerHeartbeatRequest.OfflineLogDirs).
 * Each such heartbeat of the registered incarnation has the thread ask
 * the controller to mark them offline (replicas_offline), which changes
 * only what is not marked yet: a broker repeats the list while its
 * process lives, so a new controller learns it at its next heartbeat.
 *
 * Thread-safe.  lc->lock is taken after the image's lock is released,
 * never inside it.
 */
#ifndef SLOG_BROKER_LIFECYCLE_H
#define SLOG_BROKER_LIFECYCLE_H

#include <jansson.h>
#include <stdint.h>

#include "err.h"
#include "meta/meta_state.h"

struct broker;
struct broker_lifecycle;

/*
 * The controller's calls the thread makes (meta/controller.h's, which
 * main.c passes): given, not called by name, because the controller
 * waits on this module (broker_lifecycle_await), and a test may stand in
 * for it.
 */
struct lc_controller {
	int (*active)(struct broker *b, int32_t *controller_id);
	int (*register_broker)(struct broker *b, int32_t id, const char *incarnation,
			       json_t *endpoints, struct err *e);
	int (*set_state)(struct broker *b, int32_t id, const char *incarnation,
			 enum meta_broker_state state, struct err *e);
	/* Mark a broker's replicas offline (replicas: the heartbeat's
	 * offline_replicas, borrowed); NULL: never. */
	int (*replicas_offline)(struct broker *b, int32_t id, const char *incarnation,
				json_t *replicas, size_t *changed, struct err *e);
	/* The controller's own work, run on this thread at each tick while
	 * this node is the active controller (may be NULL): active_ms is
	 * how long it has been. */
	void (*duties)(struct broker *b, int64_t active_ms);
};

/* Start the thread (b->conf gives the session timeout; ctl borrowed,
 * for the module's life). */
struct broker_lifecycle *broker_lifecycle_start(struct broker *b,
						const struct lc_controller *ctl);
/* Stop it: a change in flight is waited for (bounded by the
 * controller's own deadline); broker_lifecycle_await returns at once. */
void broker_lifecycle_stop(struct broker_lifecycle *lc);

/* One heartbeat, as POST /v1/cluster/heartbeat carries it (borrowed). */
struct lc_heartbeat {
	int32_t id;
	const char *incarnation;
	json_t *endpoints;   /* [{"name","host","port"}] */
	int64_t meta_offset; /* what the broker's image holds */
	int want_shutdown;
	uint64_t conn_id;    /* the connection it came on (http_conns_id) */
	json_t *offline_replicas; /* [{"topic","topic_id","partitions"}]; NULL: none */
};

/*
 * Note a heartbeat and wake the thread; never blocks on the quorum.
 * *state receives that incarnation's state in the image (fenced until
 * it is registered).
 */
void broker_lifecycle_heartbeat(struct broker_lifecycle *lc, const struct lc_heartbeat *hb,
				enum meta_broker_state *state);

/* A connection closed (from the HTTP server's thread; does not block). */
void broker_lifecycle_conn_closed(struct broker_lifecycle *lc, uint64_t conn_id);

/*
 * Wait until every alive broker but this node has reported a metadata
 * offset of at least offset, or deadline_ms (monotonic): 0, or
 * SLOG_EREQUEST_TIMED_OUT naming the first broker still behind.
 */
int broker_lifecycle_await(struct broker_lifecycle *lc, int64_t offset, int64_t deadline_ms,
			   struct err *e);

/* ---- the decision, pure: for tests ---- */

/* What the controller knows of one broker from its heartbeats. */
struct lc_member {
	int32_t id;
	char incarnation[24];
	json_t *endpoints;   /* owned */
	int64_t last_ms;     /* monotonic time of its latest heartbeat */
	int64_t meta_offset;
	int64_t need_offset; /* the offset that makes it alive; -1 unknown */
	int want_shutdown;
	int closed;          /* the connection of its latest heartbeat closed */
	uint64_t conn_id;
	json_t *offline;     /* its latest offline_replicas; owned, NULL: none */
	int offline_due;     /* a heartbeat listed them since the thread last asked */
};

enum lc_action { LC_NONE, LC_REGISTER, LC_ALIVE, LC_SHUTTING_DOWN, LC_FENCE };

struct lc_clock {
	int64_t now_ms;
	int64_t active_since_ms; /* when this node became the active controller */
	int64_t session_ms;
	int32_t self_id;         /* this node's id: not fenced for a closed connection */
};

/*
 * The change one broker needs: m is what heartbeats said (NULL: none
 * since this node became controller), reg its record in the image (NULL:
 * not registered; only its id, incarnation and state are read).
 */
enum lc_action broker_lifecycle_decide(const struct lc_member *m, const struct meta_broker *reg,
				       const struct lc_clock *c);

#endif
