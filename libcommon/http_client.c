/*
 * http_client.c: libcurl requests and the mapping of answers to errors.
 * See http_client.h.
 */
#include "http_client.h"

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "units.h"

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void curl_init_once(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

void http_response_init(struct http_response *r)
{
	memset(r, 0, sizeof(*r));
	r->high_watermark = r->log_start = r->next_offset = -1;
}

void http_response_free(struct http_response *r)
{
	buf_free(&r->body);
}

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
	struct http_response *r = arg;

	buf_add(&r->body, p, size * n);
	return size * n;
}

static int64_t header_num(const char *v, size_t n)
{
	char tmp[32];
	int64_t x;

	while (n && isspace((unsigned char)v[n - 1]))
		n--;
	while (n && isspace((unsigned char)*v)) {
		v++;
		n--;
	}
	if (n >= sizeof(tmp))
		return -1;
	memcpy(tmp, v, n);
	tmp[n] = '\0';
	return units_parse_int(tmp, INT64_MIN, INT64_MAX, &x, NULL) ? -1 : x;
}

static size_t on_header(char *p, size_t size, size_t n, void *arg)
{
	struct http_response *r = arg;
	size_t len = size * n;
	const char *colon = memchr(p, ':', len);
	size_t klen, vlen;
	const char *v;

	if (!colon)
		return len;
	klen = (size_t)(colon - p);
	v = colon + 1;
	vlen = len - klen - 1;
	if (klen == 19 && strncasecmp(p, "Slog-High-Watermark", klen) == 0)
		r->high_watermark = header_num(v, vlen);
	else if (klen == 21 && strncasecmp(p, "Slog-Log-Start-Offset", klen) == 0)
		r->log_start = header_num(v, vlen);
	else if (klen == 16 && strncasecmp(p, "Slog-Next-Offset", klen) == 0)
		r->next_offset = header_num(v, vlen);
	else if (klen == 12 && strncasecmp(p, "Content-Type", klen) == 0) {
		while (vlen && isspace((unsigned char)*v)) {
			v++;
			vlen--;
		}
		while (vlen && isspace((unsigned char)v[vlen - 1]))
			vlen--;
		snprintf(r->content_type, sizeof(r->content_type), "%.*s", (int)vlen, v);
	}
	return len;
}

void http_easy_setup(CURL *h, const char *url, const char *method, struct curl_slist *headers,
		     const void *body, size_t len, long timeout_ms, struct http_response *r)
{
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms > 0 ? timeout_ms : 1L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms > 0 ? timeout_ms : 1L);
	curl_easy_setopt(h, CURLOPT_PROXY, ""); /* never through a proxy from the environment */
	if (strcmp(method, "GET") == 0) {
		curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
	} else if (strcmp(method, "POST") == 0) {
		curl_easy_setopt(h, CURLOPT_POST, 1L);
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body ? body : "");
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	} else {
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
		if (body) {
			curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
			curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
		}
	}
}

int http_response_finish(CURL *h, CURLcode code, const char *url, struct http_response *r,
			 struct err *e)
{
	json_error_t je;
	json_t *j, *err;
	int rc;

	if (code != CURLE_OK) {
		int timeout = code == CURLE_OPERATION_TIMEDOUT;
		long os = 0;
		/* "Connection refused" says more than curl's "Couldn't connect". */
		if (code == CURLE_COULDNT_CONNECT)
			curl_easy_getinfo(h, CURLINFO_OS_ERRNO, &os);
		return err_set(e, timeout ? SLOG_EREQUEST_TIMED_OUT : SLOG_ENETWORK, "%s: %s", url,
			       timeout ? "timed out" : os ? strerror((int)os) : curl_easy_strerror(code));
	}
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->status);
	if (r->status >= 200 && r->status < 300)
		return 0;
	/* An error answer: {"error":{"code":"...","message":"..."}} */
	j = json_loadb(r->body.data ? r->body.data : "", r->body.len, 0, &je);
	err = json_object_get(j, "error");
	if (json_is_object(err) && json_is_string(json_object_get(err, "code"))) {
		const char *msg = json_string_value(json_object_get(err, "message"));
		rc = err_from_name(json_string_value(json_object_get(err, "code")));
		err_set(e, rc, "%s", msg ? msg : err_name(rc));
	} else {
		rc = err_set(e, r->status == 404 ? SLOG_ENOT_FOUND : SLOG_EUNKNOWN,
			     "%s answered HTTP %ld", url, r->status);
	}
	json_decref(j);
	return rc;
}

void http_base_url(char *out, size_t size, const char *host, long port)
{
	int v6 = strchr(host, ':') && host[0] != '[';

	snprintf(out, size, "http://%s%s%s:%ld", v6 ? "[" : "", host, v6 ? "]" : "", port);
}

/* The port of a broker address: digits, 1 to 65535. */
static int parse_port(const char *broker, const char *p, size_t n, long *port, struct err *e)
{
	*port = 0;
	for (size_t i = 0; i < n && *port <= 65535; i++) {
		if (p[i] < '0' || p[i] > '9') {
			*port = -1;
			break;
		}
		*port = *port * 10 + (p[i] - '0');
	}
	if (n == 0 || *port < 1 || *port > 65535)
		return err_set(e, SLOG_EINVALID_REQUEST, "bad broker address '%s': port '%.*s' is not "
			       "1 to 65535", broker, (int)n, p);
	return 0;
}

/*
 * A host alone means the default port, as Kafka clients and rpk do, not
 * HTTP's 80.  A bare v6 address's colons are its own.
 */
int http_broker_base(const char *broker, char *base, size_t size, struct err *e)
{
	const char *p = broker, *end, *host_end, *colon;
	char host[256];
	size_t path_len;
	long port = SLOG_DEFAULT_PORT;

	if (!*broker || strlen(broker) > 250)
		goto bad;
	if (strncmp(p, "http://", 7) == 0)
		p += 7;
	else if (strstr(p, "://"))
		return err_set(e, SLOG_EINVALID_REQUEST, "broker '%s': only http:// is supported", broker);
	end = p + strcspn(p, "/");
	if (*p == '[') {
		host_end = memchr(p, ']', (size_t)(end - p));
		if (!host_end || host_end == p + 1 || (host_end + 1 < end && host_end[1] != ':'))
			goto bad;
		colon = ++host_end < end ? host_end : NULL;
	} else {
		colon = memchr(p, ':', (size_t)(end - p));
		if (colon && memchr(colon + 1, ':', (size_t)(end - colon - 1)))
			colon = NULL; /* a bare IPv6 address */
		host_end = colon ? colon : end;
	}
	if (host_end == p)
		goto bad;
	if (colon && parse_port(broker, colon + 1, (size_t)(end - colon - 1), &port, e))
		return e ? e->code : SLOG_EINVALID_REQUEST;
	/* A path after the address is kept (a proxy's prefix), less a final '/'. */
	path_len = strlen(end);
	if (path_len && end[path_len - 1] == '/')
		path_len--;
	snprintf(host, sizeof(host), "%.*s", (int)(host_end - p), p);
	http_base_url(base, size, host, port);
	snprintf(base + strlen(base), size - strlen(base), "%.*s", (int)path_len, end);
	return 0;
bad:
	return err_set(e, SLOG_EINVALID_REQUEST, "bad broker address '%s'", broker);
}

int http_client_init(struct http_client *c, const char *broker, struct err *e)
{
	int rc;

	memset(c, 0, sizeof(*c));
	pthread_once(&curl_once, curl_init_once);
	rc = http_broker_base(broker, c->base, sizeof(c->base), e);
	if (rc)
		return rc;
	c->curl = curl_easy_init();
	if (!c->curl)
		return err_set(e, SLOG_ENOMEM, "cannot create a curl handle");
	return 0;
}

void http_client_free(struct http_client *c)
{
	if (c->curl)
		curl_easy_cleanup(c->curl);
	curl_slist_free_all(c->headers);
	memset(c, 0, sizeof(*c));
}

int http_call(struct http_client *c, const char *method, const char *path,
	      const char *content_type, const void *body, size_t len, int64_t deadline_ms,
	      struct http_response *r, struct err *e)
{
	struct http_response local;
	struct curl_slist *hdrs = NULL;
	char url[4400], ct[128];
	int64_t left = deadline_ms - clock_mono_ms();
	CURLcode code;
	int rc;

	if (!r) {
		r = &local;
		http_response_init(r);
	}
	if (left <= 0)
		return err_set(e, SLOG_EREQUEST_TIMED_OUT, "%s%s: timed out", c->base, path);
	snprintf(url, sizeof(url), "%s%s", c->base, path);
	if (content_type) {
		snprintf(ct, sizeof(ct), "Content-Type: %s", content_type);
		hdrs = curl_slist_append(hdrs, ct);
	}
	hdrs = curl_slist_append(hdrs, "Expect:"); /* no 100-continue round trip */
	curl_easy_reset(c->curl);
	http_easy_setup(c->curl, url, method, hdrs, body, len, (long)left, r);
	if (c->connect_ms > 0 && c->connect_ms < left)
		curl_easy_setopt(c->curl, CURLOPT_CONNECTTIMEOUT_MS, c->connect_ms);
	code = curl_easy_perform(c->curl);
	c->not_sent = http_not_sent(c->curl, code);
	rc = http_response_finish(c->curl, code, url, r, e);
	curl_slist_free_all(hdrs);
	if (r == &local)
		http_response_free(r);
	return rc;
}

int http_response_json(const struct http_response *r, const char *where, json_t **out,
		       struct err *e)
{
	json_error_t je;

	*out = json_loadb(r->body.data ? r->body.data : "", r->body.len, 0, &je);
	if (!*out)
		return err_set(e, SLOG_EUNKNOWN, "%s: the answer is not JSON: %s", where, je.text);
	return 0;
}

int http_json(struct http_client *c, const char *method, const char *path, json_t *body,
	      int64_t deadline_ms, json_t **out, struct err *e)
{
	struct http_response r;
	char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
	char where[4400];
	int rc;

	http_response_init(&r);
	rc = http_call(c, method, path, text ? "application/json" : NULL, text,
		       text ? strlen(text) : 0, deadline_ms, &r, e);
	free(text);
	if (!rc && out) {
		snprintf(where, sizeof(where), "%s%s", c->base, path);
		rc = http_response_json(&r, where, out, e);
	}
	http_response_free(&r);
	return rc;
}

int http_error_where(const struct http_response *r, const char *key, char *base, size_t len)
{
	json_t *j = json_loadb(r->body.data ? r->body.data : "", r->body.len, 0, NULL);
	json_t *w = json_object_get(json_object_get(j, "error"), key);
	const char *url = json_string_value(json_object_get(w, "url"));
	const char *host = json_string_value(json_object_get(w, "host"));
	json_int_t port = json_integer_value(json_object_get(w, "port"));
	int found = 0;

	if (url)
		found = http_broker_base(url, base, len, NULL) == 0;
	else if (host && *host && port > 0 && port < 65536) {
		http_base_url(base, len, host, (long)port);
		found = 1;
	}
	json_decref(j);
	return found;
}

int http_error_redirect(const struct http_response *r, char *base, size_t len)
{
	return http_error_where(r, "coordinator", base, len);
}

int http_not_sent(CURL *h, CURLcode code)
{
	curl_off_t connected = 1;
	long sent = 1;

	if (code == CURLE_COULDNT_CONNECT || code == CURLE_COULDNT_RESOLVE_HOST)
		return 1;
	if (code != CURLE_OPERATION_TIMEDOUT)
		return 0;
	/* A timeout before the connection was made, or before a byte of the
	 * request went out on one kept alive: the broker saw nothing. */
	curl_easy_getinfo(h, CURLINFO_CONNECT_TIME_T, &connected);
	curl_easy_getinfo(h, CURLINFO_REQUEST_SIZE, &sent);
	return connected == 0 && sent == 0;
}

void http_escape(struct buf *out, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if (isalnum(ch) || ch == '-' || ch == '_' || ch == '.' || ch == '~')
			buf_addc(out, (char)ch);
		else
			buf_addf(out, "%%%c%c", hex[ch >> 4], hex[ch & 15]);
	}
}
