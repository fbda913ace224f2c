/*
 * mirror_promote.c: a mirror topic made writable.  See mirror_promote.h.
 *
 * The check first, so that promoting an ordinary topic (a typo, a topic
 * promoted already) says so instead of quietly changing nothing: a
 * failover script learns that its topic was not what it thought.
 */
#include "connectors/mirror_promote.h"

#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "clock.h"
#include "cluster_client.h"

#define PROMOTE_TIMEOUT_MS 30000

/* The topic's mirror.source into out ("" when it has none). */
static int mirror_source(struct cluster *cl, const char *topic, int64_t deadline, char *out,
			 size_t size, struct err *e)
{
	char path[400];
	json_t *j = NULL, *c;
	size_t i;
	int rc;

	out[0] = '\0';
	snprintf(path, sizeof(path), "/v1/topics/%s/configs", topic);
	rc = cluster_json(cl, "GET", path, NULL, deadline, &j, e);
	json_array_foreach(json_object_get(j, "configs"), i, c) {
		const char *name = json_string_value(json_object_get(c, "name"));
		const char *value = json_string_value(json_object_get(c, "value"));

		if (name && value && strcmp(name, "mirror.source") == 0)
			snprintf(out, size, "%s", value);
	}
	json_decref(j);
	return rc;
}

int mirror_promote(const char *brokers, const char *topic, struct err *e)
{
	int64_t deadline = clock_mono_ms() + PROMOTE_TIMEOUT_MS;
	struct cluster cl;
	char source[400], path[400];
	json_t *body;
	int rc = cluster_connect(&cl, brokers, deadline, e);

	if (rc)
		return rc;
	rc = mirror_source(&cl, topic, deadline, source, sizeof(source), e);
	if (!rc && !source[0])
		rc = err_set(e, SLOG_EINVALID_REQUEST,
			     "topic '%s' is not a mirror topic (it has no mirror.source): nothing "
			     "to promote", topic);
	if (!rc) {
		snprintf(path, sizeof(path), "/v1/topics/%s/configs", topic);
		body = json_pack("{s:[s]}", "delete", "mirror.source");
		rc = cluster_json(&cl, "PATCH", path, body, deadline, NULL, e);
		json_decref(body);
	}
	cluster_close(&cl);
	return rc;
}
