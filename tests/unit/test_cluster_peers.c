/*
 * test_cluster_peers.c: a broker's URL from its record, and the list of
 * candidates a heartbeat or an observer tries (each once).
 */
#include <string.h>

#include "cluster/cluster_peers.h"
#include "meta/meta_state.h"
#include "unit.h"

static void add_broker(struct meta_state *s, int32_t id, const char *endpoints)
{
	json_t *rec = json_pack("{s:i, s:s, s:i, s:s, s:o}", "v", 1, "type", "broker", "id", id,
				"incarnation", "inc", "endpoints", json_loads(endpoints, 0, NULL));
	struct err e;

	CHECK_EQ(meta_state_apply(s, rec, &e), 0);
	json_decref(rec);
}

static void test_a_broker_url_is_its_http_endpoint(void)
{
	struct meta_state s;
	char url[PEER_URL_MAX];

	meta_state_init(&s);
	add_broker(&s, 1, "[{\"name\":\"kafka\",\"host\":\"h\",\"port\":9092},"
			  "{\"name\":\"http\",\"host\":\"10.0.0.1\",\"port\":9292}]");
	add_broker(&s, 2, "[{\"name\":\"http\",\"host\":\"::1\",\"port\":9294}]");
	add_broker(&s, 3, "[{\"name\":\"kafka\",\"host\":\"h\",\"port\":9092}]");
	CHECK_EQ(cluster_peer_url(&s, 1, url, sizeof(url)), 0);
	CHECK(strcmp(url, "http://10.0.0.1:9292") == 0);
	CHECK_EQ(cluster_peer_url(&s, 2, url, sizeof(url)), 0);
	CHECK(strcmp(url, "http://[::1]:9294") == 0);
	CHECK_EQ(cluster_peer_url(&s, 3, url, sizeof(url)), -1);
	CHECK_EQ(cluster_peer_url(&s, 4, url, sizeof(url)), -1);
	meta_state_free(&s);
}

static void test_a_candidate_is_listed_once(void)
{
	struct peer_list l = { .n = 0 };

	peer_list_add(&l, "http://a:1");
	peer_list_add(&l, "http://b:2");
	peer_list_add(&l, "http://a:1");
	CHECK_EQ(l.n, 2);
	for (int i = 0; i < PEER_LIST_MAX + 5; i++) {
		char u[32];
		snprintf(u, sizeof(u), "http://h:%d", 100 + i);
		peer_list_add(&l, u);
	}
	CHECK_EQ(l.n, PEER_LIST_MAX);
}

int main(void)
{
	unit_run("a broker's URL is its http endpoint", test_a_broker_url_is_its_http_endpoint);
	unit_run("a candidate is listed once", test_a_candidate_is_listed_once);
	return unit_done();
}
