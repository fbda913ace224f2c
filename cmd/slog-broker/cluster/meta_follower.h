/*
 * meta_follower.h: an observer's copy of the metadata log.
 *
 * A node that is only a broker does not vote, so the quorum does not
 * feed its image.  This thread long-polls
 * GET /v1/meta/records?after=N&wait_ms=W on a node that votes (any: each
 * serves its own image) and applies each answer to b->image with
 * meta_image_apply_fetched(): new entries, or a snapshot when the voter's
 * ring no longer reaches back to N.  On an error it goes to the next
 * node that cluster_peers.h lists.  The image's on_change then moves the
 * publisher, as on a voter.
 */
#ifndef SLOG_META_FOLLOWER_H
#define SLOG_META_FOLLOWER_H

struct broker;
struct meta_follower;

struct meta_follower *meta_follower_start(struct broker *b);
/* Stop at once, a long poll in flight included. */
void meta_follower_stop(struct meta_follower *f);

#endif
