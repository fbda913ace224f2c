/*
 * api_cluster.c: the cluster's own resources: GET /v1/cluster, brokers'
 * heartbeats (POST /v1/cluster/heartbeat), leaders' ISR changes (POST
 * /v1/cluster/partitions/alter) and the metadata log for observers (GET
 * /v1/meta/records).  docs/http-api.md documents each.
 *
 * A heartbeat is only noted here (broker_lifecycle.h turns it into
 * records on its own thread), and a poll of the metadata log waits
 * suspended, like a fetch, on the image's offset: neither holds a
 * request thread while it waits.
 */
#include <stdlib.h>
#include <string.h>

#include "broker.h"
#include "cluster/broker_heartbeat.h"
#include "cluster/broker_lifecycle.h"
#include "cluster/cluster_peers.h"
#include "http/api.h"
#include "http/http_defer.h"
#include "http/http_conns.h"
#include "http_client.h"
#include "meta/controller.h"
#include "replica/fetch_wait.h"
#include "units.h"
#include "xalloc.h"

#define META_MAX_ENTRIES 1000
#define META_MAX_WAIT_MS 60000
#define FORWARD_MS 1000

/* {"id","url"} of the controller as this node knows it, or null. */
static json_t *controller_json(struct broker *b)
{
	char url[PEER_URL_MAX];
	int32_t id = 0;

	if (controller_active(b, &id))
		id = b->node_id;
	if (id > 0 && id == b->node_id)
		cluster_self_url(b, url, sizeof(url));
	else if (id > 0 && cluster_peer_url_of(b, id, url, sizeof(url)))
		url[0] = '\0';
	if (id <= 0 && b->heartbeat && broker_heartbeat_controller(b->heartbeat, &id, url,
								    sizeof(url)))
		id = 0;
	if (id <= 0)
		return json_null();
	return json_pack("{s:i, s:s?}", "id", id, "url", url[0] ? url : NULL);
}

/* ---- POST /v1/cluster/heartbeat ---- */

#define MAX_ENDPOINTS 8

/* Whether endpoints is [{"name":s,"host":s,"port":1..65535},...]. */
static int endpoints_ok(json_t *endpoints)
{
	size_t i;
	json_t *ep;

	if (!json_is_array(endpoints) || json_array_size(endpoints) > MAX_ENDPOINTS)
		return 0;
	json_array_foreach(endpoints, i, ep) {
		json_t *port = json_object_get(ep, "port");
		const char *host = json_string_value(json_object_get(ep, "host"));

		if (!json_is_string(json_object_get(ep, "name")) || !host || !host[0] ||
		    strlen(host) > 255 || !json_is_integer(port) || json_integer_value(port) < 1 ||
		    json_integer_value(port) > 65535)
			return 0;
	}
	return 1;
}

#define MAX_OFFLINE_DIRS 64
#define MAX_OFFLINE_PARTITIONS 100000

/* Whether dirs is an array of at most MAX_OFFLINE_DIRS paths. */
static int offline_dirs_ok(json_t *dirs)
{
	size_t i;
	json_t *d;

	if (!json_is_array(dirs) || json_array_size(dirs) > MAX_OFFLINE_DIRS)
		return 0;
	json_array_foreach(dirs, i, d)
		if (!json_is_string(d))
			return 0;
	return 1;
}

/* Whether v is [{"topic":s,"topic_id":s,"partitions":[n,...]},...], with
 * at most MAX_OFFLINE_PARTITIONS partitions in all. */
static int offline_replicas_ok(json_t *v)
{
	size_t i, k, total = 0;
	json_t *t, *n;

	if (!json_is_array(v))
		return 0;
	json_array_foreach(v, i, t) {
		json_t *parts = json_object_get(t, "partitions");
		int32_t idx;

		if (!json_is_string(json_object_get(t, "topic")) ||
		    !json_is_string(json_object_get(t, "topic_id")) || !json_is_array(parts))
			return 0;
		total += json_array_size(parts);
		if (total > MAX_OFFLINE_PARTITIONS)
			return 0;
		json_array_foreach(parts, k, n)
			if (api_int32(n, 0, &idx))
				return 0;
	}
	return 1;
}

/* The optional offline fields of a heartbeat (replication spec D7);
 * 1 after answering 400. */
static int heartbeat_offline(struct request *r, json_t *body, struct lc_heartbeat *hb)
{
	json_t *dirs = json_object_get(body, "offline_log_dirs");
	json_t *reps = json_object_get(body, "offline_replicas");

	if (dirs && !offline_dirs_ok(dirs))
		return !!http_reply_error(r, SLOG_EINVALID_REQUEST,
					  "offline_log_dirs must be an array of at most %d paths",
					  MAX_OFFLINE_DIRS);
	if (reps && !offline_replicas_ok(reps))
		return !!http_reply_error(r, SLOG_EINVALID_REQUEST,
					  "offline_replicas must be an array of {\"topic\",\"topic_id\","
					  "\"partitions\":[n,...]} (at most %d partitions)",
					  MAX_OFFLINE_PARTITIONS);
	hb->offline_replicas = reps;
	return 0;
}

/* The fields of a heartbeat, checked; 1 after answering 400. */
static int heartbeat_fields(struct request *r, json_t *body, struct lc_heartbeat *hb)
{
	static const char *const known[] = { "id", "incarnation", "endpoints", "meta_offset",
					     "want_shutdown", "offline_log_dirs",
					     "offline_replicas", NULL };
	json_t *id = json_object_get(body, "id"), *off = json_object_get(body, "meta_offset");
	json_t *ws = json_object_get(body, "want_shutdown");
	const char *inc = json_string_value(json_object_get(body, "incarnation"));

	if (api_unknown_field(r, body, known))
		return 1;
	if (!json_is_integer(id) || json_integer_value(id) <= 0 ||
	    json_integer_value(id) > INT32_MAX)
		return !!http_reply_error(r, SLOG_EINVALID_REQUEST, "id must be a positive node id");
	if (!inc || !inc[0] || strlen(inc) > 23)
		return !!http_reply_error(r, SLOG_EINVALID_REQUEST,
					  "incarnation must be a string of 1 to 23 characters");
	if (!endpoints_ok(json_object_get(body, "endpoints")))
		return !!http_reply_error(r, SLOG_EINVALID_REQUEST,
					  "endpoints must be an array of at most %d "
					  "{\"name\",\"host\",\"port\"}", MAX_ENDPOINTS);
	if (!json_is_integer(off) || json_integer_value(off) < 0)
		return !!http_reply_error(r, SLOG_EINVALID_REQUEST,
					  "meta_offset must be an integer >= 0");
	if (ws && !json_is_boolean(ws))
		return !!http_reply_error(r, SLOG_EINVALID_REQUEST, "want_shutdown must be a boolean");
	hb->id = (int32_t)json_integer_value(id);
	hb->incarnation = inc;
	hb->endpoints = json_object_get(body, "endpoints");
	hb->meta_offset = json_integer_value(off);
	hb->want_shutdown = json_is_true(ws);
	hb->conn_id = http_conns_id(r->conn);
	return heartbeat_offline(r, body, hb);
}

int api_cluster_heartbeat(struct request *r, char **args)
{
	struct broker *b = r->b;
	json_t *body = api_body_object(r, 1);
	struct lc_heartbeat hb;
	enum meta_broker_state state;

	(void)args;
	if (!body)
		return 1;
	if (heartbeat_fields(r, body, &hb)) {
		json_decref(body);
		return 1;
	}
	if (!b->lifecycle || !controller_active(b, NULL)) {
		json_decref(body);
		return http_reply_error_with(r, SLOG_ENOT_CONTROLLER,
					     json_pack("{s:o}", "controller", controller_json(b)),
					     "node %d is not the active controller", b->node_id);
	}
	broker_lifecycle_heartbeat(b->lifecycle, &hb, &state);
	json_decref(body);
	return http_reply_json(r, 200, json_pack("{s:s, s:o}", "state", meta_broker_state_name(state),
						 "controller", controller_json(b)));
}

/* ---- POST /v1/cluster/partitions/alter ---- */

#define ALTER_MAX_ISR 100

/* The fields of an AlterPartition into a (isr into isr[ALTER_MAX_ISR]);
 * 1 after answering 400. */
static int alter_fields(struct request *r, json_t *body, struct controller_alter *a,
			int32_t *isr)
{
	static const char *const known[] = { "broker", "broker_epoch", "topic", "partition",
					     "leader_epoch", "partition_epoch", "isr", NULL };
	const char *why = NULL;

	if (api_unknown_field(r, body, known))
		return 1;
	a->broker_epoch = json_string_value(json_object_get(body, "broker_epoch"));
	a->topic = json_string_value(json_object_get(body, "topic"));
	a->isr = isr;
	if (api_int32(json_object_get(body, "broker"), 1, &a->broker))
		why = "broker must be a positive node id";
	else if (!a->broker_epoch || !a->broker_epoch[0] || strlen(a->broker_epoch) > 23)
		why = "broker_epoch must be the broker's incarnation, a string of 1 to 23 characters";
	else if (!a->topic || !a->topic[0])
		why = "topic must be a topic's name";
	else if (api_int32(json_object_get(body, "partition"), 0, &a->partition))
		why = "partition must be an integer >= 0";
	else if (api_int32(json_object_get(body, "leader_epoch"), 0, &a->leader_epoch) ||
		 api_int32(json_object_get(body, "partition_epoch"), 0, &a->partition_epoch))
		why = "leader_epoch and partition_epoch must be integers >= 0";
	else if (api_broker_ids(json_object_get(body, "isr"), isr, ALTER_MAX_ISR, &a->nisr))
		why = "isr must be a list of 1 to 100 node ids";
	return why ? !!http_reply_error(r, SLOG_EINVALID_REQUEST, "%s", why) : 0;
}

static int not_controller(struct request *r, const char *why)
{
	return http_reply_error_with(r, SLOG_ENOT_CONTROLLER,
				     json_pack("{s:o}", "controller", controller_json(r->b)), "%s",
				     why);
}

/*
 * A leader asks for a new ISR.  Only the active controller answers (the
 * leader follows NOT_CONTROLLER to it, as heartbeats do), on the worker
 * that waits for the quorum.
 */
int api_cluster_alter(struct request *r, char **args)
{
	struct broker *b = r->b;
	int32_t isr[ALTER_MAX_ISR];
	struct controller_alter a;
	json_t *body, *rec;
	struct err e;
	int rc;

	(void)args;
	if (!controller_active(b, NULL)) {
		snprintf(e.msg, sizeof(e.msg), "node %d is not the active controller", b->node_id);
		return not_controller(r, e.msg);
	}
	if (!r->deferring && b->defer)
		return http_defer(b->defer, r, api_cluster_alter);
	body = api_body_object(r, 1);
	if (!body)
		return 1;
	if (alter_fields(r, body, &a, isr)) {
		json_decref(body);
		return 1;
	}
	rc = controller_alter_partition(b, &a, &rec, &e);
	json_decref(body);
	if (rc == SLOG_ENOT_CONTROLLER)
		return not_controller(r, e.msg);
	if (rc)
		return http_reply_err(r, &e);
	return http_reply_json(r, 200, json_pack("{s:o}", "partition", rec));
}

/* ---- GET /v1/meta/records ---- */

struct meta_poll {
	struct fetch_wait wait;
	int64_t after;
};

static void meta_poll_free(void *arg)
{
	free(arg);
}

static int answer_records(struct request *r)
{
	struct meta_poll *mp = r->state;
	json_t *out;
	struct err e;

	if (r->b->waits)
		fetch_waits_cancel(r->b->waits, &mp->wait);
	if (meta_image_since(&r->b->image, mp->after, META_MAX_ENTRIES, &out, &e))
		return http_reply_err(r, &e);
	return http_reply_json(r, 200, out);
}

static void wake_poll(struct fetch_wait *w)
{
	http_resume(w->arg);
}

static int query_num(struct request *r, const char *name, int64_t max, int64_t *out)
{
	const char *v = http_query(r, name);
	struct err e;

	*out = 0;
	if (v && units_parse_int(v, 0, max, out, &e))
		return !!http_reply_error(r, SLOG_EINVALID_REQUEST, "%s: %s", name, e.msg);
	return 0;
}

int api_meta_records(struct request *r, char **args)
{
	struct broker *b = r->b;
	struct meta_poll *mp = xcalloc(1, sizeof(*mp));
	int64_t wait_ms;

	(void)args;
	r->state = mp;
	r->free_state = meta_poll_free;
	if (query_num(r, "after", INT64_MAX, &mp->after) ||
	    query_num(r, "wait_ms", META_MAX_WAIT_MS, &wait_ms))
		return 1;
	if (!b->quorum)
		return http_reply_error(r, SLOG_ENOT_CONTROLLER,
					"node %d does not vote in the metadata quorum: ask a "
					"controller", b->node_id);
	if (b->image.offset > mp->after || wait_ms == 0 || !b->waits || b->stopping)
		return answer_records(r);
	/* Suspended first: the wait may fire as soon as it is added. */
	mp->wait = (struct fetch_wait){ .list = &b->meta_waiters, .hw = &b->image.offset,
					.offset = mp->after,
					.deadline_ms = clock_mono_ms() + wait_ms,
					.wake = wake_poll, .arg = r };
	http_suspend(r, answer_records);
	fetch_waits_add(b->waits, &mp->wait);
	return 1;
}

/* ---- GET /v1/cluster ---- */

static json_t *brokers_json(struct broker *b)
{
	json_t *list = json_array();

	pthread_mutex_lock(&b->image.lock);
	for (size_t i = 0; i < b->image.state.nbrokers; i++) {
		const struct meta_broker *mb = &b->image.state.brokers[i];
		const char *host = NULL;
		int port = 0;
		char url[PEER_URL_MAX] = "";

		if (meta_broker_http(mb, &host, &port) == 0)
			http_base_url(url, sizeof(url), host, port);
		json_array_append_new(
			list, json_pack("{s:i, s:s, s:s?, s:s?, s:o?, s:s}", "id", mb->id, "state",
					meta_broker_state_name(mb->state), "url", url[0] ? url : NULL,
					"host", host, "port", port ? json_integer(port) : NULL,
					"incarnation", mb->incarnation));
	}
	pthread_mutex_unlock(&b->image.lock);
	return list;
}

/* The quorum as this node sees it: lag is known on the leader only. */
static json_t *quorum_json(struct broker *b)
{
	struct quorum_view v;
	json_t *voters;

	if (!b->quorum)
		return json_null();
	voters = json_array();
	quorum_view(b->quorum, &v);
	for (size_t i = 0; i < v.nvoters; i++) {
		json_t *o = json_pack("{s:i, s:s}", "id", v.voters[i].id, "address",
				      v.voters[i].addr);
		int leader = v.role == QUORUM_LEADER;
		uint64_t end = v.voters[i].id == b->node_id ? v.last_index : v.voters[i].match_index;

		json_object_set_new(o, "log_end", leader ? json_integer((json_int_t)end) : json_null());
		json_object_set_new(o, "lag", leader ? json_integer((json_int_t)(v.last_index - end))
						     : json_null());
		json_array_append_new(voters, o);
	}
	return json_pack("{s:o, s:I, s:I, s:o}", "leader",
			 v.leader_id > 0 ? json_integer(v.leader_id) : json_null(), "term",
			 (json_int_t)v.term, "commit_index", (json_int_t)v.commit_index, "voters",
			 voters);
}

static json_t *cluster_json(struct broker *b)
{
	char id[24];

	pthread_mutex_lock(&b->image.lock);
	memcpy(id, b->image.state.cluster_id, sizeof(id));
	pthread_mutex_unlock(&b->image.lock);
	return json_pack("{s:s, s:o, s:o, s:o}", "cluster_id", id, "controller", controller_json(b),
			 "brokers", brokers_json(b), "quorum", quorum_json(b));
}

/* The controller's answer, for a node that is not the controller; NULL
 * when it cannot be had at once.  Slog-Forwarded keeps a node that is
 * not the controller any more from forwarding it again. */
static json_t *ask_controller(struct broker *b)
{
	json_t *c = controller_json(b), *out = NULL;
	const char *base = json_string_value(json_object_get(c, "url"));
	struct curl_slist *hdrs = curl_slist_append(NULL, "Slog-Forwarded: 1");
	struct http_response resp;
	char url[PEER_URL_MAX + 16];
	CURL *h = base ? curl_easy_init() : NULL;
	struct err e;

	http_response_init(&resp);
	if (h) {
		snprintf(url, sizeof(url), "%s/v1/cluster", base);
		http_easy_setup(h, url, "GET", hdrs, NULL, 0, FORWARD_MS, &resp);
		if (http_response_finish(h, curl_easy_perform(h), url, &resp, &e) == 0)
			out = json_loadb(resp.body.data ? resp.body.data : "", resp.body.len, 0, NULL);
		curl_easy_cleanup(h);
	}
	http_response_free(&resp);
	curl_slist_free_all(hdrs);
	json_decref(c);
	if (out && !json_is_object(out)) {
		json_decref(out);
		out = NULL;
	}
	return out;
}

int api_cluster(struct request *r, char **args)
{
	json_t *j = NULL;

	(void)args;
	if (!controller_active(r->b, NULL) && !http_header(r, "Slog-Forwarded"))
		j = ask_controller(r->b);
	return http_reply_json(r, 200, j ? j : cluster_json(r->b));
}
