/*
 * controlled_shutdown.h: a broker that stops on purpose hands its
 * leaderships over first (Kafka's controlled shutdown, KIP-631).
 *
 * On SIGTERM, while everything still serves (HTTP, the replica fetcher,
 * the ISR sender), the broker's heartbeat asks the controller to mark it
 * shutting_down; the controller then takes it out of every ISR and
 * elects other leaders for what it led.  The broker waits until its
 * published metadata shows that it leads no partition another replica
 * could take (an in-sync replica on a live broker), or until
 * controlled.shutdown.timeout.ms has passed, and then stops as before.
 * What no other replica can take (a partition of one replica, or one
 * whose other replicas are out of sync or down) is not waited for: its
 * clients wait for this broker to come back.  With
 * controlled.shutdown.enable=false the controller is still told, but the
 * broker does not wait: its partitions move as it stops.
 */
#ifndef SLOG_CONTROLLED_SHUTDOWN_H
#define SLOG_CONTROLLED_SHUTDOWN_H

struct broker;

/* Ask, then wait as above (blocks up to controlled.shutdown.timeout.ms
 * and the heartbeat's own wait; returns at once for a broker with no
 * heartbeat). */
void controlled_shutdown_run(struct broker *b);

#endif
