/*
 * http_server.c: requests, routing and answers on libmicrohttpd.
 * See http_server.h.
 */
#include "http/http_server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <malloc.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "broker.h"
#include "cluster/broker_lifecycle.h"
#include "http/api.h"
#include "http/http_conns.h"
#include "http/http_policy.h"
#include "meta/meta_publisher.h"
#include "log.h"
#include "units.h"
#include "xalloc.h"

struct http_server {
	struct MHD_Daemon *d;
	struct broker *b;
	int port;
	int listen_fd;
	_Atomic int active;
	_Atomic int running;  /* handlers and continuations on a thread now */
	_Atomic int closing;  /* http_close_handlers: no new handler runs */
	_Atomic int64_t queued; /* body bytes held by all requests */
	int64_t queued_max, json_max;
	struct http_conns *conns;
	struct http_policy policy;
	pthread_mutex_t lock; /* guards the suspended list */
	struct request *suspended;
};

enum { PH_BODY, PH_RUN, PH_SUSPENDED, PH_RESUMED };

/* What a route's body is: none, JSON (bounded by http.json.max.bytes and
 * typed application/json), or records (socket.request.max.bytes). */
enum { NOBODY, JSON, DATA };

struct route {
	const char *method;
	const char *pattern; /* '*' matches one path segment */
	enum api api;
	int body;
	int (*fn)(struct request *r, char **args);
};

static const struct route routes[] = {
	{ "GET", "/healthz", API_HEALTH, NOBODY, api_healthz },
	{ "GET", "/readyz", API_HEALTH, NOBODY, api_readyz },
	{ "GET", "/metrics", API_METRICS, NOBODY, api_metrics },
	{ "GET", "/v1/cluster", API_METADATA, NOBODY, api_cluster },
	{ "POST", "/v1/cluster/heartbeat", API_METADATA, JSON, api_cluster_heartbeat },
	{ "POST", "/v1/cluster/partitions/alter", API_METADATA, JSON, api_cluster_alter },
	{ "GET", "/v1/meta/records", API_METADATA, NOBODY, api_meta_records },
	{ "GET", "/v1/metadata", API_METADATA, NOBODY, api_metadata },
	{ "GET", "/v1/topics", API_ADMIN, NOBODY, api_topics_list },
	{ "POST", "/v1/topics", API_ADMIN, JSON, api_topics_create },
	{ "GET", "/v1/topics/*", API_ADMIN, NOBODY, api_topic_describe },
	{ "DELETE", "/v1/topics/*", API_ADMIN, NOBODY, api_topic_delete },
	{ "GET", "/v1/topics/*/configs", API_ADMIN, NOBODY, api_topic_configs_get },
	{ "PATCH", "/v1/topics/*/configs", API_ADMIN, JSON, api_topic_configs_alter },
	{ "POST", "/v1/topics/*/partitions", API_ADMIN, JSON, api_partitions_add },
	{ "POST", "/v1/topics/*/reassignments", API_ADMIN, JSON, api_reassign },
	{ "POST", "/v1/topics/*/records", API_PRODUCE, DATA, api_produce_topic },
	{ "POST", "/v1/topics/*/partitions/*/records", API_PRODUCE, DATA, api_produce_partition },
	{ "GET", "/v1/topics/*/partitions/*/records", API_FETCH, NOBODY, api_fetch },
	{ "GET", "/v1/topics/*/partitions/*/offsets", API_OFFSETS, NOBODY, api_offsets },
	{ "GET", "/v1/topics/*/partitions/*/epochs/*/end-offset", API_OFFSETS, NOBODY,
	  api_epoch_end_offset },
	{ "POST", "/v1/replica/fetch", API_FETCH, JSON, api_replica_fetch },
	{ "GET", "/v1/groups", API_GROUPS, NOBODY, api_groups_list },
	{ "GET", "/v1/groups/*", API_GROUPS, NOBODY, api_group_describe },
	{ "DELETE", "/v1/groups/*", API_GROUPS, NOBODY, api_group_delete },
	{ "POST", "/v1/groups/*/heartbeat", API_GROUPS, JSON, api_group_heartbeat },
	{ "POST", "/v1/groups/*/leave", API_GROUPS, JSON, api_group_leave },
	{ "GET", "/v1/groups/*/offsets", API_GROUPS, NOBODY, api_group_offsets_get },
	{ "POST", "/v1/groups/*/offsets", API_GROUPS, JSON, api_group_offsets_commit },
	{ "DELETE", "/v1/groups/*/offsets", API_GROUPS, NOBODY, api_group_offsets_delete },
};
#define NROUTES (sizeof(routes) / sizeof(routes[0]))
#define MAX_SEGS HTTP_MAX_ARGS
#define URI_MAX 8192
#define ARGS_MAX 100
#define HEALTH_RESERVE 16 /* sockets past max.connections, for health checks */
#define REFUSE_SLACK 64   /* accepted past the reserve only to be answered 429 */

/* Split "/a/b/c" in place; MAX_SEGS + 1 means "too many". */
static int split_path(char *p, char **segs)
{
	int n = 0;

	while (*p == '/')
		p++;
	while (*p) {
		char *slash;
		if (n == MAX_SEGS)
			return MAX_SEGS + 1;
		segs[n++] = p;
		slash = strchr(p, '/');
		if (!slash)
			break;
		*slash = '\0';
		p = slash + 1;
	}
	return n;
}

/* Does the route's pattern match?  Variable segments go to args. */
static int pattern_match(const char *pattern, char **segs, int n, char **args)
{
	char copy[128], *psegs[MAX_SEGS + 1];
	int pn, nargs = 0;

	snprintf(copy, sizeof(copy), "%s", pattern);
	pn = split_path(copy, psegs);
	if (pn != n)
		return 0;
	for (int i = 0; i < n; i++) {
		if (strcmp(psegs[i], "*") == 0)
			args[nargs++] = segs[i];
		else if (strcmp(psegs[i], segs[i]) != 0)
			return 0;
	}
	return 1;
}

/*
 * The route of method and path: a pure function (the fuzz target calls it
 * through http_route).  path is split in place; args point into it.  On
 * no match, allow lists the methods the path takes, if any.
 */
static const struct route *find_route(const char *method, char *path, char **args, char *allow,
				      size_t allow_size)
{
	char *segs[MAX_SEGS + 1];
	int n = split_path(path, segs);

	*allow = '\0';
	for (size_t i = 0; i < NROUTES && n <= MAX_SEGS; i++) {
		if (!pattern_match(routes[i].pattern, segs, n, args))
			continue;
		if (strcmp(routes[i].method, method) == 0) {
			*allow = '\0';
			return &routes[i];
		}
		if (strlen(allow) + strlen(routes[i].method) + 3 < allow_size)
			snprintf(allow + strlen(allow), allow_size - strlen(allow), "%s%s",
				 *allow ? ", " : "", routes[i].method);
	}
	return NULL;
}

http_handler http_route(const char *method, char *path, char **args, enum api *api, char *allow,
			size_t allow_size)
{
	const struct route *rt = find_route(method, path, args, allow, allow_size);

	if (!rt)
		return NULL;
	*api = rt->api;
	return rt->fn;
}

/*
 * Find the route when the headers are in, before the body: a request for
 * no route, or the wrong method, is answered without reading its body.
 * Returns 1 when found, 0 when it answered.
 */
static int route_find(struct request *r)
{
	char allow[64];

	r->route_path = xstrdup(r->path);
	r->route = find_route(r->method, r->route_path, r->args, allow, sizeof(allow));
	if (r->route) {
		r->api = r->route->api;
		return 1;
	}
	if (*allow) {
		http_add_header(r, "Allow", allow);
		return !http_reply_error(r, SLOG_EMETHOD_NOT_ALLOWED,
					 "%s is not allowed on %s (allowed: %s)", r->method, r->path,
					 allow);
	}
	return !http_reply_error(r, SLOG_ENOT_FOUND, "no such resource: %s", r->path);
}

static struct request *request_new(struct http_server *s, struct MHD_Connection *conn,
				   const char *url, const char *method)
{
	struct request *r = xcalloc(1, sizeof(*r));

	r->b = s->b;
	r->server = s;
	r->conn = conn;
	r->method = method;
	r->path = xstrdup(url);
	r->api = API_OTHER;
	r->start_ns = clock_mono_ns();
	r->phase = PH_BODY;
	s->active++;
	return r;
}

static void request_free(struct http_server *s, struct request *r)
{
	if (r->free_state)
		r->free_state(r->state);
	if (r->kept)
		MHD_destroy_response(r->kept);
	for (int i = 0; i < r->nhdrs; i++) {
		free(r->hdr_name[i]);
		free(r->hdr_value[i]);
	}
	s->queued -= r->counted;
	buf_free(&r->body);
	free(r->route_path);
	free(r->path);
	/* A parsed JSON body leaves many small blocks in the heap: without a
	 * trim, glibc keeps the pages after the request is gone. */
	if (r->trim)
		malloc_trim(0);
	free(r);
}

void http_body_parsed(struct request *r)
{
	if (r->body.len >= 64 * 1024)
		r->trim = 1;
}

/* The body's declared length: 0 none, -1 chunked (unknown). */
static int64_t declared_length(struct request *r)
{
	const char *cl = http_header(r, MHD_HTTP_HEADER_CONTENT_LENGTH);
	int64_t len;

	if (http_header(r, MHD_HTTP_HEADER_TRANSFER_ENCODING))
		return -1;
	if (cl && units_parse_int(cl, 0, INT64_MAX, &len, NULL) == 0)
		return len;
	return 0;
}

/* Kafka's codes for a broker going away, which clients retry: the group
 * coordinator, or the partitions' leader. */
static int answer_stopping(struct request *r)
{
	return http_reply_error(r, r->api == API_GROUPS ? SLOG_ECOORDINATOR_NOT_AVAILABLE
							: SLOG_ELEADER_NOT_AVAILABLE,
				"the broker is shutting down");
}

/* Origin: refused unless allowed; allowed ones get CORS headers, and their
 * preflight (OPTIONS) is answered here.  1: go on; 0: answered. */
static int check_origin(struct http_server *s, struct request *r)
{
	const char *origin = http_header(r, "Origin");

	if (!origin)
		return 1;
	if (!http_policy_origin_allowed(&s->policy, origin))
		return !http_reply_error(r, SLOG_EPOLICY_VIOLATION,
					 "Origin '%.100s' is not in http.cors.allowed.origins", origin);
	http_add_header(r, "Access-Control-Allow-Origin", origin);
	http_add_header(r, "Vary", "Origin");
	if (strcmp(r->method, "OPTIONS") != 0)
		return 1;
	http_add_header(r, "Access-Control-Allow-Methods", "GET, POST, PATCH, DELETE");
	http_add_header(r, "Access-Control-Allow-Headers", "Content-Type");
	http_add_header(r, "Access-Control-Max-Age", "600");
	return !http_reply(r, 204, NULL, NULL);
}

/* What the request line told the connection (http_conns flags). */
static int check_request_line(struct request *r)
{
	int flags = http_conns_flags(r->conn);

	if (flags & HTTP_CONN_URI_TOO_LONG)
		return !http_reply_error(r, SLOG_EINVALID_REQUEST, "the URI is over %d bytes",
					 URI_MAX);
	if (flags & HTTP_CONN_TOO_MANY_ARGS)
		return !http_reply_error(r, SLOG_EINVALID_REQUEST,
					 "more than %d query arguments", ARGS_MAX);
	return 1;
}

/* Everything decided from the headers.  1: read the body; 0: answered. */
static int request_begin(struct http_server *s, struct request *r)
{
	struct err e;
	int64_t len;

	if (!check_request_line(r))
		return 0;
	if (http_policy_framing(r->conn, &e) || http_policy_host(&s->policy, http_header(r, "Host"), &e))
		return !http_reply_err(r, &e);
	if (!check_origin(s, r) || !route_find(r))
		return 0;
	if (http_conns_health_only(r->conn) && r->api != API_HEALTH && r->api != API_METRICS) {
		http_add_header(r, "Connection", "close");
		return !http_reply_error(r, SLOG_ETHROTTLED, "too many connections");
	}
	/* Health checks say "stopping" themselves until the handlers close. */
	if ((s->b->stopping && r->api != API_HEALTH) || s->closing) {
		http_add_header(r, "Connection", "close");
		return !answer_stopping(r);
	}
	len = declared_length(r);
	r->body_limit = r->route->body == DATA ? s->b->request_max_bytes : s->json_max;
	if (len > r->body_limit)
		return !http_reply_error(r, SLOG_EMESSAGE_TOO_LARGE,
					 "request body of %lld bytes is over %s (%lld bytes)",
					 (long long)len,
					 r->route->body == DATA ? "socket.request.max.bytes"
								: "http.json.max.bytes",
					 (long long)r->body_limit);
	if (len != 0 && r->route->body == JSON &&
	    !http_policy_is_json(http_header(r, MHD_HTTP_HEADER_CONTENT_TYPE)))
		return !http_reply_error(r, SLOG_EUNSUPPORTED_MEDIA_TYPE,
					 "a JSON body needs Content-Type: application/json");
	if (len > 0 && s->queued + len > s->queued_max)
		return !http_reply_error(r, SLOG_ETHROTTLED,
					 "request bytes in flight are over queued.max.request.bytes "
					 "(%lld bytes): try again later", (long long)s->queued_max);
	http_conns_phase(r->conn, HTTP_CONN_BODY);
	return 1;
}

/* Keep a piece of the body: the buffer grows as bytes arrive, doubling
 * but never past the route's limit, and counts against queued.max. */
static void body_add(struct http_server *s, struct request *r, const char *data, size_t n)
{
	size_t need = r->body.len + n + 1, cap = r->body.cap;
	size_t most = (size_t)r->body_limit + 1;

	if (r->refused)
		return;
	if (r->body.len + n > (size_t)r->body_limit) {
		r->refused = SLOG_EMESSAGE_TOO_LARGE;
		goto drop;
	}
	if (need > cap) {
		cap = cap ? cap * 2 : 16384;
		while (cap < need)
			cap *= 2;
		if (cap > most)
			cap = most;
		if (s->queued + (int64_t)(cap - r->body.cap) > s->queued_max) {
			r->refused = SLOG_ETHROTTLED;
			goto drop;
		}
		s->queued += (int64_t)(cap - r->body.cap);
		r->counted += (int64_t)(cap - r->body.cap);
		r->body.data = xrealloc(r->body.data, cap);
		r->body.cap = cap;
	}
	buf_add(&r->body, data, n);
	return;
drop:
	/* The rest is read and dropped: the answer goes after the body. */
	s->queued -= r->counted;
	r->counted = 0;
	buf_free(&r->body);
}

static int refuse_body(struct http_server *s, struct request *r)
{
	if (r->refused == SLOG_ETHROTTLED)
		return http_reply_error(r, SLOG_ETHROTTLED,
					"request bytes in flight are over queued.max.request.bytes "
					"(%lld bytes): try again later", (long long)s->queued_max);
	return http_reply_error(r, SLOG_EMESSAGE_TOO_LARGE, "request body over %s (%lld bytes)",
				r->route->body == DATA ? "socket.request.max.bytes"
						       : "http.json.max.bytes",
				(long long)r->body_limit);
}

void http_count_running(struct http_server *s, int delta)
{
	s->running += delta;
}

/*
 * Whether the route answers from the cluster's metadata: the data, group
 * and admin calls, and the metadata and cluster listings.  A broker that
 * has published none yet (a restarted node whose quorum has no leader
 * yet, an observer before its first fetch of the metadata log) cannot
 * tell a topic that does not exist from one it has not heard of: it
 * answers BROKER_NOT_AVAILABLE, which clients take to another broker or
 * retry, rather than a 404 they would believe.  Replication and
 * membership calls between brokers, and health checks, go on.
 */
static int needs_metadata(const struct route *rt)
{
	switch (rt->api) {
	case API_PRODUCE:
	case API_FETCH:
	case API_OFFSETS:
	case API_GROUPS:
	case API_ADMIN:
		return 1;
	default:
		return rt->fn == api_metadata || rt->fn == api_cluster;
	}
}

static int metadata_missing(struct http_server *s, struct request *r)
{
	return needs_metadata(r->route) && s->b->publisher &&
	       meta_publisher_offset(s->b->publisher) == 0;
}

/* Run the handler, or a continuation, counted in s->running. */
static int run(struct http_server *s, struct request *r, int resumed)
{
	int rc;

	s->running++;
	if (resumed)
		rc = r->resume(r);
	else if (s->closing)
		rc = answer_stopping(r);
	else if (r->refused)
		rc = refuse_body(s, r);
	else if (metadata_missing(s, r))
		rc = http_reply_error(r, SLOG_EBROKER_NOT_AVAILABLE,
				      "this broker has not loaded the cluster's metadata yet");
	else
		rc = r->route->fn(r, r->args);
	s->running--;
	return rc;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *upload_data,
				  size_t *upload_data_size, void **con_cls)
{
	struct http_server *s = cls;
	struct request *r = *con_cls;

	(void)version;
	if (!r) {
		*con_cls = r = request_new(s, conn, url, method);
		if (!request_begin(s, r))
			r->phase = PH_RUN;
		return MHD_YES;
	}
	if (*upload_data_size) {
		body_add(s, r, upload_data, *upload_data_size);
		*upload_data_size = 0;
		return MHD_YES;
	}
	switch (r->phase) {
	case PH_BODY:
		r->phase = PH_RUN;
		http_conns_phase(conn, HTTP_CONN_BUSY);
		return run(s, r, 0) ? MHD_YES : MHD_NO;
	case PH_RESUMED:
		r->phase = PH_RUN;
		return run(s, r, 1) ? MHD_YES : MHD_NO;
	default:
		/* Called again while suspended or already answered: nothing to do. */
		return MHD_YES;
	}
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct http_server *s = cls;
	struct request *r = *con_cls;

	if (!r)
		return;
	if (toe != MHD_REQUEST_TERMINATED_COMPLETED_OK && !r->status)
		r->status = 499; /* the client went away first */
	metrics_request(s->b->metrics, r->api, r->status ? r->status : 500,
			clock_mono_ns() - r->start_ns);
	http_conns_phase(conn, HTTP_CONN_IDLE);
	request_free(s, r);
	*con_cls = NULL;
	s->active--;
}

/*
 * The request line is in, its query not yet parsed.  libmicrohttpd keeps
 * each query argument in the connection's memory pool, and a few thousand
 * of them exhaust it: the request then gets no answer at all.  So a query
 * with too many arguments is cut off here, in libmicrohttpd's own buffer
 * (it parses the arguments after this callback, from this string), and the
 * request is answered 400 when its headers are in.
 */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
	char *q = strchr(uri, '?');
	int flags = 0, nargs = 1;

	(void)cls;
	http_conns_phase(conn, HTTP_CONN_HEADERS);
	if (strlen(uri) > URI_MAX)
		flags |= HTTP_CONN_URI_TOO_LONG;
	for (const char *p = q; p && *p; p++)
		nargs += *p == '&';
	if (q && nargs > ARGS_MAX)
		flags |= HTTP_CONN_TOO_MANY_ARGS;
	if (q && flags)
		q[1] = '\0';
	http_conns_set_flags(conn, flags);
	return NULL;
}

/* ---- answers ---- */

const char *http_query(struct request *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
}

const char *http_header(struct request *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

struct query_each {
	void (*fn)(void *arg, const char *name, const char *value);
	void *arg;
};

static enum MHD_Result query_arg(void *cls, enum MHD_ValueKind kind, const char *key,
				 const char *value)
{
	struct query_each *q = cls;

	(void)kind;
	q->fn(q->arg, key, value);
	return MHD_YES;
}

void http_query_each(struct request *r, void (*fn)(void *arg, const char *name, const char *value),
		     void *arg)
{
	struct query_each q = { fn, arg };

	MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND, query_arg, &q);
}

void http_peer(struct request *r, char *out, size_t len)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = ci ? ci->client_addr : NULL;

	snprintf(out, len, "-");
	if (sa && sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, out,
			  (socklen_t)len);
	else if (sa && sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, out,
			  (socklen_t)len);
}

int http_suspend(struct request *r, int (*cont)(struct request *r))
{
	struct http_server *s = r->server;

	r->resume = cont;
	pthread_mutex_lock(&s->lock);
	r->phase = PH_SUSPENDED;
	r->sprev = NULL;
	r->snext = s->suspended;
	if (s->suspended)
		s->suspended->sprev = r;
	s->suspended = r;
	pthread_mutex_unlock(&s->lock);
	MHD_suspend_connection(r->conn);
	return 1;
}

static void resume_locked(struct http_server *s, struct request *r)
{
	if (r->sprev)
		r->sprev->snext = r->snext;
	else
		s->suspended = r->snext;
	if (r->snext)
		r->snext->sprev = r->sprev;
	r->phase = PH_RESUMED;
	MHD_resume_connection(r->conn);
}

void http_resume(struct request *r)
{
	struct http_server *s = r->server;

	pthread_mutex_lock(&s->lock);
	/* Once abandoned at shutdown, a request is resumed only once. */
	if (r->phase == PH_SUSPENDED)
		resume_locked(s, r);
	pthread_mutex_unlock(&s->lock);
}

static void wait_until(struct http_server *s, _Atomic int *count, int64_t deadline_ms)
{
	(void)s;
	while (*count > 0 && clock_mono_ms() < deadline_ms)
		usleep(5000);
}

void http_close_handlers(struct http_server *s)
{
	s->closing = 1;
	/* Handlers are short: they block on nothing but the disk. */
	wait_until(s, &s->running, clock_mono_ms() + 30000);
	if (s->running)
		log_warn("%d request handlers still running at shutdown", (int)s->running);
}

void http_abandon(struct http_server *s, int64_t deadline_ms)
{
	pthread_mutex_lock(&s->lock);
	while (s->suspended) {
		struct request *r = s->suspended;
		r->resume = answer_stopping;
		resume_locked(s, r);
	}
	pthread_mutex_unlock(&s->lock);
	wait_until(s, &s->active, deadline_ms);
}

/* ---- the daemon ---- */

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[512];

	(void)cls;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	msg[strcspn(msg, "\n")] = '\0';
	log_debug("http: %s", msg);
}

static void limits_from_conf(struct http_server *s, struct http_conn_limits *l, int threads)
{
	const struct conf *c = &s->b->conf;

	l->reserve = HEALTH_RESERVE;
	l->max = http_conns_budget((int)conf_get_num(c, "max.connections"),
				   l->reserve + REFUSE_SLACK * threads,
				   conf_get_num(c, "log.segment.open.files.max") == 0);
	l->header_ms = conf_get_num(c, "http.request.header.timeout.ms");
	l->body_ms = conf_get_num(c, "http.request.body.timeout.ms");
	l->idle_ms = conf_get_num(c, "connections.max.idle.ms");
	s->queued_max = conf_get_num(c, "queued.max.request.bytes");
	s->json_max = conf_get_num(c, "http.json.max.bytes");
	http_policy_init(&s->policy, conf_get_str(c, "http.cors.allowed.origins"), s->b->listen_host,
			 s->b->host);
}

/* A closed connection may be a broker's heartbeat connection: the
 * controller fences that broker at once (broker_lifecycle.h). */
static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
			  enum MHD_ConnectionNotificationCode code)
{
	struct http_server *s = cls;

	if (code == MHD_CONNECTION_NOTIFY_CLOSED && s->b->lifecycle)
		broker_lifecycle_conn_closed(s->b->lifecycle, http_conns_id(conn));
	http_conns_notify(s->conns, conn, socket_context, code);
}

static void server_free(struct http_server *s)
{
	if (s->listen_fd >= 0)
		close(s->listen_fd);
	http_conns_free(s->conns);
	http_policy_free(&s->policy);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

struct http_server *http_start(struct broker *b, int listen_fd, int threads, struct err *e)
{
	struct http_server *s = xcalloc(1, sizeof(*s));
	unsigned idle_s = (unsigned)(conf_get_num(&b->conf, "connections.max.idle.ms") / 1000);
	struct http_conn_limits l;

	s->b = b;
	pthread_mutex_init(&s->lock, NULL);
	limits_from_conf(s, &l, threads);
	s->listen_fd = listen_fd;
	s->port = http_conns_port(listen_fd);
	s->conns = http_conns_new(&l);
	/* libmicrohttpd's own limit is above ours, so that it keeps accepting
	 * and we answer (429) rather than leave sockets in the backlog. */
	s->d = MHD_start_daemon(MHD_USE_EPOLL_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME |
					MHD_USE_ERROR_LOG,
				0, NULL, NULL, on_request, s,
				MHD_OPTION_LISTEN_SOCKET, s->listen_fd,
				MHD_OPTION_THREAD_POOL_SIZE, (unsigned)threads,
				MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
				MHD_OPTION_NOTIFY_CONNECTION, on_connection, s,
				MHD_OPTION_URI_LOG_CALLBACK, on_uri, s,
				MHD_OPTION_CONNECTION_LIMIT,
				(unsigned)(l.max + l.reserve + REFUSE_SLACK * threads),
				MHD_OPTION_PER_IP_CONNECTION_LIMIT,
				(unsigned)conf_get_num(&b->conf, "max.connections.per.ip"),
				MHD_OPTION_CONNECTION_TIMEOUT, idle_s,
				MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(256 << 10),
				MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
				MHD_OPTION_END);
	if (!s->d) {
		err_set(e, SLOG_EIO, "cannot start the HTTP server on port %d", s->port);
		server_free(s);
		return NULL;
	}
	return s;
}

int http_port(const struct http_server *s)
{
	return s->port;
}

/*
 * Not MHD_quiesce_daemon(): in libmicrohttpd 0.9.75 it removes the listen
 * socket from each worker's epoll set while the worker may be doing the
 * same, and aborts the process when it loses that race ("Failed to remove
 * listen FD from epoll set").  A worker whose accept() meets EMFILE with
 * no connection open retries in a busy loop, so a broker out of
 * descriptors lost it on SIGTERM.  Shutting the socket down makes the
 * kernel refuse new connections without touching MHD's epoll sets; the
 * workers see it hung up (and spin on that until MHD_stop_daemon(), a
 * bounded drain), and MHD_stop_daemon() still closes it.
 */
void http_quiesce(struct http_server *s)
{
	if (s->listen_fd >= 0)
		shutdown(s->listen_fd, SHUT_RD);
	s->listen_fd = -1; /* MHD_stop_daemon() closes it */
}

int http_active(struct http_server *s)
{
	return s->active;
}

void http_stop(struct http_server *s)
{
	MHD_stop_daemon(s->d);
	server_free(s);
}
