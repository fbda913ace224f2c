/*
 * group_member.c: the heartbeat thread and the member's calls.  See
 * group_member.h.
 */
#include "group_member.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "cli.h"
#include "clock.h"
#include "cluster_client.h"
#include "http_client.h"
#include "log.h"
#include "xalloc.h"

struct group_member {
	struct gm_opts o;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;     /* owned changed, or stop */
	_Atomic int stop;
	CURLM *multi;            /* the thread's */
	CURL *easy;
	/* The brokers the cluster had at the start, asked in turn where the
	 * coordinator is when the last one cannot be reached. */
	struct broker_list brokers;
	size_t next_broker;
	/* guarded by lock */
	char base[300];          /* the coordinator */
	char member_id[64];
	int32_t epoch;
	int64_t interval_ms;
	struct gm_tp *assign;
	size_t nassign;
	int settled, lost;
	uint64_t assign_version, seen_version;
	struct gm_tp *owned;
	size_t nowned;
	uint64_t owned_version;
	int fatal;
	struct err fatal_err;
	char **topics;           /* the subscription, gm->o.topics points here */
};

static int tp_cmp(const void *a, const void *b)
{
	const struct gm_tp *x = a, *y = b;
	int c = strcmp(x->topic, y->topic);

	if (c)
		return c;
	return x->partition < y->partition ? -1 : x->partition > y->partition;
}

static int same_set(struct gm_tp *a, size_t na, struct gm_tp *b, size_t nb)
{
	if (na != nb)
		return 0;
	if (na == 0) /* and a or b may be NULL, which qsort may not be given */
		return 1;
	qsort(a, na, sizeof(*a), tp_cmp);
	qsort(b, nb, sizeof(*b), tp_cmp);
	for (size_t i = 0; i < na; i++)
		if (tp_cmp(&a[i], &b[i]))
			return 0;
	return 1;
}

static json_t *tps_json(const struct gm_tp *v, size_t n)
{
	json_t *out = json_array();

	for (size_t i = 0; i < n; i++)
		json_array_append_new(out, json_pack("{s:s, s:[i]}", "topic", v[i].topic, "partitions",
						     v[i].partition));
	return out;
}

/* [{"topic","partitions":[..]}] into a list; -1 if malformed. */
static int tps_parse(json_t *j, struct gm_tp **out, size_t *n)
{
	size_t i, k, cap = 0;
	json_t *item, *p;

	*out = NULL;
	*n = 0;
	if (!json_is_array(j))
		return -1;
	json_array_foreach(j, i, item) {
		const char *topic = json_string_value(json_object_get(item, "topic"));
		if (!topic || strlen(topic) >= sizeof((*out)->topic))
			return -1;
		json_array_foreach(json_object_get(item, "partitions"), k, p) {
			*out = xgrow(*out, &cap, *n + 1, sizeof(**out));
			snprintf((*out)[*n].topic, sizeof((*out)[*n].topic), "%s", topic);
			(*out)[*n].partition = (int32_t)json_integer_value(p);
			(*n)++;
		}
	}
	return 0;
}

static void group_path(struct buf *b, const struct group_member *gm, const char *what)
{
	buf_adds(b, "/v1/groups/");
	http_escape(b, gm->o.group);
	buf_adds(b, what);
}

/* ---- the heartbeat thread ---- */

/* One request on the thread's own handle, abandoned if we are stopped. */
static int perform(struct group_member *gm, const char *url, const char *body, int64_t timeout_ms,
		   struct http_response *r, struct err *e)
{
	struct curl_slist *hdrs = curl_slist_append(NULL, "Content-Type: application/json");
	CURLcode code = CURLE_OK;
	int running = 1, done = 0, rc;

	hdrs = curl_slist_append(hdrs, "Expect:");
	curl_easy_reset(gm->easy);
	http_easy_setup(gm->easy, url, "POST", hdrs, body, strlen(body), (long)timeout_ms, r);
	curl_multi_add_handle(gm->multi, gm->easy);
	while (!done && !gm->stop) {
		CURLMsg *m;
		int left;
		curl_multi_perform(gm->multi, &running);
		while ((m = curl_multi_info_read(gm->multi, &left)))
			if (m->msg == CURLMSG_DONE) {
				code = m->data.result;
				done = 1;
			}
		if (!done)
			curl_multi_poll(gm->multi, NULL, 0, 1000, NULL);
	}
	curl_multi_remove_handle(gm->multi, gm->easy);
	curl_slist_free_all(hdrs);
	if (!done)
		return err_set(e, SLOG_EREQUEST_TIMED_OUT, "stopped");
	rc = http_response_finish(gm->easy, code, url, r, e);
	return rc;
}

static void wake_consumer(struct group_member *gm)
{
	curl_multi_wakeup(gm->o.wake);
}

/* Wait (lock held) until owned changes from version v, or ms pass. */
static void wait_owned(struct group_member *gm, uint64_t v, int64_t ms)
{
	int64_t until = clock_mono_ms() + ms;

	while (!gm->stop && gm->owned_version == v && clock_mono_ms() < until)
		clock_cond_wait_until(&gm->cond, &gm->lock, until);
}

/* A good answer: take the member id, epoch and assignment. */
static void take_answer(struct group_member *gm, json_t *j, uint64_t sent_owned)
{
	struct gm_tp *v;
	size_t n;

	if (tps_parse(json_object_get(j, "assignment"), &v, &n)) {
		gm->fatal = 1;
		err_set(&gm->fatal_err, SLOG_EUNKNOWN, "the broker's assignment is malformed");
		return;
	}
	snprintf(gm->member_id, sizeof(gm->member_id), "%s",
		 json_string_value(json_object_get(j, "member_id")));
	gm->epoch = (int32_t)json_integer_value(json_object_get(j, "member_epoch"));
	gm->interval_ms = json_integer_value(json_object_get(j, "heartbeat_interval_ms"));
	if (gm->interval_ms <= 0)
		gm->interval_ms = 1000;
	if (gm->assign_version == 0 || !same_set(v, n, gm->assign, gm->nassign) ||
	    gm->settled != (json_integer_value(json_object_get(j, "pending_partitions")) == 0)) {
		free(gm->assign);
		gm->assign = v;
		gm->nassign = n;
		gm->settled = json_integer_value(json_object_get(j, "pending_partitions")) == 0;
		gm->assign_version++;
		wake_consumer(gm);
	} else {
		free(v);
	}
	/* Give the consumer time to reconcile before reporting again. */
	if (!same_set(gm->assign, gm->nassign, gm->owned, gm->nowned))
		wait_owned(gm, sent_owned, gm->interval_ms);
}

/* The broker no longer knows us: drop everything, then join again. */
static void forgotten(struct group_member *gm, const struct err *e)
{
	if (gm->o.log) {
		char line[sizeof(e->msg) + 300];
		snprintf(line, sizeof(line), "group %s: %s", gm->o.group, e->msg);
		gm->o.log(gm->o.log_arg, LOG_LEVEL_WARN, line);
	} else {
		cli_error("group %s: %s", gm->o.group, e->msg);
	}
	gm->member_id[0] = '\0';
	gm->epoch = 0;
	gm->lost = gm->nassign > 0 || gm->nowned > 0;
	free(gm->assign);
	gm->assign = NULL;
	gm->nassign = 0;
	gm->settled = 0;
	gm->assign_version++;
	wake_consumer(gm);
	/* Join with nothing owned, or others would wait for us to release. */
	if (gm->nowned)
		wait_owned(gm, gm->owned_version, gm->interval_ms ? gm->interval_ms : 1000);
}

static int retriable(int rc)
{
	return rc == SLOG_ENETWORK || rc == SLOG_EREQUEST_TIMED_OUT || rc == SLOG_ENOT_COORDINATOR ||
	       rc == SLOG_ECOORDINATOR_NOT_AVAILABLE || rc == SLOG_ESTORAGE || rc == SLOG_EUNKNOWN ||
	       rc == SLOG_ENOMEM;
}

/*
 * The coordinator did not answer, or no broker coordinates the group
 * now (its broker died and no new leader of its offsets partition is
 * known yet): the next try asks the next broker, which names the new
 * coordinator once there is one.  Staying on the dead one would never
 * learn it.
 */
static void ask_elsewhere(struct group_member *gm)
{
	if (gm->brokers.n == 0)
		return;
	snprintf(gm->base, sizeof(gm->base), "%s", gm->brokers.url[gm->next_broker]);
	gm->next_broker = (gm->next_broker + 1) % gm->brokers.n;
}

static char *heartbeat_body(struct group_member *gm)
{
	json_t *topics = json_array(), *j;
	char *text;

	for (size_t i = 0; i < gm->o.ntopics; i++)
		json_array_append_new(topics, json_string(gm->o.topics[i]));
	j = json_pack("{s:s, s:i, s:s, s:o}", "member_id", gm->member_id, "member_epoch", gm->epoch,
		      "client_id", gm->o.client_id, "topics", topics);
	if (gm->member_id[0])
		json_object_set_new(j, "owned", tps_json(gm->owned, gm->nowned));
	if (gm->o.session_ms)
		json_object_set_new(j, "session_timeout_ms", json_integer(gm->o.session_ms));
	text = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	return text;
}

static void *heartbeat_main(void *arg)
{
	struct group_member *gm = arg;
	int64_t failing_since = 0, backoff = 0;

	pthread_mutex_lock(&gm->lock);
	while (!gm->stop && !gm->fatal) {
		int64_t wait = gm->member_id[0] ? gm->interval_ms : 0;
		uint64_t sent_owned = gm->owned_version;
		char *body = heartbeat_body(gm);
		struct http_response r;
		struct buf url = BUF_INIT;
		struct err e;
		json_t *j;
		int rc;

		buf_adds(&url, gm->base);
		group_path(&url, gm, "/heartbeat");
		buf_addf(&url, "?max_wait_ms=%lld", (long long)wait);
		pthread_mutex_unlock(&gm->lock);
		http_response_init(&r);
		rc = perform(gm, url.data, body, wait + gm->o.timeout_ms, &r, &e);
		pthread_mutex_lock(&gm->lock);
		free(body);
		buf_free(&url);
		if (gm->stop) {
			http_response_free(&r);
			break;
		}
		if (!rc) {
			j = json_loadb(r.body.data ? r.body.data : "", r.body.len, 0, NULL);
			failing_since = 0;
			backoff = 0;
			take_answer(gm, j, sent_owned);
			json_decref(j);
		} else if (rc == SLOG_EUNKNOWN_MEMBER_ID || rc == SLOG_EFENCED_MEMBER_EPOCH) {
			forgotten(gm, &e);
		} else if (rc == SLOG_ENOT_COORDINATOR && http_error_redirect(&r, gm->base, sizeof(gm->base))) {
			/* Go to the coordinator it named. */
		} else if (retriable(rc)) {
			int64_t now = clock_mono_ms();
			if (!failing_since)
				failing_since = now;
			ask_elsewhere(gm);
			if (now - failing_since >= gm->o.timeout_ms) {
				gm->fatal = 1;
				gm->fatal_err = e;
				err_wrap(&gm->fatal_err, "group %s", gm->o.group);
			} else {
				backoff = backoff ? (backoff * 2 > 1000 ? 1000 : backoff * 2) : 100;
				clock_cond_wait_until(&gm->cond, &gm->lock, now + backoff);
			}
		} else {
			gm->fatal = 1;
			gm->fatal_err = e;
			err_wrap(&gm->fatal_err, "group %s", gm->o.group);
		}
		http_response_free(&r);
	}
	if (gm->fatal)
		wake_consumer(gm);
	pthread_mutex_unlock(&gm->lock);
	return NULL;
}

/* Replace the subscription (lock held, or before the thread starts). */
static void take_topics(struct group_member *gm, const char *const *topics, size_t n)
{
	for (size_t i = 0; i < gm->o.ntopics; i++)
		free(gm->topics[i]);
	free(gm->topics);
	gm->topics = xcalloc(n + 1, sizeof(*gm->topics));
	for (size_t i = 0; i < n; i++)
		gm->topics[i] = xstrdup(topics[i]);
	gm->o.topics = (const char *const *)gm->topics;
	gm->o.ntopics = n;
}

struct group_member *gm_start(const struct gm_opts *o)
{
	struct group_member *gm = xcalloc(1, sizeof(*gm));

	gm->o = *o;
	gm->o.ntopics = 0;
	take_topics(gm, o->topics, o->ntopics);
	snprintf(gm->base, sizeof(gm->base), "%s", o->broker);
	for (size_t i = 0; o->cl && i < o->cl->brokers.n; i++)
		broker_list_add(&gm->brokers, o->cl->brokers.url[i]);
	pthread_mutex_init(&gm->lock, NULL);
	clock_cond_init(&gm->cond);
	gm->multi = curl_multi_init();
	gm->easy = curl_easy_init();
	pthread_create(&gm->thread, NULL, heartbeat_main, gm);
	return gm;
}

int gm_poll(struct group_member *gm, struct gm_tp **v, size_t *n, int *lost, int *settled,
	    struct err *e)
{
	int rc = 0;

	*v = NULL;
	*n = 0;
	*lost = 0;
	pthread_mutex_lock(&gm->lock);
	*settled = gm->assign_version > 0 && gm->member_id[0] && gm->settled;
	if (gm->fatal) {
		*e = gm->fatal_err;
		rc = e->code ? e->code : SLOG_EUNKNOWN;
	} else if (gm->assign_version != gm->seen_version) {
		gm->seen_version = gm->assign_version;
		*v = xcalloc(gm->nassign + 1, sizeof(**v));
		if (gm->nassign)
			memcpy(*v, gm->assign, gm->nassign * sizeof(**v));
		*n = gm->nassign;
		*lost = gm->lost;
		gm->lost = 0;
		rc = 1;
	}
	pthread_mutex_unlock(&gm->lock);
	return rc;
}

void gm_set_topics(struct group_member *gm, const char *const *topics, size_t n)
{
	pthread_mutex_lock(&gm->lock);
	take_topics(gm, topics, n);
	pthread_mutex_unlock(&gm->lock);
}

void gm_set_owned(struct group_member *gm, const struct gm_tp *v, size_t n)
{
	pthread_mutex_lock(&gm->lock);
	free(gm->owned);
	gm->owned = xcalloc(n + 1, sizeof(*v));
	if (n)
		memcpy(gm->owned, v, n * sizeof(*v));
	gm->nowned = n;
	gm->owned_version++;
	pthread_cond_signal(&gm->cond);
	pthread_mutex_unlock(&gm->lock);
}

/* ---- calls from the consumer's thread ---- */

int gm_commit(struct group_member *gm, const struct gm_offset *v, size_t n, int64_t deadline_ms,
	      struct err *e)
{
	json_t *list = json_array();
	int rc = 0;

	if (n == 0) {
		json_decref(list);
		return 0;
	}
	for (size_t i = 0; i < n; i++)
		json_array_append_new(list, json_pack("{s:s, s:i, s:I}", "topic", v[i].tp.topic,
						      "partition", v[i].tp.partition, "offset",
						      (json_int_t)v[i].offset));
	/* A heartbeat may have moved the epoch on just before: try again with
	 * the new one. */
	for (int tries = 0; tries < 20; tries++) {
		json_t *body;
		pthread_mutex_lock(&gm->lock);
		body = json_pack("{s:s, s:i, s:O}", "member_id", gm->member_id, "member_epoch",
				 gm->epoch, "offsets", list);
		rc = gm->member_id[0] ? 0 : SLOG_EUNKNOWN_MEMBER_ID;
		pthread_mutex_unlock(&gm->lock);
		if (rc)
			rc = err_set(e, rc, "group %s: not a member at the moment", gm->o.group);
		else
			rc = cluster_group_json(gm->o.cl, "POST", gm->o.group, "/offsets", body, deadline_ms,
						NULL, e);
		json_decref(body);
		if (rc != SLOG_ESTALE_MEMBER_EPOCH && !(retriable(rc) && clock_mono_ms() < deadline_ms))
			break;
		usleep(20000);
	}
	json_decref(list);
	return rc;
}

int gm_committed(struct group_member *gm, const struct gm_tp *v, size_t n, int64_t *out,
		 int64_t deadline_ms, struct err *e)
{
	struct buf what = BUF_INIT;
	json_t *j = NULL, *item;
	size_t i;
	int rc;

	buf_adds(&what, "/offsets?topics=");
	for (i = 0; i < n; i++) {
		out[i] = -1;
		if (i)
			buf_addc(&what, ',');
		http_escape(&what, v[i].topic);
	}
	rc = cluster_group_json(gm->o.cl, "GET", gm->o.group, what.data, NULL, deadline_ms, &j, e);
	buf_free(&what);
	if (rc)
		return rc;
	json_array_foreach(json_object_get(j, "offsets"), i, item) {
		const char *t = json_string_value(json_object_get(item, "topic"));
		int32_t p = (int32_t)json_integer_value(json_object_get(item, "partition"));
		for (size_t k = 0; t && k < n; k++)
			if (v[k].partition == p && strcmp(v[k].topic, t) == 0)
				out[k] = json_integer_value(json_object_get(item, "offset"));
	}
	json_decref(j);
	return 0;
}

void gm_leave(struct group_member *gm)
{
	struct err e;

	gm->stop = 1;
	curl_multi_wakeup(gm->multi);
	pthread_mutex_lock(&gm->lock);
	pthread_cond_signal(&gm->cond);
	pthread_mutex_unlock(&gm->lock);
	pthread_join(gm->thread, NULL);
	if (gm->member_id[0]) {
		json_t *body = json_pack("{s:s}", "member_id", gm->member_id);
		/* Best effort: if it fails the session expires instead. */
		cluster_group_json(gm->o.cl, "POST", gm->o.group, "/leave", body, clock_mono_ms() + 2000,
				   NULL, &e);
		json_decref(body);
	}
	curl_easy_cleanup(gm->easy);
	curl_multi_cleanup(gm->multi);
	free(gm->assign);
	free(gm->owned);
	take_topics(gm, NULL, 0);
	free(gm->topics);
	broker_list_free(&gm->brokers);
	pthread_mutex_destroy(&gm->lock);
	pthread_cond_destroy(&gm->cond);
	free(gm);
}
