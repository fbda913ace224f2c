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
#include "cluster/forward.h"
#include "http/api.h"
#include "meta/controller.h"
#include "replica/ops.h"
#include "xalloc.h"

/* Beyond controller.quorum.request.timeout.ms: the controller waits that
 * long for a commit, then up to a second for the brokers to have it. */
#define FORWARD_SLACK_MS 2000

struct forward_state {
	int32_t controller;             /* the id this node knew */
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
		return not_controller(r, st->controller, res->target, why);
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

/* Send r on to url; the request is suspended until the answer. */
static int forward(struct request *r, int32_t id, const char *url)
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
	r->state = st;
	r->free_state = forward_state_free;
	http_query_each(r, add_query_arg, &query);
	rq.query = buf_cstr(&query);
	rq.targets[rq.ntargets++] = url;
	/* Suspended first: the answer may come before forward_submit returns. */
	http_suspend(r, reply_forwarded);
	forward_submit(b->forward, &rq, forwarded, r);
	buf_free(&query);
	return 1;
}

int api_forward_admin(struct request *r)
{
	struct broker *b = r->b;
	int32_t id = 0;
	char url[FORWARD_URL_MAX] = "";

	if (controller_active(b, &id))
		return 0;
	if (id > 0) {
		pthread_rwlock_rdlock(&b->meta_lock);
		ops_broker_url(b, id, url, sizeof(url));
		pthread_rwlock_unlock(&b->meta_lock);
	}
	if (http_header(r, FORWARD_HEADER))
		not_controller(r, id, url, ": the request was forwarded here already");
	else if (!b->forward || !url[0])
		not_controller(r, id, url, id > 0 ? ", whose address is not known yet" : "");
	else
		forward(r, id, url);
	return 1;
}
