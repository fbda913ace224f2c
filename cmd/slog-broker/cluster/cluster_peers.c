/*
 * cluster_peers.c: the HTTP addresses of the cluster's nodes.
 * See cluster_peers.h.
 */
#include "cluster/cluster_peers.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "broker.h"
#include "http_client.h"
#include "log.h"
#include "meta/meta_state.h"

int cluster_peer_url(const struct meta_state *s, int32_t id, char *out, size_t size)
{
	const struct meta_broker *mb = meta_find_broker(s, id);
	const char *host;
	int port;

	if (!mb || meta_broker_http(mb, &host, &port))
		return -1;
	http_base_url(out, size, host, port);
	return 0;
}

int cluster_peer_url_of(struct broker *b, int32_t id, char *out, size_t size)
{
	int rc;

	pthread_mutex_lock(&b->image.lock);
	rc = cluster_peer_url(&b->image.state, id, out, size);
	pthread_mutex_unlock(&b->image.lock);
	return rc;
}

void cluster_self_url(struct broker *b, char *out, size_t size)
{
	http_base_url(out, size, b->host, b->port);
}

void peer_list_add(struct peer_list *l, const char *url)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->url[i], url) == 0)
			return;
	if (l->n < PEER_LIST_MAX)
		snprintf(l->url[l->n++], PEER_URL_MAX, "%s", url);
}

/* controller.quorum.bootstrap.servers: host:port,... (NULL: none). */
static void add_bootstrap(struct broker *b, struct peer_list *l)
{
	const char *list = conf_get_str(&b->conf, "controller.quorum.bootstrap.servers");
	char one[PEER_URL_MAX], url[PEER_URL_MAX];

	while (list && *list) {
		size_t len = strcspn(list, ",");
		struct err e;

		snprintf(one, sizeof(one), "%.*s", (int)len, list);
		if (one[0] && http_broker_base(one, url, sizeof(url), &e) == 0)
			peer_list_add(l, url);
		list += len + (list[len] == ',');
	}
}

void cluster_peers_controllers(struct broker *b, struct peer_list *out)
{
	char url[PEER_URL_MAX];

	out->n = 0;
	if (b->quorum) {
		struct quorum_view v;

		quorum_view(b->quorum, &v);
		if (v.leader_id == b->node_id)
			cluster_self_url(b, url, sizeof(url));
		if (v.leader_id == b->node_id ||
		    (v.leader_id > 0 && !cluster_peer_url_of(b, v.leader_id, url, sizeof(url))))
			peer_list_add(out, url);
	}
	add_bootstrap(b, out);
	for (size_t i = 0; i < b->nvoters; i++)
		if (b->voters[i].id != b->node_id &&
		    !cluster_peer_url_of(b, b->voters[i].id, url, sizeof(url)))
			peer_list_add(out, url);
	if (b->quorum) {
		cluster_self_url(b, url, sizeof(url));
		peer_list_add(out, url);
	}
}
