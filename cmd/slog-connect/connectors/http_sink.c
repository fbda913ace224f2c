/*
 * http_sink.c: the http-sink class: records of the topics read, POSTed
 * in batches to an HTTP endpoint.
 *
 * Records gather in one batch per partition (its URL may name the
 * partition, and its Idempotency-Key names the partition's offsets).  A
 * batch goes out when it holds batch.max.records or batch.max.bytes,
 * when its first record is batch.linger.ms old, and at every flush: the
 * runner commits the group offset only after flush() returned, so what
 * is committed was answered 2xx, dead-lettered, or skipped by
 * errors.tolerance = all.  One request is in flight at a time, which
 * keeps every partition in order.
 *
 * The answer decides (http_sink_policy.h): 2xx delivered; http.retry.on
 * backs off (sink_retry.h) until errors.retry.timeout, which for this
 * sink is forever unless set: a sink that drops nothing waits out an
 * outage.  Retries spent, or an http.dlq.on status, hand each record of
 * the batch to the error policy with the status and the start of the
 * answer as the reason; any other status fails the task.
 */
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "connectors/http_sink_policy.h"
#include "connectors/http_sink_send.h"
#include "connectors/sink_batch.h"
#include "connectors/sink_reject.h"
#include "connectors/sink_retry.h"
#include "log.h"
#include "runtime/connector.h"
#include "runtime/connector_conf.h"
#include "runtime/sink.h"
#include "xalloc.h"

static const struct conf_def http_sink_keys[] = {
	{ "http.url", CONF_STRING, NULL, 0, 0, 0, NULL,
	  "where to send: http[s]://host[:port]/path, with %t (topic) and %p (partition)" },
	{ "http.method", CONF_ENUM, "POST", 0, 0, 0, "POST|PUT", "the request method" },
	{ "http.headers", CONF_STRING, NULL, 0, 0, 0, NULL,
	  "headers sent with every request: 'Name: value|Name: value'" },
	{ "http.auth.bearer", CONF_STRING, NULL, 0, 0, 0, NULL,
	  "a bearer token (Authorization: Bearer ...); ${file:PATH} reads it from a file" },
	{ "http.format", CONF_ENUM, "ndjson", 0, 0, 0, "ndjson|json-array|record",
	  "the body: NDJSON records, a JSON array of records, or one record's value per request" },
	{ "http.content.type", CONF_STRING, NULL, 0, 0, 0, NULL,
	  "the Content-Type (default: by http.format)" },
	{ "http.retry.on", CONF_STRING, "429,5xx,network", 0, 0, 0, NULL,
	  "answers retried with backoff: statuses (503), classes (5xx), network" },
	{ "http.dlq.on", CONF_STRING, "4xx", 0, 0, 0, NULL,
	  "answers whose records go to the error policy (dead-letter topic)" },
	{ "http.timeout.ms", CONF_DURATION, "30s", 1, 86400000, 1, NULL, "the most one request takes" },
	{ "http.connect.timeout.ms", CONF_DURATION, "10s", 1, 86400000, 1, NULL,
	  "the most connecting takes" },
	{ "batch.max.records", CONF_INT, "500", 1, 1000000, 0, NULL, "records per request at most" },
	{ "batch.max.bytes", CONF_BYTES, "1MiB", 1, INT32_MAX, 0, NULL,
	  "key and value bytes per request at most (a larger record goes alone)" },
	{ "batch.linger.ms", CONF_DURATION, "100ms", 0, 3600000, 1, NULL,
	  "how long a batch waits for more records before it is sent" },
	/* Kafka's key with this sink's default: wait out an outage, drop nothing. */
	{ "errors.retry.timeout", CONF_DURATION, "-1", -1, INT64_MAX, 1, NULL,
	  "retry a failing request this long (-1: forever; 0: never)" },
};

enum { FORMAT_NDJSON, FORMAT_JSON_ARRAY, FORMAT_RECORD };

static const char *const default_types[] = {
	"application/x-ndjson", "application/json", "application/octet-stream",
};

/* The records waiting for one partition. */
struct http_part {
	char *topic;
	int32_t partition;
	struct sink_batch batch;
};

struct http_sink {
	struct connect_task *t;
	struct http_sink_conn conn;
	struct http_status_set retry_on, dlq_on;
	struct sink_retry retry;
	const char *url_template;
	const char *content_type;
	int format;
	int64_t max_records, max_bytes, linger_ms;
	struct http_part *parts;
	size_t nparts, parts_cap;
	struct buf body, url, key, why;
};

static int http_sink_check(const struct connector_conf *cc, struct err *e)
{
	struct http_status_set s;
	const char *url = cc_str(cc, "http.url");

	if (!url)
		return err_set(e, SLOG_EINVALID_CONFIG, "http.url: required");
	if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0)
		return err_set(e, SLOG_EINVALID_CONFIG, "http.url '%s': not an http:// or https:// URL",
			       url);
	if (http_status_set_parse(cc_str(cc, "http.retry.on"), &s, e))
		return err_wrap(e, "http.retry.on");
	if (http_status_set_parse(cc_str(cc, "http.dlq.on"), &s, e))
		return err_wrap(e, "http.dlq.on");
	struct http_sink_conn c;
	int rc = http_sink_conn_init(&c, "POST", cc_str(cc, "http.headers"), NULL, 1, 1, e);
	http_sink_conn_free(&c);
	return rc ? err_wrap(e, "http.headers") : 0;
}

static void http_sink_close(void *state)
{
	struct http_sink *s = state;

	for (size_t i = 0; i < s->nparts; i++) {
		free(s->parts[i].topic);
		sink_batch_free(&s->parts[i].batch);
	}
	free(s->parts);
	http_sink_conn_free(&s->conn);
	buf_free(&s->body);
	buf_free(&s->url);
	buf_free(&s->key);
	buf_free(&s->why);
	free(s);
}

static int http_sink_open(struct connect_task *t, void **state, struct err *e)
{
	const struct connector_conf *cc = t->cc;
	struct http_sink *s = xcalloc(1, sizeof(*s));
	static const char *const methods[] = { "POST", "PUT" };
	int rc;

	s->t = t;
	s->url_template = cc_str(cc, "http.url");
	s->format = (int)cc_num(cc, "http.format");
	s->content_type = cc_str(cc, "http.content.type");
	if (!s->content_type)
		s->content_type = default_types[s->format];
	s->max_records = s->format == FORMAT_RECORD ? 1 : cc_num(cc, "batch.max.records");
	s->max_bytes = cc_num(cc, "batch.max.bytes");
	s->linger_ms = cc_num(cc, "batch.linger.ms");
	sink_retry_init(&s->retry, cc_num(cc, "errors.retry.timeout"),
			cc_num(cc, "errors.retry.delay.max.ms"));
	rc = http_status_set_parse(cc_str(cc, "http.retry.on"), &s->retry_on, e);
	if (!rc)
		rc = http_status_set_parse(cc_str(cc, "http.dlq.on"), &s->dlq_on, e);
	if (!rc)
		rc = http_sink_conn_init(&s->conn, methods[cc_num(cc, "http.method")],
					 cc_str(cc, "http.headers"), cc_str(cc, "http.auth.bearer"),
					 (long)cc_num(cc, "http.timeout.ms"),
					 (long)cc_num(cc, "http.connect.timeout.ms"), e);
	if (rc) {
		http_sink_close(s);
		return rc;
	}
	s->conn.stop = &t->stop;
	*state = s;
	return 0;
}

/* The request body of b, as http.format says. */
static void build_body(struct http_sink *s, const struct sink_batch *b)
{
	buf_reset(&s->body);
	if (s->format == FORMAT_RECORD) {
		const struct crec *r = &b->recs[0];
		buf_add(&s->body, r->value.data, r->value.len);
		return;
	}
	if (s->format == FORMAT_JSON_ARRAY)
		buf_addc(&s->body, '[');
	for (size_t i = 0; i < b->n; i++) {
		if (s->format == FORMAT_JSON_ARRAY && i > 0)
			buf_addc(&s->body, ',');
		crec_write_ndjson(&b->recs[i], &s->body);
		if (s->format == FORMAT_JSON_ARRAY)
			buf_setlen(&s->body, s->body.len - 1); /* the line's newline */
	}
	if (s->format == FORMAT_JSON_ARRAY)
		buf_addc(&s->body, ']');
}

/* http.url with %t and %p; the Idempotency-Key. */
static void build_target(struct http_sink *s, const struct http_part *p)
{
	const struct sink_batch *b = &p->batch;

	buf_reset(&s->url);
	for (const char *c = s->url_template; *c; c++) {
		if (c[0] == '%' && c[1] == 't') {
			http_escape(&s->url, p->topic);
			c++;
		} else if (c[0] == '%' && c[1] == 'p') {
			buf_addf(&s->url, "%d", (int)p->partition);
			c++;
		} else {
			buf_addc(&s->url, *c);
		}
	}
	buf_reset(&s->key);
	buf_addf(&s->key, "%s-%d-%lld-%lld", p->topic, (int)p->partition,
		 (long long)b->recs[0].offset, (long long)b->recs[b->n - 1].offset);
}

/* The SLOG_E* a status reads as in the dead-letter headers. */
static int status_code(long status)
{
	switch (status) {
	case HTTP_STATUS_NETWORK: return SLOG_ENETWORK;
	case 404: return SLOG_ENOT_FOUND;
	case 405: return SLOG_EMETHOD_NOT_ALLOWED;
	case 413: return SLOG_EMESSAGE_TOO_LARGE;
	case 415: return SLOG_EUNSUPPORTED_MEDIA_TYPE;
	case 429: return SLOG_ETHROTTLED;
	case 401: case 403: return SLOG_EPOLICY_VIOLATION;
	default: return status >= 500 ? SLOG_EUNKNOWN : SLOG_EINVALID_REQUEST;
	}
}

/* Why the last answer was not a delivery, into cause. */
static void explain(struct http_sink *s, long status, const struct err *net, struct err *cause)
{
	if (status == HTTP_STATUS_NETWORK) {
		err_set(cause, SLOG_ENETWORK, "%s", net->msg);
		return;
	}
	buf_reset(&s->why);
	http_sink_excerpt(&s->conn, 200, &s->why);
	err_set(cause, status_code(status), "%s %s: HTTP %ld%s%s", s->conn.method, s->url.data,
		status, s->why.len ? ": " : "", buf_cstr(&s->why));
}

/*
 * Send p's batch until it is settled: delivered, handed to the error
 * policy, or failed (the return).  Empties the batch unless it fails.
 */
static int send_batch(struct http_sink *s, struct http_part *p, struct err *e)
{
	struct err cause, net;
	int64_t first = clock_mono_ms(), wait;
	long status = 0;
	int rc = 0;

	build_body(s, &p->batch);
	build_target(s, p);
	for (int attempt = 1;; attempt++) {
		err_clear(&net);
		if (http_sink_send(&s->conn, s->url.data, s->content_type, s->key.data, s->body.data,
				   s->body.len, &status, &net))
			status = HTTP_STATUS_NETWORK;
		enum http_action act = http_sink_action(&s->retry_on, &s->dlq_on, status);
		if (act == HTTP_DELIVERED)
			break;
		explain(s, status, &net, &cause);
		if (task_stopping(s->t))
			return err_set(e, SLOG_EREQUEST_TIMED_OUT, "stopped before %s %s was answered",
				       s->conn.method, s->url.data);
		if (act == HTTP_FAIL)
			return err_set(e, cause.code, "%s (in neither http.retry.on nor http.dlq.on)",
				       cause.msg);
		if (act == HTTP_RETRY &&
		    sink_retry_next(&s->retry, attempt, first, clock_mono_ms(), s->conn.retry_after_ms,
				    &wait)) {
			if (attempt == 1 || attempt % 10 == 0)
				task_log(s->t, LOG_LEVEL_WARN, "%s; retry %d in %lld ms", cause.msg,
					 attempt, (long long)wait);
			sink_retry_count(s->t);
			if ((rc = sink_retry_sleep(s->t, wait, e)))
				return err_wrap(e, "%s", cause.msg);
			continue;
		}
		if (act == HTTP_RETRY)
			err_wrap(&cause, "gave up after %d tries (errors.retry.timeout)", attempt);
		rc = sink_reject_batch(s->t, &p->batch, &cause, e);
		break;
	}
	sink_batch_clear(&p->batch);
	return rc;
}

static struct http_part *part_for(struct http_sink *s, const char *topic, int32_t partition)
{
	struct http_part *p;

	for (size_t i = 0; i < s->nparts; i++)
		if (s->parts[i].partition == partition && strcmp(s->parts[i].topic, topic) == 0)
			return &s->parts[i];
	s->parts = xgrow(s->parts, &s->parts_cap, s->nparts + 1, sizeof(*p));
	p = &s->parts[s->nparts++];
	p->topic = xstrdup(topic);
	p->partition = partition;
	sink_batch_init(&p->batch);
	return p;
}

/* Send every batch whose first record waited batch.linger.ms (all of them when force). */
static int send_due(struct http_sink *s, int force, struct err *e)
{
	int64_t now = clock_mono_ms();

	for (size_t i = 0; i < s->nparts; i++) {
		struct http_part *p = &s->parts[i];
		if (p->batch.n > 0 && (force || now - p->batch.first_ms >= s->linger_ms)) {
			int rc = send_batch(s, p, e);
			if (rc)
				return rc;
		}
	}
	return 0;
}

static int http_sink_put(void *state, const struct crec *r, struct err *e)
{
	struct http_sink *s = state;
	struct http_part *p = part_for(s, buf_cstr(&r->topic), r->partition);
	struct sink_batch *b = &p->batch;
	size_t len = r->key.len + r->value.len;
	int rc;

	/* A record that would take the batch past a limit starts the next one. */
	if (b->n > 0 && ((int64_t)b->n >= s->max_records || (int64_t)(b->bytes + len) > s->max_bytes) &&
	    (rc = send_batch(s, p, e)))
		return rc;
	sink_batch_add(b, r, clock_mono_ms());
	if (((int64_t)b->n >= s->max_records || (int64_t)b->bytes >= s->max_bytes) &&
	    (rc = send_batch(s, p, e)))
		return rc;
	return send_due(s, 0, e);
}

static int http_sink_flush(void *state, struct err *e)
{
	return send_due(state, 1, e);
}

static void http_sink_release(void *state, const char *topic, int32_t partition)
{
	struct http_sink *s = state;

	for (size_t i = 0; i < s->nparts; i++) {
		struct http_part *p = &s->parts[i];
		if (p->partition != partition || strcmp(p->topic, topic) != 0)
			continue;
		/* Flushed before the release: the batch is empty. */
		free(p->topic);
		sink_batch_free(&p->batch);
		s->parts[i] = s->parts[--s->nparts];
		return;
	}
}

static const struct sink_ops http_sink_ops = {
	.open = http_sink_open,
	.put = http_sink_put,
	.flush = http_sink_flush,
	.release = http_sink_release,
	.close = http_sink_close,
};

static const char *const http_sink_aliases[] = { NULL };

const struct connector_class http_sink_class = {
	.name = "http-sink",
	.aliases = http_sink_aliases,
	.kind = CONNECTOR_SINK,
	.keys = http_sink_keys,
	.nkeys = sizeof(http_sink_keys) / sizeof(http_sink_keys[0]),
	.check = http_sink_check,
	.sink = &http_sink_ops,
};
