/*
 * broker_heartbeat.h: this broker's heartbeats to the controller (the
 * broker side of KRaft's BrokerLifecycleManager).
 *
 * A thread POSTs /v1/cluster/heartbeat every broker.heartbeat.interval.ms
 * on a kept-alive connection, with this process's incarnation, its
 * endpoint and the metadata offset it serves (its publisher's).  The first heartbeat of an
 * incarnation registers it; the controller marks it alive once its
 * image holds the registration (broker_lifecycle.h).  A node that is
 * not the controller answers NOT_CONTROLLER naming the one it knows,
 * and the broker goes there; otherwise it tries the next address that
 * cluster_peers.h lists.  Until the broker is alive it reports more
 * often, and it reports at once when its image moves
 * (broker_heartbeat_nudge), so that a controller waiting for every
 * broker to hold a change is answered without waiting an interval.
 *
 * While a log dir is offline (dir_health.h) each heartbeat also names
 * the offline dirs and the replicas placed here that are offline
 * (replication spec D7); the broker nudges the thread when a dir fails,
 * so the controller moves their leaderships within one heartbeat.
 *
 * The broker is ready (GET /readyz, systemd's READY=1 through on_ready)
 * once its image shows this incarnation alive.
 */
#ifndef SLOG_BROKER_HEARTBEAT_H
#define SLOG_BROKER_HEARTBEAT_H

#include <stddef.h>
#include <stdint.h>

struct broker;
struct broker_heartbeat;

/* Start the thread.  on_ready(arg) runs once, on that thread, when this
 * broker is first alive in its image. */
struct broker_heartbeat *broker_heartbeat_start(struct broker *b, void (*on_ready)(void *arg),
						void *arg);

/* The image changed: report the new offset now (any thread; never blocks). */
void broker_heartbeat_nudge(struct broker_heartbeat *hb);

/*
 * Ask the controller to mark this broker shutting_down (its leaderships
 * then move, docs/cluster.md) and wait, at most about 2 s, until a
 * heartbeat's answer says so: 0 then, -1 when it did not (no controller
 * answered, or the broker was not alive: it leads nothing).  Heartbeats
 * go on, asking the same, until broker_heartbeat_stop().  Once per
 * incarnation; later calls answer at once.
 */
int broker_heartbeat_shut_down(struct broker_heartbeat *hb);

/*
 * Shut down in order: ask the controller to mark this broker
 * shutting_down and wait (at most about 2 s) until it answers so, then
 * stop the thread.  Call before the HTTP server stops, which may be the
 * controller's.  The handlers may still read hb until broker_heartbeat_free
 * (after the HTTP server stopped).
 */
void broker_heartbeat_stop(struct broker_heartbeat *hb);
void broker_heartbeat_free(struct broker_heartbeat *hb);

/* The controller that answered the last heartbeat: 0 with its id and
 * URL, -1 when the last one failed. */
int broker_heartbeat_controller(struct broker_heartbeat *hb, int32_t *id, char *url, size_t size);

/* Whether this incarnation is registered and alive in b's image. */
int broker_heartbeat_alive(struct broker *b);

#endif
