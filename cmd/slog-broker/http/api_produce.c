/*
 * api_produce.c: records in.
 *
 *   POST /v1/topics/{t}/partitions/{p}/records   batches, NDJSON or text
 *   POST /v1/topics/{t}/records                  NDJSON or text; the broker
 *                                                picks partitions
 *
 * With ?mirror=true the batches are a mirror's copy of another
 * cluster's (slog-connect's mirror): appended at their own offsets to a
 * topic with mirror.source, the one write such a topic takes
 * (plog_append_mirror says how re-sends and gaps go).
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
 * The produce itself is ops_produce's steps (replica/ops.h, which says
 * what meta_lock covers); this file reads the request, encodes NDJSON
 * and text under the topic's rules, picks partitions for the topic
 * endpoint (keys, keyless stickiness), creates a missing topic when it
 * may, and renders the answer.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "batch_builder.h"
#include "broker.h"
#include "http/api.h"
#include "meta/controller.h"
#include "murmur2.h"
#include "ndjson.h"
#include "replica/ops.h"
#include "xalloc.h"

enum body_kind { BODY_BATCH, BODY_NDJSON, BODY_TEXT, BODY_OTHER };

struct produce_state {
	struct ops_ctx ctx;
	struct ops_produce op;
	int single;            /* the partition endpoint: answer one object */
};

static void state_free(void *p)
{
	struct produce_state *s = p;

	ops_produce_free(&s->op);
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

/* mirror: 1 or 0; -1 for a bad value. */
static int parse_mirror(struct request *r)
{
	const char *m = http_query(r, "mirror");

	if (!m || strcmp(m, "false") == 0 || strcmp(m, "0") == 0)
		return 0;
	if (strcmp(m, "true") == 0 || strcmp(m, "1") == 0)
		return 1;
	return -1;
}

/* Add one record to its partition's batches, splitting at max.message.bytes. */
static int add_record(struct ops_produce_part *po, const struct ops_produce *op,
		      const struct record *rec, int64_t line, struct err *e)
{
	int64_t max = op->cfg.max_message_bytes;

	if (batch_builder_count(&po->bb) &&
	    (int64_t)batch_builder_size_with(&po->bb, rec) > max &&
	    batch_builder_finish(&po->bb, &po->data, e))
		return SLOG_EUNKNOWN;
	if ((int64_t)batch_builder_size_with(&po->bb, rec) > max)
		return err_set(e, SLOG_EMESSAGE_TOO_LARGE,
			       "line %lld: a record of %zu bytes exceeds max.message.bytes (%lld) of topic '%s'",
			       (long long)line, batch_builder_size_with(&po->bb, rec), (long long)max,
			       op->topic);
	if (batch_builder_add(&po->bb, rec))
		return err_set(e, SLOG_EINVALID_TIMESTAMP, "line %lld: timestamp out of range", (long long)line);
	po->records++;
	return 0;
}

/*
 * Which partition a record goes to on the topic endpoint.  Keyless
 * records of one request share a partition; the next request moves on.
 */
static int32_t choose_partition(struct ops_produce *op, const struct record *rec, int32_t asked,
				int32_t *sticky)
{
	if (asked >= 0)
		return asked;
	if (rec->key)
		return murmur2_partition(rec->key, (size_t)rec->key_len, op->npart);
	if (*sticky < 0)
		*sticky = ops_produce_sticky(op);
	return *sticky;
}

/* One NDJSON line's record and its partition; 1 for a blank line. */
static int ndjson_line(struct ops_produce *op, struct ndjson_record *nr, const char *p, size_t len,
		       int64_t line, int64_t now, struct record *rec, int32_t *part, struct err *e)
{
	int32_t fixed = op->fixed;
	size_t k = 0;
	int rc;

	while (k < len && (p[k] == ' ' || p[k] == '\t' || p[k] == '\r'))
		k++;
	if (k == len)
		return 1; /* blank lines carry no record */
	rc = ndjson_parse(nr, p, len, e);
	if (rc) {
		err_wrap(e, "line %lld", (long long)line);
		return rc;
	}
	*rec = nr->rec;
	if (!nr->has_timestamp)
		rec->timestamp = now;
	if (nr->topic && strcmp(nr->topic, op->topic) != 0)
		return err_set(e, SLOG_EINVALID_RECORD, "line %lld: a record for topic '%s' sent to '%s'",
			       (long long)line, nr->topic, op->topic);
	if (nr->partition >= 0 && fixed >= 0 && nr->partition != fixed)
		return err_set(e, SLOG_EINVALID_RECORD,
			       "line %lld: a record for partition %d sent to partition %d",
			       (long long)line, nr->partition, fixed);
	if (nr->partition >= op->npart)
		return err_set(e, SLOG_EUNKNOWN_TOPIC_OR_PARTITION,
			       "line %lld: topic '%s' has no partition %d", (long long)line, op->topic,
			       nr->partition);
	*part = fixed >= 0 ? fixed : nr->partition;
	return 0;
}

/*
 * Parse an NDJSON or text body into per-partition batches, each record
 * checked against the topic's rules.  On error e names the line.
 */
static int build_from_lines(struct request *r, struct ops_produce *op, enum body_kind kind,
			    struct err *e)
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
		int32_t part = op->fixed;

		line++;
		if (kind == BODY_NDJSON) {
			rc = ndjson_line(op, &nr, p, len, line, now, &rec, &part, e);
		} else {
			memset(&rec, 0, sizeof(rec));
			rec.key_len = -1;
			rec.value = (const uint8_t *)p;
			rec.value_len = (int32_t)len;
			rec.timestamp = now;
		}
		if (!rc)
			rc = ops_produce_check_record(op, &rec, now, line, e);
		if (!rc) {
			part = choose_partition(op, &rec, part, &sticky);
			rc = add_record(ops_produce_part(op, part), op, &rec, line, e);
		}
		if (rc == 1)
			rc = 0; /* a blank line */
		if (!nl)
			break;
		p = nl + 1;
	}
	for (size_t i = 0; i < op->nparts && !rc; i++)
		rc = batch_builder_finish(&op->parts[i].bb, &op->parts[i].data, e);
	ndjson_record_free(&nr);
	return rc;
}

static json_t *part_json(const struct ops_produce_part *po)
{
	json_t *j;

	if (po->rc) {
		j = json_pack("{s:i, s:{s:s, s:s}}", "partition", po->partition, "error", "code",
			      err_name(po->rc), "message", po->err.msg);
		if (po->rc == SLOG_ENOT_LEADER)
			json_object_set_new(json_object_get(j, "error"), "leader",
					    api_leader_json(&po->leader));
		return j;
	}
	return json_pack("{s:i, s:I, s:I, s:i}", "partition", po->partition, "base_offset",
			 (json_int_t)po->base, "last_offset", (json_int_t)po->last, "record_count",
			 po->records);
}

static int reply_result(struct request *r)
{
	struct produce_state *s = r->state;
	struct ops_produce *op = &s->op;
	json_t *j, *list;
	int status = 200, code = 0;

	for (size_t i = 0; i < op->nparts; i++)
		if (op->parts[i].rc && !code)
			code = op->parts[i].rc;
	if (code)
		status = err_http_status(code);
	if (s->single) {
		struct ops_produce_part *po = &op->parts[0];
		if (po->rc)
			return api_reply_op_err(r, &po->err, &po->leader);
		j = json_pack("{s:s, s:i, s:I, s:I, s:i}", "topic", op->topic, "partition", po->partition,
			      "base_offset", (json_int_t)po->base, "last_offset", (json_int_t)po->last,
			      "record_count", po->records);
		return http_reply_json(r, status, j);
	}
	list = json_array();
	for (size_t i = 0; i < op->nparts; i++)
		json_array_append_new(list, part_json(&op->parts[i]));
	return http_reply_json(r, status, json_pack("{s:s, s:o}", "topic", op->topic, "partitions", list));
}

/* Append, then answer, or go on here when a log dir's slot or the fsyncs
 * resume the request. */
static int append_parts(struct request *r)
{
	struct produce_state *s = r->state;
	int rc = ops_produce(r->b, &s->ctx, &s->op);

	if (rc == OPS_PENDING)
		return 1;
	if (rc < 0)
		return http_reply_err(r, &s->op.parts[0].err);
	return reply_result(r);
}

static void park(void *arg)
{
	http_suspend(arg, append_parts);
}

static void resume(void *arg)
{
	http_resume(arg);
}

/* The fsyncs are done (a flusher thread): the request answers. */
static void flushed(void *arg, int rc, const struct ops_produce_part *results, size_t n)
{
	(void)rc;
	(void)results;
	(void)n;
	http_resume(arg); /* the request may be freed from here on */
}

/*
 * Find the topic, creating it if it does not exist and may be: the
 * broker's names (starting with "__") are never made here, and
 * auto-creation makes num.partitions partitions, so a request for another
 * partition must not create the topic and then fail.
 */
static int open_topic(struct request *r, struct produce_state *s, struct err *e)
{
	struct ops_produce *op = &s->op;
	struct broker *b = r->b;
	int rc = ops_produce_open(b, &s->ctx, op, e);

	/* A mirror topic is made by its mirror, with its mirror.source. */
	if (rc != SLOG_EUNKNOWN_TOPIC_OR_PARTITION || op->npart || op->mirror)
		return rc;
	if (meta_topic_reserved(op->topic))
		return err_set(e, SLOG_EINVALID_TOPIC, "topic '%s' does not exist, and names starting with '__' "
			       "are the broker's: it does not create them", op->topic);
	if (op->fixed >= conf_get_num(&b->conf, "num.partitions"))
		return rc;
	if (topic_name_check(op->topic, e) || controller_ensure_topic(b, op->topic, e))
		return e->code ? e->code : SLOG_EUNKNOWN;
	rc = ops_produce_open(b, &s->ctx, op, e);
	if (rc == SLOG_EUNKNOWN_TOPIC_OR_PARTITION && !op->npart)
		err_set(e, rc, "topic '%s' does not exist", op->topic);
	return rc;
}

/* The request's records, checked and encoded for the topic. */
static int prepare_records(struct request *r, struct produce_state *s, enum body_kind kind,
			   struct err *e)
{
	struct ops_produce *op = &s->op;
	int32_t records = 0;
	int rc;

	if (kind == BODY_BATCH) {
		op->body = (uint8_t *)r->body.data;
		op->body_len = r->body.len;
		return ops_produce_check(r->b, op, e);
	}
	rc = build_from_lines(r, op, kind, e);
	for (size_t i = 0; i < op->nparts; i++)
		records += op->parts[i].records;
	if (!rc && records == 0)
		rc = err_set(e, SLOG_EINVALID_RECORD, "the request holds no records");
	if (!rc && op->fixed < 0)
		rc = ops_produce_take(r->b, op, e);
	return rc;
}

/* Whether the route can take the request at all: 1, or 0 once answered. */
static int acceptable(struct request *r, enum body_kind kind, int acks, int mirror,
		      const char *topic, int32_t fixed)
{
	if (acks == -2)
		http_reply_error(r, SLOG_EINVALID_REQUEST, "acks must be 0, 1 or all");
	else if (mirror < 0)
		http_reply_error(r, SLOG_EINVALID_REQUEST, "mirror must be true or false");
	else if (mirror && (kind != BODY_BATCH || fixed < 0))
		http_reply_error(r, SLOG_EINVALID_REQUEST,
				 "a mirror appends record batches (application/x-slog-batch) to "
				 "a partition: POST /v1/topics/%s/partitions/N/records?mirror=true",
				 topic);
	else if (kind == BODY_OTHER)
		http_reply_error(r, SLOG_EUNSUPPORTED_MEDIA_TYPE,
				 "Content-Type %s is not one of application/x-slog-batch, "
				 "application/x-ndjson, text/plain",
				 http_header(r, "Content-Type"));
	else if (kind == BODY_BATCH && fixed < 0)
		http_reply_error(r, SLOG_EUNSUPPORTED_MEDIA_TYPE,
				 "record batches go to a partition: POST /v1/topics/%s/partitions/N/records",
				 topic);
	else if (meta_topic_internal(topic))
		http_reply_error(r, SLOG_EINVALID_TOPIC,
				 "topic '%s' is internal: only the broker writes to it", topic);
	else
		return 1;
	return 0;
}

static int produce(struct request *r, const char *topic, int32_t fixed)
{
	enum body_kind kind = body_kind(r);
	int acks = parse_acks(r), mirror = parse_mirror(r);
	struct produce_state *s;
	struct err e;

	if (!acceptable(r, kind, acks, mirror, topic, fixed))
		return 1;
	if (kind == BODY_BATCH &&
	    ops_produce_validate(r->b, (const uint8_t *)r->body.data, r->body.len, mirror, &e))
		return http_reply_err(r, &e);
	s = xcalloc(1, sizeof(*s));
	r->state = s;
	r->free_state = state_free;
	ops_produce_init(&s->op, topic, fixed, acks);
	s->op.mirror = mirror;
	api_ops_ctx(r, &s->ctx);
	s->op.resume = (struct ops_resume){ .park = park, .wake = resume, .arg = r };
	s->op.done = flushed;
	s->single = fixed >= 0;
	if (open_topic(r, s, &e))
		return api_reply_op_err(r, &e, &s->op.leader);
	if (prepare_records(r, s, kind, &e))
		return http_reply_err(r, &e);
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
