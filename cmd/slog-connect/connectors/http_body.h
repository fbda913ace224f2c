/*
 * http_body.h: an http-source request's body cut into records.
 *
 *   record      the body is one record's value, byte for byte
 *   ndjson      each non-empty line (a JSON text; "\r\n" taken as "\n")
 *               is one record's value, as written
 *   json-array  the body is a JSON array; each element, compact, is one
 *               record's value
 *
 * With a key pointer (RFC 6901, "/user/id", read by json_field.h as the
 * transforms read theirs), each value is read as JSON and the key is the
 * value it points at: a string's bytes, else the compact JSON text; no
 * such member gives a null key.
 *
 * The whole body is checked before any record is handed out, so a body
 * that is malformed anywhere writes nothing: the caller answers 400
 * with the message and the client can fix and resend it whole.
 */
#ifndef SLOG_CONNECT_HTTP_BODY_H
#define SLOG_CONNECT_HTTP_BODY_H

#include <jansson.h>
#include <stddef.h>

#include "runtime/connect_record.h"
#include "err.h"

enum http_body_format { HTTP_BODY_RECORD, HTTP_BODY_NDJSON, HTTP_BODY_JSON_ARRAY };

/* "record", "ndjson", "json-array"; -1 for another name. */
int http_body_format_parse(const char *name);

/* Records cut from a body (owned; free with http_body_free). */
struct http_body {
	struct crec *recs;
	size_t n, cap;
	size_t bytes;        /* their key and value bytes */
};

/*
 * Cut body into b's records (appended), each with topic and, when
 * key_pointer is set (not NULL or ""), the key it points at.  0, or
 * SLOG_EINVALID_RECORD with e saying where the body is malformed (b is
 * left as it was).
 */
int http_body_cut(struct http_body *b, enum http_body_format fmt, const char *body, size_t len,
		  const char *topic, const char *key_pointer, struct err *e);
void http_body_free(struct http_body *b);

#endif
