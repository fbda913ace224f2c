/*
 * api_replica.c: what replicas and epoch-aware consumers ask a leader.
 *
 *   POST /v1/replica/fetch
 *   GET  /v1/topics/{t}/partitions/{p}/epochs/{e}/end-offset[?leader_epoch=]
 *
 * A follower's fetch names every partition it follows from this leader
 * in one long-polling request (replica_fetcher.h).  The request is JSON,
 * checked here field by field before anything is read; the fetch itself
 * is ops_fetch with the follower's id (the leader records its positions
 * there).  The answer is framed (cluster/replica_frames.h): per
 * partition a header line, then its region's bytes.
 *
 * The answer is streamed: a libmicrohttpd callback response walks the
 * pieces (header lines kept in one buffer, then each region) and reads
 * each region with pread as the socket takes it.  Building the answer in
 * memory would copy up to replica.fetch.response.max.bytes per request
 * and hold it while a slow follower reads; sendfile cannot interleave
 * the headers with regions of several files in one answer.  The regions
 * (and their partitions' references) are released when libmicrohttpd
 * frees the response, sent or not.
 */
#include <stdlib.h>
#include <string.h>

#include "broker.h"
#include "cluster/replica_frames.h"
#include "http/api.h"
#include "replica/ops.h"
#include "storage/segment.h"
#include "units.h"
#include "xalloc.h"

/* Bounds on a request: more partitions than this in one fetch is not a
 * follower's (a broker follows a few thousand at most per leader). */
#define REPLICA_FETCH_MAX_PARTS 10000
#define REPLICA_FETCH_MAX_WAIT_MS 60000

/* One piece of the answer: a span of the header buffer, or a region. */
struct piece {
	size_t hdr_off, hdr_len;
	const struct plog_region *reg; /* NULL: a header */
};

struct replica_fetch {
	struct broker *b;
	json_t *body;            /* owns the topic names and the broker epoch */
	struct ops_ctx ctx;
	struct ops_fetch op;
	struct ops_fetch_part *parts;
	/* The answer, once the fetch is done. */
	struct buf headers;
	struct piece *pieces;
	size_t npieces, at;      /* the piece being sent */
	uint64_t sent;           /* bytes of the answer before piece at */
	uint64_t total;
};

static void replica_fetch_free(void *arg)
{
	struct replica_fetch *rf = arg;

	if (!rf)
		return;
	/* A request can end while it waits: its client went away, and
	 * libmicrohttpd found that out when one partition's waiter resumed
	 * it.  The waiters of the other partitions must not outlive it.  A
	 * waiter still queued means the waits are not stopped yet (stopping
	 * wakes every one first). */
	for (size_t i = 0; rf->op.waited && i < rf->op.nparts; i++)
		if (rf->parts[i].wait.queued && rf->b->waits)
			fetch_waits_cancel(rf->b->waits, &rf->parts[i].wait);
	ops_fetch_release(&rf->op);
	free(rf->parts);
	free(rf->pieces);
	buf_free(&rf->headers);
	json_decref(rf->body);
	free(rf);
}

/* An integer field in [min, max] into *out (dflt when absent and
 * optional); else a message naming it in why. */
static int int_field(json_t *o, const char *name, int64_t min, int64_t max, int64_t dflt,
		     int64_t *out, char *why, size_t size)
{
	json_t *v = json_object_get(o, name);

	*out = dflt;
	if (!v && dflt != INT64_MIN)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max) {
		snprintf(why, size, "\"%s\" must be an integer from %lld to %lld", name,
			 (long long)min, (long long)max);
		return -1;
	}
	*out = json_integer_value(v);
	return 0;
}

#define REQUIRED INT64_MIN

/* The first key of o not in known (NULL-ended), or NULL. */
static const char *unknown_key(json_t *o, const char *const *known)
{
	const char *k;
	json_t *x;

	json_object_foreach(o, k, x) {
		const char *const *p = known;
		while (*p && strcmp(*p, k) != 0)
			p++;
		if (!*p)
			return k;
	}
	return NULL;
}

/* One element of "partitions" into fp; else why names what is wrong. */
static int parse_part(json_t *o, struct ops_fetch_part *fp, char *why, size_t size)
{
	static const char *const known[] = { "topic", "partition", "offset", "leader_epoch",
					     "last_fetched_epoch", "durable_offset",
					     "log_start_offset", "max_bytes", NULL };
	json_t *topic = json_object_get(o, "topic");
	int64_t v[7];
	const char *k;

	if (!json_is_object(o))
		return snprintf(why, size, "each partition must be an object"), -1;
	if ((k = unknown_key(o, known)))
		return snprintf(why, size, "unknown field \"%s\" in a partition", k), -1;
	if (!json_is_string(topic) || topic_name_check(json_string_value(topic), NULL))
		return snprintf(why, size, "\"topic\" must be a topic name"), -1;
	if (int_field(o, "partition", 0, INT32_MAX, REQUIRED, &v[0], why, size) ||
	    int_field(o, "offset", 0, INT64_MAX, REQUIRED, &v[1], why, size) ||
	    int_field(o, "leader_epoch", -1, INT32_MAX, -1, &v[2], why, size) ||
	    int_field(o, "last_fetched_epoch", -1, INT32_MAX, -1, &v[3], why, size) ||
	    int_field(o, "durable_offset", 0, INT64_MAX, REQUIRED, &v[4], why, size) ||
	    int_field(o, "log_start_offset", 0, INT64_MAX, REQUIRED, &v[5], why, size) ||
	    int_field(o, "max_bytes", 1, INT32_MAX, REQUIRED, &v[6], why, size))
		return -1;
	ops_fetch_part_init(fp, json_string_value(topic), (int32_t)v[0], v[1], v[6]);
	fp->current_leader_epoch = (int32_t)v[2];
	fp->last_fetched_epoch = (int32_t)v[3];
	fp->durable_offset = v[4];
	fp->log_start_offset = v[5];
	return 0;
}

/* The request's top level into rf->op; else why says what is wrong. */
static int parse_fetch(struct broker *b, struct replica_fetch *rf, char *why, size_t size)
{
	static const char *const known[] = { "replica_id", "broker_epoch", "max_wait_ms",
					     "min_bytes", "max_bytes", "partitions", NULL };
	json_t *epoch = json_object_get(rf->body, "broker_epoch");
	json_t *parts = json_object_get(rf->body, "partitions");
	int64_t id, wait, min, max;
	const char *k;

	if ((k = unknown_key(rf->body, known)))
		return snprintf(why, size, "unknown field \"%s\"", k), -1;
	if (int_field(rf->body, "replica_id", 0, INT32_MAX, REQUIRED, &id, why, size) ||
	    int_field(rf->body, "max_wait_ms", 0, REPLICA_FETCH_MAX_WAIT_MS, 0, &wait, why, size) ||
	    int_field(rf->body, "min_bytes", 0, INT32_MAX, 1, &min, why, size) ||
	    int_field(rf->body, "max_bytes", 1, INT32_MAX, REQUIRED, &max, why, size))
		return -1;
	if (!json_is_string(epoch) || json_string_length(epoch) == 0 ||
	    json_string_length(epoch) >= sizeof(((struct meta_broker *)0)->incarnation))
		return snprintf(why, size, "\"broker_epoch\" must be the replica's incarnation"), -1;
	if (!json_is_array(parts) || json_array_size(parts) == 0 ||
	    json_array_size(parts) > REPLICA_FETCH_MAX_PARTS)
		return snprintf(why, size, "\"partitions\" must be an array of 1 to %d partitions",
				REPLICA_FETCH_MAX_PARTS), -1;
	rf->parts = xcalloc(json_array_size(parts), sizeof(*rf->parts));
	for (size_t i = 0; i < json_array_size(parts); i++) {
		if (parse_part(json_array_get(parts, i), &rf->parts[i], why, size))
			return -1;
		rf->op.nparts = i + 1;
	}
	rf->op.parts = rf->parts;
	rf->op.replica_id = (int32_t)id;
	rf->op.broker_epoch = json_string_value(epoch);
	rf->op.min_bytes = min;
	rf->op.max_wait_ms = wait < b->fetch_max_wait_ms ? wait : b->fetch_max_wait_ms;
	rf->op.max_bytes = max;
	return 0;
}

/* Is id a broker this node's metadata has registered? */
static int replica_known(struct broker *b, int32_t id)
{
	char url[300];
	int rc;

	pthread_rwlock_rdlock(&b->meta_lock);
	rc = ops_broker_url(b, id, url, sizeof(url));
	pthread_rwlock_unlock(&b->meta_lock);
	return rc == 0;
}

/* The frame of a done part (its data is its region, not copied). */
static void part_frame(const struct ops_fetch_part *fp, struct replica_frame *f)
{
	int known = fp->rc == 0 || fp->rc == SLOG_EOFFSET_OUT_OF_RANGE;

	memset(f, 0, sizeof(*f));
	snprintf(f->topic, sizeof(f->topic), "%s", fp->topic);
	f->partition = fp->partition;
	f->error = fp->rc;
	if (fp->rc)
		snprintf(f->message, sizeof(f->message), "%s", fp->err.msg);
	/* Offsets only where the follower acts on them (an error's may be
	 * whatever the part held before it failed). */
	f->high_watermark = known ? fp->hw : -1;
	f->log_start_offset = known ? fp->log_start : -1;
	f->log_end_offset = known ? fp->log_end : -1;
	f->leader_epoch = fp->leader_epoch;
	f->diverging_epoch = fp->rc ? -1 : fp->diverging_epoch;
	f->diverging_end_offset = fp->rc ? -1 : fp->diverging_end;
	/* A diverging fetch carries no records, whatever was read. */
	f->len = fp->rc || fp->diverging_epoch >= 0 ? 0 : (size_t)fp->reg.length;
}

/* Lay out the answer: the header lines in rf->headers, the pieces in
 * order, the total length. */
static void plan_answer(struct replica_fetch *rf)
{
	rf->pieces = xcalloc(2 * rf->op.nparts, sizeof(*rf->pieces));
	for (size_t i = 0; i < rf->op.nparts; i++) {
		struct ops_fetch_part *fp = &rf->parts[i];
		struct replica_frame f;
		size_t off = rf->headers.len;

		part_frame(fp, &f);
		replica_frame_write_header(&rf->headers, &f);
		rf->pieces[rf->npieces++] =
			(struct piece){ .hdr_off = off, .hdr_len = rf->headers.len - off };
		rf->total += rf->headers.len - off;
		if (!f.len)
			continue;
		rf->pieces[rf->npieces++] = (struct piece){ .hdr_len = f.len, .reg = &fp->reg };
		rf->total += f.len;
		fp->p->bytes_out += f.len;
	}
}

/* libmicrohttpd's reader: the bytes at pos, from the piece holding it. */
static long read_answer(void *arg, uint64_t pos, char *out, size_t max)
{
	struct replica_fetch *rf = arg;
	struct err e;

	while (rf->at < rf->npieces) {
		const struct piece *pc = &rf->pieces[rf->at];
		uint64_t off = pos - rf->sent;
		size_t n;

		if (pos < rf->sent)
			return -1; /* never asked: the answer is read in order */
		if (off >= pc->hdr_len) {
			rf->sent += pc->hdr_len;
			rf->at++;
			continue;
		}
		n = pc->hdr_len - off < max ? (size_t)(pc->hdr_len - off) : max;
		if (!pc->reg) {
			memcpy(out, rf->headers.data + pc->hdr_off + off, n);
			return (long)n;
		}
		/* A short or failed read cuts the answer: the follower sees it
		 * end early, refuses it, and fetches again. */
		ssize_t got = segment_pread(pc->reg->seg, out, n, pc->reg->position + off, &e);
		return got > 0 ? (long)got : -1;
	}
	return -1;
}

static void park(void *arg);

static int do_replica_fetch(struct request *r)
{
	struct replica_fetch *rf = r->state;

	if (ops_fetch(r->b, &rf->ctx, &rf->op) == OPS_PENDING)
		return 1;
	plan_answer(rf);
	/* The answer owns the fetch from here: freed with the response. */
	r->state = NULL;
	r->free_state = NULL;
	return http_reply_stream(r, 200, "application/x-slog-replica-fetch", rf->total, read_answer,
				 replica_fetch_free, rf);
}

static void park(void *arg)
{
	http_suspend(arg, do_replica_fetch);
}

static void wake(void *arg)
{
	http_resume(arg);
}

int api_replica_fetch(struct request *r, char **args)
{
	struct replica_fetch *rf;
	char why[256];

	(void)args;
	rf = xcalloc(1, sizeof(*rf));
	rf->b = r->b;
	r->state = rf;
	r->free_state = replica_fetch_free;
	rf->body = api_body_object(r, 1);
	if (!rf->body)
		return 1;
	if (parse_fetch(r->b, rf, why, sizeof(why)))
		return http_reply_error(r, SLOG_EINVALID_REQUEST, "%s", why);
	if (!replica_known(r->b, rf->op.replica_id))
		return http_reply_error(r, SLOG_EBROKER_NOT_AVAILABLE,
					"broker %d is not registered here (yet)", rf->op.replica_id);
	api_ops_ctx(r, &rf->ctx);
	rf->op.resume = (struct ops_resume){ .park = park, .wake = wake, .arg = r };
	return do_replica_fetch(r);
}

/* An optional epoch query parameter, -1 when absent; -2 after answering. */
static int64_t epoch_query(struct request *r, const char *name)
{
	const char *v = http_query(r, name);
	int64_t out;
	struct err e;

	if (!v)
		return -1;
	if (units_parse_int(v, 0, INT32_MAX, &out, &e)) {
		http_reply_error(r, SLOG_EINVALID_REQUEST, "%s: %s", name, e.msg);
		return -2;
	}
	return out;
}

int api_epoch_end_offset(struct request *r, char **args)
{
	int32_t partition = api_partition_arg(args[1]), found = -1;
	int64_t epoch, current = epoch_query(r, "leader_epoch"), end = -1;
	struct ops_ctx ctx;
	struct err e;

	if (current == -2)
		return 1;
	if (partition < 0)
		return http_reply_error(r, SLOG_EUNKNOWN_TOPIC_OR_PARTITION,
					"'%s' is not a partition number", args[1]);
	if (units_parse_int(args[2], 0, INT32_MAX, &epoch, &e))
		return http_reply_error(r, SLOG_EINVALID_REQUEST, "'%s' is not a leader epoch: %s",
					args[2], e.msg);
	api_ops_ctx(r, &ctx);
	if (ops_offsets_for_leader_epoch(r->b, &ctx, args[0], partition, (int32_t)current,
					 (int32_t)epoch, &end, &found, &e))
		return api_reply_op_err(r, &e, NULL);
	if (end < 0)
		found = -1;
	return http_reply_json(r, 200, json_pack("{s:i, s:I}", "epoch", (int)found, "end_offset",
						 (json_int_t)end));
}
