/*
 * broker_list.h: the brokers a client may ask, in the order it asks them.
 *
 * The list starts as -b (or SLOG_BROKERS): "host[:port],host[:port]".
 * Each address is kept as its base URL ("http://host:port"), so that the
 * same broker named twice, or named by -b and again by the cluster, is
 * asked once.  A client that reached a broker adds the brokers the
 * cluster lists (GET /v1/cluster, GET /v1/metadata), as a Kafka client
 * goes from its bootstrap servers to the cluster's metadata: when every
 * broker of -b is down later on, the others of the cluster are tried.
 *
 * Nothing here does I/O.
 */
#ifndef SLOG_BROKER_LIST_H
#define SLOG_BROKER_LIST_H

#include <jansson.h>
#include <stddef.h>

struct broker_list {
	char **url;   /* base URLs, owned */
	size_t n;
	size_t given; /* the first ones came from -b; the rest were learned */
};

/*
 * Add each address of csv (spaces around one are ignored, and so are
 * empty ones).  An address that is not one is skipped: cli_brokers()
 * has refused it already.  The number of brokers added.
 */
size_t broker_list_parse(struct broker_list *l, const char *csv);

/* Add one base URL, unless it is there already; 1 when added. */
int broker_list_add(struct broker_list *l, const char *base);

/*
 * Add the brokers of an answer's "brokers" array (GET /v1/cluster or
 * GET /v1/metadata); the number added.
 */
size_t broker_list_learn(struct broker_list *l, json_t *brokers);

/*
 * The base URL of one entry of such an array: its "url", else "host"
 * and "port".  0, or -1 when it names no address.
 */
int broker_list_entry_url(json_t *broker, char *out, size_t len);

/* The entry's node id ("id", or "node_id" as a single broker answers); -1 if none. */
long long broker_list_entry_id(json_t *broker);

void broker_list_free(struct broker_list *l);

#endif
