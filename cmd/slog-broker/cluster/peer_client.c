/*
 * peer_client.c: requests between nodes on curl's multi interface.
 * See peer_client.h.
 *
 * The multi interface is used for one request at a time only for
 * curl_multi_wakeup(): curl_easy_perform() cannot be interrupted but by
 * its own timeout, and a shutdown must not wait for a long poll.
 */
#include "cluster/peer_client.h"

#include <curl/curl.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "http_client.h"
#include "xalloc.h"

struct peer_client {
	CURLM *multi;
	CURL *easy;
	struct curl_slist *headers;
	atomic_int stopped;
};

struct peer_client *peer_client_new(void)
{
	struct peer_client *pc = xcalloc(1, sizeof(*pc));

	/* Counted, and thread-safe since curl 7.84: one per client. */
	curl_global_init(CURL_GLOBAL_DEFAULT);
	pc->multi = curl_multi_init();
	pc->easy = curl_easy_init();
	pc->headers = curl_slist_append(NULL, "Content-Type: application/json");
	pc->headers = curl_slist_append(pc->headers, "Expect:");
	return pc;
}

void peer_client_free(struct peer_client *pc)
{
	if (!pc)
		return;
	curl_easy_cleanup(pc->easy);
	curl_multi_cleanup(pc->multi);
	curl_slist_free_all(pc->headers);
	free(pc);
	curl_global_cleanup();
}

void peer_client_stop(struct peer_client *pc)
{
	pc->stopped = 1;
	curl_multi_wakeup(pc->multi);
}

/* Drive the one transfer until it ends, the deadline, or a stop. */
static CURLcode run_transfer(struct peer_client *pc, int64_t deadline_ms)
{
	int running = 1;

	while (running) {
		int64_t left = deadline_ms - clock_mono_ms();
		CURLMsg *msg;
		int queued;

		if (pc->stopped)
			return CURLE_ABORTED_BY_CALLBACK;
		if (left <= 0)
			return CURLE_OPERATION_TIMEDOUT;
		if (curl_multi_perform(pc->multi, &running) != CURLM_OK)
			return CURLE_FAILED_INIT;
		while ((msg = curl_multi_info_read(pc->multi, &queued)))
			if (msg->msg == CURLMSG_DONE)
				return msg->data.result;
		if (running)
			curl_multi_poll(pc->multi, NULL, 0, left > 1000 ? 1000 : (int)left, NULL);
	}
	return CURLE_OK;
}

static json_t *parse_answer(const struct http_response *r)
{
	if (!r->body.len)
		return NULL;
	return json_loadb(r->body.data, r->body.len, 0, NULL);
}

/*
 * One request: url with text (may be NULL) until deadline_ms, the answer
 * in *r (at most max_answer bytes when > 0: a longer one fails).
 */
static int transfer(struct peer_client *pc, const char *url, const char *method,
		    const char *text, size_t len, int64_t deadline_ms, int64_t max_answer,
		    struct http_response *r, struct err *e)
{
	int64_t left = deadline_ms - clock_mono_ms();
	CURLcode code;

	if (pc->stopped || left <= 0)
		return err_set(e, pc->stopped ? SLOG_ENETWORK : SLOG_EREQUEST_TIMED_OUT, "%s: %s", url,
			       pc->stopped ? "stopping" : "timed out");
	curl_easy_reset(pc->easy);
	http_easy_setup(pc->easy, url, method, pc->headers, text, len, (long)left, r);
	if (max_answer > 0)
		curl_easy_setopt(pc->easy, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)max_answer);
	curl_multi_add_handle(pc->multi, pc->easy);
	code = run_transfer(pc, deadline_ms);
	curl_multi_remove_handle(pc->multi, pc->easy);
	if (code == CURLE_ABORTED_BY_CALLBACK)
		return err_set(e, SLOG_ENETWORK, "%s: stopping", url);
	return http_response_finish(pc->easy, code, url, r, e);
}

int peer_call(struct peer_client *pc, const char *base, const char *method, const char *path,
	      json_t *body, int64_t deadline_ms, json_t **answer, struct err *e)
{
	char url[512], *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
	struct http_response r;
	int rc;

	if (answer)
		*answer = NULL;
	snprintf(url, sizeof(url), "%s%s", base, path);
	http_response_init(&r);
	rc = transfer(pc, url, method, text, text ? strlen(text) : 0, deadline_ms, 0, &r, e);
	if (answer && (rc == 0 || r.status >= 300))
		*answer = parse_answer(&r);
	http_response_free(&r);
	free(text);
	return rc;
}

int peer_post_raw(struct peer_client *pc, const char *base, const char *path, const char *body,
		  size_t len, int64_t deadline_ms, int64_t max_answer, struct http_response *r,
		  struct err *e)
{
	char url[512];

	snprintf(url, sizeof(url), "%s%s", base, path);
	return transfer(pc, url, "POST", body, len, deadline_ms, max_answer, r, e);
}
