/*
 * http_serve.c: libmicrohttpd under slog-connect's REST API and the
 * http-source (http_serve.h).
 *
 * libmicrohttpd calls on_request several times per request: once when the
 * headers are in (we make the request's state), once per piece of body,
 * and once more with nothing left (we call the handler).  A body over the
 * limit that announces its length is refused before it is read; one that
 * does not (chunked) is read and dropped, so the client is not left
 * writing into a closed socket.  A suspended request is called once more
 * after http_resume(), and sends the answer its resumer set.
 */
#include "ops/http_serve.h"

#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "log.h"
#include "units.h"
#include "xalloc.h"

struct http_serve {
	struct MHD_Daemon *d;
	struct http_serve_opts o;
	int port;
};

int http_listener_parse(const char *listener, char *host, size_t size, int *port, struct err *e)
{
	const char *p = listener, *colon;
	int64_t v;

	if (strncmp(p, "http://", 7) == 0)
		p += 7;
	else if (strstr(p, "://"))
		return err_set(e, SLOG_EINVALID_CONFIG, "listener '%s': only http:// is served",
			       listener);
	if (*p == '[') {
		const char *close = strchr(p, ']');
		if (!close || close[1] != ':')
			return err_set(e, SLOG_EINVALID_CONFIG, "listener '%s' is not [host]:port",
				       listener);
		snprintf(host, size, "%.*s", (int)(close - p - 1), p + 1);
		colon = close + 1;
	} else {
		colon = strrchr(p, ':');
		if (!colon)
			return err_set(e, SLOG_EINVALID_CONFIG, "listener '%s' is not host:port",
				       listener);
		snprintf(host, size, "%.*s", (int)(colon - p), p);
	}
	/* A trailing slash is what people paste from a browser. */
	char portbuf[16];
	snprintf(portbuf, sizeof(portbuf), "%.*s", (int)strcspn(colon + 1, "/"), colon + 1);
	if (units_parse_int(portbuf, 0, 65535, &v, NULL))
		return err_set(e, SLOG_EINVALID_CONFIG, "listener '%s' has no valid port", listener);
	*port = (int)v;
	return 0;
}

/* ---- requests ---- */

static void req_free(struct http_req *r)
{
	buf_free(&r->body);
	free(r->answer);
	for (int i = 0; i < r->nhdr; i++) {
		free(r->hdr_name[i]);
		free(r->hdr_value[i]);
	}
	free(r);
}

const char *http_req_arg(const struct http_req *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
}

const char *http_req_header(const struct http_req *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

struct arg_has {
	const char *name, *value;
	int found;
};

static enum MHD_Result arg_has_one(void *cls, enum MHD_ValueKind kind, const char *key,
				   const char *value)
{
	struct arg_has *a = cls;
	size_t n = strlen(a->value);

	(void)kind;
	if (!value || strcmp(key, a->name) != 0)
		return MHD_YES;
	for (const char *p = value; *p;) {
		size_t len = strcspn(p, ",");
		if (len == n && strncmp(p, a->value, n) == 0)
			a->found = 1;
		p += len + (p[len] == ',');
	}
	return MHD_YES;
}

int http_req_arg_has(const struct http_req *r, const char *name, const char *value)
{
	struct arg_has a = { name, value, 0 };
	MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND, arg_has_one, &a);
	return a.found;
}

struct header_walk {
	int (*fn)(void *arg, const char *name, const char *value);
	void *arg;
};

static enum MHD_Result header_one(void *cls, enum MHD_ValueKind kind, const char *key,
				  const char *value)
{
	struct header_walk *w = cls;
	(void)kind;
	return w->fn(w->arg, key, value ? value : "") ? MHD_NO : MHD_YES;
}

void http_req_headers(const struct http_req *r,
		      int (*fn)(void *arg, const char *name, const char *value), void *arg)
{
	struct header_walk w = { fn, arg };
	MHD_get_connection_values(r->conn, MHD_HEADER_KIND, header_one, &w);
}

void http_reply(struct http_req *r, int status, const char *content_type, const void *body,
		size_t len)
{
	free(r->answer);
	r->answer = body && len ? xmemdup(body, len) : NULL;
	r->answer_len = r->answer ? len : 0;
	r->content_type = content_type;
	r->status = status;
}

void http_reply_json(struct http_req *r, int status, json_t *j_take)
{
	char *s = json_dumps(j_take, JSON_COMPACT);
	json_decref(j_take);
	free(r->answer);
	r->answer = NULL;
	r->answer_len = 0;
	if (s) {
		size_t n = strlen(s);
		/* A newline ends the answer, as curl users expect. */
		r->answer = xrealloc(s, n + 2);
		r->answer[n] = '\n';
		r->answer[n + 1] = '\0';
		r->answer_len = n + 1;
	}
	r->content_type = "application/json";
	r->status = status;
}

void http_reply_error(struct http_req *r, int status, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	http_reply_json(r, status, json_pack("{s:i, s:s}", "error_code", status, "message", msg));
}

void http_reply_header(struct http_req *r, const char *name, const char *value)
{
	if (r->nhdr == HTTP_REQ_HEADERS)
		return;
	r->hdr_name[r->nhdr] = xstrdup(name);
	r->hdr_value[r->nhdr] = xstrdup(value);
	r->nhdr++;
}

void http_suspend(struct http_req *r)
{
	r->suspended = 1;
	MHD_suspend_connection(r->conn);
}

void http_resume(struct http_req *r)
{
	MHD_resume_connection(r->conn);
}

static enum MHD_Result send_answer(struct http_req *r)
{
	struct MHD_Response *resp;
	enum MHD_Result ok;

	resp = MHD_create_response_from_buffer(r->answer_len, r->answer,
					       r->answer ? MHD_RESPMEM_MUST_FREE
							 : MHD_RESPMEM_PERSISTENT);
	if (!resp)
		return MHD_NO;
	r->answer = NULL; /* the response owns it now */
	if (r->content_type)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, r->content_type);
	for (int i = 0; i < r->nhdr; i++)
		MHD_add_response_header(resp, r->hdr_name[i], r->hdr_value[i]);
	ok = MHD_queue_response(r->conn, (unsigned)r->status, resp);
	MHD_destroy_response(resp);
	return ok;
}

/* The request's state, made when its headers are in. */
static struct http_req *req_new(struct http_serve *s, struct MHD_Connection *conn,
				const char *url, const char *method)
{
	struct http_req *r = xcalloc(1, sizeof(*r));
	const char *cl;
	int64_t n;

	r->conn = conn;
	r->method = method;
	r->path = url;
	cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (cl && units_parse_int(cl, 0, INT64_MAX, &n, NULL) == 0 && n > s->o.max_body)
		r->body_too_large = 1;
	return r;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version,
				  const char *upload_data, size_t *upload_data_size, void **con_cls)
{
	struct http_serve *s = cls;
	struct http_req *r = *con_cls;

	(void)version;
	if (!r) {
		r = req_new(s, conn, url, method);
		*con_cls = r;
		if (!r->body_too_large)
			return MHD_YES;
		/* Refused before the body is read: libmicrohttpd closes after. */
		s->o.handler(s->o.arg, r);
		return send_answer(r);
	}
	if (*upload_data_size) {
		if (!r->body_too_large && r->body.len + *upload_data_size <= (size_t)s->o.max_body)
			buf_add(&r->body, upload_data, *upload_data_size);
		else
			r->body_too_large = 1;
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (r->suspended) { /* resumed: the answer is set */
		r->suspended = 0;
		return send_answer(r);
	}
	s->o.handler(s->o.arg, r);
	if (r->suspended)
		return MHD_YES;
	return send_answer(r);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	(void)cls;
	(void)conn;
	(void)toe;
	if (*con_cls)
		req_free(*con_cls);
	*con_cls = NULL;
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[512];

	(void)cls;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	msg[strcspn(msg, "\n")] = '\0';
	log_debug("http: %s", msg);
}

/* ---- the daemon ---- */

static int resolve(const char *listener, struct sockaddr_storage *ss, int *port, struct err *e)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_PASSIVE };
	struct addrinfo *res;
	char host[256], service[16];
	int gai;

	if (http_listener_parse(listener, host, sizeof(host), port, e))
		return SLOG_EINVALID_CONFIG;
	snprintf(service, sizeof(service), "%d", *port);
	gai = getaddrinfo(*host ? host : NULL, service, &hints, &res);
	if (gai)
		return err_set(e, SLOG_EINVALID_CONFIG, "listener '%s': cannot resolve '%s': %s",
			       listener, host, gai_strerror(gai));
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	freeaddrinfo(res);
	return 0;
}

struct http_serve *http_serve_start(const struct http_serve_opts *o, struct err *e)
{
	struct sockaddr_storage ss = { 0 };
	struct http_serve *s;
	unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME |
			 MHD_USE_ERROR_LOG;
	int port;

	if (resolve(o->listener, &ss, &port, e))
		return NULL;
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	s = xcalloc(1, sizeof(*s));
	s->o = *o;
	s->d = MHD_start_daemon(flags, (uint16_t)port, NULL, NULL, on_request, s,
				MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
				MHD_OPTION_THREAD_POOL_SIZE, (unsigned)(o->threads > 0 ? o->threads : 1),
				MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
				MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)60,
				MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
				MHD_OPTION_END);
	if (!s->d) {
		err_set(e, SLOG_EIO, "cannot listen on '%s': %s", o->listener,
			errno ? strerror(errno) : "address in use or not local");
		free(s);
		return NULL;
	}
	const union MHD_DaemonInfo *di = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
	s->port = di ? di->port : port;
	return s;
}

int http_serve_port(const struct http_serve *s)
{
	return s->port;
}

void http_serve_stop(struct http_serve *s)
{
	if (!s)
		return;
	MHD_stop_daemon(s->d);
	free(s);
}
