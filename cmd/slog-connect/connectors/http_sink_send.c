/*
 * http_sink_send.c: the HTTP sink's requests (http_sink_send.h).
 *
 * The request setup is libcommon's (http_easy_setup: no proxy from the
 * environment, TCP_NODELAY, the body capture); only the header callback
 * is ours, for Retry-After, and the answer is read as any server's, not
 * as a broker's error JSON.
 */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "clock.h"
#include "connectors/http_sink_policy.h"
#include "connectors/http_sink_send.h"

int http_sink_conn_header(struct http_sink_conn *c, const char *line, struct err *e)
{
	const char *colon = strchr(line, ':');

	if (!colon || colon == line || strpbrk(line, "\r\n"))
		return err_set(e, SLOG_EINVALID_CONFIG, "header '%s' is not 'Name: value'", line);
	c->fixed = curl_slist_append(c->fixed, line);
	return 0;
}

int http_sink_conn_init(struct http_sink_conn *c, const char *method, const char *headers,
			const char *bearer, long timeout_ms, long connect_ms, struct err *e)
{
	struct buf one = BUF_INIT;
	int rc = 0;

	memset(c, 0, sizeof(*c));
	http_response_init(&c->resp);
	c->method = method;
	c->timeout_ms = timeout_ms;
	c->connect_ms = connect_ms;
	c->curl = curl_easy_init();
	if (!c->curl)
		return err_set(e, SLOG_ENOMEM, "cannot start libcurl");
	/* Without this, curl waits a second for a 100 Continue on large bodies. */
	c->fixed = curl_slist_append(c->fixed, "Expect:");
	for (const char *p = headers ? headers : ""; *p && !rc;) {
		size_t n = strcspn(p, "|");
		buf_reset(&one);
		buf_add(&one, p, n);
		if (one.len > 0)
			rc = http_sink_conn_header(c, buf_cstr(&one), e);
		p += n + (p[n] == '|');
	}
	if (!rc && bearer) {
		buf_reset(&one);
		buf_addf(&one, "Authorization: Bearer %s", bearer);
		c->fixed = curl_slist_append(c->fixed, one.data);
	}
	buf_free(&one);
	return rc;
}

void http_sink_conn_free(struct http_sink_conn *c)
{
	if (c->curl)
		curl_easy_cleanup(c->curl);
	curl_slist_free_all(c->fixed);
	http_response_free(&c->resp);
	memset(c, 0, sizeof(*c));
}

static size_t on_header(char *p, size_t size, size_t n, void *arg)
{
	struct http_sink_conn *c = arg;
	size_t len = size * n;
	char value[128];

	if (len > 12 && strncasecmp(p, "Retry-After:", 12) == 0) {
		size_t vlen = len - 12;
		while (vlen && isspace((unsigned char)p[12 + vlen - 1]))
			vlen--;
		snprintf(value, sizeof(value), "%.*s", (int)vlen, p + 12);
		c->retry_after_ms = http_retry_after_ms(value, clock_wall_ms());
	}
	return len;
}

static int on_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
		       curl_off_t ulnow)
{
	const struct http_sink_conn *c = arg;

	(void)dltotal;
	(void)dlnow;
	(void)ultotal;
	(void)ulnow;
	return c->stop && *c->stop;
}

int http_sink_send(struct http_sink_conn *c, const char *url, const char *content_type,
		   const char *idempotency_key, const void *body, size_t len, long *status,
		   struct err *e)
{
	struct curl_slist *headers = NULL;
	struct buf line = BUF_INIT;
	CURLcode code;
	int rc = 0;

	for (struct curl_slist *h = c->fixed; h; h = h->next)
		headers = curl_slist_append(headers, h->data);
	buf_addf(&line, "Content-Type: %s", content_type);
	headers = curl_slist_append(headers, line.data);
	buf_reset(&line);
	buf_addf(&line, "Idempotency-Key: %s", idempotency_key);
	headers = curl_slist_append(headers, line.data);

	buf_reset(&c->resp.body);
	c->retry_after_ms = -1;
	http_easy_setup(c->curl, url, c->method, headers, body, len, c->timeout_ms, &c->resp);
	curl_easy_setopt(c->curl, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c->curl, CURLOPT_HEADERDATA, c);
	curl_easy_setopt(c->curl, CURLOPT_CONNECTTIMEOUT_MS, c->connect_ms);
	curl_easy_setopt(c->curl, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(c->curl, CURLOPT_XFERINFODATA, c);
	curl_easy_setopt(c->curl, CURLOPT_NOPROGRESS, 0L);
	code = curl_easy_perform(c->curl);
	if (code != CURLE_OK)
		rc = http_response_finish(c->curl, code, url, &c->resp, e);
	else
		curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, status);
	curl_slist_free_all(headers);
	buf_free(&line);
	return rc;
}

void http_sink_excerpt(const struct http_sink_conn *c, size_t max, struct buf *out)
{
	size_t n = c->resp.body.len < max ? c->resp.body.len : max;

	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)c->resp.body.data[i];
		buf_addc(out, ch < 0x20 || ch == 0x7f ? ' ' : ch);
	}
	while (out->len > 0 && out->data[out->len - 1] == ' ')
		buf_setlen(out, out->len - 1);
}
