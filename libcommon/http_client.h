/*
 * http_client.h: requests to a broker over libcurl.
 *
 * One struct http_client per broker address keeps its connection alive
 * across requests.  A call returns 0 for a 2xx answer; for an error
 * answer it returns the slog error code named in the body
 * ({"error":{"code":"NOT_LEADER",...}}) with the broker's message; when
 * the broker cannot be reached it returns SLOG_ENETWORK with curl's
 * reason and the address.  Deadlines are absolute (monotonic ms), so a
 * caller's --timeout-ms bounds all its requests together, retries
 * included.
 *
 * Programs that keep many requests in flight (slog-produce, slog-consume)
 * drive curl's multi interface themselves; http_easy_setup() and
 * http_response_finish() give them the same request setup and answer
 * decoding.
 */
#ifndef SLOG_HTTP_CLIENT_H
#define SLOG_HTTP_CLIENT_H

#include <curl/curl.h>
#include <jansson.h>
#include <stdint.h>

#include "buf.h"
#include "clock.h"
#include "err.h"

struct http_response {
	long status;
	struct buf body;
	char content_type[64];
	int64_t high_watermark; /* from Slog-* headers; -1 when absent */
	int64_t log_start;
	int64_t next_offset;
};

struct http_client {
	CURL *curl;
	char base[300]; /* http://host:port */
	struct curl_slist *headers;
	long connect_ms;  /* the most a connection may take; 0: until the deadline */
	int not_sent;     /* the last call failed before its request left */
};

#define SLOG_DEFAULT_PORT 9292

/*
 * broker is host[:port], [IPv6][:port] or a bare IPv6 address, with or
 * without http://; without a port it is SLOG_DEFAULT_PORT.
 */
int http_client_init(struct http_client *c, const char *broker, struct err *e);

/*
 * broker (as http_client_init takes it) into "http://host:port[/path]" in
 * base; SLOG_EINVALID_REQUEST naming the address when it is not one.
 */
int http_broker_base(const char *broker, char *base, size_t size, struct err *e);
void http_client_free(struct http_client *c);

/* "http://host:port", with an IPv6 host in brackets. */
void http_base_url(char *out, size_t size, const char *host, long port);

/*
 * One request.  body may be NULL.  r (may be NULL) receives the answer;
 * on success its body holds the response.  Returns 0 or SLOG_E*.
 */
int http_call(struct http_client *c, const char *method, const char *path,
	      const char *content_type, const void *body, size_t len, int64_t deadline_ms,
	      struct http_response *r, struct err *e);

/* A JSON request (body may be NULL) and a JSON answer (*out owned by the caller). */
int http_json(struct http_client *c, const char *method, const char *path, json_t *body,
	      int64_t deadline_ms, json_t **out, struct err *e);

/*
 * The body of an answer as JSON (*out owned by the caller);
 * SLOG_EUNKNOWN naming where (the URL asked) when it is not JSON.
 */
int http_response_json(const struct http_response *r, const char *where, json_t **out,
		       struct err *e);

void http_response_init(struct http_response *r);
void http_response_free(struct http_response *r);

/* For multi-interface users: prepare an easy handle for one request. */
void http_easy_setup(CURL *h, const char *url, const char *method, struct curl_slist *headers,
		     const void *body, size_t len, long timeout_ms, struct http_response *r);
/* After curl finished the handle with code: 0 or SLOG_E* with e set. */
int http_response_finish(CURL *h, CURLcode code, const char *url, struct http_response *r,
			 struct err *e);

/* An error answer that names where to go instead (NOT_COORDINATOR's
 * {"error":{"coordinator":{"host","port"}}}): 1 with its base URL. */
int http_error_redirect(const struct http_response *r, char *base, size_t len);

/*
 * The broker an error answer names under key ("leader" in NOT_LEADER,
 * "controller" in NOT_CONTROLLER, "coordinator"): {"url":"http://h:p"} or
 * {"host":h,"port":p}.  1 with its base URL, 0 when it names none.
 */
int http_error_where(const struct http_response *r, const char *key, char *base, size_t len);

/*
 * Did a transfer that ended with code fail before its request left (no
 * connection could be made)?  Then the broker surely did nothing.
 */
int http_not_sent(CURL *h, CURLcode code);

/* Percent-encode a path segment or query value (topic names are safe). */
void http_escape(struct buf *out, const char *s);

#endif
