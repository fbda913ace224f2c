/*
 * bench/commits.c: how many offset commits a broker takes per second.
 *
 *   commits URL TOPIC PARTITIONS CONNECTIONS SECONDS
 *
 * Opens CONNECTIONS keep-alive connections to the broker at URL; each
 * commits, one request after another, the next offset of every one of
 * PARTITIONS partitions of TOPIC for a group of its own (bench-0,
 * bench-1, ...), as an administrative commit (no member: the groups are
 * empty).  A commit is answered only once its record in
 * __consumer_offsets is durable, so this measures the commit path with
 * its group-commit fsync.  After SECONDS it prints one line:
 * "commits offsets seconds errors".
 */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>

#include "buf.h"
#include "clock.h"
#include "xalloc.h"

struct conn {
	CURL *h;
	struct curl_slist *hdr;
	struct buf body;
	char url[512];
	long next;
};

static const char *topic;
static int partitions;

static size_t discard(char *p, size_t size, size_t n, void *arg)
{
	(void)p;
	(void)arg;
	return size * n;
}

static void start(CURLM *m, struct conn *c)
{
	buf_reset(&c->body);
	buf_addf(&c->body, "{\"offsets\":[");
	for (int i = 0; i < partitions; i++)
		buf_addf(&c->body, "%s{\"topic\":\"%s\",\"partition\":%d,\"offset\":%ld}",
			   i ? "," : "", topic, i, c->next);
	buf_addf(&c->body, "]}");
	c->next++;
	curl_easy_setopt(c->h, CURLOPT_POSTFIELDS, c->body.data);
	curl_easy_setopt(c->h, CURLOPT_POSTFIELDSIZE, (long)c->body.len);
	curl_multi_add_handle(m, c->h);
}

int main(int argc, char **argv)
{
	long ncommits = 0, nerrors = 0;
	int nconn, running, left;
	double seconds, t0, t;
	struct conn *v;
	CURLM *m;
	CURLMsg *msg;

	if (argc != 6) {
		fprintf(stderr, "usage: commits URL TOPIC PARTITIONS CONNECTIONS SECONDS\n");
		return 2;
	}
	topic = argv[2];
	partitions = (int)strtol(argv[3], NULL, 10);
	nconn = (int)strtol(argv[4], NULL, 10);
	seconds = strtod(argv[5], NULL);
	if (partitions < 1 || nconn < 1 || seconds <= 0) {
		fprintf(stderr, "commits: PARTITIONS, CONNECTIONS and SECONDS must be positive\n");
		return 2;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	m = curl_multi_init();
	v = xcalloc((size_t)nconn, sizeof(*v));
	for (int i = 0; i < nconn; i++) {
		struct conn *c = &v[i];
		c->h = curl_easy_init();
		c->hdr = curl_slist_append(NULL, "Content-Type: application/json");
		snprintf(c->url, sizeof(c->url), "%s/v1/groups/bench-%d/offsets", argv[1], i);
		curl_easy_setopt(c->h, CURLOPT_URL, c->url);
		curl_easy_setopt(c->h, CURLOPT_HTTPHEADER, c->hdr);
		curl_easy_setopt(c->h, CURLOPT_WRITEFUNCTION, discard);
		curl_easy_setopt(c->h, CURLOPT_PRIVATE, (char *)c);
		curl_easy_setopt(c->h, CURLOPT_TIMEOUT_MS, 10000L);
		start(m, c);
	}
	t0 = (double)clock_mono_ns() / 1e9;
	t = t0;
	for (int active = nconn; active > 0;) {
		curl_multi_perform(m, &running);
		while ((msg = curl_multi_info_read(m, &left))) {
			struct conn *c;
			long status = 0;

			if (msg->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&c);
			curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE, &status);
			curl_multi_remove_handle(m, c->h);
			if (msg->data.result == CURLE_OK && status == 200)
				ncommits++;
			else
				nerrors++;
			t = (double)clock_mono_ns() / 1e9;
			if (t - t0 < seconds)
				start(m, c);
			else
				active--;
		}
		if (active > 0)
			curl_multi_poll(m, NULL, 0, 100, NULL);
	}
	printf("%ld %ld %.3f %ld\n", ncommits, ncommits * partitions, t - t0, nerrors);
	for (int i = 0; i < nconn; i++) {
		curl_easy_cleanup(v[i].h);
		curl_slist_free_all(v[i].hdr);
		buf_free(&v[i].body);
	}
	free(v);
	curl_multi_cleanup(m);
	curl_global_cleanup();
	return nerrors ? 1 : 0;
}
