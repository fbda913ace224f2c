/*
 * http_policy.h: what the broker checks in a request's headers before it
 * reads the body: framing (RFC 9112), the Host (DNS rebinding), the
 * Origin (browsers) and the content type of JSON bodies.
 *
 * A web page can make a browser send requests to 127.0.0.1: a POST with a
 * text/plain or form body needs no CORS preflight, and a page on a name
 * that an attacker re-points at 127.0.0.1 (DNS rebinding) is even
 * same-origin.  Browsers always name the page's origin in Origin on such
 * requests and the name they looked up in Host; curl and slog's clients
 * send no Origin and a Host of the address they connect to.  So: a request
 * with an Origin not in http.cors.allowed.origins is refused, a Host that
 * is neither an IP literal nor a name of this broker (localhost, the
 * listen and advertised hosts, the machine's host name) is refused, and a
 * JSON body must say application/json (which needs a preflight).
 *
 * Functions return 0, or a negative SLOG_E* code with a message in e.
 * Nothing here blocks.
 */
#ifndef SLOG_HTTP_POLICY_H
#define SLOG_HTTP_POLICY_H

#include "err.h"

struct MHD_Connection;

struct http_policy {
	char **origins; /* allowed Origin values ("*": any) */
	int norigins;
	char **hosts;   /* allowed Host names besides IP literals and localhost */
	int nhosts;
};

/* origins: comma-separated list (may be NULL); names: the listen and
 * advertised hosts (either may be NULL or empty). */
void http_policy_init(struct http_policy *p, const char *origins, const char *listen_host,
		      const char *advertised_host);
void http_policy_free(struct http_policy *p);

/* Host, with or without its port; NULL (HTTP/1.0) passes. */
int http_policy_host(const struct http_policy *p, const char *host, struct err *e);
/* Is this Origin allowed to use the API? */
int http_policy_origin_allowed(const struct http_policy *p, const char *origin);
/* Content-Length and Transfer-Encoding: at most one length, not both. */
int http_policy_framing(struct MHD_Connection *conn, struct err *e);
/* Is this Content-Type application/json (parameters allowed)? */
int http_policy_is_json(const char *content_type);

#endif
