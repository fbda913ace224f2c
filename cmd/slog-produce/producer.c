/*
 * producer.c: partitioning, batching and the produce loop.  See
 * producer.h.
 */
#include "producer.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "batcher.h"
#include "cli.h"
#include "topic_name.h"
#include "xalloc.h"

#define MAX_REPORTED_ERRORS 5

struct producer {
	const struct producer_opts *o;
	struct batcher bt;       /* topics, open batches, the sender */
	struct producer_stats st;
	int errors_reported;
	struct buf out;          /* -O lines or -T copies, flushed after each poll */
	int report_broken;
	int giving_up;           /* a second signal: failures are only counted */
	int unreachable;         /* records timed out against a silent broker */
	struct buf hdrs_scratch;
	struct record_header *merged;
	size_t merged_cap;
};

static int64_t now_ms(void)
{
	return clock_mono_ms();
}

static int64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Tell the user once per failure, and only the first few in full.  A
 * partition < 0: the record never reached one, and e says why.
 * maybe_written: sent, and no answer came (sender.h).
 */
static void report_failure(struct producer *p, int64_t records, int maybe_written, int64_t line,
			   const char *topic, int32_t partition, const struct err *e)
{
	const char *s = records == 1 ? "" : "s";

	if (maybe_written)
		p->st.unacked += records;
	else
		p->st.failed += records;
	if (p->giving_up || p->errors_reported++ >= MAX_REPORTED_ERRORS)
		return;
	if (maybe_written)
		cli_error("%lld record%s from line %lld not acknowledged by %s-%d (%s may have been written): %s",
			  (long long)records, s, (long long)line, topic, partition,
			  records == 1 ? "it" : "they", e->msg);
	else if (partition >= 0)
		cli_error("%lld record%s from line %lld not delivered to %s-%d: %s", (long long)records, s,
			  (long long)line, topic, partition, e->msg);
	else
		cli_error("line %lld: %s", (long long)line, e->msg);
	if (p->errors_reported == MAX_REPORTED_ERRORS)
		cli_error("(further failures are only counted)");
}

static void on_done(void *arg, struct send_batch *b, int rc, const struct err *e, int64_t base)
{
	struct producer *p = arg;
	struct bpart *pp = b->sp->owner;

	if (rc == 0) {
		struct err re;
		p->st.delivered += b->records;
		if (p->o->report && report_batch(p->o->report, &p->out, pp->t->name, pp->id, base,
						 b->data.data, b->data.len, &re))
			cli_error("the report of %s-%d: %s", pp->t->name, pp->id, re.msg);
	} else {
		report_failure(p, b->records, b->maybe_written, b->first_line, pp->t->name, pp->id, e);
		/* Records ran out of time while the broker could not be reached
		 * or kept failing: more input would only fail the same way. */
		if (!p->unreachable && !p->giving_up && (rc == SLOG_ENETWORK || rc == SLOG_EREQUEST_TIMED_OUT || rc == SLOG_ESTORAGE ||
		    rc == SLOG_ENOT_LEADER || rc == SLOG_ELEADER_NOT_AVAILABLE ||
		    rc == SLOG_ENOT_ENOUGH_REPLICAS))
			p->unreachable = 1;
	}
	batcher_batch_free(b);
}

/* Give up on everything not yet on the wire: open batches and queues. */
static void abandon(struct producer *p, const char *why)
{
	p->st.failed += batcher_abandon(&p->bt, why);
}

struct producer *producer_new(struct cluster *cl, const struct producer_opts *o)
{
	struct producer *p = xcalloc(1, sizeof(*p));
	struct batcher_opts bo = {
		.acks = o->acks, .codec = o->codec, .linger_ms = o->linger_ms,
		.batch_bytes = o->batch_bytes, .timeout_ms = o->timeout_ms,
		.max_in_flight = o->max_in_flight, .auto_create = 1,
	};

	p->o = o;
	batcher_init(&p->bt, cl, &bo, on_done, p);
	return p;
}

void producer_free(struct producer *p)
{
	batcher_free(&p->bt);
	buf_free(&p->out);
	buf_free(&p->hdrs_scratch);
	free(p->merged);
	free(p);
}

const struct producer_stats *producer_stats(const struct producer *p)
{
	return &p->st;
}

int producer_check_topic(const char *name, struct err *e)
{
	struct buf shown = BUF_INIT;
	struct err why;
	int rc = topic_name_check(name, &why);

	if (!rc)
		return 0;
	cli_escape(&shown, name, strlen(name));
	err_set(e, rc, "invalid topic '%s': %s", shown.data, why.msg);
	buf_free(&shown);
	return rc;
}

int producer_prepare_topic(struct producer *p, const char *name, struct err *e)
{
	return batcher_topic(&p->bt, name, e) ? 0 : e->code;
}

static int32_t choose(struct producer *p, struct btopic *t, const struct input_record *r)
{
	const struct record *rec = &r->rec;

	if (p->o->partition >= 0)
		return p->o->partition;
	/* A line's partition is kept even when -t sends it to another topic:
	 * that is what makes a copy exact.  A topic without that partition is
	 * an error for the line, never a silent placement elsewhere. */
	if (r->partition >= 0)
		return r->partition;
	return batcher_choose(&p->bt, t, p->o->partitioner, rec->key, rec->key_len);
}

/* The record as it goes out: -k, -Z, -H and the timestamp applied. */
static void shape(struct producer *p, struct input_record *r, int64_t now)
{
	struct record *rec = &r->rec;
	const struct producer_opts *o = p->o;

	if (o->key) {
		rec->key = (const uint8_t *)o->key;
		rec->key_len = (int32_t)strlen(o->key);
	}
	if (o->null_empty) {
		if (rec->key && rec->key_len == 0)
			rec->key = NULL, rec->key_len = -1;
		if (rec->value && rec->value_len == 0)
			rec->value = NULL, rec->value_len = -1;
	}
	if (!r->has_timestamp)
		rec->timestamp = now;
	if (o->nheaders) {
		/* -H headers follow the record's own (from -J), order kept. */
		struct header_iter it;
		struct record_header h;
		size_t n = 0;

		p->merged = xgrow(p->merged, &p->merged_cap, rec->header_count + o->nheaders,
				  sizeof(*p->merged));
		record_headers_begin(rec, &it);
		while (record_headers_next(&it, &h))
			p->merged[n++] = h;
		for (uint32_t i = 0; i < o->nheaders; i++)
			p->merged[n++] = o->headers[i];
		rec->headers = p->merged;
		rec->header_count = (uint32_t)n;
		rec->headers_raw = NULL;
	}
}

/*
 * The partition a record goes to, its topic looked up (once) on the way.
 * NULL with the reason in e when it cannot go anywhere.
 */
static struct bpart *target(struct producer *p, const struct input_record *r, struct err *e)
{
	const char *name = p->o->topic ? p->o->topic : r->topic;
	struct btopic *t;
	int32_t part;

	if (!name) {
		err_set(e, SLOG_EINVALID_RECORD, "no topic: give -t, or a \"topic\" field");
		return NULL;
	}
	/* -t was checked before anything was read; a line's topic is checked here. */
	if (!p->o->topic && producer_check_topic(name, e))
		return NULL;
	t = batcher_topic(&p->bt, name, e);
	if (!t)
		return NULL;
	part = choose(p, t, r);
	if (part < 0 || part >= t->meta.partitions) {
		err_set(e, SLOG_EUNKNOWN_TOPIC_OR_PARTITION, "topic '%s' has no partition %d (it has %d)",
			name, part, t->meta.partitions);
		return NULL;
	}
	return &t->parts[part];
}

/* Add one input record; a record that cannot go anywhere is counted failed. */
static void add(struct producer *p, struct input_record *r, int64_t now)
{
	struct bpart *pp;
	struct err e;

	p->st.read++;
	shape(p, r, wall_ms());
	pp = target(p, r, &e);
	if (!pp || batcher_add(&p->bt, pp, &r->rec, r->line, now, &e))
		report_failure(p, 1, 0, r->line, NULL, -1, &e);
}

static void flush_report(struct producer *p)
{
	if (!p->out.len)
		return;
	if (!p->report_broken &&
	    (fwrite(p->out.data, 1, p->out.len, stdout) != p->out.len || fflush(stdout) != 0)) {
		/* The reader of -O or -T went away; producing goes on, the exit status tells. */
		p->report_broken = 1;
		cli_error("cannot write the %s to stdout", p->o->tee ? "-T copy" : "-O report");
	}
	buf_reset(&p->out);
}

/*
 * Add the records the input holds, until it needs more bytes, memory is
 * full, or a line is bad.  Returns 1 when more input is wanted.
 */
static int drain(struct producer *p, struct input *in, int64_t now)
{
	struct input_record r;
	struct err e;
	int rc;

	for (;;) {
		if (p->o->count && p->st.read >= p->o->count) {
			in->done = 1;
			return 0;
		}
		if (p->bt.buffered >= p->o->buffer_bytes)
			return 0;
		rc = input_next(in, &r, &e);
		if (rc == 0)
			return !in->done;
		if (rc < 0) {
			/* Records before the bad line go out; nothing after it is read. */
			cli_error("%s", e.msg);
			p->st.input_error = 1;
			in->done = 1;
			return 0;
		}
		if (p->o->tee)
			input_copy(in, &r, &p->out);
		add(p, &r, now);
	}
}

static void fill(struct producer *p, struct input *in)
{
	struct err e;

	if (input_fill(in, &e)) {
		cli_error("%s", e.msg);
		p->st.input_error = 1;
		in->done = 1;
	}
}

/*
 * Whether a read would not block.  curl_multi_poll() reports POLLIN for
 * the input but not POLLHUP, which is all a pipe whose writer has gone
 * shows, so ask poll(2) directly.
 */
static int input_ready(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	return poll(&pfd, 1, 0) > 0 && (pfd.revents & (POLLIN | POLLHUP | POLLERR | POLLNVAL));
}

/* Records read that are neither acknowledged nor failed yet. */
static int64_t unsettled(const struct producer *p)
{
	return p->st.read - p->st.delivered - p->st.failed - p->st.unacked;
}

/*
 * A first signal stops the input, sends what was read, and says how long
 * that may take; a second gives up on it all at once.  Kafka's producer
 * close() waits the same way; the note is there because a silent wait of
 * 30 s looks like a hang.
 */
static void interrupt(struct producer *p, struct input *in, int signals, int64_t now)
{
	int64_t n;

	if (!p->st.interrupted) {
		p->st.interrupted = 1;
		in->done = 1;
		batcher_seal_due(&p->bt, now, 1);
		n = unsettled(p);
		if (n && signals < 2) {
			int64_t left = sender_last_deadline(p->bt.sender) - now;
			cli_error("waiting up to %lld s for %lld unacknowledged record%s; interrupt again to give up",
				  (long long)(left > 0 ? (left + 999) / 1000 : 0), (long long)n, n == 1 ? "" : "s");
		}
	}
	if (signals >= 2 && p->st.interrupted < 2) {
		p->st.interrupted = 2;
		n = unsettled(p);
		p->giving_up = 1;
		sender_abort(p->bt.sender, "given up at the second interrupt");
		if (n)
			cli_error("interrupted again: gave up on %lld unacknowledged record%s", (long long)n,
				  n == 1 ? "" : "s");
	}
}

void producer_run(struct producer *p, struct input *in, volatile sig_atomic_t *stop)
{
	for (;;) {
		int64_t now = now_ms(), next, retry;
		struct curl_waitfd wfd = { .fd = -1, .events = CURL_WAIT_POLLIN };
		int need_more = 0, timeout;
		struct err e;

		if (*stop)
			interrupt(p, in, *stop, now);
		if (p->unreachable == 1) {
			p->unreachable = 2;
			in->done = 1;
			abandon(p, "not sent: earlier records were not acknowledged in time");
		}
		if (!in->done)
			need_more = drain(p, in, now);
		if (need_more && input_fd(in) < 0) {
			fill(p, in); /* between two files: open the next */
			continue;
		}
		next = batcher_seal_due(&p->bt, now, in->done);
		if (p->bt.buffered >= p->o->buffer_bytes && sender_in_flight(p->bt.sender) == 0)
			batcher_seal_due(&p->bt, now, 1); /* memory is full of open batches: send them */
		if (in->done && sender_pending(p->bt.sender) == 0)
			break;
		retry = sender_next_retry(p->bt.sender);
		if (retry < next)
			next = retry;
		/* Once interrupted, wake often enough to see a second signal at once. */
		timeout = p->st.interrupted ? 200 : 1000;
		if (next <= now)
			timeout = 0;
		else if (next - now < timeout)
			timeout = (int)(next - now);
		if (need_more)
			wfd.fd = input_fd(in);
		if (sender_poll(p->bt.sender, wfd.fd >= 0 ? &wfd : NULL, timeout, &e)) {
			cli_error("%s", e.msg);
			break;
		}
		flush_report(p);
		if (wfd.fd >= 0 && input_ready(wfd.fd))
			fill(p, in);
	}
	flush_report(p);
	p->st.bytes = p->bt.sealed_bytes;
}
