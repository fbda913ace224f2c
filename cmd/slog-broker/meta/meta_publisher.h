/*
 * meta_publisher.h: the thread that makes this broker follow its image.
 *
 * The image (meta_image.h) is what the quorum committed, as this node
 * has it; the broker's published metadata (b->meta) and its topic
 * registry are what it serves.  The publisher turns the first into the
 * second: woken by each change of the image, it takes the entries it has
 * not published (meta_image_since) and applies each with
 * publish_records(), which opens the logs the records place here, closes
 * and deletes those of removed topics and swaps in the new state.  At
 * its start, or when it fell behind what the image keeps, it publishes
 * the image's whole state at once instead (publish_prepare_state).
 *
 * The first cluster id it publishes is the one the node joins
 * (meta_log_join: recorded, and taken into meta.properties by a node that
 * never joined); an image of another cluster stops the broker.
 *
 * Nothing is skipped: a change whose logs cannot be opened (a disk that
 * refuses them) is logged and tried again with a growing pause, and the
 * broker serves the state before it meanwhile.  One publisher per node;
 * it is the only writer of b->meta and the registry.
 */
#ifndef SLOG_META_PUBLISHER_H
#define SLOG_META_PUBLISHER_H

#include <stdint.h>

#include "err.h"

struct broker;
struct meta_publisher;

/*
 * Start publishing b->image to b.  The image's on_change must call
 * meta_publisher_wake(): set it before anything feeds the image.
 */
struct meta_publisher *meta_publisher_start(struct broker *b);

/* Stop and free (NULL is fine); nothing feeds the image any more. */
void meta_publisher_stop(struct meta_publisher *p);

/* Wake the publisher: the image changed (any thread; waits for no I/O). */
void meta_publisher_wake(void *p);

/*
 * Wait until every record below offset is published.  A publisher that
 * is failing (and retrying) is waited for until the monotonic clock
 * reaches deadline_ms: then SLOG_EREQUEST_TIMED_OUT, naming its last
 * failure.  One that is only slow (thousands of logs to create) is
 * waited for to the end, as its work is what the caller asked for; so is
 * one that a stalled disk holds up.
 */
int meta_publisher_await(struct meta_publisher *p, int64_t offset, int64_t deadline_ms,
			 struct err *e);

/* The offset below which everything is published. */
int64_t meta_publisher_offset(struct meta_publisher *p);

#endif
