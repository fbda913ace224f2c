/*
 * http_reply.c: the answers handlers give.  See http_server.h.
 *
 * An answer is queued on the request's connection, or kept while its
 * handler runs off the server's threads (http_defer.h) and sent when the
 * request resumes.
 */
#include <microhttpd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "http/http_server.h"
#include "xalloc.h"

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
	if (r->deferring) { /* off the server's threads: kept for later */
		if (r->kept)
			MHD_destroy_response(r->kept);
		r->kept = resp;
		r->kept_status = status;
		return 1;
	}
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

/* A streamed answer's reader and its owner's hooks. */
struct stream {
	long (*read)(void *arg, uint64_t pos, char *out, size_t max);
	void (*done)(void *arg);
	void *arg;
};

static ssize_t stream_read(void *cls, uint64_t pos, char *out, size_t max)
{
	struct stream *st = cls;
	long n = st->read(st->arg, pos, out, max);

	return n < 0 ? MHD_CONTENT_READER_END_WITH_ERROR : (ssize_t)n;
}

static void stream_free(void *cls)
{
	struct stream *st = cls;

	st->done(st->arg);
	free(st);
}

int http_reply_stream(struct request *r, int status, const char *content_type, uint64_t len,
		      long (*read)(void *arg, uint64_t pos, char *out, size_t max),
		      void (*done)(void *arg), void *arg)
{
	struct stream *st = xmalloc(sizeof(*st));
	struct MHD_Response *resp;

	*st = (struct stream){ .read = read, .done = done, .arg = arg };
	resp = MHD_create_response_from_callback(len, 64 * 1024, stream_read, st, stream_free);
	if (!resp) {
		stream_free(st);
		return 0;
	}
	return queue(r, status, resp, content_type);
}

int http_send_kept(struct request *r)
{
	struct MHD_Response *resp = r->kept;
	enum MHD_Result ok;

	r->deferring = 0;
	r->kept = NULL;
	if (!resp)
		return http_reply_error(r, SLOG_EUNKNOWN, "the request was not answered");
	ok = MHD_queue_response(r->conn, (unsigned)r->kept_status, resp);
	MHD_destroy_response(resp);
	return ok == MHD_YES;
}
