/*
 * replica_fetcher.h: a broker's fetches of the partitions it follows.
 *
 * For each broker that leads partitions this node follows, one thread
 * and one kept-alive HTTP connection carry every such partition in one
 * long-polling POST /v1/replica/fetch (docs/http-api.md): each partition
 * names its LEO, last fetched epoch, durable offset and log start, the
 * leader epoch it believes in, and the request names this broker's id
 * and broker epoch (its incarnation).  What comes back is appended with
 * the leader's offsets and epochs (every batch CRC-checked), fsynced,
 * and only then reported as durable in the next fetch (D2); a diverging
 * epoch truncates first (replication.h), durably, and applies no high
 * watermark from that answer.
 *
 * The set of sessions follows the published metadata: the publisher
 * calls replica_fetcher_poke() after each change, and the fetcher
 * regroups the partitions by leader (a session for a leader that leads
 * nothing followed here ends).  FENCED_LEADER_EPOCH parks a partition
 * until its metadata changes; NOT_LEADER, UNKNOWN_LEADER_EPOCH and a
 * refused connection back off replica.fetch.backoff.ms.
 */
#ifndef SLOG_REPLICA_FETCHER_H
#define SLOG_REPLICA_FETCHER_H

struct broker;
struct replica_fetcher;

struct replica_fetcher *replica_fetcher_start(struct broker *b);
/* Stop every session (a fetch in flight is abandoned); joins the threads. */
void replica_fetcher_stop(struct replica_fetcher *f);
/* The published metadata changed: regroup partitions by leader. */
void replica_fetcher_poke(struct replica_fetcher *f);

#endif
