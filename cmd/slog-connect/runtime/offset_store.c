/*
 * offset_store.c: source positions in a compacted topic, Kafka Connect's
 * way.  See offset_store.h.
 *
 * The map in memory is keyed by the canonical text of each record key
 * (compact JSON, object members sorted), so that a key written by another
 * program with its members in another order is still the same position.
 * Keys are written in that canonical form and partitioned by murmur2 of
 * their bytes, as Kafka's producer does: every record of one key lands in
 * one partition, in order, and the last one wins when the store is read
 * back (and when the topic is compacted).
 *
 * Opening reads each partition from its start to the high watermark it
 * had when asked: what was written before the open is seen; what comes
 * after is this store's own (one task per connector writes its keys).
 */
#include "runtime/offset_store.h"

#include <stdlib.h>
#include <string.h>

#include "batch.h"
#include "batch_iter.h"
#include "clock.h"
#include "http_client.h"
#include "runtime/record_writer.h"
#include "runtime/topic_ensure.h"
#include "xalloc.h"

/* Kafka Connect's offset.storage.partitions and .replication.factor. */
#define OFFSETS_PARTITIONS 25
#define OFFSETS_REPLICATION 3
/* How long one flush may wait for the writer to connect. */
#define CONNECT_MS 10000

struct offset_store {
	char *brokers, *topic, *connector;
	struct cluster cl;
	json_t *map;      /* canonical key -> {"partition":..., "offset":...} */
	json_t *changed;  /* canonical key -> true: written at the next flush */
	struct record_writer *w;
	struct crec rec;
	struct buf unz;
};

/* The record key of a source partition: ["<connector>",{...}], canonical. */
static char *key_text(const struct offset_store *s, json_t *partition)
{
	json_t *k = json_pack("[sO]", s->connector, partition);
	char *text = json_dumps(k, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);

	json_decref(k);
	return text;
}

/* Apply one record read back: this connector's key set or forgotten. */
static void apply(struct offset_store *s, const struct record *r)
{
	json_t *k, *v = NULL;
	char *canon;

	if (!r->key || r->key_len <= 0)
		return;
	k = json_loadb((const char *)r->key, (size_t)r->key_len, JSON_DECODE_ANY, NULL);
	if (!json_is_array(k) || json_array_size(k) != 2 ||
	    !json_is_string(json_array_get(k, 0)) ||
	    strcmp(json_string_value(json_array_get(k, 0)), s->connector) != 0) {
		json_decref(k);
		return;
	}
	canon = key_text(s, json_array_get(k, 1));
	if (r->value && r->value_len >= 0)
		v = json_loadb((const char *)r->value, (size_t)r->value_len, JSON_DECODE_ANY, NULL);
	if (v && !json_is_null(v))
		json_object_set_new(s->map, canon,
				    json_pack("{sOso}", "partition", json_array_get(k, 1), "offset", v));
	else
		json_object_del(s->map, canon);
	if (v && json_is_null(v))
		json_decref(v);
	free(canon);
	json_decref(k);
}

/* Apply every record at or after from in a fetched answer of batches. */
static int apply_batches(struct offset_store *s, const struct buf *body, int64_t from,
			 struct err *e)
{
	const uint8_t *p = (const uint8_t *)body->data;
	size_t left = body->len;

	while (left > 0) {
		struct batch_header h;
		struct batch_iter it;
		struct record r;
		int rc;

		if ((rc = batch_next_in(p, left, &h, e)))
			return rc;
		if ((rc = batch_iter_init(&it, p, batch_size(&h), &s->unz, e)))
			return rc;
		while ((rc = batch_iter_next(&it, &r, e)) > 0)
			if (r.offset >= from)
				apply(s, &r);
		if (rc < 0)
			return rc;
		p += batch_size(&h);
		left -= batch_size(&h);
	}
	return 0;
}

/* GET one answer of batches from a partition's leader, at offset. */
static int fetch(CURL *h, struct curl_slist *hdrs, const char *leader, const char *topic,
		 int32_t part, int64_t offset, int64_t deadline_ms, struct http_response *resp,
		 struct err *e)
{
	struct buf url = BUF_INIT;
	int64_t left = deadline_ms - clock_mono_ms();
	int rc;

	if (left <= 0)
		return err_set(e, SLOG_EREQUEST_TIMED_OUT, "reading topic '%s': timed out", topic);
	buf_addf(&url, "%s/v1/topics/", leader);
	http_escape(&url, topic);
	buf_addf(&url, "/partitions/%d/records?offset=%lld&max_bytes=%d", part,
		 (long long)offset, 4 << 20);
	http_response_free(resp);
	http_response_init(resp);
	curl_easy_reset(h);
	http_easy_setup(h, url.data, "GET", hdrs, NULL, 0, (long)left, resp);
	rc = http_response_finish(h, curl_easy_perform(h), url.data, resp, e);
	buf_free(&url);
	return rc;
}

/* Read one partition from its start to its high watermark. */
static int read_partition(struct offset_store *s, CURL *h, struct curl_slist *hdrs,
			  const char *leader, int32_t part, int64_t deadline_ms, struct err *e)
{
	struct http_response resp;
	int64_t pos = 0, end = -1;
	int rc;

	http_response_init(&resp);
	/* The first answer says where the log starts and ends. */
	rc = fetch(h, hdrs, leader, s->topic, part, 0, deadline_ms, &resp, e);
	if (rc == SLOG_EOFFSET_OUT_OF_RANGE) {
		json_t *j = NULL;
		http_response_json(&resp, s->topic, &j, e);
		pos = json_integer_value(json_object_get(json_object_get(j, "error"), "log_start_offset"));
		json_decref(j);
		rc = fetch(h, hdrs, leader, s->topic, part, pos, deadline_ms, &resp, e);
	}
	while (!rc) {
		if (end < 0)
			end = resp.high_watermark;
		if ((rc = apply_batches(s, &resp.body, pos, e)))
			break;
		if (resp.next_offset <= pos || resp.next_offset >= end)
			break;
		pos = resp.next_offset;
		rc = fetch(h, hdrs, leader, s->topic, part, pos, deadline_ms, &resp, e);
	}
	http_response_free(&resp);
	if (rc)
		err_wrap(e, "reading %s-%d", s->topic, part);
	return rc;
}

static int read_all(struct offset_store *s, int64_t deadline_ms, struct err *e)
{
	struct curl_slist *hdrs = curl_slist_append(NULL, "Accept: application/x-slog-batch");
	CURL *h = curl_easy_init();
	struct topic_meta m;
	int rc = cluster_topic(&s->cl, s->topic, 0, deadline_ms, &m, e);

	for (int32_t p = 0; !rc && p < m.partitions; p++)
		rc = read_partition(s, h, hdrs, m.leader[p], p, deadline_ms, e);
	if (m.leader)
		topic_meta_free(&m);
	curl_easy_cleanup(h);
	curl_slist_free_all(hdrs);
	return rc;
}

int offset_store_open(const char *brokers, const char *topic, const char *connector,
		      int64_t deadline_ms, struct offset_store **out, struct err *e)
{
	struct offset_store *s = xcalloc(1, sizeof(*s));
	json_t *configs = json_pack("{ss}", "cleanup.policy", "compact");
	int rc;

	*out = NULL;
	s->brokers = brokers ? xstrdup(brokers) : NULL;
	s->topic = xstrdup(topic);
	s->connector = xstrdup(connector);
	s->map = json_object();
	s->changed = json_object();
	crec_init(&s->rec);
	rc = cluster_connect(&s->cl, brokers, deadline_ms, e);
	if (!rc) {
		rc = topic_ensure(&s->cl, topic, OFFSETS_PARTITIONS, OFFSETS_REPLICATION, configs,
				  deadline_ms, e);
		if (!rc)
			rc = read_all(s, deadline_ms, e);
		cluster_close(&s->cl);
	}
	json_decref(configs);
	if (rc) {
		offset_store_close(s);
		return rc;
	}
	*out = s;
	return 0;
}

void offset_store_close(struct offset_store *s)
{
	if (!s)
		return;
	writer_free(s->w);
	json_decref(s->map);
	json_decref(s->changed);
	crec_free(&s->rec);
	buf_free(&s->unz);
	free(s->brokers);
	free(s->topic);
	free(s->connector);
	free(s);
}

json_t *offset_store_get(struct offset_store *s, json_t *partition)
{
	char *canon = key_text(s, partition);
	json_t *entry = json_object_get(s->map, canon);

	free(canon);
	return entry ? json_object_get(entry, "offset") : NULL;
}

json_t *offset_store_list(struct offset_store *s)
{
	json_t *list = json_array();
	const char *k;
	json_t *entry;
	void *tmp;

	json_object_foreach_safe(s->map, tmp, k, entry)
		json_array_append_new(list, json_deep_copy(entry));
	return list;
}

void offset_store_put(struct offset_store *s, json_t *partition, json_t *offset_take)
{
	char *canon = key_text(s, partition);

	if (offset_take)
		json_object_set_new(s->map, canon,
				    json_pack("{sOso}", "partition", partition, "offset", offset_take));
	else
		json_object_del(s->map, canon);
	json_object_set_new(s->changed, canon, json_true());
	free(canon);
}

void offset_store_reset(struct offset_store *s)
{
	const char *k;
	json_t *entry;
	void *tmp;

	json_object_foreach_safe(s->map, tmp, k, entry)
		json_object_set_new(s->changed, k, json_true());
	json_object_clear(s->map);
}

/* Queue one changed key: its offset, or a tombstone. */
static int send_key(struct offset_store *s, const char *canon, struct err *e)
{
	json_t *entry = json_object_get(s->map, canon);
	uint64_t seq;

	crec_reset(&s->rec);
	crec_set_key(&s->rec, canon, (int32_t)strlen(canon));
	if (entry) {
		char *v = json_dumps(json_object_get(entry, "offset"),
				     JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
		crec_set_value(&s->rec, v, (int32_t)strlen(v));
		free(v);
	} else {
		crec_set_value(&s->rec, NULL, -1);
	}
	return writer_send(s->w, &s->rec, &seq, e);
}

int offset_store_flush(struct offset_store *s, int64_t deadline_ms, struct err *e)
{
	const char *k;
	json_t *v;
	int rc = 0;

	if (json_object_size(s->changed) == 0)
		return 0;
	if (!s->w) {
		struct writer_opts o;
		writer_opts_from_task(NULL, &o);
		o.brokers = s->brokers;
		o.default_topic = s->topic;
		o.linger_ms = 0;
		o.auto_create = 0;
		s->w = writer_new(NULL, &o, deadline_ms, e);
		if (!s->w)
			return e->code;
	}
	json_object_foreach(s->changed, k, v)
		if ((rc = send_key(s, k, e)))
			break;
	if (!rc)
		rc = writer_flush(s->w, deadline_ms, e);
	if (rc) {
		/* A writer that failed stays failed: the next flush starts a new
		 * one and writes every changed key again. */
		writer_free(s->w);
		s->w = NULL;
		err_wrap(e, "saving offsets to '%s'", s->topic);
		return rc;
	}
	json_object_clear(s->changed);
	return 0;
}
