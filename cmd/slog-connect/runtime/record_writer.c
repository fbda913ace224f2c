/*
 * record_writer.c: a source's records into slog, acknowledged in order.
 * See record_writer.h.
 *
 * The batching, partitioning and requests are libcommon's (batcher.h,
 * sender.h), as slog-produce uses them; what is added here is the
 * bookkeeping a source needs to save progress: each record's sequence
 * number rides in its batch as the record's tag, and a window of the
 * sequence numbers not yet done (seq_window.h) lets
 * done_upto move only over a gapless run of done records, whatever order
 * the partitions are acknowledged in.  (A dead-letter topic holds dead
 * letters only, so a batch's first tag says what all of its records are.)
 *
 * A record that fails for good is read back out of its batch (the batch
 * bytes are all the writer keeps of it) and handed to the error policy.
 * A batch refused as too large is first sent again record by record
 * (batcher_split), so only the record over the limit fails.
 * A dead-lettered record goes out through this same writer under its own
 * sequence number, with DEAD_LETTER set in its tag, so that progress waits
 * for the dead-letter topic's acknowledgement too; if that topic refuses
 * it, nothing else can take it and the writer fails.
 */
#include "runtime/record_writer.h"

#include <stdlib.h>
#include <string.h>

#include "batch_iter.h"
#include "batcher.h"
#include "clock.h"
#include "compress.h"
#include "runtime/connector.h"
#include "runtime/connector_conf.h"
#include "runtime/error_policy.h"
#include "runtime/metrics.h"
#include "runtime/seq_window.h"
#include "xalloc.h"

/* A tag's flag: this record is a dead letter (its original failed). */
#define DEAD_LETTER ((int64_t)1 << 62)

#define DEFAULT_LINGER_MS 5
#define DEFAULT_BATCH_BYTES (1 << 20)
#define DEFAULT_BUFFER_BYTES (32 << 20)
#define DEFAULT_DELIVERY_MS 120000
#define MAX_IN_FLIGHT 64

const struct conf_def writer_keys[] = {
	{ "producer.override.acks", CONF_ENUM, "all", 0, 0, 0, "all|1|0|-1",
	  "acknowledgement a record waits for: all in-sync replicas (-1 is all), the leader, none" },
	{ "producer.override.linger.ms", CONF_DURATION, "5", 0, 60000, 1, NULL,
	  "how long a batch waits for more records before it is sent" },
	{ "producer.override.batch.size", CONF_BYTES, "1MiB", 100, 1 << 30, 0, NULL,
	  "the largest batch (capped by the topic's max.message.bytes)" },
	{ "producer.override.compression.type", CONF_ENUM, "none", 0, 0, 0,
	  "none|gzip|snappy|lz4|zstd", "codec of the batches sent" },
	{ "producer.override.buffer.memory", CONF_BYTES, "32MiB", 1 << 16, INT64_MAX, 0, NULL,
	  "sending waits while this much is not yet acknowledged" },
	{ "producer.override.delivery.timeout.ms", CONF_DURATION, "120000", 1000, INT64_MAX, 1,
	  NULL, "a record not acknowledged this long after it was sent fails (errors.* decide)" },
};
const size_t writer_nkeys = sizeof(writer_keys) / sizeof(writer_keys[0]);

struct record_writer {
	struct connect_task *t;      /* may be NULL: no policy, metrics or stop flag */
	struct writer_opts o;
	char *default_topic;
	struct cluster cl;
	struct batcher bt;
	struct seq_window win;       /* sequence numbers not yet done */
	uint64_t last_seq;
	/* The monotonic clock at the last drive(): a batch's linger counts
	 * from about then, which saves a clock read per record (a batch that
	 * seals a little early is the only effect). */
	int64_t now_ms;
	struct err failed;           /* code set: the writer failed for good */
	int closing;                 /* writer_free: batches are only freed */
	struct crec scratch;         /* a failed record, on its way to the policy */
	struct record_header *hdrs;  /* crec_view's headers */
	size_t hdrs_cap;
	struct buf unz;              /* a failed batch's records, decompressed */
};

/* The key's value if the connector's table has it, else NULL. */
static const struct conf_value *task_key(const struct connect_task *t, const char *key)
{
	const struct conf *c;

	if (!t || !t->cc)
		return NULL;
	c = &t->cc->conf;
	for (size_t i = 0; i < c->ndefs; i++)
		if (strcmp(c->defs[i].key, key) == 0)
			return &c->vals[i];
	return NULL;
}

void writer_opts_from_task(const struct connect_task *t, struct writer_opts *o)
{
	static const char *const acks[] = { "all", "1", "0", "all" };
	const struct conf_value *v;

	memset(o, 0, sizeof(*o));
	o->brokers = t && t->wc ? t->wc->brokers : NULL;
	o->acks = "all";
	o->codec = CODEC_NONE;
	o->linger_ms = DEFAULT_LINGER_MS;
	o->batch_bytes = DEFAULT_BATCH_BYTES;
	o->buffer_bytes = DEFAULT_BUFFER_BYTES;
	o->delivery_timeout_ms = DEFAULT_DELIVERY_MS;
	o->auto_create = 1;
	if ((v = task_key(t, "producer.override.acks")))
		o->acks = acks[v->num];
	if ((v = task_key(t, "producer.override.linger.ms")))
		o->linger_ms = v->num;
	if ((v = task_key(t, "producer.override.batch.size")))
		o->batch_bytes = v->num;
	if ((v = task_key(t, "producer.override.compression.type")))
		o->codec = codec_from_name(v->str);
	if ((v = task_key(t, "producer.override.buffer.memory")))
		o->buffer_bytes = v->num;
	if ((v = task_key(t, "producer.override.delivery.timeout.ms")))
		o->delivery_timeout_ms = v->num;
	if ((v = task_key(t, "topic")) && v->str && *v->str)
		o->default_topic = v->str;
}

/* The writer fails for good; the caller's task says why when it fails. */
static int fail(struct record_writer *w, const struct err *why)
{
	if (!w->failed.code)
		w->failed = *why;
	return w->failed.code;
}

/*
 * Encode r into the open batch of its topic's partition, with tag.  0, or
 * an error; *fault says whether it is r's own (its partition, size or
 * timestamp: the error policy's to judge) rather than the writer's (no
 * topic, the lookup failed).
 */
static int put(struct record_writer *w, const struct crec *r, int64_t tag, int *fault,
	       struct err *e)
{
	const char *name = r->topic.len ? buf_cstr(&r->topic) : w->default_topic;
	struct btopic *t;
	struct record rec;
	int32_t part;

	*fault = 0;
	if (!name)
		return err_set(e, SLOG_EINVALID_RECORD, "a record without a topic, and no topic set");
	t = batcher_topic(&w->bt, name, e);
	if (!t)
		return e->code;
	*fault = 1;
	w->hdrs = xgrow(w->hdrs, &w->hdrs_cap, r->nheaders + 1, sizeof(*w->hdrs));
	crec_view(r, &rec, w->hdrs);
	if (rec.timestamp < 0)
		rec.timestamp = clock_wall_ms();
	part = r->partition >= 0 ? r->partition
				 : batcher_choose(&w->bt, t, PART_MURMUR2, rec.key, rec.key_len);
	if (part >= t->meta.partitions)
		return err_set(e, SLOG_EUNKNOWN_TOPIC_OR_PARTITION,
			       "topic '%s' has no partition %d (it has %d)", name, part,
			       t->meta.partitions);
	return batcher_add(&w->bt, &t->parts[part], &rec, tag, w->now_ms, e);
}

/*
 * The record of tag (w->scratch) failed for good with cause: the error
 * policy says what becomes of it.  0, or the writer's failure.
 */
static int give_up(struct record_writer *w, int64_t tag, const struct err *cause)
{
	struct error_origin origin = { .stage = STAGE_KAFKA_PRODUCE, .partition = -1, .offset = -1 };
	uint64_t seq = (uint64_t)(tag & ~DEAD_LETTER);
	struct err e;
	int rc, fault;

	if (tag & DEAD_LETTER) {
		e = *cause;
		err_wrap(&e, "the dead-letter topic '%s' refused a record", buf_cstr(&w->scratch.topic));
		return fail(w, &e);
	}
	if (!w->t || !w->t->errors)
		return fail(w, cause);
	rc = error_policy_failed(w->t->errors, &w->scratch, &origin, cause, &e);
	if (rc < 0)
		return fail(w, &e);
	if (rc == 0) {
		seq_window_done(&w->win, seq);
		return 0;
	}
	if (put(w, &w->scratch, (int64_t)seq | DEAD_LETTER, &fault, &e)) {
		err_wrap(&e, "cannot dead-letter a record");
		return fail(w, &e);
	}
	return 0;
}

/* Count a batch acknowledged (its dead letters are the policy's to count). */
static void count_delivered(struct record_writer *w, const struct send_batch *b)
{
	struct connect_metrics *m = w->t ? w->t->metrics : NULL;
	int64_t waited_us;

	if (!m || (b->first_line & DEAD_LETTER))
		return;
	metrics_delivered(m, b->records, b->payload_bytes);
	waited_us = (clock_mono_ms() - (b->deadline_ms - w->o.delivery_timeout_ms)) * 1000;
	metrics_latency_n(m, waited_us, b->records);
}

/* Each record of a batch that failed for good goes to give_up(). */
static void failed_batch(struct record_writer *w, struct send_batch *b, const struct err *cause)
{
	struct bpart *pp = b->sp->owner;
	struct batch_iter it;
	struct record rec;
	struct err e;

	if (batch_iter_init(&it, (const uint8_t *)b->data.data, b->data.len, &w->unz, &e)) {
		fail(w, cause);
		return;
	}
	for (int32_t i = 0; i < b->records && !w->failed.code; i++) {
		if (batch_iter_next(&it, &rec, &e) <= 0 ||
		    crec_from_record(&w->scratch, pp->t->name, pp->id, &rec, &e)) {
			fail(w, cause);
			return;
		}
		w->scratch.offset = -1;
		give_up(w, b->tags[i], cause);
	}
}

/*
 * A batch over the topic's limit: the limit was lowered since it was
 * looked up (records over the known one never get this far).  Its records
 * go again one by one, so that only the one over the limit fails; the
 * limit is looked up again for the records still to come.
 */
static int split(struct record_writer *w, struct send_batch *b)
{
	struct bpart *pp = b->sp->owner;
	struct err e;

	batcher_refresh_limit(&w->bt, pp->t, b->deadline_ms);
	if (batcher_split(&w->bt, b, &e))
		return fail(w, &e);
	return 0;
}

static void on_done(void *arg, struct send_batch *b, int rc, const struct err *e, int64_t base)
{
	struct record_writer *w = arg;

	(void)base;
	if (rc == 0) {
		count_delivered(w, b);
		for (int32_t i = 0; i < b->records; i++)
			seq_window_done(&w->win, (uint64_t)(b->tags[i] & ~DEAD_LETTER));
	} else if (w->failed.code || w->closing) {
		/* Failed already, or given up: nothing more is judged. */
	} else if (rc == SLOG_EMESSAGE_TOO_LARGE && b->records > 1) {
		split(w, b);
	} else {
		failed_batch(w, b, e);
	}
	batcher_batch_free(b);
}

struct record_writer *writer_new(struct connect_task *t, const struct writer_opts *o,
				 int64_t deadline_ms, struct err *e)
{
	struct record_writer *w = xcalloc(1, sizeof(*w));
	struct batcher_opts bo = {
		.acks = o->acks ? o->acks : "all", .codec = o->codec,
		.linger_ms = o->linger_ms, .batch_bytes = o->batch_bytes,
		.timeout_ms = o->delivery_timeout_ms, .max_in_flight = MAX_IN_FLIGHT,
		.auto_create = o->auto_create, .keep_tags = 1,
	};

	w->t = t;
	w->o = *o;
	w->default_topic = o->default_topic && *o->default_topic ? xstrdup(o->default_topic) : NULL;
	w->o.default_topic = w->default_topic;
	w->now_ms = clock_mono_ms();
	w->o.acks = bo.acks;
	seq_window_init(&w->win);
	crec_init(&w->scratch);
	if (cluster_connect(&w->cl, o->brokers, deadline_ms, e)) {
		seq_window_free(&w->win);
		crec_free(&w->scratch);
		free(w->default_topic);
		free(w);
		return NULL;
	}
	batcher_init(&w->bt, &w->cl, &bo, on_done, w);
	sender_set_isolate(w->bt.sender, 1);
	/* The connector's own topic is known before the first record: a
	 * missing one fails the task at once, saying how to create it. */
	if (w->default_topic && !batcher_topic(&w->bt, w->default_topic, e)) {
		writer_free(w);
		return NULL;
	}
	return w;
}

void writer_free(struct record_writer *w)
{
	if (!w)
		return;
	/* What is on the wire or waiting is given up, as the header says. */
	w->closing = 1;
	if (w->bt.sender)
		sender_abort(w->bt.sender, "the writer is closed");
	batcher_free(&w->bt);
	cluster_close(&w->cl);
	seq_window_free(&w->win);
	crec_free(&w->scratch);
	free(w->hdrs);
	buf_free(&w->unz);
	free(w->default_topic);
	free(w);
}

/* Drive the network once: seal what lingered, wait up to timeout_ms. */
static int drive(struct record_writer *w, int extra_fd, int timeout_ms, int force, struct err *e)
{
	struct curl_waitfd wfd = { .fd = extra_fd, .events = CURL_WAIT_POLLIN };
	int64_t now = clock_mono_ms(), next;

	w->now_ms = now;
	next = batcher_seal_due(&w->bt, now, force);
	if (sender_next_retry(w->bt.sender) < next)
		next = sender_next_retry(w->bt.sender);
	if (next <= now)
		timeout_ms = 0;
	else if (next - now < timeout_ms)
		timeout_ms = (int)(next - now);
	return sender_poll(w->bt.sender, extra_fd >= 0 ? &wfd : NULL, timeout_ms, e);
}

static int failure(const struct record_writer *w, struct err *e)
{
	if (e)
		*e = w->failed;
	return w->failed.code;
}

int writer_send(struct record_writer *w, const struct crec *r, uint64_t *seq, struct err *e)
{
	uint64_t n = w->last_seq + 1;
	int rc, fault;
	struct err why;

	while (!w->failed.code && w->bt.buffered >= w->o.buffer_bytes) {
		if (w->t && task_stopping(w->t))
			return err_set(e, SLOG_EREQUEST_TIMED_OUT, "stopping while the buffer was full");
		/* Memory full of open batches: send them rather than wait on none. */
		if ((rc = drive(w, -1, 100, sender_in_flight(w->bt.sender) == 0, e)))
			return fail(w, e);
	}
	if (w->failed.code)
		return failure(w, e);
	rc = put(w, r, (int64_t)n, &fault, &why);
	if (rc && !fault) {
		*e = why;
		return rc;
	}
	w->last_seq = n;
	*seq = n;
	if (rc) {
		struct record rec;
		w->hdrs = xgrow(w->hdrs, &w->hdrs_cap, r->nheaders + 1, sizeof(*w->hdrs));
		crec_view(r, &rec, w->hdrs);
		if (crec_from_record(&w->scratch, buf_cstr(&r->topic), r->partition, &rec, e))
			return fail(w, e);
		if (!w->scratch.topic.len && w->default_topic)
			crec_set_topic(&w->scratch, w->default_topic);
		give_up(w, (int64_t)n, &why);
	}
	return w->failed.code ? failure(w, e) : 0;
}

int writer_poll(struct record_writer *w, int extra_fd, int timeout_ms, struct err *e)
{
	int rc;

	if (w->failed.code)
		return failure(w, e);
	if ((rc = drive(w, extra_fd, timeout_ms, 0, e)))
		return fail(w, e);
	return w->failed.code ? failure(w, e) : 0;
}

uint64_t writer_done_upto(const struct record_writer *w)
{
	return w->win.done_upto;
}

uint64_t writer_last_seq(const struct record_writer *w)
{
	return w->last_seq;
}

int writer_flush(struct record_writer *w, int64_t deadline_ms, struct err *e)
{
	int rc;

	while (!w->failed.code && w->win.done_upto < w->last_seq) {
		int64_t left = deadline_ms - clock_mono_ms();
		if (left <= 0)
			return err_set(e, SLOG_EREQUEST_TIMED_OUT,
				       "%llu of %llu records acknowledged at the deadline",
				       (unsigned long long)w->win.done_upto,
				       (unsigned long long)w->last_seq);
		if ((rc = drive(w, -1, left < 100 ? (int)left : 100, 1, e)))
			return fail(w, e);
	}
	return w->failed.code ? failure(w, e) : 0;
}
