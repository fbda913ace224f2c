/*
 * forward.c: admin requests relayed to the controller.  See forward.h.
 *
 * One thread owns a libcurl multi handle and every transfer in it.  Other
 * threads only queue jobs (under the lock) and wake it; the thread adds
 * them to the multi handle, runs the transfers, and calls each job's done
 * hook when it is over.  libcurl's own timers bound each transfer by the
 * job's deadline (CURLOPT_TIMEOUT_MS), so no job outlives it, whatever
 * the controller does.  The multi handle's connection cache keeps the
 * connection to the controller open between forwards.
 */
#include "cluster/forward.h"

#include <curl/curl.h>
#include <jansson.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "http_client.h"
#include "xalloc.h"

struct forward_job {
	struct forward_job *next;
	char method[16];
	char *path, *query;
	char *body;
	size_t len;
	int64_t deadline_ms;
	char targets[FORWARD_TARGETS_MAX][FORWARD_URL_MAX];
	size_t ntargets, at;          /* at: the target being tried */
	struct curl_slist *headers;
	CURL *h;
	char *url;
	struct http_response resp;
	struct forward_result res;
	void (*done)(void *arg, struct forward_result *res);
	void *arg;
};

struct forwarder {
	pthread_t thread;
	CURLM *multi;
	pthread_mutex_t lock;         /* guards queue and stopping */
	struct forward_job *queue;    /* submitted, not yet started */
	int stopping;
	struct forward_job *active;   /* in the multi handle: the thread's own */
};

/* ---- pure parts ---- */

void forward_url(struct buf *out, const char *base, const char *path, const char *query)
{
	const char *p = path;

	buf_adds(out, base);
	while (*p) {
		size_t n = strcspn(p, "/");
		char *seg = xstrndup(p, n);

		http_escape(out, seg);
		free(seg);
		p += n;
		if (*p == '/') {
			buf_addc(out, '/');
			p++;
		}
	}
	if (query && *query) {
		buf_addc(out, '?');
		buf_adds(out, query);
	}
}

void forward_query_add(struct buf *query, const char *name, const char *value)
{
	if (query->len)
		buf_addc(query, '&');
	http_escape(query, name);
	if (!value)
		return;
	buf_addc(query, '=');
	http_escape(query, value);
}

int forward_not_controller(long status, const struct buf *body)
{
	json_t *j, *code;
	int yes;

	if (status != 503 || !body->len)
		return 0;
	j = json_loadb(body->data, body->len, 0, NULL);
	code = json_object_get(json_object_get(j, "error"), "code");
	yes = json_is_string(code) && strcmp(json_string_value(code), "NOT_CONTROLLER") == 0;
	json_decref(j);
	return yes;
}

/* ---- jobs ---- */

static struct forward_job *job_new(const struct forward_request *rq,
				   void (*done)(void *arg, struct forward_result *res), void *arg)
{
	struct forward_job *j = xcalloc(1, sizeof(*j));
	char ct[128];

	snprintf(j->method, sizeof(j->method), "%s", rq->method);
	j->path = xstrdup(rq->path);
	j->query = xstrdup(rq->query ? rq->query : "");
	if (rq->len) {
		j->body = xmalloc(rq->len);
		memcpy(j->body, rq->body, rq->len);
		j->len = rq->len;
	}
	j->deadline_ms = rq->deadline_ms;
	for (size_t i = 0; i < rq->ntargets && i < FORWARD_TARGETS_MAX; i++)
		snprintf(j->targets[j->ntargets++], FORWARD_URL_MAX, "%s", rq->targets[i]);
	if (rq->content_type) {
		snprintf(ct, sizeof(ct), "Content-Type: %s", rq->content_type);
		j->headers = curl_slist_append(j->headers, ct);
	}
	j->headers = curl_slist_append(j->headers, FORWARD_HEADER ": 1");
	j->headers = curl_slist_append(j->headers, "Expect:"); /* no 100-continue round trip */
	http_response_init(&j->resp);
	j->done = done;
	j->arg = arg;
	return j;
}

static void job_free(struct forward_job *j)
{
	if (j->h)
		curl_easy_cleanup(j->h);
	curl_slist_free_all(j->headers);
	http_response_free(&j->resp);
	buf_free(&j->res.body);
	free(j->url);
	free(j->body);
	free(j->query);
	free(j->path);
	free(j);
}

/* The job is over: tell its owner, then let it go. */
static void job_finish(struct forward_job *j)
{
	if (j->at < j->ntargets)
		snprintf(j->res.target, sizeof(j->res.target), "%s", j->targets[j->at]);
	j->done(j->arg, &j->res);
	job_free(j);
}

static void job_fail(struct forward_job *j, int code, const char *why)
{
	j->res.rc = err_set(&j->res.err, code, "%s", why);
	job_finish(j);
}

/* ---- the thread ---- */

static void unlink_active(struct forwarder *fw, struct forward_job *j)
{
	for (struct forward_job **p = &fw->active; *p; p = &(*p)->next)
		if (*p == j) {
			*p = j->next;
			break;
		}
	j->next = NULL;
}

/* Send j to its current target; 0, or -1 when its time is out. */
static int job_start(struct forwarder *fw, struct forward_job *j)
{
	int64_t left = j->deadline_ms - clock_mono_ms();
	struct buf url = BUF_INIT;

	if (left <= 0)
		return -1;
	forward_url(&url, j->targets[j->at], j->path, j->query);
	free(j->url);
	j->url = buf_detach(&url, NULL);
	http_response_free(&j->resp);
	http_response_init(&j->resp);
	if (!j->h)
		j->h = curl_easy_init();
	else
		curl_easy_reset(j->h);
	http_easy_setup(j->h, j->url, j->method, j->headers, j->body, j->len, (long)left, &j->resp);
	curl_easy_setopt(j->h, CURLOPT_PRIVATE, j);
	curl_multi_add_handle(fw->multi, j->h);
	j->next = fw->active;
	fw->active = j;
	return 0;
}

/* Start j, or fail it when it has no target or no time left. */
static void job_begin(struct forwarder *fw, struct forward_job *j)
{
	if (j->ntargets == 0)
		job_fail(j, SLOG_ENOT_CONTROLLER, "no controller is known");
	else if (job_start(fw, j))
		job_fail(j, SLOG_EREQUEST_TIMED_OUT, "no time was left to forward the request");
}

/* Whether j goes on to its next target after this one's outcome. */
static int try_next(struct forwarder *fw, struct forward_job *j)
{
	if (j->at + 1 >= j->ntargets)
		return 0;
	j->at++;
	return job_start(fw, j) == 0;
}

/* A transfer is over: relay the answer, or try the next target. */
static void transfer_done(struct forwarder *fw, struct forward_job *j, CURLcode code)
{
	unlink_active(fw, j);
	curl_multi_remove_handle(fw->multi, j->h);
	if (code == CURLE_OK) {
		curl_easy_getinfo(j->h, CURLINFO_RESPONSE_CODE, &j->resp.status);
		if (forward_not_controller(j->resp.status, &j->resp.body) && try_next(fw, j))
			return;
		j->res.status = j->resp.status;
		snprintf(j->res.content_type, sizeof(j->res.content_type), "%s", j->resp.content_type);
		j->res.body = j->resp.body;
		j->resp.body = (struct buf)BUF_INIT;
		job_finish(j);
		return;
	}
	if (code != CURLE_OPERATION_TIMEDOUT && try_next(fw, j))
		return;
	j->res.rc = err_set(&j->res.err,
			    code == CURLE_OPERATION_TIMEDOUT ? SLOG_EREQUEST_TIMED_OUT : SLOG_ENETWORK,
			    "%s: %s", j->targets[j->at],
			    code == CURLE_OPERATION_TIMEDOUT ? "timed out" : curl_easy_strerror(code));
	job_finish(j);
}

static void reap(struct forwarder *fw)
{
	CURLMsg *msg;
	int left;

	while ((msg = curl_multi_info_read(fw->multi, &left))) {
		char *priv = NULL;

		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &priv);
		if (priv)
			transfer_done(fw, (struct forward_job *)(void *)priv, msg->data.result);
	}
}

/* The jobs submitted since the last turn (the lock taken here). */
static struct forward_job *take_queue(struct forwarder *fw, int *stopping)
{
	struct forward_job *q;

	pthread_mutex_lock(&fw->lock);
	q = fw->queue;
	fw->queue = NULL;
	*stopping = fw->stopping;
	pthread_mutex_unlock(&fw->lock);
	return q;
}

/* Everything still in flight, or queued, ends with "shutting down". */
static void fail_all(struct forwarder *fw, struct forward_job *q)
{
	while (fw->active) {
		struct forward_job *j = fw->active;
		unlink_active(fw, j);
		curl_multi_remove_handle(fw->multi, j->h);
		job_fail(j, SLOG_ELEADER_NOT_AVAILABLE, "the broker is shutting down");
	}
	while (q) {
		struct forward_job *j = q;
		q = q->next;
		job_fail(j, SLOG_ELEADER_NOT_AVAILABLE, "the broker is shutting down");
	}
}

static void *forwarder_main(void *arg)
{
	struct forwarder *fw = arg;
	int stopping = 0, running;

	for (;;) {
		struct forward_job *q = take_queue(fw, &stopping);

		if (stopping) {
			fail_all(fw, q);
			return NULL;
		}
		while (q) {
			struct forward_job *j = q;
			q = q->next;
			j->next = NULL;
			job_begin(fw, j);
		}
		curl_multi_perform(fw->multi, &running);
		reap(fw);
		/* curl shortens the wait to its own next timeout. */
		curl_multi_poll(fw->multi, NULL, 0, 1000, NULL);
	}
}

struct forwarder *forwarder_start(struct err *e)
{
	struct forwarder *fw = xcalloc(1, sizeof(*fw));

	curl_global_init(CURL_GLOBAL_DEFAULT);
	fw->multi = curl_multi_init();
	pthread_mutex_init(&fw->lock, NULL);
	if (fw->multi && pthread_create(&fw->thread, NULL, forwarder_main, fw) == 0)
		return fw;
	if (fw->multi)
		curl_multi_cleanup(fw->multi);
	pthread_mutex_destroy(&fw->lock);
	free(fw);
	err_set(e, SLOG_ENOMEM, "cannot start the thread that forwards admin requests");
	return NULL;
}

void forwarder_stop(struct forwarder *fw)
{
	if (!fw)
		return;
	pthread_mutex_lock(&fw->lock);
	fw->stopping = 1;
	pthread_mutex_unlock(&fw->lock);
	curl_multi_wakeup(fw->multi);
	pthread_join(fw->thread, NULL);
	curl_multi_cleanup(fw->multi);
	pthread_mutex_destroy(&fw->lock);
	free(fw);
}

void forward_submit(struct forwarder *fw, const struct forward_request *rq,
		    void (*done)(void *arg, struct forward_result *res), void *arg)
{
	struct forward_job *j = job_new(rq, done, arg);
	int stopping;

	pthread_mutex_lock(&fw->lock);
	stopping = fw->stopping;
	if (!stopping) {
		j->next = fw->queue;
		fw->queue = j;
	}
	pthread_mutex_unlock(&fw->lock);
	if (stopping)
		job_fail(j, SLOG_ELEADER_NOT_AVAILABLE, "the broker is shutting down");
	else
		curl_multi_wakeup(fw->multi);
}
