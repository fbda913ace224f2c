/*
 * http_source.c: the http-source connector: webhooks and NDJSON posts
 * into topics, answered 2xx only once slog has every record.
 *
 * libmicrohttpd's threads take requests: they check the path, the token
 * and the limits, cut the body into records (http_body.h: all or
 * nothing), then park the connection and queue the request for the task.
 * The task's thread is the only one to touch the record writer (it is
 * single-threaded): it runs each request's records through the
 * transforms, sends them, and answers a request once
 * writer_done_upto() has passed its last record.  Answering after the
 * acknowledgement is the whole guarantee: a client that retries until it
 * gets 2xx loses nothing (it may send twice: at least once).
 *
 * Back-pressure is by bytes: while more than http.max.pending.bytes of
 * bodies wait (queued or unacknowledged), new requests get 429 with
 * Retry-After, so a slow or absent broker shows up at the clients
 * instead of in this process's memory.  A request not acknowledged
 * within http.request.timeout.ms gets 503 (its records may still arrive:
 * the client's retry is then a duplicate, never a loss).
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "clock.h"
#include "connectors/http_body.h"
#include "log.h"
#include "ops/http_serve.h"
#include "runtime/connector_conf.h"
#include "runtime/error_policy.h"
#include "runtime/record_writer.h"
#include "transforms/json_field.h"
#include "transforms/transform.h"
#include "xalloc.h"

static const char *const http_source_aliases[] = { NULL };

static const struct conf_def http_source_keys[] = {
	{ "http.listener", CONF_STRING, "http://127.0.0.1:8090", 0, 0, 0, NULL,
	  "where to listen: http://host:port" },
	{ "http.paths", CONF_STRING, NULL, 0, 0, 0, NULL,
	  "PATH=TOPIC pairs, comma-separated: requests to PATH go to TOPIC" },
	{ "http.body", CONF_ENUM, "record", 0, 0, 0, "record|ndjson|json-array",
	  "a body is one record, one per NDJSON line, or one per JSON array element" },
	{ "key.pointer", CONF_STRING, NULL, 0, 0, 0, NULL,
	  "a JSON pointer (/user/id): each record's key is the value it points at" },
	{ "http.headers.include", CONF_STRING, NULL, 0, 0, 0, NULL,
	  "request headers copied to record headers, comma-separated" },
	{ "http.auth.bearer", CONF_STRING, NULL, 0, 0, 0, NULL,
	  "a token: requests without Authorization: Bearer <token> get 401" },
	{ "http.max.body.bytes", CONF_BYTES, "8MiB", 1, 1 << 30, 0, NULL,
	  "a longer body gets 413" },
	{ "http.max.pending.bytes", CONF_BYTES, "16MiB", 1, (int64_t)1 << 40, 0, NULL,
	  "above this many bytes waiting for slog, requests get 429 with Retry-After" },
	{ "http.request.timeout.ms", CONF_DURATION, "30000", 1, INT64_MAX, 1, NULL,
	  "a request not acknowledged by slog within this gets 503" },
	{ "http.retry.after.s", CONF_INT, "1", 0, 86400, 0, NULL,
	  "the Retry-After of a 429 or 503" },
};

/* One accepted request, from its handler to its answer. */
struct hs_req {
	struct http_req *r;
	struct http_body recs;
	char path[256];
	size_t body_len;       /* counted in pending */
	uint64_t last_seq;     /* its last record's (0: none sent) */
	int partial;           /* the writer failed before all were sent: never 2xx */
	int sending;           /* the task thread is in writer_send() with its records */
	int orphan;            /* answered while sending: the task thread frees it */
	int64_t deadline_ms;
	struct hs_req *next;
};

struct hs_path {
	char *path, *topic;
};

struct http_source {
	struct connect_task *t;
	/* The config, read once. */
	enum http_body_format fmt;
	const char *topic, *key_pointer, *bearer;
	struct hs_path *paths;
	size_t npaths;
	char **headers;
	size_t nheaders;
	int64_t max_body, max_pending, timeout_ms, retry_after_s;
	struct http_serve *http;
	int wake_fd;
	pthread_mutex_t lock;  /* guards queue, pending, closing, inflight, timer_stop */
	struct hs_req *queue, *queue_tail;
	int64_t pending;
	int closing;
	struct hs_req *inflight, *inflight_tail; /* sent, in the order of their records */
	/* The timer answers what waited too long even while the task thread
	 * is inside the writer (which may wait on a broker for long). */
	pthread_t timer;
	pthread_cond_t timer_cond;
	int timer_stop, timer_started;
	_Atomic uint64_t done;  /* writer_done_upto(), as the task thread last saw it */
	/* The task thread's own. */
	struct record_writer *w;
};

/* ---- config ---- */

/* "a, b ,c" into trimmed words (owned). */
static char **split_list(const char *s, size_t *n)
{
	char **v = NULL;
	*n = 0;
	for (const char *p = s ? s : ""; *p;) {
		size_t len = strcspn(p, ",");
		const char *a = p, *z = p + len;
		while (a < z && (*a == ' ' || *a == '\t'))
			a++;
		while (z > a && (z[-1] == ' ' || z[-1] == '\t'))
			z--;
		if (z > a) {
			v = xrealloc(v, (*n + 1) * sizeof(*v));
			v[(*n)++] = xstrndup(a, (size_t)(z - a));
		}
		p += len + (p[len] == ',');
	}
	return v;
}

static void free_list(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* http.paths into (path, topic) pairs; SLOG_EINVALID_CONFIG naming a bad one. */
static int parse_paths(const char *s, struct hs_path **out, size_t *n, struct err *e)
{
	size_t nw;
	char **w = split_list(s, &nw);
	int rc = 0;

	*out = xcalloc(nw ? nw : 1, sizeof(**out));
	*n = 0;
	for (size_t i = 0; i < nw && !rc; i++) {
		char *eq = strchr(w[i], '=');
		if (w[i][0] != '/' || !eq || !eq[1]) {
			rc = err_set(e, SLOG_EINVALID_CONFIG, "'%s' is not /PATH=TOPIC", w[i]);
			break;
		}
		size_t plen = (size_t)(eq - w[i]);
		while (plen > 1 && (w[i][plen - 1] == '/' || w[i][plen - 1] == ' '))
			plen--;
		(*out)[*n].path = xstrndup(w[i], plen);
		(*out)[*n].topic = xstrdup(eq + 1 + strspn(eq + 1, " "));
		(*n)++;
	}
	free_list(w, nw);
	return rc;
}

static void free_paths(struct hs_path *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(p[i].path);
		free(p[i].topic);
	}
	free(p);
}

static int http_source_check(const struct connector_conf *cc, struct err *e)
{
	struct hs_path *paths;
	size_t n;
	char host[256];
	int port;
	const char *ptr = cc_str(cc, "key.pointer");
	int rc = http_listener_parse(cc_str(cc, "http.listener"), host, sizeof(host), &port, e);

	if (rc)
		return conf_wrap_key(&cc->conf, "http.listener", e);
	rc = parse_paths(cc_str(cc, "http.paths"), &paths, &n, e);
	free_paths(paths, n);
	if (rc)
		return conf_wrap_key(&cc->conf, "http.paths", e);
	if (!n && !cc_str(cc, "topic"))
		return err_set(e, SLOG_EINVALID_CONFIG, "%s: http-source needs topic (for /) or "
			       "http.paths (PATH=TOPIC, ...)", cc->path);
	if (ptr && *ptr) {
		struct json_field f;
		if (*ptr != '/') {
			err_set(e, SLOG_EINVALID_CONFIG, "'%s' is not a JSON pointer (it starts with /)",
				ptr);
			return conf_wrap_key(&cc->conf, "key.pointer", e);
		}
		if (json_field_parse(&f, ptr, e))
			return conf_wrap_key(&cc->conf, "key.pointer", e);
		json_field_free(&f);
	}
	return 0;
}

static void hs_free_conf(struct http_source *s)
{
	free_paths(s->paths, s->npaths);
	free_list(s->headers, s->nheaders);
}

static int hs_conf(struct http_source *s, const struct connector_conf *cc, struct err *e)
{
	s->fmt = (enum http_body_format)http_body_format_parse(cc_str(cc, "http.body"));
	s->topic = cc_str(cc, "topic");
	s->key_pointer = cc_str(cc, "key.pointer");
	s->bearer = cc_str(cc, "http.auth.bearer");
	if (s->bearer && !*s->bearer)
		s->bearer = NULL;
	s->headers = split_list(cc_str(cc, "http.headers.include"), &s->nheaders);
	s->max_body = cc_num(cc, "http.max.body.bytes");
	s->max_pending = cc_num(cc, "http.max.pending.bytes");
	s->timeout_ms = cc_num(cc, "http.request.timeout.ms");
	s->retry_after_s = cc_num(cc, "http.retry.after.s");
	return parse_paths(cc_str(cc, "http.paths"), &s->paths, &s->npaths, e);
}

/* ---- requests, on libmicrohttpd's threads ---- */

static void answer_busy(struct http_source *s, struct http_req *r, int status, const char *why)
{
	char ra[24];
	snprintf(ra, sizeof(ra), "%lld", (long long)s->retry_after_s);
	http_reply_error(r, status, "%s: retry after %s s", why, ra);
	http_reply_header(r, "Retry-After", ra);
}

/* The topic of a path, or NULL (404). */
static const char *topic_of(const struct http_source *s, const char *path)
{
	size_t len = strlen(path);

	while (len > 1 && path[len - 1] == '/')
		len--;
	for (size_t i = 0; i < s->npaths; i++)
		if (strlen(s->paths[i].path) == len && strncmp(s->paths[i].path, path, len) == 0)
			return s->paths[i].topic;
	return len == 1 && path[0] == '/' ? s->topic : NULL;
}

/* Authorization: Bearer <token>, compared in constant time. */
static int authorized(const struct http_source *s, struct http_req *r)
{
	const char *h = http_req_header(r, "Authorization");
	size_t n;
	unsigned diff = 0;

	if (!s->bearer)
		return 1;
	if (!h || strncasecmp(h, "Bearer ", 7) != 0)
		return 0;
	h += 7 + strspn(h + 7, " ");
	n = strlen(s->bearer);
	if (strlen(h) != n)
		return 0;
	for (size_t i = 0; i < n; i++)
		diff |= (unsigned char)(h[i] ^ s->bearer[i]);
	return diff == 0;
}

struct header_copy {
	const struct http_source *s;
	struct http_body *b;
};

/* A request header chosen by http.headers.include, onto every record. */
static int copy_header(void *arg, const char *name, const char *value)
{
	struct header_copy *hc = arg;

	for (size_t i = 0; i < hc->s->nheaders; i++) {
		if (strcasecmp(hc->s->headers[i], name) != 0)
			continue;
		for (size_t k = 0; k < hc->b->n; k++)
			crec_add_header(&hc->b->recs[k], hc->s->headers[i], value,
					(int32_t)strlen(value));
	}
	return 0;
}

/* Every check that answers at once; 0 when the request may go on. */
static int refuse(struct http_source *s, struct http_req *r, const char *topic)
{
	if (!topic)
		http_reply_error(r, 404, "no topic is served at %s", r->path);
	else if (strcmp(r->method, "POST") && strcmp(r->method, "PUT"))
		http_reply_error(r, 405, "%s is not taken: POST records to %s", r->method, r->path);
	else if (!authorized(s, r)) {
		http_reply_error(r, 401, "a valid Authorization: Bearer token is required");
		http_reply_header(r, "WWW-Authenticate", "Bearer");
	} else if (r->body_too_large)
		http_reply_error(r, 413, "the body is larger than http.max.body.bytes (%lld)",
		       (long long)s->max_body);
	else
		return 0;
	return 1;
}

static void hs_handle(void *arg, struct http_req *r)
{
	struct http_source *s = arg;
	const char *topic = topic_of(s, r->path);
	struct hs_req *q;
	struct err e = { 0 };
	uint64_t one = 1;

	if (refuse(s, r, topic))
		return;
	q = xcalloc(1, sizeof(*q));
	if (http_body_cut(&q->recs, s->fmt, r->body.data, r->body.len, topic, s->key_pointer, &e)) {
		http_reply_error(r, 400, "%s", e.msg);
		free(q);
		return;
	}
	struct header_copy hc = { s, &q->recs };
	if (s->nheaders)
		http_req_headers(r, copy_header, &hc);
	q->r = r;
	q->body_len = r->body.len;
	q->deadline_ms = clock_mono_ms() + s->timeout_ms;
	snprintf(q->path, sizeof(q->path), "%s", r->path);
	pthread_mutex_lock(&s->lock);
	if (s->closing || (s->pending > 0 && s->pending + (int64_t)q->body_len > s->max_pending)) {
		int closing = s->closing;
		pthread_mutex_unlock(&s->lock);
		answer_busy(s, r, closing ? 503 : 429,
			    closing ? "the connector is stopping" : "too many bytes wait for slog");
		http_body_free(&q->recs);
		free(q);
		return;
	}
	s->pending += (int64_t)q->body_len;
	if (s->queue_tail)
		s->queue_tail->next = q;
	else
		s->queue = q;
	s->queue_tail = q;
	http_suspend(r);
	pthread_mutex_unlock(&s->lock);
	if (write(s->wake_fd, &one, sizeof(one)) < 0) {
		/* The counter cannot overflow at one per request; the task
		 * polls at least every 100 ms anyway. */
	}
}

/* ---- the task's thread ---- */

static void hs_free_req(struct hs_req *q)
{
	http_body_free(&q->recs);
	free(q);
}

/*
 * Answer q (its answer set) and give its bytes back; under the lock.  A
 * request whose records the task thread is sending is left to it to free.
 */
static void hs_finish_locked(struct http_source *s, struct hs_req *q)
{
	s->pending -= (int64_t)q->body_len;
	http_resume(q->r);
	q->r = NULL;
	if (q->sending)
		q->orphan = 1;
	else
		hs_free_req(q);
}

static void hs_finish(struct http_source *s, struct hs_req *q)
{
	pthread_mutex_lock(&s->lock);
	hs_finish_locked(s, q);
	pthread_mutex_unlock(&s->lock);
}

/*
 * A record the transforms failed on goes where the error policy says:
 * sent as its dead-letter record (1), skipped (0), or the request fails
 * (<0: nothing of it has been sent yet, and the client hears why).
 */
static int hs_transform(struct http_source *s, struct hs_req *q, struct crec *r, struct err *e)
{
	struct err cause = { 0 };
	char where[300];
	int rc = transform_chain_apply(s->t->chain, r, &cause);

	if (rc >= 0)
		return rc;
	snprintf(where, sizeof(where), "http:%s", q->path);
	struct error_origin o = { .stage = STAGE_TRANSFORMATION, .partition = -1, .offset = -1,
				  .source = where };
	return error_policy_failed(s->t->errors, r, &o, &cause, e);
}

/*
 * Run q's records through the transforms (dropping what the chain
 * drops): 0, or 1 when a transform refused one and q was answered (none
 * of it has been sent).
 */
static int hs_transform_all(struct http_source *s, struct hs_req *q)
{
	struct err te = { 0 };
	size_t kept = 0;

	for (size_t i = 0; i < q->recs.n; i++) {
		int rc = hs_transform(s, q, &q->recs.recs[i], &te);
		if (rc < 0) {
			http_reply_error(q->r, 422, "%s", te.msg);
			hs_finish(s, q);
			return 1;
		}
		if (rc == 0) {
			crec_free(&q->recs.recs[i]);
			continue;
		}
		if (kept != i)
			q->recs.recs[kept] = q->recs.recs[i];
		kept++;
	}
	q->recs.n = kept;
	return 0;
}

/* The next queued request, or NULL; the others stay where the timer sees them. */
static struct hs_req *hs_pop(struct http_source *s)
{
	struct hs_req *q;

	pthread_mutex_lock(&s->lock);
	q = s->queue;
	if (q) {
		s->queue = q->next;
		if (!s->queue)
			s->queue_tail = NULL;
		q->next = NULL;
	}
	pthread_mutex_unlock(&s->lock);
	return q;
}

/*
 * Send the queued requests, one at a time; the writer's error, if any
 * (what is still queued is then answered by the drain).  A request is in
 * flight while its records are sent, so that the timer answers it in
 * time even when writer_send() waits on a broker.
 */
static int hs_take(struct http_source *s, struct err *e)
{
	struct hs_req *q;
	int rc = 0;

	while (!rc && (q = hs_pop(s)) != NULL) {
		uint64_t seq = 0;
		if (hs_transform_all(s, q))
			continue;
		pthread_mutex_lock(&s->lock);
		if (s->inflight_tail)
			s->inflight_tail->next = q;
		else
			s->inflight = q;
		s->inflight_tail = q;
		q->sending = 1;
		pthread_mutex_unlock(&s->lock);
		for (size_t i = 0; i < q->recs.n && !rc; i++)
			rc = writer_send(s->w, &q->recs.recs[i], &seq, e);
		pthread_mutex_lock(&s->lock);
		q->sending = 0;
		q->last_seq = seq;
		q->partial = rc != 0;
		if (q->orphan)
			hs_free_req(q);
		pthread_mutex_unlock(&s->lock);
	}
	return rc;
}

/* Answer what slog acknowledged, and what waited too long; under the lock. */
static void hs_sweep_locked(struct http_source *s, uint64_t done, int64_t now_ms)
{
	struct hs_req **pp = &s->inflight, *q;

	s->inflight_tail = NULL;
	while ((q = *pp) != NULL) {
		int acked = !q->sending && !q->partial && q->last_seq <= done;
		if (!acked && q->deadline_ms > now_ms) {
			s->inflight_tail = q;
			pp = &q->next;
			continue;
		}
		*pp = q->next;
		/* (The writer counts the records and their latency.) */
		if (acked)
			http_reply_json(q->r, 200, json_pack("{s:I}", "records", (json_int_t)q->recs.n));
		else
			answer_busy(s, q->r, 503, "slog did not acknowledge the records in time");
		hs_finish_locked(s, q);
	}
}

static void hs_answer_done(struct http_source *s, int64_t now_ms)
{
	atomic_store(&s->done, writer_done_upto(s->w));
	pthread_mutex_lock(&s->lock);
	hs_sweep_locked(s, atomic_load(&s->done), now_ms);
	pthread_mutex_unlock(&s->lock);
}

/* Queued requests the task thread has not taken in time (it may be
 * inside the writer): never sent, so 503 says all. */
static void hs_expire_queue_locked(struct http_source *s, int64_t now_ms)
{
	struct hs_req **pp = &s->queue, *q;

	s->queue_tail = NULL;
	while ((q = *pp) != NULL) {
		if (q->deadline_ms > now_ms) {
			s->queue_tail = q;
			pp = &q->next;
			continue;
		}
		*pp = q->next;
		answer_busy(s, q->r, 503, "slog did not acknowledge the records in time");
		hs_finish_locked(s, q);
	}
}

static void *hs_timer(void *arg)
{
	struct http_source *s = arg;

	pthread_mutex_lock(&s->lock);
	while (!s->timer_stop) {
		hs_sweep_locked(s, atomic_load(&s->done), clock_mono_ms());
		hs_expire_queue_locked(s, clock_mono_ms());
		clock_cond_wait_until(&s->timer_cond, &s->lock, clock_mono_ms() + 100);
	}
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

static void hs_timer_stop(struct http_source *s)
{
	if (!s->timer_started)
		return;
	pthread_mutex_lock(&s->lock);
	s->timer_stop = 1;
	pthread_cond_signal(&s->timer_cond);
	pthread_mutex_unlock(&s->lock);
	pthread_join(s->timer, NULL);
	s->timer_started = 0;
}

/* Every request not yet answered gets status (the task stops or failed). */
static void hs_refuse_all(struct http_source *s, int status, const char *why)
{
	struct hs_req *q, *next;

	pthread_mutex_lock(&s->lock);
	s->closing = 1; /* from now the handlers answer 503 themselves */
	q = s->queue;
	s->queue = s->queue_tail = NULL;
	for (; q; q = next) {
		next = q->next;
		answer_busy(s, q->r, status, why);
		hs_finish_locked(s, q);
	}
	for (q = s->inflight; q; q = next) {
		next = q->next;
		answer_busy(s, q->r, status, why);
		hs_finish_locked(s, q);
	}
	s->inflight = s->inflight_tail = NULL;
	pthread_mutex_unlock(&s->lock);
}

/* Stopping: what was sent is flushed and answered; the rest gets 503. */
static int hs_drain(struct http_source *s, int rc, struct err *e)
{
	struct err fe = { 0 };

	pthread_mutex_lock(&s->lock);
	s->closing = 1;
	pthread_mutex_unlock(&s->lock);
	if (!rc) {
		rc = hs_take(s, e);
		if (!rc)
			rc = writer_flush(s->w, clock_mono_ms() + s->timeout_ms, &fe);
		hs_answer_done(s, clock_mono_ms());
		if (rc == SLOG_EREQUEST_TIMED_OUT) {
			task_log(s->t, LOG_LEVEL_WARN, "stopping: %s", fe.msg);
			rc = 0; /* the clients were told 503: they send again */
		} else if (rc && !e->code) {
			*e = fe;
		}
	}
	hs_refuse_all(s, 503, rc ? "the connector failed" : "the connector is stopping");
	return rc;
}

static int hs_loop(struct http_source *s, struct err *e)
{
	int rc = 0;

	while (!rc && !task_stopping(s->t)) {
		uint64_t n;
		rc = hs_take(s, e);
		if (!rc)
			rc = writer_poll(s->w, s->wake_fd, 100, e);
		if (read(s->wake_fd, &n, sizeof(n)) < 0) {
			/* EAGAIN: no request came while we waited. */
		}
		hs_answer_done(s, clock_mono_ms());
	}
	return rc;
}

/*
 * The listener opens before the writer connects, so that requests coming
 * while it does wait in the queue (bounded by max.pending.bytes) rather
 * than find the port closed; they get 503 if it cannot connect.
 */
static int http_source_run(struct connect_task *t, struct err *e)
{
	struct http_source s = { .t = t, .wake_fd = -1 };
	struct writer_opts wo;
	struct http_serve_opts ho = { .threads = 2, .handler = hs_handle, .arg = &s };
	int rc = hs_conf(&s, t->cc, e);

	pthread_mutex_init(&s.lock, NULL);
	clock_cond_init(&s.timer_cond);
	if (!rc) {
		s.wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		ho.listener = cc_str(t->cc, "http.listener");
		ho.max_body = s.max_body;
		s.http = http_serve_start(&ho, e);
		rc = s.http ? 0 : (e->code ? e->code : SLOG_EIO);
	}
	if (!rc && pthread_create(&s.timer, NULL, hs_timer, &s) == 0)
		s.timer_started = 1;
	else if (!rc)
		rc = err_set(e, SLOG_ENOMEM, "cannot start a thread");
	if (!rc) {
		task_log(t, LOG_LEVEL_INFO, "listening on %s", ho.listener);
		writer_opts_from_task(t, &wo);
		/* A record not acknowledged within the request's time was
		 * answered 503, and its client sends it again: the writer need
		 * not hold it (and wait on a broker) longer, unless told to. */
		if (conf_get_source(&t->cc->conf, "producer.override.delivery.timeout.ms") ==
		    CONF_SRC_DEFAULT)
			wo.delivery_timeout_ms = s.timeout_ms > 1000 ? s.timeout_ms : 1000;
		s.w = writer_new(t, &wo, clock_mono_ms() + 30000, e);
		rc = s.w ? 0 : (e->code ? e->code : SLOG_ENETWORK);
	}
	if (!rc) {
		t->ready = 1;
		rc = hs_loop(&s, e);
		t->ready = 0;
		rc = hs_drain(&s, rc, e);
	}
	hs_timer_stop(&s);
	/* What came while the writer connected, if it never did. */
	if (s.http)
		hs_refuse_all(&s, 503, "the connector stopped");
	http_serve_stop(s.http);
	if (s.wake_fd >= 0)
		close(s.wake_fd);
	if (s.w)
		writer_free(s.w);
	hs_free_conf(&s);
	pthread_cond_destroy(&s.timer_cond);
	pthread_mutex_destroy(&s.lock);
	return rc;
}

const struct connector_class http_source_class = {
	.name = "http-source",
	.aliases = http_source_aliases,
	.kind = CONNECTOR_SOURCE,
	.keys = http_source_keys,
	.nkeys = sizeof(http_source_keys) / sizeof(http_source_keys[0]),
	.check = http_source_check,
	.run = http_source_run,
};
