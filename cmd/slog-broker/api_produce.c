/*
 * api_produce.c: records in.
 *
 *   POST /v1/topics/{t}/partitions/{p}/records   batches, NDJSON or text
 *   POST /v1/topics/{t}/records                  NDJSON or text; the broker
 *                                                picks partitions
 *
 * Record batches are checked in place and appended from the request
 * body: a batch's bytes are copied once, from the request into the log.
 * NDJSON and text are encoded into batches here.  Nothing is appended
 * unless the whole request is valid, so a malformed line N is an error
 * naming line N and leaves the topic untouched.
 *
 * acks=0 and acks=1 are answered once the batches are in the log;
 * acks=all (the default), with log.flush.on.ack, once they are fsynced:
 * the request suspends and the flusher resumes it (flusher.h).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api.h"
#include "batch_builder.h"
#include "batch_iter.h"
#include "broker.h"
#include "compress.h"
#include "controller.h"
#include "dir_gate.h"
#include "endian_io.h"
#include "murmur2.h"
#include "ndjson.h"
#include "xalloc.h"

enum body_kind { BODY_BATCH, BODY_NDJSON, BODY_TEXT, BODY_OTHER };

/* What one partition of a produce request gets, and its outcome. */
struct part_out {
	int32_t partition;
	struct batch_builder bb;
	struct buf data;      /* finished batches (NDJSON/text) */
	int32_t records;
	int64_t base, last;
	struct err err;
	int rc;
	struct flush_req flush;
};

struct produce_state {
	char topic[TOPIC_NAME_MAX + 1];
	int single;            /* the partition endpoint: answer one object */
	struct part_out *parts;
	size_t nparts;
	_Atomic int pending;   /* flushes not yet done */
	struct request *r;
	int acks;
	uint8_t *body;         /* the request's own batches, appended as they are */
	struct dir_gate_wait gate; /* waiting for a log dir's slot */
};

static void state_free(void *p)
{
	struct produce_state *s = p;

	dir_gate_forget(&s->gate);
	for (size_t i = 0; i < s->nparts; i++) {
		batch_builder_free(&s->parts[i].bb);
		buf_free(&s->parts[i].data);
	}
	free(s->parts);
	free(s);
}

static enum body_kind body_kind(struct request *r)
{
	const char *ct = http_header(r, "Content-Type");
	size_t n;

	if (!ct)
		return BODY_TEXT;
	n = strcspn(ct, ";");
	/* Media types are case-insensitive (RFC 9110). */
	if (n == 24 && strncasecmp(ct, "application/x-slog-batch", n) == 0)
		return BODY_BATCH;
	if ((n == 20 && strncasecmp(ct, "application/x-ndjson", n) == 0) ||
	    (n == 16 && strncasecmp(ct, "application/json", n) == 0))
		return BODY_NDJSON;
	/* curl -d sends form-urlencoded by default; its bytes are the text. */
	if ((n == 10 && strncasecmp(ct, "text/plain", n) == 0) ||
	    (n == 33 && strncasecmp(ct, "application/x-www-form-urlencoded", n) == 0))
		return BODY_TEXT;
	return BODY_OTHER;
}

/* acks: 0, 1, or -1 for all; -2 for a bad value. */
static int parse_acks(struct request *r)
{
	const char *a = http_query(r, "acks");

	if (!a || strcmp(a, "all") == 0 || strcmp(a, "-1") == 0)
		return -1;
	if (strcmp(a, "0") == 0)
		return 0;
	if (strcmp(a, "1") == 0)
		return 1;
	return -2;
}

static struct part_out *part_for(struct produce_state *s, struct topic *t, int32_t partition)
{
	for (size_t i = 0; i < s->nparts; i++)
		if (s->parts[i].partition == partition)
			return &s->parts[i];
	s->parts = xrealloc(s->parts, (s->nparts + 1) * sizeof(*s->parts));
	memset(&s->parts[s->nparts], 0, sizeof(s->parts[0]));
	s->parts[s->nparts].partition = partition;
	batch_builder_init(&s->parts[s->nparts].bb, t->cfg.compression < 0 ? CODEC_NONE
								       : t->cfg.compression, 0);
	if (t->cfg.log_append_time)
		s->parts[s->nparts].bb.attributes_extra = BATCH_ATTR_LOG_APPEND_TIME;
	return &s->parts[s->nparts++];
}

/* Add one record to its partition's batches, splitting at max.message.bytes. */
static int add_record(struct part_out *po, struct topic *t, const struct record *rec,
		      int64_t line, struct err *e)
{
	if (batch_builder_count(&po->bb) &&
	    (int64_t)batch_builder_size_with(&po->bb, rec) > t->cfg.max_message_bytes &&
	    batch_builder_finish(&po->bb, &po->data, e))
		return SLOG_EUNKNOWN;
	if ((int64_t)batch_builder_size_with(&po->bb, rec) > t->cfg.max_message_bytes)
		return err_set(e, SLOG_EMESSAGE_TOO_LARGE,
			       "line %lld: a record of %zu bytes exceeds max.message.bytes (%lld) of topic '%s'",
			       (long long)line, batch_builder_size_with(&po->bb, rec),
			       (long long)t->cfg.max_message_bytes, t->name);
	if (batch_builder_add(&po->bb, rec))
		return err_set(e, SLOG_EINVALID_TIMESTAMP, "line %lld: timestamp out of range", (long long)line);
	po->records++;
	return 0;
}

/*
 * Which partition a record goes to on the topic endpoint.  Keyless
 * records of one request share a partition; the next request moves on.
 */
static int32_t choose_partition(struct topic *t, const struct record *rec, int32_t asked,
				int32_t *sticky)
{
	if (asked >= 0)
		return asked;
	if (rec->key)
		return murmur2_partition(rec->key, (size_t)rec->key_len, t->npart);
	if (*sticky < 0)
		*sticky = (int32_t)(atomic_fetch_add(&t->sticky, 1) % (uint32_t)t->npart);
	return *sticky;
}

/* Compaction keeps the last record of each key: a record needs one. */
static int check_key(struct topic *t, const struct record *rec, int64_t line, struct err *e)
{
	if (t->cfg.cleanup_policy == CLEANUP_DELETE || rec->key)
		return 0;
	if (line > 0)
		return err_set(e, SLOG_EINVALID_RECORD,
			       "line %lld: topic '%s' is compacted: every record needs a key",
			       (long long)line, t->name);
	return err_set(e, SLOG_EINVALID_RECORD, "topic '%s' is compacted: every record needs a key",
		       t->name);
}

/* The topic's timestamp rules, for a record the broker encodes itself. */
static int check_timestamp(struct topic *t, struct record *rec, int64_t now, int64_t line,
			   struct err *e)
{
	/* Negative is refused whatever the topic, as in a batch (batch.c). */
	if (rec->timestamp < 0)
		return err_set(e, SLOG_EINVALID_TIMESTAMP, "line %lld: timestamp %lld is negative",
			       (long long)line, (long long)rec->timestamp);
	if (t->cfg.log_append_time) {
		rec->timestamp = now;
		return 0;
	}
	if (t->cfg.ts_after_max_ms >= 0 && rec->timestamp > now + t->cfg.ts_after_max_ms)
		return err_set(e, SLOG_EINVALID_TIMESTAMP,
			       "line %lld: timestamp %lld is more than message.timestamp.after.max.ms ahead",
			       (long long)line, (long long)rec->timestamp);
	if (t->cfg.ts_before_max_ms >= 0 && rec->timestamp < now - t->cfg.ts_before_max_ms)
		return err_set(e, SLOG_EINVALID_TIMESTAMP,
			       "line %lld: timestamp %lld is more than message.timestamp.before.max.ms old",
			       (long long)line, (long long)rec->timestamp);
	return 0;
}

/*
 * Parse an NDJSON or text body into per-partition batches.  fixed >= 0
 * is the partition endpoint's partition.  On error e names the line.
 */
static int build_from_lines(struct request *r, struct produce_state *s, struct topic *t,
			    enum body_kind kind, int32_t fixed, struct err *e)
{
	struct ndjson_record nr;
	const char *p = r->body.data ? r->body.data : "", *end = p + r->body.len;
	int64_t line = 0, now = clock_wall_ms();
	int32_t sticky = -1;
	int rc = 0;

	ndjson_record_init(&nr);
	while (p < end && !rc) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
		struct record rec;
		int32_t part = fixed;

		line++;
		if (kind == BODY_NDJSON) {
			size_t k = 0;
			while (k < len && (p[k] == ' ' || p[k] == '\t' || p[k] == '\r'))
				k++;
			if (k == len)
				goto next; /* blank lines carry no record */
			rc = ndjson_parse(&nr, p, len, e);
			if (rc) {
				err_wrap(e, "line %lld", (long long)line);
				break;
			}
			rec = nr.rec;
			if (!nr.has_timestamp)
				rec.timestamp = now;
			if (nr.topic && strcmp(nr.topic, t->name) != 0) {
				rc = err_set(e, SLOG_EINVALID_RECORD, "line %lld: a record for topic '%s' sent to '%s'",
					     (long long)line, nr.topic, t->name);
				break;
			}
			if (nr.partition >= 0 && fixed >= 0 && nr.partition != fixed) {
				rc = err_set(e, SLOG_EINVALID_RECORD,
					     "line %lld: a record for partition %d sent to partition %d",
					     (long long)line, nr.partition, fixed);
				break;
			}
			if (nr.partition >= t->npart) {
				rc = err_set(e, SLOG_EUNKNOWN_TOPIC_OR_PARTITION,
					     "line %lld: topic '%s' has no partition %d", (long long)line,
					     t->name, nr.partition);
				break;
			}
			part = choose_partition(t, &rec, fixed >= 0 ? fixed : nr.partition, &sticky);
		} else {
			memset(&rec, 0, sizeof(rec));
			rec.key_len = -1;
			rec.value = (const uint8_t *)p;
			rec.value_len = (int32_t)len;
			rec.timestamp = now;
			part = choose_partition(t, &rec, fixed, &sticky);
		}
		rc = check_timestamp(t, &rec, now, line, e);
		if (!rc)
			rc = check_key(t, &rec, line, e);
		if (!rc)
			rc = add_record(part_for(s, t, part), t, &rec, line, e);
next:
		if (!nl)
			break;
		p = nl + 1;
	}
	for (size_t i = 0; i < s->nparts && !rc; i++)
		rc = batch_builder_finish(&s->parts[i].bb, &s->parts[i].data, e);
	ndjson_record_free(&nr);
	return rc;
}

/* The broker's bound on a produced batch's decompressed records. */
static size_t records_limit(const struct broker *b)
{
	return (size_t)conf_get_num(&b->conf, "message.max.uncompressed.bytes");
}

/*
 * Validate every batch of a binary body: CRC, structure, records.  This is
 * the costly part (it decompresses), and needs no topic, so it runs before
 * the metadata lock.  Records are read in steps and bounded by
 * message.max.uncompressed.bytes, so a bomb is refused after at most that
 * much work and about a record's worth of memory.
 */
static int validate_batches(struct request *r, struct err *e)
{
	const uint8_t *p = (const uint8_t *)r->body.data;
	size_t off = 0, len = r->body.len, limit = records_limit(r->b);
	struct buf scratch = BUF_INIT;
	int rc = 0;

	if (len == 0)
		return err_set(e, SLOG_EINVALID_RECORD, "the request holds no record batch");
	while (off < len && !rc) {
		struct batch_header h;

		rc = batch_next_in(p + off, len - off, &h, e);
		if (!rc)
			rc = batch_validate_within(p + off, batch_size(&h), BATCH_CHECK_PRODUCE, limit, &h,
						   &scratch, e);
		if (rc == SLOG_EMESSAGE_TOO_LARGE)
			rc = err_set(e, rc, "a batch's records expand beyond message.max.uncompressed.bytes "
				     "(%zu bytes) of the broker", limit);
		off += rc ? 0 : batch_size(&h);
	}
	buf_free(&scratch);
	return rc;
}

/* The topic's rules for one valid batch: size, timestamps, keys. */
static int check_batch(struct topic *t, const uint8_t *p, const struct batch_header *h,
		       size_t limit, int64_t now, struct buf *scratch, struct err *e)
{
	struct batch_iter it;
	struct record rec;
	int rc = 0;

	if ((int64_t)batch_size(h) > t->cfg.max_message_bytes)
		return err_set(e, SLOG_EMESSAGE_TOO_LARGE,
			       "a batch of %zu bytes exceeds max.message.bytes (%lld) of topic '%s'",
			       batch_size(h), (long long)t->cfg.max_message_bytes, t->name);
	if (!t->cfg.log_append_time && t->cfg.ts_after_max_ms >= 0 &&
	    h->max_timestamp > now + t->cfg.ts_after_max_ms)
		return err_set(e, SLOG_EINVALID_TIMESTAMP,
			       "timestamp %lld is more than message.timestamp.after.max.ms ahead",
			       (long long)h->max_timestamp);
	if (!t->cfg.log_append_time && t->cfg.ts_before_max_ms >= 0 &&
	    h->base_timestamp < now - t->cfg.ts_before_max_ms)
		return err_set(e, SLOG_EINVALID_TIMESTAMP,
			       "timestamp %lld is more than message.timestamp.before.max.ms old",
			       (long long)h->base_timestamp);
	if (t->cfg.cleanup_policy == CLEANUP_DELETE)
		return 0;
	rc = batch_iter_open(&it, p, batch_size(h), limit, scratch, e);
	if (rc)
		return rc;
	while (!rc && batch_iter_next(&it, &rec, NULL) == 1)
		rc = check_key(t, &rec, 0, e);
	batch_iter_close(&it);
	return rc;
}

/* Check validated batches against the topic in place; stamp log-append time. */
static int check_batches(struct request *r, struct topic *t, struct err *e)
{
	uint8_t *p = (uint8_t *)r->body.data;
	size_t off = 0, len = r->body.len, limit = records_limit(r->b);
	struct buf scratch = BUF_INIT;
	int64_t now = clock_wall_ms();
	int rc = 0;

	while (off < len && !rc) {
		struct batch_header h;

		rc = batch_next_in(p + off, len - off, &h, e);
		if (!rc)
			rc = check_batch(t, p + off, &h, limit, now, &scratch, e);
		if (!rc && t->cfg.log_append_time) {
			/* Kafka's LogAppendTime: the broker's clock, stamped on the batch. */
			be16_put(p + off + BATCH_OFF_ATTRIBUTES,
				 (uint16_t)(h.attributes | BATCH_ATTR_LOG_APPEND_TIME));
			be64_put(p + off + BATCH_OFF_MAX_TIMESTAMP, (uint64_t)now);
			be32_put(p + off + BATCH_OFF_CRC, batch_crc_compute(p + off, batch_size(&h)));
		}
		off += rc ? 0 : batch_size(&h);
	}
	buf_free(&scratch);
	return rc;
}

/*
 * Re-encode batches whose codec is not the topic's compression.type.
 * Records are read in steps; the new batch holds them whole, which
 * validate_batches() bounded by message.max.uncompressed.bytes.
 */
static int recompress(struct buf *data, int codec, size_t limit, struct err *e)
{
	struct buf out = BUF_INIT, scratch = BUF_INIT;
	size_t off = 0;
	int rc = 0;

	while (off < data->len && !rc) {
		struct batch_header h;
		struct batch_iter it;
		struct batch_builder bb;
		struct record rec;

		batch_next_in((uint8_t *)data->data + off, data->len - off, &h, NULL);
		if (batch_codec(&h) == codec) {
			buf_add(&out, data->data + off, batch_size(&h));
			off += batch_size(&h);
			continue;
		}
		batch_builder_init(&bb, codec, 0);
		bb.attributes_extra = h.attributes & ~BATCH_ATTR_CODEC_MASK;
		batch_builder_set_producer(&bb, h.producer_id, h.producer_epoch, h.base_sequence);
		rc = batch_iter_open(&it, (uint8_t *)data->data + off, batch_size(&h), limit, &scratch, e);
		if (!rc) {
			while ((rc = batch_iter_next(&it, &rec, e)) == 1 && !batch_builder_add(&bb, &rec))
				;
			if (rc == 1)
				rc = err_set(e, SLOG_EINVALID_TIMESTAMP, "a record's timestamp cannot be re-encoded");
			batch_iter_close(&it);
		}
		if (rc >= 0)
			rc = batch_builder_finish(&bb, &out, e);
		batch_builder_free(&bb);
		off += batch_size(&h);
	}
	if (!rc) {
		buf_free(data);
		*data = out;
	} else {
		buf_free(&out);
	}
	buf_free(&scratch);
	return rc;
}

static json_t *part_json(const struct part_out *po)
{
	if (po->rc)
		return json_pack("{s:i, s:{s:s, s:s}}", "partition", po->partition, "error", "code",
				 err_name(po->rc), "message", po->err.msg);
	return json_pack("{s:i, s:I, s:I, s:i}", "partition", po->partition, "base_offset",
			 (json_int_t)po->base, "last_offset", (json_int_t)po->last, "record_count",
			 po->records);
}

static int reply_result(struct request *r)
{
	struct produce_state *s = r->state;
	json_t *j, *list;
	int status = 200, code = 0;

	for (size_t i = 0; i < s->nparts; i++)
		if (s->parts[i].rc && !code)
			code = s->parts[i].rc;
	if (code)
		status = err_http_status(code);
	if (s->single) {
		struct part_out *po = &s->parts[0];
		if (po->rc)
			return http_reply_err(r, &po->err);
		j = json_pack("{s:s, s:i, s:I, s:I, s:i}", "topic", s->topic, "partition", po->partition,
			      "base_offset", (json_int_t)po->base, "last_offset", (json_int_t)po->last,
			      "record_count", po->records);
		return http_reply_json(r, status, j);
	}
	list = json_array();
	for (size_t i = 0; i < s->nparts; i++)
		json_array_append_new(list, part_json(&s->parts[i]));
	return http_reply_json(r, status, json_pack("{s:s, s:o}", "topic", s->topic, "partitions", list));
}

/* Append every partition's batches; count and wake fetchers. */
static void append_all(struct request *r, struct produce_state *s, struct topic *t,
		       uint8_t *body_batches, size_t body_len)
{
	int64_t now = clock_wall_ms();

	for (size_t i = 0; i < s->nparts; i++) {
		struct part_out *po = &s->parts[i];
		struct partition *p = t->parts[po->partition];
		struct plog_append_result res;
		uint8_t *data = body_batches ? body_batches : (uint8_t *)po->data.data;
		size_t len = body_batches ? body_len : po->data.len;

		if (!len)
			continue;
		po->rc = plog_append(p->log, data, len, p->leader_epoch, now, &res, &po->err);
		if (po->rc)
			continue;
		po->base = res.base_offset;
		po->last = res.last_offset;
		po->records = (int32_t)(res.last_offset - res.base_offset + 1);
		p->bytes_in += len;
		p->records_in += (uint64_t)po->records;
		partition_appended(r->b, p, res.last_offset + 1);
	}
}

#define container_of(ptr, type, member) ((type *)(void *)((char *)(ptr) - offsetof(type, member)))

/* A partition's fsync finished (flusher thread).  The last one resumes. */
static void flush_done(struct flush_req *fr, int rc, const struct err *e)
{
	struct part_out *po = container_of(fr, struct part_out, flush);
	struct produce_state *s = fr->arg;

	partition_put(fr->part); /* taken in produce(), under meta_lock */
	if (rc) {
		po->rc = rc;
		po->err = *e;
	}
	if (--s->pending == 0)
		http_resume(s->r); /* s may be freed from here on */
}

/* Whether po's records wait for an fsync before the answer. */
static int needs_flush(const struct part_out *po)
{
	return po->rc == 0 && po->records > 0;
}

/* Suspend until every appended partition is fsynced.  Each such part's
 * flush.part holds a reference (produce()); the flush drops it. */
static int wait_for_flush(struct request *r, struct produce_state *s)
{
	struct flush_req **todo = xcalloc(s->nparts + 1, sizeof(*todo));
	struct flusher *f = r->b->flusher;
	int n = 0;

	for (size_t i = 0; i < s->nparts; i++) {
		struct part_out *po = &s->parts[i];
		if (!needs_flush(po))
			continue;
		po->flush.upto = po->last + 1;
		po->flush.done = flush_done;
		po->flush.arg = s;
		todo[n++] = &po->flush;
	}
	if (n == 0) {
		free(todo);
		return reply_result(r);
	}
	s->pending = n;
	http_suspend(r, reply_result);
	/* The last submit may answer and free the request: only locals after. */
	for (int i = 0; i < n; i++)
		flusher_submit(f, todo[i]);
	free(todo);
	return 1;
}

/* The log dirs the request writes to. */
static uint64_t dirs_of(const struct produce_state *s, const struct topic *t)
{
	uint64_t mask = 0;

	for (size_t i = 0; i < s->nparts; i++)
		mask |= dir_gate_bit(t->parts[s->parts[i].partition]->dir);
	return mask;
}

static int append_again(struct request *r);

/*
 * Append (meta_lock held for reading; released here), then answer or
 * wait for the flush.  A write may block on a stalled disk, so the
 * request first takes a slot of each log dir it writes to (dir_gate.h);
 * when one is full it suspends and comes back through append_again.
 */
static int append_locked(struct request *r, struct produce_state *s, struct topic *t)
{
	struct broker *b = r->b;
	uint64_t dirs = dirs_of(s, t);

	if (!api_enter_dirs(r, dirs, &s->gate, append_again)) {
		pthread_rwlock_unlock(&b->meta_lock);
		return 1;
	}
	append_all(r, s, t, s->body, r->body.len);
	dir_gate_leave(b->gate, dirs);
	if (s->acks != -1 || !b->flush_on_ack) {
		pthread_rwlock_unlock(&b->meta_lock);
		return reply_result(r);
	}
	/* The flush runs after meta_lock is released: a topic deleted
	 * meanwhile must not free the partitions under it. */
	for (size_t i = 0; i < s->nparts; i++)
		if (needs_flush(&s->parts[i]))
			s->parts[i].flush.part = partition_get(t->parts[s->parts[i].partition]);
	pthread_rwlock_unlock(&b->meta_lock);
	return wait_for_flush(r, s);
}

/* Back from waiting for a log dir: the topic may have changed meanwhile. */
static int append_again(struct request *r)
{
	struct produce_state *s = r->state;
	struct broker *b = r->b;
	struct topic *t;

	pthread_rwlock_rdlock(&b->meta_lock);
	t = broker_topic(b, s->topic);
	for (size_t i = 0; t && i < s->nparts; i++)
		if (s->parts[i].partition >= t->npart)
			t = NULL;
	if (!t) {
		pthread_rwlock_unlock(&b->meta_lock);
		return http_reply_error(r, SLOG_EUNKNOWN_TOPIC_OR_PARTITION,
					"topic '%s' was deleted or shrunk while the request waited", s->topic);
	}
	return append_locked(r, s, t);
}

/* The topic into *t, created if it does not exist and may be, with
 * meta_lock held for reading; or *t NULL and the answer sent (returned). */
static int find_topic(struct request *r, const char *topic, int32_t fixed, struct topic **t)
{
	struct broker *b = r->b;
	struct err e;

	pthread_rwlock_rdlock(&b->meta_lock);
	*t = broker_topic(b, topic);
	if (*t)
		return 0;
	pthread_rwlock_unlock(&b->meta_lock);
	if (meta_topic_reserved(topic))
		return http_reply_error(r, SLOG_EINVALID_TOPIC,
					"topic '%s' does not exist, and names starting with '__' are "
					"the broker's: it does not create them", topic);
	/* Auto-creation makes num.partitions partitions: a request for
	 * another partition must not create the topic and then fail. */
	if (fixed < conf_get_num(&b->conf, "num.partitions")) {
		if (meta_topic_name_valid(topic, &e) || controller_ensure_topic(b, topic, &e))
			return http_reply_err(r, &e);
		pthread_rwlock_rdlock(&b->meta_lock);
		*t = broker_topic(b, topic);
		if (*t)
			return 0;
		pthread_rwlock_unlock(&b->meta_lock);
	}
	return http_reply_error(r, SLOG_EUNKNOWN_TOPIC_OR_PARTITION, "topic '%s' does not exist",
				topic);
}

static int produce(struct request *r, const char *topic, int32_t fixed)
{
	struct broker *b = r->b;
	enum body_kind kind = body_kind(r);
	int acks = parse_acks(r);
	struct produce_state *s;
	struct topic *t;
	uint8_t *body = NULL;
	struct err e;
	int rc;

	if (acks == -2)
		return http_reply_error(r, SLOG_EINVALID_REQUEST, "acks must be 0, 1 or all");
	if (kind == BODY_OTHER)
		return http_reply_error(r, SLOG_EUNSUPPORTED_MEDIA_TYPE,
					"Content-Type %s is not one of application/x-slog-batch, "
					"application/x-ndjson, text/plain",
					http_header(r, "Content-Type"));
	if (kind == BODY_BATCH && fixed < 0)
		return http_reply_error(r, SLOG_EUNSUPPORTED_MEDIA_TYPE,
					"record batches go to a partition: POST /v1/topics/%s/partitions/N/records",
					topic);
	if (meta_topic_internal(topic))
		return http_reply_error(r, SLOG_EINVALID_TOPIC,
					"topic '%s' is internal: only the broker writes to it", topic);
	if (kind == BODY_BATCH && validate_batches(r, &e))
		return http_reply_err(r, &e);
	s = xcalloc(1, sizeof(*s));
	snprintf(s->topic, sizeof(s->topic), "%s", topic);
	s->single = fixed >= 0;
	s->r = r;
	r->state = s;
	r->free_state = state_free;

	rc = find_topic(r, topic, fixed, &t);
	if (!t)
		return rc;
	if (fixed >= t->npart) {
		int32_t n = t->npart;
		pthread_rwlock_unlock(&b->meta_lock);
		return http_reply_error(r, SLOG_EUNKNOWN_TOPIC_OR_PARTITION,
					"topic '%s' has no partition %d (it has %d)", topic, fixed, n);
	}
	if (kind == BODY_BATCH) {
		struct part_out *po = part_for(s, t, fixed);
		rc = check_batches(r, t, &e);
		if (!rc && t->cfg.compression >= 0) {
			po->data = r->body;
			memset(&r->body, 0, sizeof(r->body));
			rc = recompress(&po->data, t->cfg.compression, records_limit(b), &e);
		} else if (!rc) {
			body = (uint8_t *)r->body.data;
		}
	} else {
		rc = build_from_lines(r, s, t, kind, fixed, &e);
		if (!rc && s->nparts == 0)
			rc = err_set(&e, SLOG_EINVALID_RECORD, "the request holds no records");
	}
	if (rc) {
		pthread_rwlock_unlock(&b->meta_lock);
		return http_reply_err(r, &e);
	}
	s->acks = acks;
	s->body = body;
	return append_locked(r, s, t);
}

int api_produce_partition(struct request *r, char **args)
{
	int32_t p = api_partition_arg(args[1]);

	if (p < 0)
		return http_reply_error(r, SLOG_EUNKNOWN_TOPIC_OR_PARTITION, "'%s' is not a partition number",
					args[1]);
	return produce(r, args[0], p);
}

int api_produce_topic(struct request *r, char **args)
{
	return produce(r, args[0], -1);
}
