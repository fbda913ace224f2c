/*
 * http_policy.c: header checks before the body.  See http_policy.h.
 */
#include "http/http_policy.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "xalloc.h"

static void add_name(char ***v, int *n, const char *s, size_t len)
{
	while (len && (s[0] == ' ' || s[0] == '\t')) {
		s++;
		len--;
	}
	while (len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
		len--;
	if (!len)
		return;
	*v = xrealloc(*v, (size_t)(*n + 1) * sizeof(**v));
	(*v)[*n] = xstrndup(s, len);
	(*n)++;
}

void http_policy_init(struct http_policy *p, const char *origins, const char *listen_host,
		      const char *advertised_host)
{
	char self[256];

	memset(p, 0, sizeof(*p));
	while (origins && *origins) {
		size_t len = strcspn(origins, ",");
		add_name(&p->origins, &p->norigins, origins, len);
		origins += len + (origins[len] == ',');
	}
	if (listen_host)
		add_name(&p->hosts, &p->nhosts, listen_host, strlen(listen_host));
	if (advertised_host)
		add_name(&p->hosts, &p->nhosts, advertised_host, strlen(advertised_host));
	/* The machine's own name, as a client on another host would say it. */
	if (gethostname(self, sizeof(self)) == 0) {
		self[sizeof(self) - 1] = '\0';
		add_name(&p->hosts, &p->nhosts, self, strlen(self));
	}
}

void http_policy_free(struct http_policy *p)
{
	for (int i = 0; i < p->norigins; i++)
		free(p->origins[i]);
	for (int i = 0; i < p->nhosts; i++)
		free(p->hosts[i]);
	free(p->origins);
	free(p->hosts);
	memset(p, 0, sizeof(*p));
}

/* An address literal cannot be re-pointed by DNS: any one is fine. */
static int is_ip_literal(const char *name)
{
	unsigned char a[16];

	return inet_pton(AF_INET, name, a) == 1 || inet_pton(AF_INET6, name, a) == 1;
}

static int port_ok(const char *s)
{
	if (!*s)
		return 1;
	if (*s++ != ':' || !*s || strlen(s) > 5)
		return 0;
	return strspn(s, "0123456789") == strlen(s);
}

int http_policy_host(const struct http_policy *p, const char *host, struct err *e)
{
	char name[256];
	const char *end;
	size_t len;

	if (!host)
		return 0;
	if (host[0] == '[') {
		end = strchr(host, ']');
		if (!end)
			goto bad;
		len = (size_t)(end - host - 1);
		host++;
		end++;
	} else {
		end = strchr(host, ':');
		if (!end)
			end = host + strlen(host);
		len = (size_t)(end - host);
	}
	if (len == 0 || len >= sizeof(name) || !port_ok(end))
		goto bad;
	memcpy(name, host, len);
	name[len] = '\0';
	if (len > 1 && name[len - 1] == '.')
		name[len - 1] = '\0'; /* "localhost." is localhost */
	if (is_ip_literal(name) || strcasecmp(name, "localhost") == 0)
		return 0;
	for (int i = 0; i < p->nhosts; i++)
		if (strcasecmp(name, p->hosts[i]) == 0)
			return 0;
bad:
	return err_set(e, SLOG_EPOLICY_VIOLATION,
		       "Host '%.100s' is not a name of this broker (an address, localhost, the host name, "
		       "or the listeners and advertised.listeners hosts)", host);
}

int http_policy_origin_allowed(const struct http_policy *p, const char *origin)
{
	for (int i = 0; i < p->norigins; i++)
		if (strcmp(p->origins[i], "*") == 0 || strcasecmp(p->origins[i], origin) == 0)
			return 1;
	return 0;
}

struct framing {
	const char *length;
	int nlength, conflict;
	const char *coding;
};

static enum MHD_Result framing_header(void *cls, enum MHD_ValueKind kind, const char *key,
				      const char *value)
{
	struct framing *f = cls;

	(void)kind;
	if (strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH) == 0) {
		if (f->length && strcmp(f->length, value) != 0)
			f->conflict = 1;
		f->length = value;
		f->nlength++;
	} else if (strcasecmp(key, MHD_HTTP_HEADER_TRANSFER_ENCODING) == 0) {
		f->coding = value;
	}
	return MHD_YES;
}

int http_policy_framing(struct MHD_Connection *conn, struct err *e)
{
	struct framing f = { 0 };

	MHD_get_connection_values(conn, MHD_HEADER_KIND, framing_header, &f);
	if (f.conflict)
		return err_set(e, SLOG_EINVALID_REQUEST, "conflicting Content-Length headers");
	if (f.length && f.coding)
		return err_set(e, SLOG_EINVALID_REQUEST,
			       "Content-Length and Transfer-Encoding together (RFC 9112 6.3)");
	if (f.coding && strcasecmp(f.coding, "chunked") != 0)
		return err_set(e, SLOG_EINVALID_REQUEST,
			       "Transfer-Encoding '%.64s' is not supported (only chunked)", f.coding);
	return 0;
}

int http_policy_is_json(const char *ct)
{
	size_t n;

	if (!ct)
		return 0;
	n = strcspn(ct, "; \t");
	return n == 16 && strncasecmp(ct, "application/json", n) == 0;
}
