/*
 * ops_produce.c: records in (ops.h), for any front end.
 *
 * A produce goes through steps the front end calls in order, because a
 * front end that encodes records itself (HTTP's NDJSON) needs the topic's
 * rules between them: validate the batches (no lock: the costly part),
 * open the topic (meta_lock, briefly: copy its config, take references),
 * check the batches against the topic or encode records under its rules,
 * take the partitions the records chose, then ops_produce: append, and
 * for acks=all wait for the fsync.  Nothing is appended unless every step
 * before passed, so an invalid request leaves the topic untouched.
 *
 * A batch's bytes are copied once, from the request into the log: a body
 * of batches is appended in place, unless the topic's compression.type
 * asks for another codec and the batches are re-encoded.
 *
 * meta_lock is held only to find the topic and take references; the
 * checks, the append (a write that blocks on a stalled disk) and the flush
 * run without it.  A partition whose topic was deleted before its append
 * gets nothing appended and answers UNKNOWN_TOPIC_OR_PARTITION; one
 * deleted during its append keeps the append's answer, as if the records
 * had come just before the delete (they go with the topic's files).
 *
 * Only a partition's leader appends to it (the metadata says which node
 * that is).  A produce to one partition led elsewhere is refused whole
 * with NOT_LEADER naming the leader; a produce to the topic encodes every
 * record and appends those of the partitions led here, each other part
 * answering NOT_LEADER, and sends keyless records to a partition led here
 * when there is one.
 */
#include <stdlib.h>
#include <string.h>

#include "batch_check.h"
#include "batch_iter.h"
#include "broker.h"
#include "endian_io.h"
#include "replica/ops_internal.h"
#include "replica/registry.h"
#include "replica/replication.h"
#include "xalloc.h"

/* APPEND, then for acks=all: FLUSH (log.flush.on.ack), HW (parked until
 * the high watermark passes), ACKED (woken: settle the outcomes). */
enum { PHASE_APPEND, PHASE_FLUSH, PHASE_HW, PHASE_ACKED, PHASE_DONE };

void ops_produce_init(struct ops_produce *req, const char *topic, int32_t fixed, int acks)
{
	memset(req, 0, sizeof(*req));
	snprintf(req->topic, sizeof(req->topic), "%s", topic);
	req->fixed = fixed;
	req->acks = acks;
}

void ops_produce_free(struct ops_produce *req)
{
	dir_gate_forget(&req->gate);
	for (size_t i = 0; i < req->nparts; i++) {
		if (req->parts[i].p)
			partition_put(req->parts[i].p);
		batch_builder_free(&req->parts[i].bb);
		buf_free(&req->parts[i].data);
	}
	if (req->t)
		topic_put(req->t);
	free(req->led);
	req->led = NULL;
	req->nled = 0;
	free(req->parts);
	req->parts = NULL;
	req->nparts = 0;
	req->t = NULL;
}

struct ops_produce_part *ops_produce_part(struct ops_produce *req, int32_t partition)
{
	const struct topic_config *cfg = &req->cfg;
	struct ops_produce_part *po;

	for (size_t i = 0; i < req->nparts; i++)
		if (req->parts[i].partition == partition)
			return &req->parts[i];
	req->parts = xrealloc(req->parts, (req->nparts + 1) * sizeof(*req->parts));
	po = &req->parts[req->nparts++];
	memset(po, 0, sizeof(*po));
	po->partition = partition;
	po->req = req;
	batch_builder_init(&po->bb, cfg->compression < 0 ? CODEC_NONE : cfg->compression, 0);
	if (cfg->log_append_time)
		po->bb.attributes_extra = BATCH_ATTR_LOG_APPEND_TIME;
	return po;
}

/* Keyless produce's rotation for a topic with no replica here. */
static _Atomic uint32_t elsewhere_sticky;

int32_t ops_produce_sticky(struct ops_produce *req)
{
	uint32_t n = atomic_fetch_add(req->t ? &req->t->sticky : &elsewhere_sticky, 1);

	if (req->nled)
		return req->led[n % (uint32_t)req->nled];
	return (int32_t)(n % (uint32_t)req->npart);
}

/* ---- the topic's rules ---- */

/* Compaction keeps the last record of each key: a record needs one. */
static int check_key(const struct ops_produce *req, const struct record *rec, int64_t line,
		     struct err *e)
{
	if (req->cfg.cleanup_policy == CLEANUP_DELETE || rec->key)
		return 0;
	if (line > 0)
		return err_set(e, SLOG_EINVALID_RECORD,
			       "line %lld: topic '%s' is compacted: every record needs a key",
			       (long long)line, req->topic);
	return err_set(e, SLOG_EINVALID_RECORD, "topic '%s' is compacted: every record needs a key",
		       req->topic);
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

int ops_produce_check_record(const struct ops_produce *req, struct record *rec, int64_t now,
			     int64_t line, struct err *e)
{
	int rc = check_timestamp(&req->cfg, rec, now, line, e);

	return rc ? rc : check_key(req, rec, line, e);
}

/* The broker's bound on a produced batch's decompressed records. */
static size_t records_limit(const struct broker *b)
{
	return (size_t)conf_get_num(&b->conf, "message.max.uncompressed.bytes");
}

int ops_produce_validate(struct broker *b, const uint8_t *body, size_t len, int mirror,
			 struct err *e)
{
	enum batch_check level = mirror ? BATCH_CHECK_FULL : BATCH_CHECK_PRODUCE;
	size_t off = 0, limit = records_limit(b);
	struct buf scratch = BUF_INIT;
	int rc = 0;

	/* Records are read in steps and bounded by the limit, so a bomb is
	 * refused after at most that much work and a record's memory. */
	if (len == 0)
		return err_set(e, SLOG_EINVALID_RECORD, "the request holds no record batch");
	while (off < len && !rc) {
		struct batch_header h;

		rc = batch_next_in(body + off, len - off, &h, e);
		if (!rc)
			rc = batch_validate_within(body + off, batch_size(&h), level, limit,
						   &h, &scratch, e);
		if (rc == SLOG_EMESSAGE_TOO_LARGE)
			rc = err_set(e, rc, "a batch's records expand beyond message.max.uncompressed.bytes "
				     "(%zu bytes) of the broker", limit);
		off += rc ? 0 : batch_size(&h);
	}
	buf_free(&scratch);
	return rc;
}

/* The topic's rules for one valid batch: size, timestamps, keys. */
static int check_batch(const struct ops_produce *req, const uint8_t *p,
		       const struct batch_header *h, size_t limit, int64_t now, struct buf *scratch,
		       struct err *e)
{
	const struct topic_config *cfg = &req->cfg;
	struct batch_iter it;
	struct record rec;
	int rc = 0;

	if ((int64_t)batch_size(h) > cfg->max_message_bytes)
		return err_set(e, SLOG_EMESSAGE_TOO_LARGE,
			       "a batch of %zu bytes exceeds max.message.bytes (%lld) of topic '%s'",
			       batch_size(h), (long long)cfg->max_message_bytes, req->topic);
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
		rc = check_key(req, &rec, 0, e);
	batch_iter_close(&it);
	return rc;
}

/* Check validated batches against the topic in place; stamp log-append time. */
static int check_batches(struct broker *b, struct ops_produce *req, struct err *e)
{
	uint8_t *p = req->body;
	size_t off = 0, len = req->body_len, limit = records_limit(b);
	struct buf scratch = BUF_INIT;
	int64_t now = clock_wall_ms();
	int rc = 0;

	while (off < len && !rc) {
		struct batch_header h;

		rc = batch_next_in(p + off, len - off, &h, e);
		if (!rc)
			rc = check_batch(req, p + off, &h, limit, now, &scratch, e);
		if (!rc && req->cfg.log_append_time) {
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

/* One batch re-encoded with codec, added to out. */
static int recompress_batch(const uint8_t *p, const struct batch_header *h, int codec,
			    size_t limit, struct buf *out, struct buf *scratch, struct err *e)
{
	struct batch_iter it;
	struct batch_builder bb;
	struct record rec;
	int rc;

	batch_builder_init(&bb, codec, 0);
	bb.attributes_extra = h->attributes & ~BATCH_ATTR_CODEC_MASK;
	batch_builder_set_producer(&bb, h->producer_id, h->producer_epoch, h->base_sequence);
	rc = batch_iter_open(&it, p, batch_size(h), limit, scratch, e);
	if (!rc) {
		while ((rc = batch_iter_next(&it, &rec, e)) == 1 && !batch_builder_add(&bb, &rec))
			;
		if (rc == 1)
			rc = err_set(e, SLOG_EINVALID_TIMESTAMP, "a record's timestamp cannot be re-encoded");
		batch_iter_close(&it);
	}
	if (rc >= 0)
		rc = batch_builder_finish(&bb, out, e);
	batch_builder_free(&bb);
	return rc;
}

/*
 * Re-encode the batches whose codec is not the topic's compression.type
 * into *out.  Records are read in steps; the new batch holds them whole,
 * which ops_produce_validate bounded by message.max.uncompressed.bytes.
 */
static int recompress(const uint8_t *data, size_t len, int codec, size_t limit, struct buf *out,
		      struct err *e)
{
	struct buf scratch = BUF_INIT;
	size_t off = 0;
	int rc = 0;

	while (off < len && !rc) {
		struct batch_header h;

		batch_next_in(data + off, len - off, &h, NULL);
		if (batch_codec(&h) == codec)
			buf_add(out, data + off, batch_size(&h));
		else
			rc = recompress_batch(data + off, &h, codec, limit, out, &scratch, e);
		off += batch_size(&h);
	}
	buf_free(&scratch);
	return rc;
}

int ops_produce_check(struct broker *b, struct ops_produce *req, struct err *e)
{
	struct ops_produce_part *po = &req->parts[0];
	int rc;

	/* A mirror copies what the source cluster accepted, bytes and all:
	 * the topic's configs came from there, and a mirror must not refuse
	 * (old timestamps) or re-encode what it copies. */
	if (req->mirror)
		return 0;
	rc = check_batches(b, req, e);
	if (rc || req->cfg.compression < 0)
		return rc;
	rc = recompress(req->body, req->body_len, req->cfg.compression, records_limit(b), &po->data, e);
	req->body = NULL; /* the re-encoded batches are appended instead */
	req->body_len = 0;
	return rc;
}

/* ---- the topic and its partitions ---- */

/* The partitions of mt this node leads, into req; meta_lock held. */
static void note_led(struct broker *b, struct ops_produce *req, const struct meta_topic *mt)
{
	req->led = xcalloc((size_t)mt->partitions + 1, sizeof(*req->led));
	req->nled = 0;
	for (int32_t i = 0; i < mt->partitions; i++)
		if (mt->parts[i].leader == b->node_id)
			req->led[req->nled++] = i;
}

/* The topic's config: its registry's, or resolved from the metadata when
 * it has no replica here; meta_lock held. */
static int topic_cfg(struct broker *b, const struct meta_topic *mt, struct topic *t,
		     struct topic_config *cfg, struct err *e)
{
	if (t) {
		*cfg = t->cfg;
		return 0;
	}
	return topic_config_resolve(&b->conf, mt->configs, cfg, e);
}

/*
 * A mirror topic takes only its mirror's appends, until a promote removes
 * mirror.source; an ordinary topic takes none, so that a mirror still
 * running after a promote cannot write over what producers wrote since.
 */
static int check_mirror(const struct ops_produce *req, struct err *e)
{
	if (req->cfg.mirror_source[0] && !req->mirror)
		return err_set(e, SLOG_EREAD_ONLY_TOPIC,
			       "topic '%s' mirrors '%s' (mirror.source): it is read-only until "
			       "promoted", req->topic, req->cfg.mirror_source);
	if (!req->cfg.mirror_source[0] && req->mirror)
		return err_set(e, SLOG_EINVALID_REQUEST,
			       "topic '%s' is not a mirror topic (it has no mirror.source): it takes "
			       "no mirrored batches", req->topic);
	return 0;
}

/* ops_produce_open with meta_lock held. */
static int open_locked(struct broker *b, struct ops_produce *req, struct err *e)
{
	const struct meta_topic *mt = meta_find(&b->meta, req->topic);
	struct topic *t = broker_topic(b, req->topic);
	struct partition *p;

	req->npart = 0;
	if (!mt)
		return err_set(e, SLOG_EUNKNOWN_TOPIC_OR_PARTITION, "topic '%s' does not exist",
			       req->topic);
	req->npart = mt->partitions;
	if (topic_cfg(b, mt, t, &req->cfg, e))
		return e ? e->code : SLOG_EINVALID_CONFIG;
	if (check_mirror(req, e))
		return e ? e->code : SLOG_EREAD_ONLY_TOPIC;
	if (req->fixed >= 0) {
		p = ops_find_partition(b, req->topic, req->fixed, &req->leader, e);
		if (!p)
			return e ? e->code : SLOG_ENOT_LEADER;
		ops_produce_part(req, req->fixed)->p = p;
		return 0;
	}
	snprintf(req->topic_id, sizeof(req->topic_id), "%s", mt->id);
	note_led(b, req, mt);
	req->t = t ? topic_get(t) : NULL;
	return 0;
}

int ops_produce_open(struct broker *b, const struct ops_ctx *ctx, struct ops_produce *req,
		     struct err *e)
{
	int rc;

	(void)ctx;
	pthread_rwlock_rdlock(&b->meta_lock);
	rc = open_locked(b, req, e);
	pthread_rwlock_unlock(&b->meta_lock);
	return rc;
}

/*
 * The topic must still be the one the records were checked against
 * (partitions are only ever added, so each chosen one is still there).
 * A part another broker leads keeps its error and gets no reference.
 */
int ops_produce_take(struct broker *b, struct ops_produce *req, struct err *e)
{
	const struct meta_topic *mt;
	int rc = 0;

	pthread_rwlock_rdlock(&b->meta_lock);
	mt = meta_find(&b->meta, req->topic);
	if (!mt || strcmp(mt->id, req->topic_id) != 0)
		rc = err_set(e, SLOG_EUNKNOWN_TOPIC_OR_PARTITION,
			     "topic '%s' was deleted while the request was read", req->topic);
	for (size_t i = 0; !rc && i < req->nparts; i++) {
		struct ops_produce_part *po = &req->parts[i];

		po->p = ops_find_partition(b, req->topic, po->partition, &po->leader, &po->err);
		po->rc = po->p ? 0 : po->err.code;
	}
	pthread_rwlock_unlock(&b->meta_lock);
	if (req->t)
		topic_put(req->t);
	req->t = NULL;
	return rc;
}

/* ---- append and flush ---- */

/*
 * A part's partition left this broker's registry (p->deleted) before
 * "when": the topic was deleted, or its replicas moved to other brokers
 * (a reassignment; the registry holds a topic only while a partition of
 * it is placed here).  The published metadata tells which: a moved one
 * answers NOT_LEADER naming its leader, or LEADER_NOT_AVAILABLE, which
 * clients retry; only a deleted one is UNKNOWN_TOPIC_OR_PARTITION.
 */
static int gone(struct broker *b, struct ops_produce *req, struct ops_produce_part *po,
		const char *when)
{
	int rc;

	pthread_rwlock_rdlock(&b->meta_lock);
	rc = ops_check_leader(b, req->topic, po->partition, &po->leader, &po->err);
	pthread_rwlock_unlock(&b->meta_lock);
	if (rc == 0 || rc == SLOG_EUNKNOWN_TOPIC_OR_PARTITION)
		return err_set(&po->err, SLOG_EUNKNOWN_TOPIC_OR_PARTITION,
			       "topic '%s' was deleted before the records were %s", req->topic, when);
	return err_wrap(&po->err, "%s-%d moved to other brokers before the records were %s",
			req->topic, po->partition, when);
}

/* Append every part's batches; count and wake fetchers.  No lock is held:
 * each part's reference keeps its partition. */
static void append_all(struct broker *b, struct ops_produce *req)
{
	int64_t now = clock_wall_ms();

	for (size_t i = 0; i < req->nparts; i++) {
		struct ops_produce_part *po = &req->parts[i];
		struct partition *p = po->p;
		struct plog_append_result res;
		uint8_t *data = req->body ? req->body : (uint8_t *)po->data.data;
		size_t len = req->body ? req->body_len : po->data.len;

		if (!len || !p || po->rc)
			continue; /* nothing, another broker's, or refused (po->rc says so) */
		if (atomic_load(&p->deleted)) {
			po->rc = gone(b, req, po, "appended");
			continue;
		}
		if (req->mirror)
			po->rc = plog_append_mirror(p->log, data, len, p->leader_epoch, now, &res,
						    &po->err);
		else
			po->rc = plog_append(p->log, data, len, p->leader_epoch, now, &res, &po->err);
		if (po->rc)
			continue;
		/* A mirror's batches the log held already count too: the answer
		 * waits until they are committed, as for a first send. */
		po->base = res.base_offset;
		po->last = res.last_offset;
		po->records = (int32_t)(res.last_offset - res.base_offset + 1);
		p->bytes_in += req->mirror ? res.bytes : len;
		p->records_in += req->mirror && !res.bytes ? 0 : (uint64_t)po->records;
		replication_appended(b, p, res.last_offset + 1);
	}
}

static int first_error(const struct ops_produce *req)
{
	for (size_t i = 0; i < req->nparts; i++)
		if (req->parts[i].rc)
			return req->parts[i].rc;
	return 0;
}

/* Whether a part waits for its records to commit. */
static int appended(const struct ops_produce_part *po)
{
	return po->rc == 0 && po->records > 0;
}

/* One high watermark wait less; after the last the request answers. */
static void hw_count_down(struct ops_produce *req)
{
	if (atomic_fetch_sub(&req->waiting, 1) != 1)
		return;
	req->phase = PHASE_ACKED;
	req->done(req->resume.arg, 0, req->parts, req->nparts);
}

/* A part's wait woke (the waiters' lock held): count it only. */
static void hw_woken(struct fetch_wait *w)
{
	struct ops_produce_part *po = w->arg;

	hw_count_down(po->req);
}

/*
 * Park (when park says so: the request thread; the flusher's has parked
 * already) until the high watermark passes every appended part or the
 * deadline comes.  The waits are registered under meta_lock, where a
 * deletion cannot slip in between (see ops_fetch.c); the one extra count
 * in waiting is the registration's, so that the request answers only
 * once every wait is in.  0 when no part waits.
 */
static int wait_for_hw(struct broker *b, struct ops_produce *req, int park)
{
	int n = 0;

	for (size_t i = 0; i < req->nparts; i++)
		n += appended(&req->parts[i]);
	if (n == 0)
		return 0;
	req->phase = PHASE_HW;
	atomic_store(&req->waiting, n + 1);
	if (park)
		req->resume.park(req->resume.arg);
	pthread_rwlock_rdlock(&b->meta_lock);
	for (size_t i = 0; i < req->nparts; i++) {
		struct ops_produce_part *po = &req->parts[i];

		if (!appended(po))
			continue;
		po->wait = (struct fetch_wait){ .list = &po->p->waiters, .hw = &po->p->hw,
						.offset = po->last, .deadline_ms = req->deadline_ms,
						.wake = hw_woken, .arg = po };
		if (atomic_load(&po->p->deleted) || !b->waits)
			hw_woken(&po->wait);
		else
			fetch_waits_add(b->waits, &po->wait);
	}
	pthread_rwlock_unlock(&b->meta_lock);
	/* The last count may answer the request: only locals after. */
	hw_count_down(req);
	return OPS_PENDING;
}

/* Why a part's records were not committed by the time its wait woke. */
static int not_committed(struct broker *b, struct ops_produce *req, struct ops_produce_part *po)
{
	struct partition *p = po->p;
	int rc;

	if (atomic_load(&p->deleted))
		return gone(b, req, po, "committed");
	if (replication_role(p, NULL, NULL) == REPLICA_LEADER && !b->stopping)
		return err_set(&po->err, SLOG_EREQUEST_TIMED_OUT,
			       "%s-%d: the in-sync replicas did not all fsync the records in time; "
			       "they may still be committed", req->topic, po->partition);
	pthread_rwlock_rdlock(&b->meta_lock);
	rc = ops_check_leader(b, req->topic, po->partition, &po->leader, &po->err);
	pthread_rwlock_unlock(&b->meta_lock);
	if (rc && rc != SLOG_EUNKNOWN_TOPIC_OR_PARTITION)
		return err_wrap(&po->err, "the records were appended, but may not be committed");
	return err_set(&po->err, SLOG_ELEADER_NOT_AVAILABLE,
		       "%s-%d: this broker stopped leading before the records were committed",
		       req->topic, po->partition);
}

/* Woken: each part's outcome, on the request's thread. */
static void settle(struct broker *b, struct ops_produce *req)
{
	for (size_t i = 0; i < req->nparts; i++) {
		struct ops_produce_part *po = &req->parts[i];

		if (!appended(po))
			continue;
		if (atomic_load(&po->p->hw) > po->last)
			po->rc = replication_check_acked(po->p, &po->err);
		else
			po->rc = not_committed(b, req, po);
	}
	req->phase = PHASE_DONE;
}

/* A partition's fsync finished (flusher thread).  The last one goes on
 * to wait for the high watermark. */
static void flush_done(struct flush_req *fr, int rc, const struct err *e)
{
	struct ops_produce_part *po = fr->arg;
	struct ops_produce *req = po->req;

	if (rc) {
		po->rc = rc;
		po->err = *e;
	} else {
		/* The leader's own DO moved: the HW may follow at once. */
		replication_durable(req->b, po->p);
	}
	if (--req->pending != 0)
		return;
	if (wait_for_hw(req->b, req, 0) == 0) {
		req->phase = PHASE_DONE;
		req->done(req->resume.arg, first_error(req), req->parts, req->nparts);
	}
}

/* Park until every appended part is fsynced; 0 when none needs it.  A
 * flush borrows its part's reference, given back by ops_produce_free. */
static int wait_for_flush(struct broker *b, struct ops_produce *req)
{
	struct flush_req **submit = xcalloc(req->nparts + 1, sizeof(*submit));
	int n = 0;

	for (size_t i = 0; i < req->nparts; i++) {
		struct ops_produce_part *po = &req->parts[i];
		if (!appended(po))
			continue;
		po->flush.log = po->p->log;
		po->flush.dir = po->p->dir;
		po->flush.upto = po->last + 1;
		po->flush.done = flush_done;
		po->flush.arg = po;
		submit[n++] = &po->flush;
	}
	if (n == 0) {
		free(submit);
		return 0;
	}
	req->pending = n;
	req->phase = PHASE_FLUSH;
	req->resume.park(req->resume.arg);
	/* The last submit may finish the request: only locals after. */
	for (int i = 0; i < n; i++)
		flusher_submit(b->flusher, submit[i]);
	free(submit);
	return OPS_PENDING;
}

/* acks=all: a part whose ISR is below min.insync.replicas gets nothing
 * appended (Kafka's NOT_ENOUGH_REPLICAS). */
static void check_replicas(struct ops_produce *req)
{
	for (size_t i = 0; i < req->nparts; i++) {
		struct ops_produce_part *po = &req->parts[i];

		if (po->p && !po->rc)
			po->rc = replication_check_append(po->p, &po->err);
	}
}

static int64_t ack_deadline(const struct ops_ctx *ctx)
{
	int64_t dflt = clock_mono_ms() + OPS_ACK_TIMEOUT_MS;

	return ctx->deadline_ms < dflt ? ctx->deadline_ms : dflt;
}

/* The log dirs the request writes to. */
static uint64_t dirs_of(const struct ops_produce *req)
{
	uint64_t mask = 0;

	for (size_t i = 0; i < req->nparts; i++)
		if (req->parts[i].p)
			mask |= dir_gate_bit(req->parts[i].p->dir);
	return mask;
}

/*
 * A write may block on a stalled disk, so the request first takes a slot
 * of each log dir it writes to (dir_gate.h); when one is full it parks,
 * holding only its references, and is called again on wake.
 */
int ops_produce(struct broker *b, const struct ops_ctx *ctx, struct ops_produce *req)
{
	struct err e;
	int in;

	if (req->phase == PHASE_ACKED)
		settle(b, req);
	if (req->phase != PHASE_APPEND)
		return req->phase == PHASE_DONE ? 0 : OPS_PENDING;
	if (!req->dirs)
		req->dirs = dirs_of(req);
	in = ops_enter_dirs(b, req->dirs, &req->gate, &req->resume, &e);
	if (in < 0) {
		for (size_t i = 0; i < req->nparts; i++) {
			req->parts[i].rc = in;
			req->parts[i].err = e;
		}
		req->phase = PHASE_DONE;
		return in;
	}
	if (in == 0)
		return OPS_PENDING;
	if (req->acks == -1)
		check_replicas(req);
	append_all(b, req);
	dir_gate_leave(b->gate, req->dirs);
	req->phase = PHASE_DONE;
	if (req->acks != -1)
		return 0;
	req->b = b;
	req->deadline_ms = ack_deadline(ctx);
	if (b->flush_on_ack)
		return wait_for_flush(b, req);
	return wait_for_hw(b, req, 1);
}
