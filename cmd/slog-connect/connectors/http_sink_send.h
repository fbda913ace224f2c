/*
 * http_sink_send.h: one request of the HTTP sink, over a kept-alive
 * libcurl handle.
 *
 * The request carries the connector's fixed headers (http.headers, the
 * bearer token), its content type and an Idempotency-Key naming the
 * records it holds (<topic>-<partition>-<first>-<last>), so that a
 * receiver can drop the copy a retry after a lost answer sends again.
 * The answer's status, its Retry-After and the start of its body are
 * kept for the sink to decide (http_sink_policy.h) and to say why.
 *
 * Blocks up to the request timeout.  One task uses a connection.
 */
#ifndef SLOG_HTTP_SINK_SEND_H
#define SLOG_HTTP_SINK_SEND_H

#include <curl/curl.h>
#include <signal.h>
#include <stdint.h>

#include "buf.h"
#include "err.h"
#include "http_client.h"

struct http_sink_conn {
	CURL *curl;
	struct curl_slist *fixed;   /* http.headers and Authorization */
	const char *method;         /* POST or PUT */
	long timeout_ms, connect_ms;
	struct http_response resp;
	int64_t retry_after_ms;     /* of the last answer; -1: none */
	/* When set, a request in flight is abandoned as soon as *stop is
	 * (the task's stop flag): a stop never waits out a slow server. */
	const volatile sig_atomic_t *stop;
};

/* NULL fields for none.  headers is "Name: value|Name: value". */
int http_sink_conn_init(struct http_sink_conn *c, const char *method, const char *headers,
			const char *bearer, long timeout_ms, long connect_ms, struct err *e);
void http_sink_conn_free(struct http_sink_conn *c);

/* Add one "Name: value" header to the fixed ones; SLOG_EINVALID_CONFIG if it is not one. */
int http_sink_conn_header(struct http_sink_conn *c, const char *line, struct err *e);

/*
 * Send body to url.  0 when an answer came (*status, c->resp.body,
 * c->retry_after_ms), SLOG_ENETWORK or SLOG_EREQUEST_TIMED_OUT with e
 * when none did.
 */
int http_sink_send(struct http_sink_conn *c, const char *url, const char *content_type,
		   const char *idempotency_key, const void *body, size_t len, long *status,
		   struct err *e);

/* Up to max bytes of the last answer's body, control bytes as spaces, for messages. */
void http_sink_excerpt(const struct http_sink_conn *c, size_t max, struct buf *out);

#endif
