/*
 * isr_sender.h: the leader's requests to change its partitions' ISRs.
 *
 * Only the controller changes an ISR (Kafka's AlterPartition, KIP-497).
 * A thread looks, every replica.lag.time.max.ms / 2 and whenever a
 * follower's fetch makes an expansion possible (isr_sender_poke), at the
 * partitions this node leads; for each whose leader wants another ISR
 * (replication_isr_wanted) it sends POST /v1/cluster/partitions/alter to
 * the controller, one change in flight per partition.  An expansion
 * counts at once; a shrink only once the controller's record is
 * published here.  A refusal reverts to the committed ISR: a leader cut
 * off from the controller keeps its old ISR, so its high watermark stops
 * and it acknowledges no acks=all write that could be lost.
 */
#ifndef SLOG_ISR_SENDER_H
#define SLOG_ISR_SENDER_H

struct broker;
struct isr_sender;

struct isr_sender *isr_sender_start(struct broker *b);

/* Stop the thread: a request in flight fails at once, and changes not
 * answered end as refused.  Pokes may still come (they do nothing) until
 * isr_sender_free(), after the HTTP server stopped. */
void isr_sender_stop(struct isr_sender *s);
void isr_sender_free(struct isr_sender *s);

/* A follower's fetch may allow an expansion: look now (any thread; never
 * blocks; NULL is fine). */
void isr_sender_poke(struct isr_sender *s);

#endif
