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
 *
 * meta_lock is held only to find the topic, copy its configuration and
 * take a reference to each partition written (broker.h); checking,
 * encoding and recompressing the records, the append (a write that
 * blocks on a stalled disk) and the flush all run without it, so a
 * topic created or deleted meanwhile never waits for them, nor does
 * everyone queued behind that change.  A partition whose topic was
 * deleted before its append gets nothing appended and answers
 * UNKNOWN_TOPIC_OR_PARTITION; one deleted during its append keeps the
 * answer of the append, as if the records had come just before the
 * delete (they go with the topic's files).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "batch_builder.h"
#include "batch_check.h"
#include "batch_iter.h"
#include "broker.h"
#include "compress.h"
#include "endian_io.h"
#include "http/api.h"
#include "meta/controller.h"
#include "murmur2.h"
#include "ndjson.h"
#include "replica/registry.h"
#include "storage/dir_gate.h"
#include "xalloc.h"

enum body_kind { BODY_BATCH, BODY_NDJSON, BODY_TEXT, BODY_OTHER };

/* What one partition of a produce request gets, and its outcome. */
struct part_out {
	int32_t partition;
	struct partition *p;  /* a reference, given back in state_free */
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
	uint64_t dirs;         /* the log dirs written */
	/* The topic as the request found it, read without meta_lock. */
	struct topic_config cfg;
	int32_t npart;
	struct topic *t;       /* the topic endpoint's reference, until its
				* partitions are taken (take_partitions) */
};

static void state_free(void *p)
{
	struct produce_state *s = p;

	dir_gate_forget(&s->gate);
	for (size_t i = 0; i < s->nparts; i++) {
		if (s->parts[i].p)
			partition_put(s->parts[i].p);
		batch_builder_free(&s->parts[i].bb);
		buf_free(&s->parts[i].data);
	}
	if (s->t)
		topic_put(s->t);
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

static struct part_out *part_for(struct produce_state *s, int32_t partition)
{
	const struct topic_config *cfg = &s->cfg;

	for (size_t i = 0; i < s->nparts; i++)
		if (s->parts[i].partition == partition)
			return &s->parts[i];
	s->parts = xrealloc(s->parts, (s->nparts + 1) * sizeof(*s->parts));
	memset(&s->parts[s->nparts], 0, sizeof(s->parts[0]));
	s->parts[s->nparts].partition = partition;
	batch_builder_init(&s->parts[s->nparts].bb, cfg->compression < 0 ? CODEC_NONE
								       : cfg->compression, 0);
	if (cfg->log_append_time)
		s->parts[s->nparts].bb.attributes_extra = BATCH_ATTR_LOG_APPEND_TIME;
	return &s->parts[s->nparts++];
}

/* Add one record to its partition's batches, splitting at max.message.bytes. */
static int add_record(struct part_out *po, const struct produce_state *s,
		      const struct record *rec, int64_t line, struct err *e)
{
	int64_t max = s->cfg.max_message_bytes;

	if (batch_builder_count(&po->bb) &&
	    (int64_t)batch_builder_size_with(&po->bb, rec) > max &&
	    batch_builder_finish(&po->bb, &po->data, e))
		return SLOG_EUNKNOWN;
	if ((int64_t)batch_builder_size_with(&po->bb, rec) > max)
		return err_set(e, SLOG_EMESSAGE_TOO_LARGE,
			       "line %lld: a record of %zu bytes exceeds max.message.bytes (%lld) of topic '%s'",
			       (long long)line, batch_builder_size_with(&po->bb, rec), (long long)max,
			       s->topic);
	if (batch_builder_add(&po->bb, rec))
		return err_set(e, SLOG_EINVALID_TIMESTAMP, "line %lld: timestamp out of range", (long long)line);
	po->records++;
	return 0;
}

/*
 * Which partition a record goes to on the topic endpoint.  Keyless
 * records of one request share a partition; the next request moves on.
 */
static int32_t choose_partition(const struct produce_state *s, const struct record *rec,
				int32_t asked, int32_t *sticky)
{
	if (asked >= 0)
		return asked;
	if (rec->key)
		return murmur2_partition(rec->key, (size_t)rec->key_len, s->npart);
	if (*sticky < 0)
		*sticky = (int32_t)(atomic_fetch_add(&s->t->sticky, 1) % (uint32_t)s->npart);
	return *sticky;
}

/* Compaction keeps the last record of each key: a record needs one. */
static int check_key(const struct produce_state *s, const struct record *rec, int64_t line,
		     struct err *e)
{
	if (s->cfg.cleanup_policy == CLEANUP_DELETE || rec->key)
		return 0;
	if (line > 0)
		return err_set(e, SLOG_EINVALID_RECORD,
			       "line %lld: topic '%s' is compacted: every record needs a key",
			       (long long)line, s->topic);
	return err_set(e, SLOG_EINVALID_RECORD, "topic '%s' is compacted: every record needs a key",
		       s->topic);
}

/* The topic's timestamp rules, for a record the broker encodes itself. */
static int check_timestamp(const struct topic_config *cfg, struct record *rec, int64_t now,
			   int64_t line, struct err *e)
{
	/* Negative is refused whatever the topic, as in a batch (batch.c). */
	if (rec->timestamp < 0)
		return err_set(e, SLOG_EINVALID_TIMESTAMP, "line %lld: timestamp %lld is negative",
			       (long long)line, (long long)rec->timestamp);
	if (cfg->log_append_time) {
		rec->timestamp = now;
		return 0;
	}
	if (cfg->ts_after_max_ms >= 0 && rec->timestamp > now + cfg->ts_after_max_ms)
		return err_set(e, SLOG_EINVALID_TIMESTAMP,
			       "line %lld: timestamp %lld is more than message.timestamp.after.max.ms ahead",
			       (long long)line, (long long)rec->timestamp);
	if (cfg->ts_before_max_ms >= 0 && rec->timestamp < now - cfg->ts_before_max_ms)
		return err_set(e, SLOG_EINVALID_TIMESTAMP,
			       "line %lld: timestamp %lld is more than message.timestamp.before.max.ms old",
			       (long long)line, (long long)rec->timestamp);
	return 0;
}

/*
 * Parse an NDJSON or text body into per-partition batches.  fixed >= 0
 * is the partition endpoint's partition.  On error e names the line.
 */
static int build_from_lines(struct request *r, struct produce_state *s, enum body_kind kind,
			    int32_t fixed, struct err *e)
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
			if (nr.topic && strcmp(nr.topic, s->topic) != 0) {
				rc = err_set(e, SLOG_EINVALID_RECORD, "line %lld: a record for topic '%s' sent to '%s'",
					     (long long)line, nr.topic, s->topic);
				break;
			}
			if (nr.partition >= 0 && fixed >= 0 && nr.partition != fixed) {
				rc = err_set(e, SLOG_EINVALID_RECORD,
					     "line %lld: a record for partition %d sent to partition %d",
					     (long long)line, nr.partition, fixed);
				break;
			}
			if (nr.partition >= s->npart) {
				rc = err_set(e, SLOG_EUNKNOWN_TOPIC_OR_PARTITION,
					     "line %lld: topic '%s' has no partition %d", (long long)line,
					     s->topic, nr.partition);
				break;
			}
			part = choose_partition(s, &rec, fixed >= 0 ? fixed : nr.partition, &sticky);
		} else {
			memset(&rec, 0, sizeof(rec));
			rec.key_len = -1;
			rec.value = (const uint8_t *)p;
			rec.value_len = (int32_t)len;
			rec.timestamp = now;
			part = choose_partition(s, &rec, fixed, &sticky);
		}
		rc = check_timestamp(&s->cfg, &rec, now, line, e);
		if (!rc)
			rc = check_key(s, &rec, line, e);
		if (!rc)
			rc = add_record(part_for(s, part), s, &rec, line, e);
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
static int check_batch(const struct produce_state *s, const uint8_t *p,
		       const struct batch_header *h, size_t limit, int64_t now, struct buf *scratch,
		       struct err *e)
{
	const struct topic_config *cfg = &s->cfg;
	struct batch_iter it;
	struct record rec;
	int rc = 0;

	if ((int64_t)batch_size(h) > cfg->max_message_bytes)
		return err_set(e, SLOG_EMESSAGE_TOO_LARGE,
			       "a batch of %zu bytes exceeds max.message.bytes (%lld) of topic '%s'",
			       batch_size(h), (long long)cfg->max_message_bytes, s->topic);
	if (!cfg->log_append_time && cfg->ts_after_max_ms >= 0 &&
	    h->max_timestamp > now + cfg->ts_after_max_ms)
		return err_set(e, SLOG_EINVALID_TIMESTAMP,
			       "timestamp %lld is more than message.timestamp.after.max.ms ahead",
			       (long long)h->max_timestamp);
	if (!cfg->log_append_time && cfg->ts_before_max_ms >= 0 &&
	    h->base_timestamp < now - cfg->ts_before_max_ms)
		return err_set(e, SLOG_EINVALID_TIMESTAMP,
			       "timestamp %lld is more than message.timestamp.before.max.ms old",
			       (long long)h->base_timestamp);
	if (cfg->cleanup_policy == CLEANUP_DELETE)
		return 0;
	rc = batch_iter_open(&it, p, batch_size(h), limit, scratch, e);
	if (rc)
		return rc;
	while (!rc && batch_iter_next(&it, &rec, NULL) == 1)
		rc = check_key(s, &rec, 0, e);
	batch_iter_close(&it);
	return rc;
}

/* Check validated batches against the topic in place; stamp log-append time. */
static int check_batches(struct request *r, const struct produce_state *s, struct err *e)
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
			rc = check_batch(s, p + off, &h, limit, now, &scratch, e);
		if (!rc && s->cfg.log_append_time) {
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

/* Append every partition's batches; count and wake fetchers.  No lock is
 * held: each part's reference keeps its partition. */
static void append_all(struct request *r, struct produce_state *s)
{
	int64_t now = clock_wall_ms();

	for (size_t i = 0; i < s->nparts; i++) {
		struct part_out *po = &s->parts[i];
		struct partition *p = po->p;
		struct plog_append_result res;
		uint8_t *data = s->body ? s->body : (uint8_t *)po->data.data;
		size_t len = s->body ? r->body.len : po->data.len;

		if (!len)
			continue;
		if (atomic_load(&p->deleted)) {
			po->rc = err_set(&po->err, SLOG_EUNKNOWN_TOPIC_OR_PARTITION,
					 "topic '%s' was deleted before the records were appended", s->topic);
			continue;
		}
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

/* Suspend until every appended partition is fsynced.  A flush borrows its
 * part's reference, which is given back only after the answer. */
static int wait_for_flush(struct request *r, struct produce_state *s)
{
	struct flush_req **todo = xcalloc(s->nparts + 1, sizeof(*todo));
	struct flusher *f = r->b->flusher;
	int n = 0;

	for (size_t i = 0; i < s->nparts; i++) {
		struct part_out *po = &s->parts[i];
		if (!needs_flush(po))
			continue;
		po->flush.log = po->p->log;
		po->flush.dir = po->p->dir;
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
static uint64_t dirs_of(const struct produce_state *s)
{
	uint64_t mask = 0;

	for (size_t i = 0; i < s->nparts; i++)
		mask |= dir_gate_bit(s->parts[i].p->dir);
	return mask;
}

/*
 * Append, then answer or wait for the flush; no lock held.  A write may
 * block on a stalled disk, so the request first takes a slot of each log
 * dir it writes to (dir_gate.h); when one is full it suspends, holding
 * only its references, and the gate brings it back here.
 */
static int append_parts(struct request *r)
{
	struct produce_state *s = r->state;
	struct broker *b = r->b;

	if (!api_enter_dirs(r, s->dirs, &s->gate, append_parts))
		return 1;
	append_all(r, s);
	dir_gate_leave(b->gate, s->dirs);
	if (s->acks != -1 || !b->flush_on_ack)
		return reply_result(r);
	return wait_for_flush(r, s);
}

/* The topic, created if it does not exist and may be, with meta_lock
 * held for reading; or NULL, e set and no lock held. */
static struct topic *find_topic(struct request *r, const char *topic, int32_t fixed,
				struct err *e)
{
	struct broker *b = r->b;
	struct topic *t;

	pthread_rwlock_rdlock(&b->meta_lock);
	t = broker_topic(b, topic);
	if (t)
		return t;
	pthread_rwlock_unlock(&b->meta_lock);
	if (meta_topic_reserved(topic)) {
		err_set(e, SLOG_EINVALID_TOPIC, "topic '%s' does not exist, and names starting with '__' "
			"are the broker's: it does not create them", topic);
		return NULL;
	}
	/* Auto-creation makes num.partitions partitions: a request for
	 * another partition must not create the topic and then fail. */
	if (fixed < conf_get_num(&b->conf, "num.partitions")) {
		if (topic_name_check(topic, e) || controller_ensure_topic(b, topic, e))
			return NULL;
		pthread_rwlock_rdlock(&b->meta_lock);
		t = broker_topic(b, topic);
		if (t)
			return t;
		pthread_rwlock_unlock(&b->meta_lock);
	}
	err_set(e, SLOG_EUNKNOWN_TOPIC_OR_PARTITION, "topic '%s' does not exist", topic);
	return NULL;
}

/*
 * What the request needs of its topic, under meta_lock: the config and
 * partition count as they are now, and a reference to the partition
 * endpoint's partition, or to the topic until the records have chosen
 * their partitions (take_partitions).  Returns 0 or an error in e.
 */
static int resolve(struct request *r, struct produce_state *s, int32_t fixed, struct err *e)
{
	struct topic *t = find_topic(r, s->topic, fixed, e);
	int rc = 0;

	if (!t)
		return e->code ? e->code : SLOG_EUNKNOWN;
	if (fixed >= t->npart) {
		rc = err_set(e, SLOG_EUNKNOWN_TOPIC_OR_PARTITION, "topic '%s' has no partition %d (it has %d)",
			     s->topic, fixed, t->npart);
	} else {
		s->cfg = t->cfg;
		s->npart = t->npart;
		if (fixed >= 0)
			part_for(s, fixed)->p = partition_get(t->parts[fixed]);
		else
			s->t = topic_get(t);
	}
	pthread_rwlock_unlock(&r->b->meta_lock);
	return rc;
}

/*
 * A reference to each partition the topic endpoint's records chose.  The
 * topic must still be the one they were checked against (partitions are
 * only ever added, so each chosen one is still there).
 */
static int take_partitions(struct request *r, struct produce_state *s, struct err *e)
{
	struct broker *b = r->b;
	int rc = 0;

	pthread_rwlock_rdlock(&b->meta_lock);
	if (broker_topic(b, s->topic) != s->t)
		rc = err_set(e, SLOG_EUNKNOWN_TOPIC_OR_PARTITION,
			     "topic '%s' was deleted while the request was read", s->topic);
	for (size_t i = 0; !rc && i < s->nparts; i++)
		s->parts[i].p = partition_get(s->t->parts[s->parts[i].partition]);
	pthread_rwlock_unlock(&b->meta_lock);
	topic_put(s->t);
	s->t = NULL;
	return rc;
}

/* The request's records, checked and encoded for the topic, without
 * meta_lock.  *body: a binary body appended as it came, or NULL. */
static int prepare_records(struct request *r, struct produce_state *s, enum body_kind kind,
			   int32_t fixed, uint8_t **body, struct err *e)
{
	int32_t records = 0;
	int rc;

	*body = NULL;
	if (kind == BODY_BATCH) {
		struct part_out *po = &s->parts[0];
		rc = check_batches(r, s, e);
		if (!rc && s->cfg.compression >= 0) {
			po->data = r->body;
			memset(&r->body, 0, sizeof(r->body));
			rc = recompress(&po->data, s->cfg.compression, records_limit(r->b), e);
		} else if (!rc) {
			*body = (uint8_t *)r->body.data;
		}
		return rc;
	}
	rc = build_from_lines(r, s, kind, fixed, e);
	for (size_t i = 0; i < s->nparts; i++)
		records += s->parts[i].records;
	if (!rc && records == 0)
		rc = err_set(e, SLOG_EINVALID_RECORD, "the request holds no records");
	if (!rc && fixed < 0)
		rc = take_partitions(r, s, e);
	return rc;
}

static int produce(struct request *r, const char *topic, int32_t fixed)
{
	enum body_kind kind = body_kind(r);
	int acks = parse_acks(r);
	struct produce_state *s;
	struct err e;

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
	s->acks = acks;
	r->state = s;
	r->free_state = state_free;

	if (resolve(r, s, fixed, &e) || prepare_records(r, s, kind, fixed, &s->body, &e))
		return http_reply_err(r, &e);
	s->dirs = dirs_of(s);
	return append_parts(r);
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
