/*
 * http_server.c: requests, routing and answers on libmicrohttpd.
 * See http_server.h.
 */
#include "http_server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "api.h"
#include "broker.h"
#include "log.h"
#include "units.h"
#include "xalloc.h"

struct http_server {
	struct MHD_Daemon *d;
	struct broker *b;
	int port;
	int listen_fd;
	_Atomic int active;
};

enum { PH_BODY, PH_RUN, PH_SUSPENDED, PH_RESUMED };

struct route {
	const char *method;
	const char *pattern; /* '*' matches one path segment */
	enum api api;
	int (*fn)(struct request *r, char **args);
};

static const struct route routes[] = {
	{ "GET", "/healthz", API_HEALTH, api_healthz },
	{ "GET", "/readyz", API_HEALTH, api_readyz },
	{ "GET", "/metrics", API_METRICS, api_metrics },
	{ "GET", "/v1/cluster", API_METADATA, api_cluster },
	{ "GET", "/v1/metadata", API_METADATA, api_metadata },
	{ "GET", "/v1/topics", API_ADMIN, api_topics_list },
	{ "POST", "/v1/topics", API_ADMIN, api_topics_create },
	{ "GET", "/v1/topics/*", API_ADMIN, api_topic_describe },
	{ "DELETE", "/v1/topics/*", API_ADMIN, api_topic_delete },
	{ "GET", "/v1/topics/*/configs", API_ADMIN, api_topic_configs_get },
	{ "PATCH", "/v1/topics/*/configs", API_ADMIN, api_topic_configs_alter },
	{ "POST", "/v1/topics/*/partitions", API_ADMIN, api_partitions_add },
	{ "POST", "/v1/topics/*/records", API_PRODUCE, api_produce_topic },
	{ "POST", "/v1/topics/*/partitions/*/records", API_PRODUCE, api_produce_partition },
	{ "GET", "/v1/topics/*/partitions/*/records", API_FETCH, api_fetch },
	{ "GET", "/v1/topics/*/partitions/*/offsets", API_OFFSETS, api_offsets },
	{ "GET", "/v1/groups", API_GROUPS, api_groups_list },
	{ "GET", "/v1/groups/*", API_GROUPS, api_group_describe },
	{ "DELETE", "/v1/groups/*", API_GROUPS, api_group_delete },
	{ "POST", "/v1/groups/*/heartbeat", API_GROUPS, api_group_heartbeat },
	{ "POST", "/v1/groups/*/leave", API_GROUPS, api_group_leave },
	{ "GET", "/v1/groups/*/offsets", API_GROUPS, api_group_offsets_get },
	{ "POST", "/v1/groups/*/offsets", API_GROUPS, api_group_offsets_commit },
};
#define NROUTES (sizeof(routes) / sizeof(routes[0]))
#define MAX_SEGS HTTP_MAX_ARGS

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

http_handler http_route(const char *method, char *path, char **args, enum api *api, char *allow,
			size_t allow_size)
{
	char *segs[MAX_SEGS + 1];
	int n = split_path(path, segs);

	*allow = '\0';
	for (size_t i = 0; i < NROUTES && n <= MAX_SEGS; i++) {
		if (!pattern_match(routes[i].pattern, segs, n, args))
			continue;
		if (strcmp(routes[i].method, method) == 0) {
			*api = routes[i].api;
			*allow = '\0';
			return routes[i].fn;
		}
		if (strlen(allow) + strlen(routes[i].method) + 3 < allow_size)
			snprintf(allow + strlen(allow), allow_size - strlen(allow), "%s%s",
				 *allow ? ", " : "", routes[i].method);
	}
	return NULL;
}

static int route(struct request *r)
{
	char *path = xstrdup(r->path), *args[HTTP_MAX_ARGS], allow[64];
	http_handler fn = http_route(r->method, path, args, &r->api, allow, sizeof(allow));
	int rc;

	if (fn) {
		rc = fn(r, args);
	} else if (*allow) {
		http_add_header(r, "Allow", allow);
		rc = http_reply_error(r, SLOG_EMETHOD_NOT_ALLOWED, "%s is not allowed on %s (allowed: %s)",
				      r->method, r->path, allow);
	} else {
		rc = http_reply_error(r, SLOG_ENOT_FOUND, "no such resource: %s", r->path);
	}
	free(path);
	return rc;
}

static struct request *request_new(struct http_server *s, struct MHD_Connection *conn,
				   const char *url, const char *method)
{
	struct request *r = xcalloc(1, sizeof(*r));
	const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	int64_t len;

	r->b = s->b;
	r->conn = conn;
	r->method = method;
	r->path = xstrdup(url);
	r->api = API_OTHER;
	r->start_ns = clock_mono_ns();
	r->phase = PH_BODY;
	if (cl && units_parse_int(cl, 0, INT64_MAX, &len, NULL) == 0) {
		if (len > s->b->request_max_bytes)
			r->too_large = 1;
		else
			buf_grow(&r->body, (size_t)len);
	}
	s->active++;
	return r;
}

static void request_free(struct request *r)
{
	if (r->free_state)
		r->free_state(r->state);
	for (int i = 0; i < r->nhdrs; i++) {
		free(r->hdr_name[i]);
		free(r->hdr_value[i]);
	}
	buf_free(&r->body);
	free(r->path);
	free(r);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *upload_data,
				  size_t *upload_data_size, void **con_cls)
{
	struct http_server *s = cls;
	struct request *r = *con_cls;

	(void)version;
	if (!r) {
		*con_cls = request_new(s, conn, url, method);
		return MHD_YES;
	}
	if (*upload_data_size) {
		if (!r->too_large && r->body.len + *upload_data_size > (size_t)s->b->request_max_bytes)
			r->too_large = 1;
		if (!r->too_large)
			buf_add(&r->body, upload_data, *upload_data_size);
		*upload_data_size = 0;
		return MHD_YES;
	}
	switch (r->phase) {
	case PH_BODY:
		r->phase = PH_RUN;
		if (r->too_large)
			return http_reply_error(r, SLOG_EMESSAGE_TOO_LARGE,
						"request body over socket.request.max.bytes (%lld bytes)",
						(long long)s->b->request_max_bytes);
		return route(r) ? MHD_YES : MHD_NO;
	case PH_RESUMED:
		r->phase = PH_RUN;
		return r->resume(r) ? MHD_YES : MHD_NO;
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

	(void)conn;
	if (!r)
		return;
	if (toe != MHD_REQUEST_TERMINATED_COMPLETED_OK && !r->status)
		r->status = 499; /* the client went away first */
	metrics_request(s->b->metrics, r->api, r->status ? r->status : 500,
			clock_mono_ns() - r->start_ns);
	request_free(r);
	*con_cls = NULL;
	s->active--;
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

void http_add_header(struct request *r, const char *name, const char *value)
{
	if (r->nhdrs == (int)(sizeof(r->hdr_name) / sizeof(r->hdr_name[0])))
		return;
	r->hdr_name[r->nhdrs] = xstrdup(name);
	r->hdr_value[r->nhdrs] = xstrdup(value);
	r->nhdrs++;
}

static int queue(struct request *r, int status, struct MHD_Response *resp, const char *ctype)
{
	enum MHD_Result ok;

	if (!resp)
		return 0;
	if (ctype)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
	for (int i = 0; i < r->nhdrs; i++)
		MHD_add_response_header(resp, r->hdr_name[i], r->hdr_value[i]);
	r->status = status;
	ok = MHD_queue_response(r->conn, (unsigned)status, resp);
	MHD_destroy_response(resp);
	return ok == MHD_YES;
}

int http_reply(struct request *r, int status, const char *content_type, struct buf *body)
{
	struct MHD_Response *resp;
	size_t len = 0;
	char *data = NULL;

	if (body && body->len)
		data = buf_detach(body, &len);
	else if (body)
		buf_free(body);
	resp = MHD_create_response_from_buffer(len, data, data ? MHD_RESPMEM_MUST_FREE
							    : MHD_RESPMEM_PERSISTENT);
	return queue(r, status, resp, content_type);
}

int http_reply_json(struct request *r, int status, json_t *j)
{
	struct buf b = BUF_INIT;
	char *text = json_dumps(j, JSON_COMPACT);

	json_decref(j);
	buf_adds(&b, text ? text : "null");
	buf_addc(&b, '\n');
	free(text);
	return http_reply(r, status, "application/json", &b);
}

static int reply_error_v(struct request *r, int code, json_t *extra, const char *fmt, va_list ap)
{
	char msg[512];
	json_t *err;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	err = json_pack("{s:s, s:s}", "code", err_name(code), "message", msg);
	if (extra) {
		json_object_update(err, extra);
		json_decref(extra);
	}
	return http_reply_json(r, err_http_status(code), json_pack("{s:o}", "error", err));
}

int http_reply_error(struct request *r, int code, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = reply_error_v(r, code, NULL, fmt, ap);
	va_end(ap);
	return rc;
}

int http_reply_error_with(struct request *r, int code, json_t *extra, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = reply_error_v(r, code, extra, fmt, ap);
	va_end(ap);
	return rc;
}

int http_reply_err(struct request *r, const struct err *e)
{
	return http_reply_error(r, e->code ? e->code : SLOG_EUNKNOWN, "%s", e->msg);
}

int http_reply_fd(struct request *r, int status, const char *content_type, int fd,
		  uint64_t offset, uint64_t len)
{
	struct MHD_Response *resp;

	resp = MHD_create_response_from_fd_at_offset64(len, fd, offset);
	if (!resp) {
		close(fd);
		return 0;
	}
	return queue(r, status, resp, content_type);
}

int http_suspend(struct request *r, int (*cont)(struct request *r))
{
	r->resume = cont;
	r->phase = PH_SUSPENDED;
	MHD_suspend_connection(r->conn);
	return 1;
}

void http_resume(struct request *r)
{
	r->phase = PH_RESUMED;
	MHD_resume_connection(r->conn);
}

/* ---- the daemon ---- */

static int listen_on(const char *host, int port, int *bound, struct err *e)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_PASSIVE };
	struct addrinfo *res, *ai;
	char service[16];
	int fd = -1, one = 1, gai;

	snprintf(service, sizeof(service), "%d", port);
	gai = getaddrinfo(*host ? host : NULL, service, &hints, &res);
	if (gai)
		return err_set(e, SLOG_EINVALID_CONFIG, "listeners: cannot resolve '%s': %s", host,
			       gai_strerror(gai));
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, 0);
		if (fd < 0)
			continue;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, 1024) == 0)
			break;
		close(fd);
		fd = -1;
	}
	if (fd < 0) {
		int errnum = errno;
		freeaddrinfo(res);
		return err_set(e, SLOG_EIO, "cannot listen on %s:%d: %s", host, port, strerror(errnum));
	}
	{
		struct sockaddr_storage ss;
		socklen_t len = sizeof(ss);
		getsockname(fd, (struct sockaddr *)&ss, &len);
		*bound = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
							 : ((struct sockaddr_in *)&ss)->sin_port);
	}
	freeaddrinfo(res);
	return fd;
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[512];

	(void)cls;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	msg[strcspn(msg, "\n")] = '\0';
	log_debug("http: %s", msg);
}

struct http_server *http_start(struct broker *b, const char *host, int port, int threads,
			       struct err *e)
{
	struct http_server *s = xcalloc(1, sizeof(*s));
	unsigned idle_s = (unsigned)(conf_get_num(&b->conf, "connections.max.idle.ms") / 1000);

	s->b = b;
	s->listen_fd = listen_on(host, port, &s->port, e);
	if (s->listen_fd < 0) {
		free(s);
		return NULL;
	}
	s->d = MHD_start_daemon(MHD_USE_EPOLL_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME |
					MHD_USE_ERROR_LOG,
				0, NULL, NULL, on_request, s,
				MHD_OPTION_LISTEN_SOCKET, s->listen_fd,
				MHD_OPTION_THREAD_POOL_SIZE, (unsigned)threads,
				MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
				MHD_OPTION_CONNECTION_TIMEOUT, idle_s,
				MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(256 << 10),
				MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
				MHD_OPTION_END);
	if (!s->d) {
		close(s->listen_fd);
		free(s);
		err_set(e, SLOG_EIO, "cannot start the HTTP server on %s:%d", host, port);
		return NULL;
	}
	return s;
}

int http_port(const struct http_server *s)
{
	return s->port;
}

void http_quiesce(struct http_server *s)
{
	int fd = MHD_quiesce_daemon(s->d);

	if (fd >= 0)
		close(fd);
	s->listen_fd = -1;
}

int http_active(struct http_server *s)
{
	return s->active;
}

void http_stop(struct http_server *s)
{
	MHD_stop_daemon(s->d);
	if (s->listen_fd >= 0)
		close(s->listen_fd);
	free(s);
}
