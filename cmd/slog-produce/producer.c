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

#include "batch_builder.h"
#include "cli.h"
#include "compress.h"
#include "murmur2.h"
#include "sender.h"
#include "topic_name.h"
#include "xalloc.h"

#define MAX_REPORTED_ERRORS 5

struct ppart {
	struct ptopic *t;
	int32_t id;
	struct send_part sp;
	struct batch_builder bb;
	int64_t opened_ms;  /* when its open batch got its first record */
	int64_t first_line;
};

struct ptopic {
	char name[256];
	struct topic_meta meta;
	struct ppart *parts;
	int32_t sticky;
	uint32_t rr;
	int64_t batch_limit;  /* min(--batch-bytes, max.message.bytes) */
	int64_t refreshed_ms; /* when its leaders were last asked again */
	struct err missing;   /* code set: the topic does not exist (asked once) */
	struct ptopic *next;
};

struct producer {
	const struct producer_opts *o;
	struct cluster *cl;
	struct sender *sender;
	struct ptopic *topics;
	int64_t buffered;        /* bytes sealed or open, not yet acknowledged */
	struct producer_stats st;
	int errors_reported;
	struct buf out;          /* -O lines or -T copies, flushed after each poll */
	int report_broken;
	int giving_up;           /* a second signal: failures are only counted */
	int unreachable;         /* records timed out against a silent broker */
	struct buf hdrs_scratch;
	struct record_header *merged;
	size_t merged_cap;
	unsigned seed;
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
	struct ppart *pp = b->sp->owner;

	p->buffered -= (int64_t)b->data.len;
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
	buf_free(&b->data);
	free(b);
}

/* Where a partition's records go: its leader's produce resource. */
static char *part_url(const struct producer *p, const struct ptopic *t, int32_t id)
{
	struct buf url = BUF_INIT;

	buf_addf(&url, "%s/v1/topics/", t->meta.leader[id]);
	http_escape(&url, t->name);
	buf_addf(&url, "/partitions/%d/records?acks=%s", id, p->o->acks);
	return buf_detach(&url, NULL);
}

/*
 * Ask the cluster again where the topic's leaders are, once for all the
 * partitions that failed before now.  The partition count stays what it
 * was (the records were placed by it); a failed lookup keeps the old
 * leaders, and the retry that fails again waits longer.
 */
static void refresh_leaders(struct producer *p, struct ptopic *t, int64_t since,
			    int64_t deadline)
{
	struct topic_meta fresh;

	if (t->refreshed_ms >= since)
		return;
	t->refreshed_ms = now_ms();
	if (cluster_topic(p->cl, t->name, 0, deadline, &fresh, NULL))
		return;
	for (int32_t i = 0; i < t->meta.partitions && i < fresh.partitions; i++) {
		free(t->meta.leader[i]);
		t->meta.leader[i] = xstrdup(fresh.leader[i]);
	}
	topic_meta_free(&fresh);
}

/* The sender's retry of a partition whose leader moved: send it there. */
static void on_moved(void *arg, struct send_part *sp, const char *moved_to)
{
	struct producer *p = arg;
	struct ppart *pp = sp->owner;
	struct ptopic *t = pp->t;

	if (*moved_to) {
		free(t->meta.leader[pp->id]);
		t->meta.leader[pp->id] = xstrdup(moved_to);
	} else {
		refresh_leaders(p, t, sp->stale_since, sp->head->deadline_ms);
	}
	sender_set_url(sp, part_url(p, t, pp->id));
}

/* Give up on everything not yet on the wire: open batches and queues. */
static void abandon(struct producer *p, const char *why)
{
	struct err e;

	err_set(&e, SLOG_ENETWORK, "%s", why);
	for (struct ptopic *t = p->topics; t; t = t->next)
		for (int32_t i = 0; i < t->meta.partitions; i++) {
			struct ppart *pp = &t->parts[i];
			int32_t n = batch_builder_count(&pp->bb);
			if (!n)
				continue;
			p->buffered -= (int64_t)batch_builder_size(&pp->bb);
			batch_builder_reset(&pp->bb);
			p->st.failed += n;
		}
	sender_fail_waiting(p->sender, SLOG_ENETWORK, why);
}

struct producer *producer_new(struct cluster *cl, const struct producer_opts *o)
{
	struct producer *p = xcalloc(1, sizeof(*p));

	p->o = o;
	p->cl = cl;
	p->sender = sender_new(o->max_in_flight, on_done, on_moved, p);
	p->seed = (unsigned)(wall_ms() ^ getpid());
	return p;
}

void producer_free(struct producer *p)
{
	struct ptopic *t = p->topics;

	sender_free(p->sender);
	while (t) {
		struct ptopic *next = t->next;
		for (int32_t i = 0; i < t->meta.partitions; i++)
			batch_builder_free(&t->parts[i].bb);
		free(t->parts);
		topic_meta_free(&t->meta);
		free(t);
		t = next;
	}
	buf_free(&p->out);
	buf_free(&p->hdrs_scratch);
	free(p->merged);
	free(p);
}

const struct producer_stats *producer_stats(const struct producer *p)
{
	return &p->st;
}

static struct ptopic *find_topic(struct producer *p, const char *name)
{
	for (struct ptopic *t = p->topics; t; t = t->next)
		if (strcmp(t->name, name) == 0)
			return t;
	return NULL;
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

/* Remember that a topic does not exist: its other records fail alike, unasked. */
static void add_missing(struct producer *p, struct ptopic *t, struct err *e)
{
	err_set(e, e->code, "topic '%s' does not exist; create it with: slog-topics create %s",
		t->name, t->name);
	t->missing = *e;
	t->next = p->topics;
	p->topics = t;
}

int producer_prepare_topic(struct producer *p, const char *name, struct err *e)
{
	struct ptopic *t = find_topic(p, name);
	int rc;

	if (t) {
		if (t->missing.code)
			*e = t->missing;
		return t->missing.code;
	}
	t = xcalloc(1, sizeof(*t));
	snprintf(t->name, sizeof(t->name), "%s", name);
	/* The broker answers "does not exist" either in the metadata or as a
	 * 404 UNKNOWN_TOPIC_OR_PARTITION: both come here as the same code. */
	rc = cluster_topic(p->cl, name, 1, now_ms() + p->o->timeout_ms, &t->meta, e);
	if (rc == SLOG_EUNKNOWN_TOPIC_OR_PARTITION) {
		add_missing(p, t, e);
		return rc;
	}
	if (rc) {
		free(t);
		return rc;
	}
	t->batch_limit = p->o->batch_bytes;
	if (t->meta.max_message_bytes > 0 && t->meta.max_message_bytes < t->batch_limit)
		t->batch_limit = t->meta.max_message_bytes;
	t->parts = xcalloc((size_t)t->meta.partitions, sizeof(*t->parts));
	t->sticky = t->meta.partitions ? (int32_t)(rand_r(&p->seed) % (unsigned)t->meta.partitions) : 0;
	for (int32_t i = 0; i < t->meta.partitions; i++) {
		struct ppart *pp = &t->parts[i];

		pp->t = t;
		pp->id = i;
		pp->sp.owner = pp;
		batch_builder_init(&pp->bb, p->o->codec, 0);
		sender_add_part(p->sender, &pp->sp, part_url(p, t, i));
	}
	t->next = p->topics;
	p->topics = t;
	return 0;
}

/* Move a partition's open batch into its send queue. */
static void seal(struct producer *p, struct ppart *pp)
{
	struct send_batch *b;
	int32_t n = batch_builder_count(&pp->bb);
	size_t open_size = batch_builder_size(&pp->bb);
	struct err e;

	if (n == 0)
		return;
	b = xcalloc(1, sizeof(*b));
	b->sp = &pp->sp;
	b->records = n;
	b->first_line = pp->first_line;
	b->deadline_ms = pp->opened_ms + p->o->timeout_ms;
	buf_grow(&b->data, open_size); /* exactly: thousands of these may wait */
	if (batch_builder_finish(&pp->bb, &b->data, &e)) {
		p->buffered -= (int64_t)open_size;
		report_failure(p, n, 0, b->first_line, pp->t->name, pp->id, &e);
		free(b);
		return;
	}
	/* The open batch was counted at its raw size; count what is sent. */
	p->buffered += (int64_t)b->data.len - (int64_t)open_size;
	p->st.bytes += (int64_t)b->data.len;
	sender_enqueue(p->sender, b);
	/* Keyless records move on once their partition's batch is sent. */
	if (pp->t->sticky == pp->id && pp->t->meta.partitions > 1)
		pp->t->sticky = (int32_t)(rand_r(&p->seed) % (unsigned)pp->t->meta.partitions);
}

static int32_t choose(struct producer *p, struct ptopic *t, const struct input_record *r)
{
	const struct record *rec = &r->rec;

	if (p->o->partition >= 0)
		return p->o->partition;
	/* A line's partition is kept even when -t sends it to another topic:
	 * that is what makes a copy exact.  A topic without that partition is
	 * an error for the line, never a silent placement elsewhere. */
	if (r->partition >= 0)
		return r->partition;
	switch (p->o->partitioner) {
	case PART_RANDOM:
		return (int32_t)(rand_r(&p->seed) % (unsigned)t->meta.partitions);
	case PART_ROUNDROBIN:
		return (int32_t)(t->rr++ % (uint32_t)t->meta.partitions);
	default:
		if (rec->key)
			return murmur2_partition(rec->key, (size_t)rec->key_len, t->meta.partitions);
		return t->sticky;
	}
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
static struct ppart *target(struct producer *p, const struct input_record *r, struct err *e)
{
	const char *name = p->o->topic ? p->o->topic : r->topic;
	struct ptopic *t;
	int32_t part;

	if (!name) {
		err_set(e, SLOG_EINVALID_RECORD, "no topic: give -t, or a \"topic\" field");
		return NULL;
	}
	/* -t was checked before anything was read; a line's topic is checked here. */
	if (!p->o->topic && producer_check_topic(name, e))
		return NULL;
	if (producer_prepare_topic(p, name, e))
		return NULL;
	t = find_topic(p, name);
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
	struct ppart *pp;
	struct ptopic *t;
	struct err e;
	size_t alone, before;

	p->st.read++;
	shape(p, r, wall_ms());
	pp = target(p, r, &e);
	if (!pp) {
		report_failure(p, 1, 0, r->line, NULL, -1, &e);
		return;
	}
	t = pp->t;
	if (batch_builder_count(&pp->bb) &&
	    (int64_t)batch_builder_size_with(&pp->bb, &r->rec) > t->batch_limit)
		seal(p, pp);
	alone = batch_builder_size_with(&pp->bb, &r->rec);
	if (t->meta.max_message_bytes > 0 && (int64_t)alone > t->meta.max_message_bytes) {
		err_set(&e, SLOG_EMESSAGE_TOO_LARGE,
			"a record of %zu bytes is over max.message.bytes (%lld) of topic '%s'",
			alone, (long long)t->meta.max_message_bytes, t->name);
		report_failure(p, 1, 0, r->line, NULL, -1, &e);
		return;
	}
	if (batch_builder_count(&pp->bb) == 0) {
		pp->opened_ms = now;
		pp->first_line = r->line;
	}
	before = batch_builder_size(&pp->bb);
	if (batch_builder_add(&pp->bb, &r->rec)) {
		err_set(&e, SLOG_EINVALID_TIMESTAMP, "timestamp %lld is out of range",
			(long long)r->rec.timestamp);
		report_failure(p, 1, 0, r->line, NULL, -1, &e);
		return;
	}
	p->buffered += (int64_t)(batch_builder_size(&pp->bb) - before);
	if ((int64_t)batch_builder_size(&pp->bb) >= t->batch_limit)
		seal(p, pp);
}

/* Seal batches whose linger is up (all of them when force). */
static int64_t seal_due(struct producer *p, int64_t now, int force)
{
	int64_t next = INT64_MAX;

	for (struct ptopic *t = p->topics; t; t = t->next)
		for (int32_t i = 0; i < t->meta.partitions; i++) {
			struct ppart *pp = &t->parts[i];
			if (!batch_builder_count(&pp->bb))
				continue;
			if (force || now - pp->opened_ms >= p->o->linger_ms)
				seal(p, pp);
			else if (pp->opened_ms + p->o->linger_ms < next)
				next = pp->opened_ms + p->o->linger_ms;
		}
	return next;
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
		if (p->buffered >= p->o->buffer_bytes)
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
		seal_due(p, now, 1);
		n = unsettled(p);
		if (n && signals < 2) {
			int64_t left = sender_last_deadline(p->sender) - now;
			cli_error("waiting up to %lld s for %lld unacknowledged record%s; interrupt again to give up",
				  (long long)(left > 0 ? (left + 999) / 1000 : 0), (long long)n, n == 1 ? "" : "s");
		}
	}
	if (signals >= 2 && p->st.interrupted < 2) {
		p->st.interrupted = 2;
		n = unsettled(p);
		p->giving_up = 1;
		sender_abort(p->sender, "given up at the second interrupt");
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
		next = seal_due(p, now, in->done);
		if (p->buffered >= p->o->buffer_bytes && sender_in_flight(p->sender) == 0)
			seal_due(p, now, 1); /* memory is full of open batches: send them */
		if (in->done && sender_pending(p->sender) == 0)
			break;
		retry = sender_next_retry(p->sender);
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
		if (sender_poll(p->sender, wfd.fd >= 0 ? &wfd : NULL, timeout, &e)) {
			cli_error("%s", e.msg);
			break;
		}
		flush_report(p);
		if (wfd.fd >= 0 && input_ready(wfd.fd))
			fill(p, in);
	}
	flush_report(p);
}
