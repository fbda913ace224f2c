/*
 * controller_link.h: requests of one thread to the cluster's controller,
 * wherever it is now.
 *
 * The controller is the metadata quorum's leader, and it moves.  A
 * broker's heartbeat and its leaders' ISR changes both find it the same
 * way: they keep the URL that last answered; a node that is not the
 * controller answers NOT_CONTROLLER naming the one it knows, and the
 * link follows that name (a few hops at most); a node that names none,
 * or one that cannot be reached, sends the next request to the next
 * candidate of cluster_peers.h, round robin.  Nothing is forwarded: a
 * node that is not the controller never acts on the request.
 *
 * One thread calls controller_link_call(); any thread may call
 * controller_link_stop().
 */
#ifndef SLOG_CONTROLLER_LINK_H
#define SLOG_CONTROLLER_LINK_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "cluster/cluster_peers.h"
#include "err.h"

struct broker;
struct peer_client;

struct controller_link {
	struct broker *b;
	struct peer_client *pc;
	char url[PEER_URL_MAX]; /* the controller that answered last; "" none */
	size_t next;            /* the candidate to try next */
};

void controller_link_init(struct controller_link *l, struct broker *b);
void controller_link_free(struct controller_link *l);

/* Make the call in progress, and every later one, fail at once. */
void controller_link_stop(struct controller_link *l);

/*
 * POST body (borrowed) to path on the controller until deadline_ms
 * (monotonic), following NOT_CONTROLLER answers that name another node.
 * 0 when a controller took it: l->url is then its URL (the one its
 * answer names, if any).  Otherwise the SLOG_E* code of the last answer
 * (SLOG_ENETWORK when it could not be reached, SLOG_ENOT_CONTROLLER when
 * no node named a controller) with e set; the next call then tries
 * another candidate.  used (may be NULL) receives the URL of the last
 * node asked; *answer (may be NULL) its JSON answer, errors included
 * (new reference, or NULL).
 */
int controller_link_call(struct controller_link *l, const char *path, json_t *body,
			 int64_t deadline_ms, json_t **answer, char *used, size_t size,
			 struct err *e);

#endif
