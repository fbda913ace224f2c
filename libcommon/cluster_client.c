/*
 * cluster_client.c: bootstrap, failover between brokers, metadata and
 * leaders.  See cluster_client.h.
 */
#include "cluster_client.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "xalloc.h"

/*
 * Connect boot to broker i and ask it about the cluster; a broker that
 * answers teaches us the others.  connect_ms bounds the connection (0:
 * the deadline does).
 */
static int probe(struct cluster *cl, size_t i, long connect_ms, int64_t deadline_ms, struct err *e)
{
	json_t *j = NULL;
	int rc;

	http_client_free(&cl->boot);
	rc = http_client_init(&cl->boot, cl->brokers.url[i], e);
	if (rc)
		return rc;
	cl->boot.connect_ms = connect_ms;
	rc = http_json(&cl->boot, "GET", "/v1/cluster", NULL, deadline_ms, &j, e);
	if (rc)
		return rc;
	cl->cur = i;
	snprintf(cl->boot_url, sizeof(cl->boot_url), "%s", cl->boot.base);
	broker_list_learn(&cl->brokers, json_object_get(j, "brokers"));
	json_decref(j);
	return 0;
}

/* Try the brokers from first on, round the list; each one's reason in why. */
static int connect_from(struct cluster *cl, size_t first, int64_t deadline_ms, struct err *e)
{
	struct buf why = BUF_INIT;
	size_t n = cl->brokers.n;
	int rc = SLOG_ENETWORK;

	for (size_t k = 0; k < n; k++) {
		size_t i = (first + k) % n;
		struct err be;
		/* A broker that does not take the connection soon is skipped
		 * while others remain; the last one has whatever time is left. */
		int64_t until = deadline_ms;

		/* A broker that accepts but does not answer (a stopped process:
		 * the kernel still completes the handshake) is given up on too. */
		if (k + 1 < n && clock_mono_ms() + CLUSTER_PROBE_MS < until)
			until = clock_mono_ms() + CLUSTER_PROBE_MS;
		rc = probe(cl, i, k + 1 < n ? CLUSTER_CONNECT_MS : 0, until, &be);
		if (!rc) {
			buf_free(&why);
			return 0;
		}
		buf_addf(&why, "%s%s", why.len ? "; " : "", be.msg);
		if (clock_mono_ms() >= deadline_ms)
			break;
	}
	err_set(e, rc == SLOG_EREQUEST_TIMED_OUT ? rc : SLOG_ENETWORK, "cannot reach %s: %s",
		n > 1 ? "any broker" : "the broker", buf_cstr(&why));
	buf_free(&why);
	return e ? e->code : SLOG_ENETWORK;
}

int cluster_connect(struct cluster *cl, const char *brokers, int64_t deadline_ms, struct err *e)
{
	memset(cl, 0, sizeof(*cl));
	broker_list_parse(&cl->brokers, brokers);
	if (cl->brokers.n == 0)
		return err_set(e, SLOG_EINVALID_REQUEST, "no broker address given");
	return connect_from(cl, 0, deadline_ms, e);
}

int cluster_reconnect(struct cluster *cl, int64_t deadline_ms, struct err *e)
{
	return connect_from(cl, cl->brokers.n ? (cl->cur + 1) % cl->brokers.n : 0, deadline_ms, e);
}

void cluster_close(struct cluster *cl)
{
	http_client_free(&cl->boot);
	broker_list_free(&cl->brokers);
	memset(cl, 0, sizeof(*cl));
}

int cluster_should_retry(int rc, int not_sent, int idempotent)
{
	switch (rc) {
	case SLOG_ENOT_CONTROLLER:
	case SLOG_EBROKER_NOT_AVAILABLE:
	case SLOG_ELEADER_NOT_AVAILABLE:
		return 1; /* refused before anything was done */
	case SLOG_ENETWORK:
	case SLOG_EREQUEST_TIMED_OUT:
		return not_sent || (idempotent && rc == SLOG_ENETWORK);
	default:
		return 0;
	}
}

int cluster_leader_moved(int rc)
{
	return rc == SLOG_ENOT_LEADER || rc == SLOG_ELEADER_NOT_AVAILABLE ||
	       rc == SLOG_EBROKER_NOT_AVAILABLE || rc == SLOG_ENETWORK ||
	       rc == SLOG_EFENCED_LEADER_EPOCH;
}

int cluster_produce_retriable(int rc)
{
	switch (rc) {
	case SLOG_EUNKNOWN_LEADER_EPOCH:
	case SLOG_ENOT_ENOUGH_REPLICAS:
	case SLOG_ENOT_ENOUGH_REPLICAS_AFTER_APPEND:
	case SLOG_EREQUEST_TIMED_OUT:
	case SLOG_ESTORAGE:
	case SLOG_ENOMEM:
		return 1;
	default:
		return cluster_leader_moved(rc);
	}
}

int cluster_produce_ambiguous(int rc)
{
	return rc == SLOG_EREQUEST_TIMED_OUT || rc == SLOG_ESTORAGE || rc == SLOG_EUNKNOWN ||
	       rc == SLOG_ENOT_ENOUGH_REPLICAS_AFTER_APPEND;
}

/* Say that the time ran out while retrying, and what the last try got. */
static int gave_up(struct err *e, int tries)
{
	return err_wrap(e, "gave up at the timeout after %d tries", tries);
}

/*
 * After a call failed with rc (e says why): wait, move to the next broker
 * that answers, and return 1 to call again; 0 to give up with e.
 */
static int cluster_again(struct cluster *cl, struct backoff *bo, int rc, int idempotent,
			 int64_t deadline_ms, int tries, struct err *e)
{
	struct err why;

	if (!cluster_should_retry(rc, cl->boot.not_sent, idempotent))
		return 0;
	for (;;) {
		if (backoff_sleep(bo, deadline_ms)) {
			gave_up(e, tries);
			return 0;
		}
		if (!cluster_reconnect(cl, deadline_ms, &why))
			return 1;
		/* None answers now; the last reason is the one to give. */
		if (e)
			*e = why;
	}
}

int cluster_json(struct cluster *cl, const char *method, const char *path, json_t *body,
		 int64_t deadline_ms, json_t **out, struct err *e)
{
	struct backoff bo = { 0 };
	int idempotent = strcmp(method, "GET") == 0;
	int rc, tries = 0;

	do {
		tries++;
		rc = http_json(&cl->boot, method, path, body, deadline_ms, out, e);
	} while (rc && cluster_again(cl, &bo, rc, idempotent, deadline_ms, tries, e));
	return rc;
}

void topic_meta_free(struct topic_meta *m)
{
	for (int32_t i = 0; m->leader && i < m->partitions; i++)
		free(m->leader[i]);
	free(m->leader);
	free(m->leader_epoch);
	memset(m, 0, sizeof(*m));
}

void cluster_leader_url(json_t *meta, json_t *part, const char *fallback, char *out, size_t len)
{
	json_t *brokers = json_object_get(meta, "brokers"), *leader = json_object_get(part, "leader");
	const char *url = json_string_value(json_object_get(part, "leader_url"));
	long long id = json_is_integer(leader) ? (long long)json_integer_value(leader) : -1;
	size_t i;
	json_t *b;

	if (json_is_object(leader) && broker_list_entry_url(leader, out, len) == 0)
		return;
	if (url && http_broker_base(url, out, len, NULL) == 0)
		return;
	if (json_is_object(leader))
		id = broker_list_entry_id(leader);
	/* One broker: reach it the way we already did (its advertised name
	 * may only make sense from elsewhere). */
	if (json_array_size(brokers) > 1 && id >= 0)
		json_array_foreach(brokers, i, b)
			if (broker_list_entry_id(b) == id && broker_list_entry_url(b, out, len) == 0)
				return;
	snprintf(out, len, "%s", fallback);
}

int cluster_topic_names(struct cluster *cl, const regex_t *re, int64_t deadline_ms, char ***names,
			size_t *n, struct err *e)
{
	json_t *j, *item;
	size_t i;
	int rc;

	*names = NULL;
	*n = 0;
	rc = cluster_json(cl, "GET", "/v1/topics", NULL, deadline_ms, &j, e);
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

int cluster_names_equal(char *const *a, size_t na, char *const *b, size_t nb)
{
	if (na != nb)
		return 0;
	for (size_t i = 0; i < na; i++)
		if (strcmp(a[i], b[i]) != 0)
			return 0;
	return 1;
}

/* The error a metadata answer gives for its topic t (NULL: not listed). */
static int topic_error(json_t *t, const char *topic, struct err *e)
{
	json_t *err = json_object_get(t, "error");
	const char *code = json_string_value(json_object_get(err, "code"));
	int rc = code ? err_from_name(code) : SLOG_EUNKNOWN_TOPIC_OR_PARTITION;

	if (rc == SLOG_EUNKNOWN_TOPIC_OR_PARTITION)
		return err_set(e, rc, "topic '%s' does not exist", topic);
	return err_set(e, rc, "topic '%s': %s", topic,
		       json_string_value(json_object_get(err, "message")));
}

/* Fill out from topic t of a metadata answer. */
static void topic_from_meta(struct cluster *cl, json_t *meta, json_t *t, const char *topic,
			    struct topic_meta *out)
{
	json_t *parts = json_object_get(t, "partitions"), *p;
	char url[300];
	size_t i;

	snprintf(out->name, sizeof(out->name), "%s", topic);
	out->max_message_bytes = json_integer_value(json_object_get(t, "max_message_bytes"));
	out->partitions = (int32_t)json_array_size(parts);
	out->leader = xcalloc((size_t)out->partitions + 1, sizeof(char *));
	out->leader_epoch = xcalloc((size_t)out->partitions + 1, sizeof(int32_t));
	for (int32_t k = 0; k < out->partitions; k++)
		out->leader_epoch[k] = -1;
	json_array_foreach(parts, i, p) {
		json_int_t id = json_integer_value(json_object_get(p, "partition"));
		json_t *epoch = json_object_get(p, "leader_epoch");
		if (id < 0 || id >= out->partitions || out->leader[id])
			continue;
		cluster_leader_url(meta, p, cl->boot_url, url, sizeof(url));
		out->leader[id] = xstrdup(url);
		if (json_is_integer(epoch) && json_integer_value(epoch) >= 0 &&
		    json_integer_value(epoch) <= INT32_MAX)
			out->leader_epoch[id] = (int32_t)json_integer_value(epoch);
	}
	for (int32_t k = 0; k < out->partitions; k++)
		if (!out->leader[k])
			out->leader[k] = xstrdup(cl->boot_url);
}

int cluster_topic(struct cluster *cl, const char *topic, int auto_create, int64_t deadline_ms,
		  struct topic_meta *out, struct err *e)
{
	struct buf path = BUF_INIT;
	json_t *meta = NULL, *t;
	int rc;

	memset(out, 0, sizeof(*out));
	buf_adds(&path, "/v1/metadata?topics=");
	http_escape(&path, topic);
	if (auto_create)
		buf_adds(&path, "&auto_create=true");
	rc = cluster_json(cl, "GET", path.data, NULL, deadline_ms, &meta, e);
	buf_free(&path);
	if (rc)
		return rc;
	broker_list_learn(&cl->brokers, json_object_get(meta, "brokers"));
	t = json_array_get(json_object_get(meta, "topics"), 0);
	if (!t || json_object_get(t, "error"))
		rc = topic_error(t, topic, e);
	else
		topic_from_meta(cl, meta, t, topic, out);
	json_decref(meta);
	return rc;
}

int cluster_find_leader_epoch(struct cluster *cl, const char *topic, int32_t partition,
			      int64_t deadline_ms, char *leader, size_t len, int32_t *epoch,
			      struct err *e)
{
	struct topic_meta tm;
	int rc = cluster_topic(cl, topic, 0, deadline_ms, &tm, e);

	*epoch = -1;
	if (rc)
		return rc;
	if (partition < 0 || partition >= tm.partitions) {
		rc = err_set(e, SLOG_EUNKNOWN_TOPIC_OR_PARTITION, "%s-%d does not exist", topic,
			     partition);
	} else {
		snprintf(leader, len, "%s", tm.leader[partition]);
		*epoch = tm.leader_epoch[partition];
	}
	topic_meta_free(&tm);
	return rc;
}

int cluster_find_leader(struct cluster *cl, const char *topic, int32_t partition,
			int64_t deadline_ms, char *leader, size_t len, struct err *e)
{
	int32_t epoch;

	return cluster_find_leader_epoch(cl, topic, partition, deadline_ms, leader, len, &epoch, e);
}

/* GET base+path once; on NOT_LEADER, *moved_to gets the leader it names. */
static int get_once(const char *base, const char *path, int64_t deadline_ms, json_t **out,
		    char *moved_to, size_t len, int *not_sent, struct err *e)
{
	struct http_response r;
	struct http_client c;
	int rc;

	http_response_init(&r);
	*moved_to = '\0';
	rc = http_client_init(&c, base, e);
	if (!rc)
		rc = http_call(&c, "GET", path, NULL, NULL, 0, deadline_ms, &r, e);
	*not_sent = c.not_sent;
	if (!rc)
		rc = http_response_json(&r, base, out, e);
	else if (rc == SLOG_ENOT_LEADER && !http_error_where(&r, "leader", moved_to, len))
		*moved_to = '\0';
	http_response_free(&r);
	http_client_free(&c);
	return rc;
}

int cluster_leader_get(const char *leader, const char *path, int64_t deadline_ms, json_t **out,
		       char *moved_to, size_t len, struct err *e)
{
	int not_sent;

	return get_once(leader, path, deadline_ms, out, moved_to, len, &not_sent, e);
}

int cluster_partition_json(struct cluster *cl, const char *topic, int32_t partition, char *leader,
			   size_t len, const char *path, int64_t deadline_ms, json_t **out,
			   struct err *e)
{
	struct backoff bo = { 0 };
	char moved_to[300];
	int rc, not_sent, tries = 0;

	for (;;) {
		tries++;
		rc = get_once(leader, path, deadline_ms, out, moved_to, sizeof(moved_to), &not_sent, e);
		if (!rc || !(cluster_leader_moved(rc) || (rc == SLOG_EREQUEST_TIMED_OUT && not_sent)))
			return rc;
		if (backoff_sleep(&bo, deadline_ms))
			return gave_up(e, tries);
		if (*moved_to)
			snprintf(leader, len, "%s", moved_to);
		else
			cluster_find_leader(cl, topic, partition, deadline_ms, leader, len, NULL);
	}
}

/* One call of a group request at where; a NOT_COORDINATOR answer may
 * name the coordinator, into where. */
static int group_once(struct cluster *cl, char *where, size_t len, const char *method,
		      const char *path, const char *text, int64_t deadline_ms, json_t **out,
		      int *redirected, struct err *e)
{
	struct http_response r;
	struct http_client coord;
	int rc;

	http_response_init(&r);
	*redirected = 0;
	rc = http_client_init(&coord, where, e);
	if (!rc)
		rc = http_call(&coord, method, path, text ? "application/json" : NULL, text,
			       text ? strlen(text) : 0, deadline_ms, &r, e);
	/* What cluster_again() judges is this call's connection. */
	cl->boot.not_sent = coord.not_sent;
	if (rc == SLOG_ENOT_COORDINATOR)
		*redirected = http_error_redirect(&r, where, len);
	if (!rc && out)
		rc = http_response_json(&r, where, out, e);
	http_response_free(&r);
	http_client_free(&coord);
	return rc;
}

/*
 * Add the groups that a broker lists to all, unless seen already: the
 * one at url, or (url NULL) the one the client is connected to, with
 * cluster_json()'s retries.
 */
static int groups_of(struct cluster *cl, const char *url, int64_t deadline_ms, json_t *all,
		     json_t *seen, struct err *e)
{
	struct http_client c;
	json_t *j = NULL, *g;
	size_t i;
	int rc;

	if (!url) {
		rc = cluster_json(cl, "GET", "/v1/groups", NULL, deadline_ms, &j, e);
	} else {
		rc = http_client_init(&c, url, e);
		if (!rc)
			rc = http_json(&c, "GET", "/v1/groups", NULL, deadline_ms, &j, e);
		http_client_free(&c);
	}
	if (rc)
		return rc;
	json_array_foreach(json_object_get(j, "groups"), i, g) {
		const char *name = json_string_value(json_object_get(g, "group"));
		/* A coordinator that moved may be listed by both for a moment. */
		if (!name || json_object_get(seen, name))
			continue;
		json_object_set_new(seen, name, json_true());
		json_array_append(all, g);
	}
	json_decref(j);
	return 0;
}

static int group_name_cmp(const void *a, const void *b)
{
	return strcmp(json_string_value(json_object_get(*(json_t *const *)a, "group")),
		      json_string_value(json_object_get(*(json_t *const *)b, "group")));
}

/* all, sorted by group name, as a new array. */
static json_t *groups_sorted(json_t *all)
{
	size_t n = json_array_size(all);
	json_t **v = xcalloc(n + 1, sizeof(*v)), *out = json_array();

	for (size_t i = 0; i < n; i++)
		v[i] = json_array_get(all, i);
	if (n)
		qsort(v, n, sizeof(*v), group_name_cmp);
	for (size_t i = 0; i < n; i++)
		json_array_append(out, v[i]);
	free(v);
	return out;
}

int cluster_groups(struct cluster *cl, int64_t deadline_ms, json_t **out, struct err *e)
{
	json_t *info = NULL, *brokers, *b, *all = json_array(), *seen = json_object();
	char url[300];
	size_t i;
	int rc = cluster_json(cl, "GET", "/v1/cluster", NULL, deadline_ms, &info, e);

	*out = NULL;
	brokers = json_object_get(info, "brokers");
	/* One broker: reach it the way we already did. */
	if (!rc && json_array_size(brokers) <= 1)
		rc = groups_of(cl, NULL, deadline_ms, all, seen, e);
	else if (!rc) {
		json_array_foreach(brokers, i, b) {
			const char *state = json_string_value(json_object_get(b, "state"));
			/* A fenced broker leads nothing: its groups moved. */
			if ((state && strcmp(state, "fenced") == 0) ||
			    broker_list_entry_url(b, url, sizeof(url)))
				continue;
			rc = groups_of(cl, url, deadline_ms, all, seen, e);
			if (rc) {
				err_wrap(e, "cannot list the groups of broker %lld",
					 broker_list_entry_id(b));
				break;
			}
		}
	}
	if (!rc)
		*out = groups_sorted(all);
	json_decref(info);
	json_decref(all);
	json_decref(seen);
	return rc;
}

int cluster_group_retry_coordinator(int rc)
{
	return rc == SLOG_ENOT_COORDINATOR || rc == SLOG_ECOORDINATOR_NOT_AVAILABLE;
}

/*
 * After a group call failed with rc: a coordinator that moved, is being
 * elected, or is loading its groups is asked again after a backoff (no
 * other broker is needed for that); anything else as cluster_again().
 */
static int group_again(struct cluster *cl, struct backoff *bo, int rc, int idempotent,
		       int64_t deadline_ms, int tries, struct err *e)
{
	if (!cluster_group_retry_coordinator(rc))
		return cluster_again(cl, bo, rc, idempotent, deadline_ms, tries, e);
	if (backoff_sleep(bo, deadline_ms)) {
		gave_up(e, tries);
		return 0;
	}
	return 1;
}

int cluster_group_json(struct cluster *cl, const char *method, const char *group,
		       const char *suffix, json_t *body, int64_t deadline_ms, json_t **out,
		       struct err *e)
{
	char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
	struct backoff bo = { 0 };
	struct buf path = BUF_INIT;
	char where[300];
	int rc, redirected, hops = 0, tries = 0;

	buf_adds(&path, "/v1/groups/");
	http_escape(&path, group);
	buf_adds(&path, suffix);
	snprintf(where, sizeof(where), "%s", cl->boot.base);
	for (;;) {
		tries++;
		rc = group_once(cl, where, sizeof(where), method, path.data, text, deadline_ms, out,
				&redirected, e);
		if (rc == SLOG_ENOT_COORDINATOR && redirected && hops++ < 3)
			continue;
		if (!rc || !group_again(cl, &bo, rc, strcmp(method, "GET") == 0, deadline_ms, tries, e))
			break;
		/* Go where the coordinator was named last; else ask a broker. */
		if (!(rc == SLOG_ENOT_COORDINATOR && redirected))
			snprintf(where, sizeof(where), "%s", cl->boot.base);
		hops = 0;
	}
	buf_free(&path);
	free(text);
	return rc;
}
