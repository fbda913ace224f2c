/*
 * batcher.c: topics, partitions and open batches in front of a sender.
 * See batcher.h.
 */
#include "batcher.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "batch_iter.h"
#include "clock.h"
#include "escape.h"
#include "murmur2.h"
#include "xalloc.h"

/* Every batch reported passes here first: its bytes leave the buffer. */
static void on_done(void *arg, struct send_batch *sb, int rc, const struct err *e, int64_t base)
{
	struct batcher *b = arg;

	b->buffered -= (int64_t)sb->data.len;
	b->done(b->arg, sb, rc, e, base);
}

/* Where a partition's records go: its leader's produce resource. */
static char *part_url(const struct batcher *b, const struct btopic *t, int32_t id)
{
	struct buf url = BUF_INIT;

	buf_addf(&url, "%s/v1/topics/", t->meta.leader[id]);
	http_escape(&url, t->name);
	buf_addf(&url, "/partitions/%d/records?acks=%s", id, b->o.acks);
	return buf_detach(&url, NULL);
}

/* The longest one lookup of a moved partition's leader may take. */
#define BATCHER_LOOKUP_MS 3000

/*
 * Ask the cluster again where the topic's leaders are, once for all the
 * partitions that failed before now.  The partition count stays what it
 * was (the records were placed by it); a failed lookup keeps the old
 * leaders, and the retry that fails again waits longer.
 */
static void refresh_leaders(struct batcher *b, struct btopic *t, int64_t since, int64_t deadline)
{
	struct topic_meta fresh;

	if (t->refreshed_ms >= since)
		return;
	t->refreshed_ms = clock_mono_ms();
	if (cluster_topic(b->cl, t->name, 0, deadline, &fresh, NULL))
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
	struct batcher *b = arg;
	struct bpart *pp = sp->owner;
	struct btopic *t = pp->t;

	if (*moved_to) {
		free(t->meta.leader[pp->id]);
		t->meta.leader[pp->id] = xstrdup(moved_to);
	} else {
		/* One lookup waits at most BATCHER_LOOKUP_MS, not until the
		 * batch's deadline: the loop that called must go on answering
		 * its input and its stop (a failed lookup is tried again with
		 * the next retry). */
		int64_t deadline = clock_mono_ms() + BATCHER_LOOKUP_MS;
		if (deadline > sp->head->deadline_ms)
			deadline = sp->head->deadline_ms;
		refresh_leaders(b, t, sp->stale_since, deadline);
	}
	sender_set_url(sp, part_url(b, t, pp->id));
}

void batcher_init(struct batcher *b, struct cluster *cl, const struct batcher_opts *o,
		  sender_done_fn done, void *arg)
{
	memset(b, 0, sizeof(*b));
	b->o = *o;
	b->cl = cl;
	b->done = done;
	b->arg = arg;
	b->sender = sender_new(o->max_in_flight, on_done, on_moved, b);
	b->seed = (unsigned)(clock_wall_ms() ^ getpid());
}

void batcher_free(struct batcher *b)
{
	struct btopic *t = b->topics;

	if (b->sender)
		sender_free(b->sender);
	while (t) {
		struct btopic *next = t->next;
		for (int32_t i = 0; i < t->meta.partitions; i++) {
			batch_builder_free(&t->parts[i].bb);
			free(t->parts[i].tags);
		}
		free(t->parts);
		topic_meta_free(&t->meta);
		free(t);
		t = next;
	}
	memset(b, 0, sizeof(*b));
}

void batcher_batch_free(struct send_batch *sb)
{
	buf_free(&sb->data);
	free(sb->tags);
	free(sb);
}

static struct btopic *find_topic(struct batcher *b, const char *name)
{
	for (struct btopic *t = b->topics; t; t = t->next)
		if (strcmp(t->name, name) == 0)
			return t;
	return NULL;
}

/* Remember that a topic does not exist: its other records fail alike, unasked. */
static void add_missing(struct batcher *b, struct btopic *t, struct err *e)
{
	err_set(e, e->code, "topic '%s' does not exist; create it with: slog-topics create %s",
		t->name, t->name);
	t->missing = *e;
	t->next = b->topics;
	b->topics = t;
}

static void add_parts(struct batcher *b, struct btopic *t)
{
	t->parts = xcalloc((size_t)t->meta.partitions, sizeof(*t->parts));
	t->sticky = t->meta.partitions ? (int32_t)(rand_r(&b->seed) % (unsigned)t->meta.partitions) : 0;
	for (int32_t i = 0; i < t->meta.partitions; i++) {
		struct bpart *pp = &t->parts[i];

		pp->t = t;
		pp->id = i;
		pp->sp.owner = pp;
		batch_builder_init(&pp->bb, b->o.codec, 0);
		sender_add_part(b->sender, &pp->sp, part_url(b, t, i));
	}
}

struct btopic *batcher_topic(struct batcher *b, const char *name, struct err *e)
{
	struct btopic *t = find_topic(b, name);
	int rc;

	if (t) {
		if (!t->missing.code)
			return t;
		*e = t->missing;
		return NULL;
	}
	t = xcalloc(1, sizeof(*t));
	snprintf(t->name, sizeof(t->name), "%s", name);
	/* The broker answers "does not exist" either in the metadata or as a
	 * 404 UNKNOWN_TOPIC_OR_PARTITION: both come here as the same code. */
	rc = cluster_topic(b->cl, name, b->o.auto_create, clock_mono_ms() + b->o.timeout_ms,
			   &t->meta, e);
	if (rc == SLOG_EUNKNOWN_TOPIC_OR_PARTITION) {
		add_missing(b, t, e);
		return NULL;
	}
	if (rc) {
		free(t);
		return NULL;
	}
	t->batch_limit = b->o.batch_bytes;
	if (t->meta.max_message_bytes > 0 && t->meta.max_message_bytes < t->batch_limit)
		t->batch_limit = t->meta.max_message_bytes;
	add_parts(b, t);
	t->next = b->topics;
	b->topics = t;
	return t;
}

int32_t batcher_choose(struct batcher *b, struct btopic *t, enum partitioner how,
		       const uint8_t *key, int32_t key_len)
{
	switch (how) {
	case PART_RANDOM:
		return (int32_t)(rand_r(&b->seed) % (unsigned)t->meta.partitions);
	case PART_ROUNDROBIN:
		return (int32_t)(t->rr++ % (uint32_t)t->meta.partitions);
	default:
		if (key)
			return murmur2_partition(key, (size_t)key_len, t->meta.partitions);
		return t->sticky;
	}
}

/* The open batch's tags go with it; the next batch starts its own. */
static void take_tags(struct bpart *pp, struct send_batch *sb)
{
	if (!pp->tags)
		return;
	sb->tags = pp->tags;
	pp->tags = NULL;
	pp->ntags = pp->tags_cap = 0;
}

void batcher_seal(struct batcher *b, struct bpart *pp)
{
	struct send_batch *sb;
	int32_t n = batch_builder_count(&pp->bb);
	size_t open_size = batch_builder_size(&pp->bb);
	struct err e;

	if (n == 0)
		return;
	sb = xcalloc(1, sizeof(*sb));
	sb->sp = &pp->sp;
	sb->records = n;
	sb->first_line = pp->first_tag;
	sb->payload_bytes = pp->payload_bytes;
	pp->payload_bytes = 0;
	sb->deadline_ms = pp->opened_ms + b->o.timeout_ms;
	take_tags(pp, sb);
	buf_grow(&sb->data, open_size); /* exactly: thousands of these may wait */
	if (batch_builder_finish(&pp->bb, &sb->data, &e)) {
		b->buffered -= (int64_t)open_size;
		buf_reset(&sb->data);
		b->done(b->arg, sb, e.code, &e, -1);
		return;
	}
	/* The open batch was counted at its raw size; count what is sent. */
	b->buffered += (int64_t)sb->data.len - (int64_t)open_size;
	b->sealed_bytes += (int64_t)sb->data.len;
	sender_enqueue(b->sender, sb);
	/* Keyless records move on once their partition's batch is sent. */
	if (pp->t->sticky == pp->id && pp->t->meta.partitions > 1)
		pp->t->sticky = (int32_t)(rand_r(&b->seed) % (unsigned)pp->t->meta.partitions);
}

static void keep_tag(struct batcher *b, struct bpart *pp, int64_t tag)
{
	if (!b->o.keep_tags)
		return;
	pp->tags = xgrow(pp->tags, &pp->tags_cap, pp->ntags + 1, sizeof(*pp->tags));
	pp->tags[pp->ntags++] = tag;
}

int batcher_add(struct batcher *b, struct bpart *pp, const struct record *r, int64_t tag,
		int64_t now_ms, struct err *e)
{
	struct btopic *t = pp->t;
	size_t alone, before;

	if (batch_builder_count(&pp->bb) &&
	    (int64_t)batch_builder_size_with(&pp->bb, r) > t->batch_limit)
		batcher_seal(b, pp);
	alone = batch_builder_size_with(&pp->bb, r);
	if (t->meta.max_message_bytes > 0 && (int64_t)alone > t->meta.max_message_bytes)
		return err_set(e, SLOG_EMESSAGE_TOO_LARGE,
			       "a record of %zu bytes is over max.message.bytes (%lld) of topic '%s'",
			       alone, (long long)t->meta.max_message_bytes, t->name);
	if (batch_builder_count(&pp->bb) == 0) {
		pp->opened_ms = now_ms;
		pp->first_tag = tag;
	}
	before = batch_builder_size(&pp->bb);
	if (batch_builder_add(&pp->bb, r))
		return err_set(e, SLOG_EINVALID_TIMESTAMP, "timestamp %lld is out of range",
			       (long long)r->timestamp);
	keep_tag(b, pp, tag);
	pp->payload_bytes += (r->key_len > 0 ? r->key_len : 0) + (r->value_len > 0 ? r->value_len : 0);
	b->buffered += (int64_t)(batch_builder_size(&pp->bb) - before);
	if ((int64_t)batch_builder_size(&pp->bb) >= t->batch_limit)
		batcher_seal(b, pp);
	return 0;
}

int64_t batcher_seal_due(struct batcher *b, int64_t now_ms, int force)
{
	int64_t next = INT64_MAX;

	for (struct btopic *t = b->topics; t; t = t->next)
		for (int32_t i = 0; i < t->meta.partitions; i++) {
			struct bpart *pp = &t->parts[i];
			if (!batch_builder_count(&pp->bb))
				continue;
			if (force || now_ms - pp->opened_ms >= b->o.linger_ms)
				batcher_seal(b, pp);
			else if (pp->opened_ms + b->o.linger_ms < next)
				next = pp->opened_ms + b->o.linger_ms;
		}
	return next;
}

/* One record of a refused batch as a batch of its own, sent alone. */
static struct send_batch *single(struct batcher *b, const struct send_batch *sb, int32_t i,
				 const struct record *r, struct batch_builder *bb, struct err *e)
{
	struct send_batch *one = xcalloc(1, sizeof(*one));

	one->sp = sb->sp;
	one->records = 1;
	one->deadline_ms = sb->deadline_ms;
	one->alone = 1;
	one->first_line = sb->tags ? sb->tags[i] : sb->first_line;
	if (sb->tags) {
		one->tags = xmalloc(sizeof(*one->tags));
		one->tags[0] = sb->tags[i];
	}
	one->payload_bytes = (r->key_len > 0 ? r->key_len : 0) + (r->value_len > 0 ? r->value_len : 0);
	if (batch_builder_add(bb, r) || batch_builder_finish(bb, &one->data, e)) {
		batcher_batch_free(one);
		return NULL;
	}
	b->buffered += (int64_t)one->data.len;
	return one;
}

int batcher_split(struct batcher *b, const struct send_batch *sb, struct err *e)
{
	struct send_batch *head = NULL, **tail = &head;
	struct buf unz = BUF_INIT;
	struct batch_builder bb;
	struct batch_iter it;
	struct record r;
	int32_t i = 0;
	int rc;

	batch_builder_init(&bb, b->o.codec, 0);
	rc = batch_iter_init(&it, (const uint8_t *)sb->data.data, sb->data.len, &unz, e);
	while (!rc && i < sb->records && (rc = batch_iter_next(&it, &r, e)) > 0) {
		*tail = single(b, sb, i++, &r, &bb, e);
		rc = *tail ? 0 : e->code;
		if (*tail)
			tail = &(*tail)->next;
	}
	if (rc >= 0 && i != sb->records)
		rc = err_set(e, SLOG_ECORRUPT_MESSAGE, "a batch of %d records read back as %d",
			     sb->records, i);
	batch_builder_free(&bb);
	buf_free(&unz);
	if (rc < 0) {
		while (head) {
			struct send_batch *next = head->next;
			b->buffered -= (int64_t)head->data.len;
			batcher_batch_free(head);
			head = next;
		}
		return rc;
	}
	sender_requeue_front(b->sender, sb->sp, head);
	return 0;
}

void batcher_refresh_limit(struct batcher *b, struct btopic *t, int64_t deadline_ms)
{
	struct topic_meta fresh;

	if (cluster_topic(b->cl, t->name, 0, deadline_ms, &fresh, NULL))
		return;
	t->meta.max_message_bytes = fresh.max_message_bytes;
	t->batch_limit = b->o.batch_bytes;
	if (fresh.max_message_bytes > 0 && fresh.max_message_bytes < t->batch_limit)
		t->batch_limit = fresh.max_message_bytes;
	topic_meta_free(&fresh);
}

int64_t batcher_abandon(struct batcher *b, const char *why)
{
	int64_t dropped = 0;

	for (struct btopic *t = b->topics; t; t = t->next)
		for (int32_t i = 0; i < t->meta.partitions; i++) {
			struct bpart *pp = &t->parts[i];
			int32_t n = batch_builder_count(&pp->bb);
			if (!n)
				continue;
			b->buffered -= (int64_t)batch_builder_size(&pp->bb);
			batch_builder_reset(&pp->bb);
			pp->ntags = 0;
			pp->payload_bytes = 0;
			dropped += n;
		}
	sender_fail_waiting(b->sender, SLOG_ENETWORK, why);
	return dropped;
}
