/*
 * cluster_client.c: bootstrap and metadata.  See cluster_client.h.
 */
#include "cluster_client.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

static void split_brokers(struct cluster *cl, const char *csv)
{
	char *copy = xstrdup(csv), *p = copy;

	while (p) {
		char *comma = strchr(p, ',');
		if (comma)
			*comma = '\0';
		while (*p == ' ')
			p++;
		if (*p) {
			cl->brokers = xrealloc(cl->brokers, (cl->nbrokers + 1) * sizeof(char *));
			cl->brokers[cl->nbrokers++] = xstrdup(p);
		}
		p = comma ? comma + 1 : NULL;
	}
	free(copy);
}

int cluster_connect(struct cluster *cl, const char *brokers, int64_t deadline_ms, struct err *e)
{
	struct buf why = BUF_INIT;
	int rc = SLOG_ENETWORK;

	memset(cl, 0, sizeof(*cl));
	split_brokers(cl, brokers);
	if (cl->nbrokers == 0)
		return err_set(e, SLOG_EINVALID_REQUEST, "no broker address given");
	for (size_t i = 0; i < cl->nbrokers; i++) {
		struct err be;
		rc = http_client_init(&cl->boot, cl->brokers[i], &be);
		if (!rc)
			rc = http_call(&cl->boot, "GET", "/v1/cluster", NULL, NULL, 0, deadline_ms, NULL, &be);
		if (!rc) {
			snprintf(cl->boot_url, sizeof(cl->boot_url), "%s", cl->boot.base);
			buf_free(&why);
			return 0;
		}
		http_client_free(&cl->boot);
		buf_addf(&why, "%s%s", why.len ? "; " : "", be.msg);
	}
	err_set(e, rc == SLOG_EREQUEST_TIMED_OUT ? rc : SLOG_ENETWORK, "cannot reach %s: %s",
		cl->nbrokers > 1 ? "any broker" : "the broker", buf_cstr(&why));
	buf_free(&why);
	return e ? e->code : SLOG_ENETWORK;
}

void cluster_close(struct cluster *cl)
{
	http_client_free(&cl->boot);
	for (size_t i = 0; i < cl->nbrokers; i++)
		free(cl->brokers[i]);
	free(cl->brokers);
	memset(cl, 0, sizeof(*cl));
}

void topic_meta_free(struct topic_meta *m)
{
	for (int32_t i = 0; m->leader && i < m->partitions; i++)
		free(m->leader[i]);
	free(m->leader);
	memset(m, 0, sizeof(*m));
}

/* The address of node id among the metadata's brokers. */
static char *leader_url(struct cluster *cl, json_t *brokers, json_int_t node)
{
	size_t i;
	json_t *b;
	char url[300];

	/* One broker: reach it the way we already did (its advertised name
	 * may only make sense from elsewhere). */
	if (json_array_size(brokers) <= 1)
		return xstrdup(cl->boot_url);
	json_array_foreach(brokers, i, b) {
		if (json_integer_value(json_object_get(b, "node_id")) != node)
			continue;
		const char *host = json_string_value(json_object_get(b, "host"));
		http_base_url(url, sizeof(url), host ? host : "",
			      (long)json_integer_value(json_object_get(b, "port")));
		return xstrdup(url);
	}
	return xstrdup(cl->boot_url);
}

int cluster_topic_names(struct cluster *cl, const regex_t *re, int64_t deadline_ms, char ***names,
			size_t *n, struct err *e)
{
	json_t *j, *item;
	size_t i;
	int rc;

	*names = NULL;
	*n = 0;
	rc = http_json(&cl->boot, "GET", "/v1/topics", NULL, deadline_ms, &j, e);
	if (rc)
		return rc;
	json_array_foreach(json_object_get(j, "topics"), i, item) {
		const char *name = json_string_value(json_object_get(item, "name"));
		if (!name || json_is_true(json_object_get(item, "internal")) ||
		    (re && regexec(re, name, 0, NULL, 0) != 0))
			continue;
		*names = xrealloc(*names, (*n + 1) * sizeof(**names));
		(*names)[(*n)++] = xstrdup(name);
	}
	json_decref(j);
	return 0;
}

void cluster_names_free(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

int cluster_topic(struct cluster *cl, const char *topic, int auto_create, int64_t deadline_ms,
		  struct topic_meta *out, struct err *e)
{
	struct buf path = BUF_INIT;
	json_t *meta = NULL, *t, *parts, *p;
	size_t i;
	int rc;

	memset(out, 0, sizeof(*out));
	buf_adds(&path, "/v1/metadata?topics=");
	http_escape(&path, topic);
	if (auto_create)
		buf_adds(&path, "&auto_create=true");
	rc = http_json(&cl->boot, "GET", path.data, NULL, deadline_ms, &meta, e);
	buf_free(&path);
	if (rc)
		return rc;
	t = json_array_get(json_object_get(meta, "topics"), 0);
	if (!t || json_object_get(t, "error")) {
		json_t *err = json_object_get(t, "error");
		const char *code = json_string_value(json_object_get(err, "code"));
		rc = code ? err_from_name(code) : SLOG_EUNKNOWN_TOPIC_OR_PARTITION;
		if (rc == SLOG_EUNKNOWN_TOPIC_OR_PARTITION)
			err_set(e, rc, "topic '%s' does not exist", topic);
		else
			err_set(e, rc, "topic '%s': %s", topic,
				json_string_value(json_object_get(err, "message")));
		json_decref(meta);
		return rc;
	}
	snprintf(out->name, sizeof(out->name), "%s", topic);
	out->max_message_bytes = json_integer_value(json_object_get(t, "max_message_bytes"));
	parts = json_object_get(t, "partitions");
	out->partitions = (int32_t)json_array_size(parts);
	out->leader = xcalloc((size_t)out->partitions + 1, sizeof(char *));
	json_array_foreach(parts, i, p) {
		json_int_t id = json_integer_value(json_object_get(p, "partition"));
		if (id >= 0 && id < out->partitions && !out->leader[id])
			out->leader[id] = leader_url(cl, json_object_get(meta, "brokers"),
						     json_integer_value(json_object_get(p, "leader")));
	}
	for (int32_t k = 0; k < out->partitions; k++)
		if (!out->leader[k])
			out->leader[k] = xstrdup(cl->boot_url);
	json_decref(meta);
	return 0;
}

int cluster_group_json(struct cluster *cl, const char *method, const char *group,
		       const char *suffix, json_t *body, int64_t deadline_ms, json_t **out,
		       struct err *e)
{
	char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
	struct buf path = BUF_INIT;
	struct http_client coord;
	char where[300];
	int rc;

	buf_adds(&path, "/v1/groups/");
	http_escape(&path, group);
	buf_adds(&path, suffix);
	snprintf(where, sizeof(where), "%s", cl->boot.base);
	for (int hops = 0;; hops++) {
		struct http_response r;
		http_response_init(&r);
		rc = http_client_init(&coord, where, e);
		if (!rc)
			rc = http_call(&coord, method, path.data, text ? "application/json" : NULL, text,
				       text ? strlen(text) : 0, deadline_ms, &r, e);
		if (rc == SLOG_ENOT_COORDINATOR && hops < 3 && http_error_redirect(&r, where, sizeof(where))) {
			http_response_free(&r);
			http_client_free(&coord);
			continue;
		}
		if (!rc && out) {
			*out = json_loadb(r.body.data ? r.body.data : "", r.body.len, 0, NULL);
			if (!*out)
				rc = err_set(e, SLOG_EUNKNOWN, "%s%s: the answer is not JSON", where, path.data);
		}
		http_response_free(&r);
		http_client_free(&coord);
		break;
	}
	buf_free(&path);
	free(text);
	return rc;
}
