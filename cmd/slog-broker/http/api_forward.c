/*
 * api_forward.c: admin requests that reach a node which is not the
 * active controller.
 *
 * Each admin handler (create, delete, alter configs, add partitions)
 * asks api_forward_admin() first.  On the active controller it returns 0
 * and the handler goes on.  Elsewhere the request is sent on to the
 * controller (cluster/forward.h) as it came, and its answer relayed as it
 * is: a client may send admin requests to any node.  The request is
 * suspended meanwhile and holds no thread; the forward ends by
 * controller.quorum.request.timeout.ms (plus the time the controller may
 * take beyond its commit, so that its own answer gets through first).
 *
 * A request that was forwarded already (Slog-Forwarded) and finds no
 * controller here is answered 503 NOT_CONTROLLER rather than sent on
 * again: two nodes that each think the other leads cannot pass a request
 * back and forth.  The error names the controller this node knows, if
 * any: {"error":{"code":"NOT_CONTROLLER",...,"controller":{"id","url"}}}.
 */
#include <stdlib.h>
#include <string.h>

#include "broker.h"
#include "cluster/broker_heartbeat.h"
#include "cluster/cluster_peers.h"
#include "cluster/forward.h"
#include "http/api.h"
#include "http/http_defer.h"
#include "meta/controller.h"
#include "xalloc.h"

/* Beyond controller.quorum.request.timeout.ms: the controller waits that
 * long for a commit, then up to a second for the brokers to have it. */
#define FORWARD_SLACK_MS 2000

struct forward_state {
	int32_t controller;             /* the id this node knew */
	char controller_url[PEER_URL_MAX]; /* and its URL, "" when unknown */
	struct forward_result res;
};

static void forward_state_free(void *p)
{
	struct forward_state *st = p;

	buf_free(&st->res.body);
	free(st);
}

/* {"id":N,"url":...} of the controller, or null when none is known. */
static json_t *controller_json(int32_t id, const char *url)
{
	if (id <= 0)
		return json_null();
	return json_pack("{s:i, s:s?}", "id", id, "url", url && *url ? url : NULL);
}

static int not_controller(struct request *r, int32_t id, const char *url, const char *why)
{
	json_t *extra = json_pack("{s:o}", "controller", controller_json(id, url));

	if (id > 0)
		return http_reply_error_with(r, SLOG_ENOT_CONTROLLER, extra,
					     "broker %d is not the controller (broker %d is)%s",
					     r->b->node_id, id, why);
	return http_reply_error_with(r, SLOG_ENOT_CONTROLLER, extra,
				     "broker %d is not the controller, and knows of none%s",
				     r->b->node_id, why);
}

/* The forward is over (the forwarder's thread): keep the outcome and
 * let the request answer on a server thread. */
static void forwarded(void *arg, struct forward_result *res)
{
	struct request *r = arg;
	struct forward_state *st = r->state;

	st->res.rc = res->rc;
	st->res.err = res->err;
	st->res.status = res->status;
	memcpy(st->res.content_type, res->content_type, sizeof(st->res.content_type));
	memcpy(st->res.target, res->target, sizeof(st->res.target));
	st->res.body = res->body;
	res->body = (struct buf)BUF_INIT;
	http_resume(r); /* the request may be freed from here on */
}

static int reply_forwarded(struct request *r)
{
	struct forward_state *st = r->state;
	struct forward_result *res = &st->res;
	char why[600];

	if (res->rc == SLOG_ENETWORK || res->rc == SLOG_ENOT_CONTROLLER) {
		snprintf(why, sizeof(why), ": it cannot be reached (%s)", res->err.msg);
		return not_controller(r, st->controller, st->controller_url, why);
	}
	if (res->rc == SLOG_EREQUEST_TIMED_OUT)
		return http_reply_error(r, res->rc,
					"the controller (%s) did not answer in time: the change may "
					"still be made", res->target);
	if (res->rc)
		return http_reply_err(r, &res->err);
	return http_reply(r, (int)res->status,
			  res->content_type[0] ? res->content_type : "application/json", &res->body);
}

static void add_query_arg(void *arg, const char *name, const char *value)
{
	forward_query_add(arg, name, value);
}

/*
 * Where the request may go, best first: the controller this node knows
 * (its quorum's leader, or the one that answered its last heartbeat),
 * then every node that may be or know the controller (a broker that is
 * not a voter knows no leader of its own).  Not this node itself.
 */
static void find_targets(struct broker *b, int32_t *id, char known[PEER_URL_MAX],
			 struct peer_list *l)
{
	struct peer_list peers;
	char url[PEER_URL_MAX], self[PEER_URL_MAX];
	int32_t hb_id;

	l->n = 0;
	known[0] = '\0';
	if (*id > 0 && cluster_peer_url_of(b, *id, known, PEER_URL_MAX) == 0)
		peer_list_add(l, known);
	if (b->heartbeat && broker_heartbeat_controller(b->heartbeat, &hb_id, url, sizeof(url)) == 0 &&
	    url[0] && (*id <= 0 || hb_id == *id)) {
		*id = hb_id;
		snprintf(known, PEER_URL_MAX, "%s", url);
		peer_list_add(l, url);
	}
	cluster_peers_controllers(b, &peers);
	cluster_self_url(b, self, sizeof(self));
	for (size_t i = 0; i < peers.n; i++)
		if (strcmp(peers.url[i], self) != 0)
			peer_list_add(l, peers.url[i]);
}

/* Send r on to the targets; the request is suspended until the answer. */
static int forward(struct request *r, int32_t id, const char *known,
		   const struct peer_list *targets)
{
	struct broker *b = r->b;
	struct forward_state *st = xcalloc(1, sizeof(*st));
	struct buf query = BUF_INIT;
	struct forward_request rq = {
		.method = r->method, .path = r->path,
		.content_type = http_header(r, "Content-Type"),
		.body = r->body.data, .len = r->body.len,
		.deadline_ms = clock_mono_ms() +
			       conf_get_num(&b->conf, "controller.quorum.request.timeout.ms") +
			       FORWARD_SLACK_MS,
	};

	st->controller = id;
	snprintf(st->controller_url, sizeof(st->controller_url), "%s", known);
	r->state = st;
	r->free_state = forward_state_free;
	http_query_each(r, add_query_arg, &query);
	rq.query = buf_cstr(&query);
	for (size_t i = 0; i < targets->n && rq.ntargets < FORWARD_TARGETS_MAX; i++)
		rq.targets[rq.ntargets++] = targets->url[i];
	/* Suspended first: the answer may come before forward_submit returns. */
	http_suspend(r, reply_forwarded);
	forward_submit(b->forward, &rq, forwarded, r);
	buf_free(&query);
	return 1;
}

int32_t api_controller_id(struct broker *b)
{
	struct peer_list targets;
	char known[PEER_URL_MAX];
	int32_t id = 0;

	if (controller_active(b, &id))
		return b->node_id;
	find_targets(b, &id, known, &targets);
	return id > 0 ? id : -1;
}

int api_forward_admin(struct request *r, http_handler self)
{
	struct broker *b = r->b;
	struct peer_list targets;
	char known[PEER_URL_MAX];
	int32_t id = 0;

	/* On the worker: the controller's calls say NOT_CONTROLLER if this
	 * node stopped leading since. */
	if (r->deferring)
		return 0;
	if (controller_active(b, &id))
		return b->defer ? http_defer(b->defer, r, self) : 0;
	find_targets(b, &id, known, &targets);
	if (http_header(r, FORWARD_HEADER))
		not_controller(r, id, known, ": the request was forwarded here already");
	else if (!b->forward || !targets.n)
		not_controller(r, id, known, id > 0 ? ", whose address is not known yet" : "");
	else
		forward(r, id, known, &targets);
	return 1;
}
