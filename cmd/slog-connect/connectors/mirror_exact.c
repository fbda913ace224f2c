/*
 * mirror_exact.c: exact mode, the engine's sink that copies raw batches.
 *
 * The consumer engine (consumer.h) reads the source's partitions as
 * group connect-<name> and hands each fetched batch over whole
 * (put_batch), as the source stores it: compressed or not, it is never
 * decoded or re-encoded here.  Batches gather per partition and go to
 * the copy's leader as a mirror append
 * (POST .../partitions/{p}/records?mirror=true, acks=all): the target
 * keeps each batch's offset, so the copy is the source byte for byte but
 * for the leader epoch.  A partition's batches are sent when they reach
 * SEND_BYTES, and all of them when the engine flushes, which it does
 * before every commit to the source group: a commit there (lag for
 * slog-groups describe) never passes what the target acknowledged.
 *
 * Progress is the target's log end.  Resending what the target holds is
 * harmless: it skips batches below its log end, so a restart, a
 * rebalance, or a source group offset behind the copy costs reading
 * again, never a duplicate.  That is also why an append whose outcome is
 * unknown (a timeout, a lost connection) is simply sent again.
 *
 * A copy that refuses mirror appends (INVALID_REQUEST: it lost its
 * mirror.source, i.e. it was promoted) stops being copied: its batches
 * are dropped from then on, and the next topic refresh takes it out of
 * the engine's topics.
 *
 * Everything here runs on the engine's thread.
 */
#include <stdlib.h>
#include <string.h>

#include "backoff.h"
#include "batch.h"
#include "clock.h"
#include "connectors/mirror_internal.h"
#include "consumer.h"
#include "http_client.h"
#include "log.h"
#include "runtime/metrics.h"
#include "xalloc.h"

/* Gather this much of a partition before sending without a flush. */
#define SEND_BYTES (1 << 20)
/* How long an append is retried; a stopping task gives it less. */
#define SEND_TIMEOUT_MS 120000
#define STOP_TIMEOUT_MS 10000

struct exact_part {
	char topic[256];
	int32_t partition;
	char leader[300];       /* the copy's leader; "" until looked up */
	struct buf pending;     /* batches put and not yet appended */
	int64_t records;        /* in pending */
	int64_t newest_ts;      /* the newest timestamp in pending */
};

struct exact {
	struct mirror *m;
	struct cluster *src, *dst;
	struct exact_part *parts;
	size_t nparts;
	struct http_client **clients; /* one per leader reached */
	size_t nclients;
	char **dropped;         /* topics whose copy was promoted */
	size_t ndropped;
};

static struct exact_part *part_of(struct exact *x, const char *topic, int32_t partition)
{
	struct exact_part *pp;

	for (size_t i = 0; i < x->nparts; i++)
		if (x->parts[i].partition == partition && strcmp(x->parts[i].topic, topic) == 0)
			return &x->parts[i];
	x->parts = xrealloc(x->parts, (x->nparts + 1) * sizeof(*x->parts));
	pp = &x->parts[x->nparts++];
	memset(pp, 0, sizeof(*pp));
	snprintf(pp->topic, sizeof(pp->topic), "%s", topic);
	pp->partition = partition;
	pp->newest_ts = -1;
	return pp;
}

static int dropped(const struct exact *x, const char *topic)
{
	for (size_t i = 0; i < x->ndropped; i++)
		if (strcmp(x->dropped[i], topic) == 0)
			return 1;
	return 0;
}

/* The connection to a leader, made on first use. */
static struct http_client *client_for(struct exact *x, const char *leader, struct err *e)
{
	struct http_client *c;

	for (size_t i = 0; i < x->nclients; i++)
		if (strcmp(x->clients[i]->base, leader) == 0)
			return x->clients[i];
	c = xcalloc(1, sizeof(*c));
	if (http_client_init(c, leader, e)) {
		free(c);
		return NULL;
	}
	x->clients = xrealloc(x->clients, (x->nclients + 1) * sizeof(*x->clients));
	x->clients[x->nclients++] = c;
	return c;
}

/* The copy was promoted: no more of topic is sent. */
static void drop_topic(struct exact *x, struct exact_part *pp, const struct err *why)
{
	if (!dropped(x, pp->topic)) {
		x->dropped = xrealloc(x->dropped, (x->ndropped + 1) * sizeof(*x->dropped));
		x->dropped[x->ndropped++] = xstrdup(pp->topic);
		mirror_skip_once(x->m, pp->topic, why->msg);
	}
	buf_reset(&pp->pending);
	pp->records = 0;
}

/* The target acknowledged pp's batches: count them and how late they came. */
static void delivered(struct exact *x, struct exact_part *pp)
{
	struct connect_metrics *mt = x->m->t->metrics;

	metrics_delivered(mt, pp->records, (int64_t)pp->pending.len);
	if (pp->newest_ts >= 0) {
		int64_t late = clock_wall_ms() - pp->newest_ts;
		metrics_gauge_seconds(mt, "mirror_latency_seconds", "",
				      late > 0 ? (double)late / 1000.0 : 0.0);
	}
	buf_reset(&pp->pending);
	pp->records = 0;
	pp->newest_ts = -1;
}

/* One try at appending pp's batches to the copy's leader. */
static int append_once(struct exact *x, struct exact_part *pp, int64_t deadline, struct err *e)
{
	struct http_client *c;
	char path[400];
	int rc = 0;

	if (!pp->leader[0])
		rc = cluster_find_leader(x->dst, pp->topic, pp->partition, deadline, pp->leader,
					 sizeof(pp->leader), e);
	if (rc)
		return rc;
	c = client_for(x, pp->leader, e);
	if (!c)
		return e->code;
	snprintf(path, sizeof(path), "/v1/topics/%s/partitions/%d/records?mirror=true&acks=all",
		 pp->topic, pp->partition);
	return http_call(c, "POST", path, "application/x-slog-batch", pp->pending.data,
			 pp->pending.len, deadline, NULL, e);
}

/* What to do after a failed try: 0 try again, else give up with rc. */
static int after_failure(struct exact *x, struct exact_part *pp, int rc, struct err *e)
{
	if (rc == SLOG_EUNKNOWN_TOPIC_OR_PARTITION) {
		/* A partition the source grew, before the refresh grew the copy. */
		pp->leader[0] = '\0';
		return mirror_topic_ensure(x->m, x->src, x->dst, pp->topic, e);
	}
	if (cluster_leader_moved(rc) || rc == SLOG_ENETWORK) {
		pp->leader[0] = '\0';
		return 0;
	}
	/* A mirror append is idempotent: whatever may have been appended is
	 * skipped the second time. */
	return cluster_produce_retriable(rc) || cluster_produce_ambiguous(rc) ? 0 : rc;
}

static int send_part(struct exact *x, struct exact_part *pp, struct err *e)
{
	int64_t deadline = clock_mono_ms() + SEND_TIMEOUT_MS;
	struct backoff bo;
	int rc;

	backoff_reset(&bo);
	while (pp->pending.len) {
		if (task_stopping(x->m->t) && deadline > clock_mono_ms() + STOP_TIMEOUT_MS)
			deadline = clock_mono_ms() + STOP_TIMEOUT_MS;
		rc = append_once(x, pp, deadline, e);
		if (rc == 0) {
			delivered(x, pp);
			return 0;
		}
		if (rc == SLOG_EINVALID_REQUEST) {
			drop_topic(x, pp, e);
			return 0;
		}
		if (after_failure(x, pp, rc, e) || backoff_sleep(&bo, deadline))
			return err_wrap(e, "cannot copy %s-%d to the target", pp->topic,
					pp->partition);
		x->m->t->metrics->retries++;
	}
	return 0;
}

static int put_batch(void *arg, const char *topic, int32_t partition, const uint8_t *batch,
		     size_t len, struct err *e)
{
	struct exact *x = arg;
	struct exact_part *pp;
	struct batch_header h;

	if (dropped(x, topic))
		return 0;
	if (batch_header_parse(batch, len, &h, e))
		return e->code;
	pp = part_of(x, topic, partition);
	buf_add(&pp->pending, batch, len);
	pp->records += h.record_count;
	if (h.max_timestamp > pp->newest_ts)
		pp->newest_ts = h.max_timestamp;
	return pp->pending.len >= SEND_BYTES ? send_part(x, pp, e) : 0;
}

static int flush(void *arg, struct err *e)
{
	struct exact *x = arg;

	for (size_t i = 0; i < x->nparts; i++) {
		int rc = send_part(x, &x->parts[i], e);
		if (rc)
			return rc;
	}
	return 0;
}

static void release(void *arg, const char *topic, int32_t partition)
{
	struct exact *x = arg;

	mirror_lag_drop(x->m, topic, partition);
	for (size_t i = 0; i < x->nparts; i++) {
		struct exact_part *pp = &x->parts[i];
		if (pp->partition != partition || strcmp(pp->topic, topic) != 0)
			continue;
		buf_free(&pp->pending);
		x->parts[i] = x->parts[--x->nparts];
		return;
	}
}

static void position(void *arg, const char *topic, int32_t partition, int64_t next, int64_t hw)
{
	struct exact *x = arg;

	mirror_lag_set(x->m, topic, partition, next, hw);
}

void *mirror_exact_new(struct mirror *m, struct cluster *src, struct cluster *dst,
		       struct consumer_sink *sink)
{
	struct exact *x = xcalloc(1, sizeof(*x));

	x->m = m;
	x->src = src;
	x->dst = dst;
	*sink = (struct consumer_sink){ .arg = x, .put_batch = put_batch, .flush = flush,
					.release = release, .position = position };
	return x;
}

void mirror_exact_free(void *arg)
{
	struct exact *x = arg;

	if (!x)
		return;
	for (size_t i = 0; i < x->nparts; i++)
		buf_free(&x->parts[i].pending);
	for (size_t i = 0; i < x->nclients; i++) {
		http_client_free(x->clients[i]);
		free(x->clients[i]);
	}
	for (size_t i = 0; i < x->ndropped; i++)
		free(x->dropped[i]);
	free(x->dropped);
	free(x->clients);
	free(x->parts);
	free(x);
}
