/*
 * json_field.h: where a field is in a JSON value, as the transforms that
 * read or change one name it.
 *
 * A field is written either as a top-level name ("email", as Kafka's
 * SMTs take it) or as a JSON pointer (RFC 6901: "/user/email", "/tags/0",
 * with ~1 for '/' and ~0 for '~').  Arrays are indexed by number; "-"
 * appends when setting.
 *
 * Values are jansson's; get borrows, set steals the value it is given.
 */
#ifndef SLOG_JSON_FIELD_H
#define SLOG_JSON_FIELD_H

#include <jansson.h>
#include <stddef.h>

#include "err.h"

struct json_field {
	char *text;      /* as written */
	char **seg;      /* the path, decoded */
	size_t n;        /* at least 1 */
};

/* Parse text; an error says why (the caller names the key). */
int json_field_parse(struct json_field *f, const char *text, struct err *e);
void json_field_free(struct json_field *f);

/* The last step of the path: the name a value of it is known by. */
const char *json_field_name(const struct json_field *f);

/* The value at f in doc (borrowed), or NULL when it is not there. */
json_t *json_field_get(json_t *doc, const struct json_field *f);

/*
 * Put v (stolen, also on failure) at f in doc, making the objects on the
 * way that are missing.  0, or SLOG_EINVALID_RECORD when a step of the
 * way is neither an object nor an array.
 */
int json_field_set(json_t *doc, const struct json_field *f, json_t *v, struct err *e);

/* Remove the value at f; 1 when there was one. */
int json_field_del(json_t *doc, const struct json_field *f);

#endif
