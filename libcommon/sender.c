/*
 * sender.c: requests over curl multi, retries and deadlines.  See
 * sender.h.
 */
#include "sender.h"

#include <stdlib.h>
#include <string.h>

#include "cluster_client.h"
#include "xalloc.h"

struct sender {
	CURLM *multi;
	int max_in_flight, in_flight;
	struct send_part **parts;
	size_t nparts, cap;
	int64_t pending;  /* batches waiting or in flight */
	sender_done_fn done;
	sender_moved_fn moved;
	void *arg;
	int isolate;      /* sender_set_isolate */
};

struct sender *sender_new(int max_in_flight, sender_done_fn done, sender_moved_fn moved,
			  void *arg)
{
	struct sender *s = xcalloc(1, sizeof(*s));

	s->multi = curl_multi_init();
	s->max_in_flight = max_in_flight;
	s->done = done;
	s->moved = moved;
	s->arg = arg;
	return s;
}

void sender_free(struct sender *s)
{
	for (size_t i = 0; i < s->nparts; i++) {
		struct send_part *sp = s->parts[i];
		if (sp->easy) {
			curl_multi_remove_handle(s->multi, sp->easy);
			curl_easy_cleanup(sp->easy);
		}
		curl_slist_free_all(sp->headers);
		http_response_free(&sp->resp);
		free(sp->url);
	}
	free(s->parts);
	curl_multi_cleanup(s->multi);
	free(s);
}

void sender_set_isolate(struct sender *s, int on)
{
	s->isolate = on;
}

/* Put list ahead of what waits in sp's queue; returns how many it held. */
static int64_t put_front(struct send_part *sp, struct send_batch *list)
{
	struct send_batch *last = list;
	int64_t n = 1;

	while (last->next) {
		last = last->next;
		n++;
	}
	last->next = sp->head;
	if (!sp->head)
		sp->tail = last;
	sp->head = list;
	return n;
}

void sender_requeue_front(struct sender *s, struct send_part *sp, struct send_batch *list)
{
	if (list)
		s->pending += put_front(sp, list);
}

void sender_add_part(struct sender *s, struct send_part *sp, char *url)
{
	sp->url = url;
	sp->headers = curl_slist_append(NULL, "Content-Type: application/x-slog-batch");
	sp->headers = curl_slist_append(sp->headers, "Expect:");
	sp->easy = curl_easy_init();
	http_response_init(&sp->resp);
	s->parts = xgrow(s->parts, &s->cap, s->nparts + 1, sizeof(*s->parts));
	s->parts[s->nparts++] = sp;
}

void sender_set_url(struct send_part *sp, char *url)
{
	free(sp->url);
	sp->url = url;
}

void sender_enqueue(struct sender *s, struct send_batch *b)
{
	struct send_part *sp = b->sp;

	b->next = NULL;
	if (sp->tail)
		sp->tail->next = b;
	else
		sp->head = b;
	sp->tail = b;
	s->pending++;
}

/* The most that queued batches are joined into in one request. */
#define REQUEST_MAX (4u << 20)

/*
 * curl reads a request body, the in-flight batches back to back, straight
 * from the batches: one copy into its upload buffer, none to join them.
 */
static size_t read_body(char *out, size_t size, size_t n, void *arg)
{
	struct send_part *sp = arg;
	size_t room = size * n, done = 0;

	while (done < room && sp->rd_batch) {
		const struct send_batch *b = sp->rd_batch;
		size_t k = b->data.len - sp->rd_off;
		if (k > room - done)
			k = room - done;
		memcpy(out + done, b->data.data + sp->rd_off, k);
		done += k;
		sp->rd_off += k;
		if (sp->rd_off == b->data.len) {
			sp->rd_batch = b->next;
			sp->rd_off = 0;
		}
	}
	return done;
}

/* curl sends a body again (a reused connection had closed): go back. */
static int seek_body(void *arg, curl_off_t offset, int origin)
{
	struct send_part *sp = arg;

	if (origin != SEEK_SET || offset < 0)
		return CURL_SEEKFUNC_CANTSEEK;
	sp->rd_batch = sp->inflight;
	sp->rd_off = 0;
	while (sp->rd_batch && (size_t)offset >= sp->rd_batch->data.len) {
		offset -= (curl_off_t)sp->rd_batch->data.len;
		sp->rd_batch = sp->rd_batch->next;
	}
	if (!sp->rd_batch && offset > 0)
		return CURL_SEEKFUNC_FAIL;
	sp->rd_off = (size_t)offset;
	return CURL_SEEKFUNC_OK;
}

/* What queued goes in one request, the batches back to back, up to REQUEST_MAX. */
static void start(struct sender *s, struct send_part *sp, int64_t now)
{
	struct send_batch *last = sp->head;
	int64_t deadline = sp->head->deadline_ms;
	size_t total = sp->head->data.len;

	while (!last->alone && last->next && !last->next->alone &&
	       total + last->next->data.len <= REQUEST_MAX) {
		last = last->next;
		total += last->data.len;
		if (last->deadline_ms < deadline)
			deadline = last->deadline_ms;
	}
	sp->inflight = sp->head;
	sp->head = last->next;
	if (!sp->head)
		sp->tail = NULL;
	last->next = NULL;
	sp->rd_batch = sp->inflight;
	sp->rd_off = 0;
	http_response_free(&sp->resp);
	http_response_init(&sp->resp);
	curl_easy_reset(sp->easy);
	http_easy_setup(sp->easy, sp->url, "POST", sp->headers, NULL, total,
			(long)(deadline - now > 0 ? deadline - now : 1), &sp->resp);
	curl_easy_setopt(sp->easy, CURLOPT_POSTFIELDS, NULL);
	curl_easy_setopt(sp->easy, CURLOPT_READFUNCTION, read_body);
	curl_easy_setopt(sp->easy, CURLOPT_READDATA, sp);
	curl_easy_setopt(sp->easy, CURLOPT_SEEKFUNCTION, seek_body);
	curl_easy_setopt(sp->easy, CURLOPT_SEEKDATA, sp);
	curl_easy_setopt(sp->easy, CURLOPT_UPLOAD_BUFFERSIZE, 1L << 20);
	curl_easy_setopt(sp->easy, CURLOPT_PRIVATE, sp);
	curl_multi_add_handle(s->multi, sp->easy);
	s->in_flight++;
}

static void start_ready(struct sender *s, int64_t now)
{
	for (size_t i = 0; i < s->nparts && s->in_flight < s->max_in_flight; i++) {
		struct send_part *sp = s->parts[i];
		if (sp->inflight || !sp->head || sp->retry_at_ms > now)
			continue;
		if (sp->stale_since) {
			s->moved(s->arg, sp, sp->moved_to);
			sp->stale_since = 0;
			sp->moved_to[0] = '\0';
		}
		start(s, sp, now);
	}
}

/*
 * Whether a failed request may have written its batches: it reached the
 * broker and nothing said it was refused.  A connection that could not
 * be made wrote nothing, and an error answer is a refusal, except a
 * timeout or a storage error, which can come after the append.
 */
static int may_have_written(CURL *h, CURLcode code, int rc)
{
	if (http_not_sent(h, code))
		return 0;
	if (code != CURLE_OK)
		return 1;
	return cluster_produce_ambiguous(rc);
}

/* The leader moved or its broker is down: the retry asks where it is. */
static void note_moved(struct send_part *sp, int rc, int64_t now)
{
	if (!cluster_leader_moved(rc))
		return;
	sp->stale_since = now;
	if (rc != SLOG_ENOT_LEADER ||
	    !http_error_where(&sp->resp, "leader", sp->moved_to, sizeof(sp->moved_to)))
		sp->moved_to[0] = '\0';
}

/*
 * Why a batch whose time ran out was not delivered: what the broker (or
 * the network) last said for its partition, if anything was said.  The
 * deadline may pass while a retry waits its backoff; "no answer" would
 * then hide the KAFKA_STORAGE_ERROR or the refused connection behind it.
 */
static void gave_up(const struct send_part *sp, struct err *e)
{
	if (!sp->last_error.code) {
		err_set(e, SLOG_EREQUEST_TIMED_OUT, "%s: no answer before the timeout", sp->url);
		return;
	}
	*e = sp->last_error;
	err_wrap(e, "gave up at the timeout, after %s", err_name(e->code));
}

/* Report each batch of a finished request. */
static void report(struct sender *s, struct send_batch *list, int rc, const struct err *e,
		   int64_t base)
{
	while (list) {
		struct send_batch *next = list->next;
		int32_t n = list->records;
		s->pending--;
		s->done(s->arg, list, rc, e, base);
		base += n;
		list = next;
	}
}

static void finished(struct sender *s, struct send_part *sp, CURLcode code, int64_t now)
{
	struct send_batch *list = sp->inflight, *b, *keep = NULL, **tail = &keep;
	struct err e;
	int64_t base = -1;
	int rc;

	curl_multi_remove_handle(s->multi, sp->easy);
	s->in_flight--;
	sp->inflight = NULL;
	err_clear(&e);
	rc = http_response_finish(sp->easy, code, sp->url, &sp->resp, &e);
	if (!rc) {
		json_error_t je;
		json_t *j = json_loadb(sp->resp.body.data ? sp->resp.body.data : "", sp->resp.body.len,
				       0, &je);
		base = json_integer_value(json_object_get(j, "base_offset"));
		json_decref(j);
		backoff_reset(&sp->backoff);
		err_clear(&sp->last_error);
		report(s, list, 0, &e, base);
		return;
	}
	if (may_have_written(sp->easy, code, rc))
		for (b = list; b; b = b->next)
			b->maybe_written = 1;
	if (rc == SLOG_EMESSAGE_TOO_LARGE && s->isolate && list->next) {
		/* Which batch is over the limit the answer does not say: try each. */
		for (b = list; b; b = b->next)
			b->alone = 1;
		put_front(sp, list); /* still counted pending: none was reported */
		return;
	}
	if (!cluster_produce_retriable(rc)) {
		report(s, list, rc, &e, -1);
		return;
	}
	note_moved(sp, rc, now);
	/* A timeout says less than what the broker said before it: keep that. */
	if (rc != SLOG_EREQUEST_TIMED_OUT || !sp->last_error.code)
		sp->last_error = e;
	/* Retry what still has time, ahead of what queued meanwhile. */
	for (b = list; b;) {
		struct send_batch *next = b->next;
		if (b->deadline_ms > now) {
			*tail = b;
			tail = &b->next;
			*tail = NULL;
		} else {
			struct err te;
			gave_up(sp, &te);
			s->pending--;
			s->done(s->arg, b, te.code, &te, -1);
		}
		b = next;
	}
	if (keep) {
		put_front(sp, keep);
		sp->retry_at_ms = now + backoff_next(&sp->backoff);
	}
}

/* Fail waiting batches whose deadline passed (a broker that never answers). */
static void expire_waiting(struct sender *s, int64_t now)
{
	for (size_t i = 0; i < s->nparts; i++) {
		struct send_part *sp = s->parts[i];
		while (sp->head && sp->head->deadline_ms <= now && !sp->inflight) {
			struct send_batch *b = sp->head;
			struct err e;
			sp->head = b->next;
			if (!sp->head)
				sp->tail = NULL;
			gave_up(sp, &e);
			s->pending--;
			s->done(s->arg, b, e.code, &e, -1);
		}
	}
}

int sender_poll(struct sender *s, struct curl_waitfd *extra, int timeout_ms, struct err *e)
{
	int64_t now = clock_mono_ms();
	int running, numfds, left;
	CURLMsg *m;
	CURLMcode mc;

	expire_waiting(s, now);
	start_ready(s, now);
	mc = curl_multi_poll(s->multi, extra, extra ? 1 : 0, timeout_ms, &numfds);
	if (mc == CURLM_OK)
		mc = curl_multi_perform(s->multi, &running);
	if (mc != CURLM_OK)
		return err_set(e, SLOG_EUNKNOWN, "curl: %s", curl_multi_strerror(mc));
	now = clock_mono_ms();
	while ((m = curl_multi_info_read(s->multi, &left))) {
		struct send_part *sp;
		if (m->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&sp);
		finished(s, sp, m->data.result, now);
	}
	/* A retry that woke us may be for a batch out of time: do not send it. */
	expire_waiting(s, now);
	start_ready(s, now);
	return 0;
}

int sender_in_flight(const struct sender *s)
{
	return s->in_flight;
}

int64_t sender_pending(const struct sender *s)
{
	return s->pending;
}

int64_t sender_next_retry(const struct sender *s)
{
	int64_t at = INT64_MAX;

	for (size_t i = 0; i < s->nparts; i++)
		if (s->parts[i]->head && !s->parts[i]->inflight && s->parts[i]->retry_at_ms < at)
			at = s->parts[i]->retry_at_ms;
	return at;
}

void sender_fail_waiting(struct sender *s, int code, const char *why)
{
	struct err e;

	err_set(&e, code, "%s", why);
	for (size_t i = 0; i < s->nparts; i++) {
		struct send_part *sp = s->parts[i];
		while (sp->head) {
			struct send_batch *b = sp->head;
			sp->head = b->next;
			s->pending--;
			s->done(s->arg, b, code, &e, -1);
		}
		sp->tail = NULL;
	}
}

int64_t sender_last_deadline(const struct sender *s)
{
	int64_t last = INT64_MIN;

	for (size_t i = 0; i < s->nparts; i++) {
		const struct send_part *sp = s->parts[i];
		for (const struct send_batch *b = sp->inflight; b; b = b->next)
			if (b->deadline_ms > last)
				last = b->deadline_ms;
		for (const struct send_batch *b = sp->head; b; b = b->next)
			if (b->deadline_ms > last)
				last = b->deadline_ms;
	}
	return last;
}

void sender_abort(struct sender *s, const char *why)
{
	struct err e;

	err_set(&e, SLOG_EREQUEST_TIMED_OUT, "%s", why);
	for (size_t i = 0; i < s->nparts; i++) {
		struct send_part *sp = s->parts[i];
		struct send_batch *list = sp->inflight;
		if (!list)
			continue;
		curl_multi_remove_handle(s->multi, sp->easy);
		s->in_flight--;
		sp->inflight = NULL;
		for (struct send_batch *b = list; b; b = b->next)
			b->maybe_written = 1;
		report(s, list, e.code, &e, -1);
	}
	sender_fail_waiting(s, e.code, why);
}
