/*
 * http_sink_policy.c: the HTTP sink's answer classes (http_sink_policy.h).
 */
#include <curl/curl.h>
#include <ctype.h>
#include <string.h>

#include "connectors/http_sink_policy.h"

/* One item of a list, item[0..n): "network", "5xx" or "429". */
static int add_item(struct http_status_set *s, const char *item, size_t n, struct err *e)
{
	if (n == 7 && strncmp(item, "network", 7) == 0) {
		s->network = 1;
		return 0;
	}
	if (n == 3 && item[0] >= '1' && item[0] <= '5' && tolower((unsigned char)item[1]) == 'x' &&
	    tolower((unsigned char)item[2]) == 'x') {
		s->classes |= 1u << (item[0] - '0');
		return 0;
	}
	if (n == 3 && isdigit((unsigned char)item[0]) && isdigit((unsigned char)item[1]) &&
	    isdigit((unsigned char)item[2]) && item[0] >= '1' && item[0] <= '5' &&
	    s->ncodes < HTTP_STATUS_SET_MAX) {
		s->codes[s->ncodes++] = (item[0] - '0') * 100 + (item[1] - '0') * 10 + (item[2] - '0');
		return 0;
	}
	return err_set(e, SLOG_EINVALID_CONFIG,
		       "'%.*s' is not a status (429), a class (5xx) or network", (int)n, item);
}

int http_status_set_parse(const char *list, struct http_status_set *s, struct err *e)
{
	memset(s, 0, sizeof(*s));
	for (const char *p = list; *p;) {
		while (*p == ' ' || *p == ',')
			p++;
		size_t n = strcspn(p, ", ");
		if (n > 0 && add_item(s, p, n, e))
			return SLOG_EINVALID_CONFIG;
		p += n;
	}
	return 0;
}

int http_status_set_has(const struct http_status_set *s, long status)
{
	if (status == HTTP_STATUS_NETWORK)
		return s->network;
	for (int i = 0; i < s->ncodes; i++)
		if (s->codes[i] == status)
			return 1;
	return status >= 100 && status < 600 && (s->classes & (1u << (status / 100)));
}

enum http_action http_sink_action(const struct http_status_set *retry,
				  const struct http_status_set *dlq, long status)
{
	if (status >= 200 && status < 300)
		return HTTP_DELIVERED;
	if (http_status_set_has(retry, status))
		return HTTP_RETRY;
	if (http_status_set_has(dlq, status))
		return HTTP_DEAD_LETTER;
	return HTTP_FAIL;
}

int64_t http_retry_after_ms(const char *value, int64_t now_wall_ms)
{
	const char *p = value;
	int64_t secs = 0;

	while (*p == ' ')
		p++;
	if (isdigit((unsigned char)*p)) {
		for (; isdigit((unsigned char)*p) && secs < 86400 * 365; p++)
			secs = secs * 10 + (*p - '0');
		return secs * 1000;
	}
	time_t at = curl_getdate(p, NULL);
	if (at < 0)
		return -1;
	int64_t ms = (int64_t)at * 1000 - now_wall_ms;
	return ms > 0 ? ms : 0;
}
