/*
 * cluster_peers.h: where the other nodes of the cluster answer HTTP.
 *
 * A broker heartbeats to the controller and an observer fetches the
 * metadata log from a voter; both find them the same way, in this
 * order: the quorum's leader (when this node votes, it knows), the
 * addresses of controller.quorum.bootstrap.servers, the brokers records
 * of the voters this node's image holds, and this node itself when it
 * votes (a cluster of one).  A URL appears once.
 */
#ifndef SLOG_CLUSTER_PEERS_H
#define SLOG_CLUSTER_PEERS_H

#include <stddef.h>
#include <stdint.h>

struct broker;
struct meta_state;

#define PEER_URL_MAX 300
#define PEER_LIST_MAX 24

struct peer_list {
	char url[PEER_LIST_MAX][PEER_URL_MAX]; /* "http://host:port" */
	size_t n;
};

/* The http endpoint of broker id in s (the caller holds what guards s):
 * 0 with its URL, or -1 when s has no such broker or endpoint. */
int cluster_peer_url(const struct meta_state *s, int32_t id, char *out, size_t size);

/* The URL of broker id as b's image has it (takes the image's lock). */
int cluster_peer_url_of(struct broker *b, int32_t id, char *out, size_t size);

/* This node's own URL (its advertised address). */
void cluster_self_url(struct broker *b, char *out, size_t size);

/* The nodes that may be, or know, the controller, best first. */
void cluster_peers_controllers(struct broker *b, struct peer_list *out);

/* Add url to l unless it is there already (or l is full). */
void peer_list_add(struct peer_list *l, const char *url);

#endif
