/*
 * consumer.c: fetches and the loop (where a partition starts:
 * consumer_start.c).  See consumer.h.
 */
#include "consumer_internal.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "batch.h"
#include "batch_check.h"
#include "batch_iter.h"
#include "cli.h"
#include "log.h"
#include "xalloc.h"

#define FOLLOW_WAIT_MS 1000

static int64_t mono(void)
{
	return clock_mono_ms();
}

static void start_fetch(struct consumer *c, struct cpart *cp)
{
	char url[4400];
	int wait = c->o->exit_at_end ? 0 : FOLLOW_WAIT_MS;

	int n = snprintf(url, sizeof(url), "%s?offset=%lld&max_bytes=%lld&max_wait_ms=%d", cp->url,
			 (long long)cp->next, (long long)c->o->max_bytes, wait);

	/* KIP-320: a leader that is not in this epoch says so, rather than
	 * serving a log that may have diverged from the one read so far. */
	if (cp->leader_epoch >= 0 && n > 0 && (size_t)n < sizeof(url))
		snprintf(url + n, sizeof(url) - (size_t)n, "&leader_epoch=%d", cp->leader_epoch);
	http_response_free(&cp->resp);
	http_response_init(&cp->resp);
	curl_easy_reset(cp->easy);
	http_easy_setup(cp->easy, url, "GET", cp->headers, NULL, 0, wait + c->o->timeout_ms, &cp->resp);
	curl_easy_setopt(cp->easy, CURLOPT_PRIVATE, cp);
	curl_multi_add_handle(c->multi, cp->easy);
	cp->inflight = 1;
}

static int limit_reached(const struct consumer *c)
{
	return (c->o->count && c->printed >= c->o->count) || c->stdout_closed || c->sink_failed;
}

/* A sink that takes whole batches: hand it the batch at p unless it is
 * all before the position (or past the end); move the position on. */
static int take_whole_batch(struct consumer *c, struct cpart *cp, const uint8_t *p,
			    const struct batch_header *h)
{
	if (batch_last_offset(h) < cp->next)
		return 0;
	if (cp->end >= 0 && h->base_offset >= cp->end) {
		cp->done = 1;
		return 0;
	}
	if (output_batch(c, cp, p, batch_size(h)))
		return -1;
	cp->next = batch_last_offset(h) + 1;
	cp->last_epoch = h->leader_epoch;
	return 0;
}

/* Print the records of one answer's batches; move the position on. */
static int take_batches(struct consumer *c, struct cpart *cp, struct err *e)
{
	const uint8_t *p = (const uint8_t *)cp->resp.body.data;
	size_t len = cp->resp.body.len, off = 0;
	int rc;

	while (off < len && !cp->done && !limit_reached(c)) {
		struct batch_header h;
		struct batch_iter it;
		struct record r;

		rc = batch_next_in(p + off, len - off, &h, e);
		if (!rc)
			rc = batch_validate(p + off, batch_size(&h), BATCH_CHECK_CRC, NULL, NULL, e);
		if (!rc && c->o->sink && c->o->sink->put_batch) {
			if (take_whole_batch(c, cp, p + off, &h))
				return 0;
			off += batch_size(&h);
			continue;
		}
		if (!rc)
			rc = batch_iter_init(&it, p + off, batch_size(&h), &c->scratch, e);
		if (rc)
			return err_wrap(e, "%s-%d at offset %lld", cp->topic, cp->id, (long long)cp->next);
		while ((rc = batch_iter_next(&it, &r, e)) == 1) {
			if (r.offset < cp->next)
				continue; /* the batch began before our position */
			if ((cp->end >= 0 && r.offset >= cp->end) ||
			    (c->o->start.stop_ts >= 0 && r.timestamp >= c->o->start.stop_ts)) {
				cp->done = 1;
				break;
			}
			if (output_record(c, cp, &r))
				return 0;
			cp->next = r.offset + 1;
			if (limit_reached(c))
				return 0;
		}
		if (rc < 0)
			return err_wrap(e, "%s-%d", cp->topic, cp->id);
		if (cp->next > h.base_offset)
			cp->last_epoch = h.leader_epoch; /* what a leader change is checked against */
		if (!cp->done && batch_last_offset(&h) + 1 > cp->next)
			cp->next = batch_last_offset(&h) + 1; /* compacted-away tail */
		off += batch_size(&h);
	}
	if (!cp->done && cp->resp.next_offset > cp->next && !limit_reached(c))
		cp->next = cp->resp.next_offset;
	if (cp->end >= 0 && cp->next >= cp->end)
		cp->done = 1;
	return 0;
}

/* The log start named in an OFFSET_OUT_OF_RANGE answer, or -1. */
static int64_t answer_log_start(const struct http_response *r)
{
	json_t *j = json_loadb(r->body.data ? r->body.data : "", r->body.len, 0, NULL);
	int64_t v = -1;

	if (j && json_is_integer(json_object_get(json_object_get(j, "error"), "log_start_offset")))
		v = json_integer_value(json_object_get(json_object_get(j, "error"), "log_start_offset"));
	json_decref(j);
	return v;
}

/* The partition's leader is there now, in epoch (-1: not said). */
static void learn_leader(struct cpart *cp, const char *leader, int32_t epoch)
{
	epoch_learned(cp, leader, epoch); /* compares with the old leader */
	consumer_set_leader(cp, leader);
}

/*
 * A fetch failed with rc: when the leader moved, go where the answer says
 * (NOT_LEADER names the new leader), else ask the metadata before the
 * next try (start_fetches).
 */
static void leader_moved(struct cpart *cp, int rc)
{
	char moved_to[300];

	if (!cluster_leader_moved(rc))
		return;
	if (rc == SLOG_ENOT_LEADER && http_error_where(&cp->resp, "leader", moved_to, sizeof(moved_to)))
		learn_leader(cp, moved_to, -1);
	else
		cp->stale = 1;
}

/*
 * A partition cannot be read on (rc, e say why).  slog-consume reads the
 * others on and exits 1 at the end; a program's sink would be left
 * waiting on a partition that stopped, so the engine stops with the
 * error, to be started again from the committed offsets.  A group member
 * cannot go on without a topic it named, and leaves so that the group
 * does not wait on it; a topic that only the regex matched just leaves
 * the subscription (looked up again at once).
 */
static void partition_failed(struct consumer *c, struct cpart *cp, int rc, const struct err *e)
{
	cp->done = 1;
	if (c->gm && rc == SLOG_EUNKNOWN_TOPIC_OR_PARTITION) {
		cp->gone = 1;
		if (c->o->topics_regex && !subscribe_named(c, cp->topic)) {
			consumer_log(c, LOG_LEVEL_INFO, "%s-%d: %s", cp->topic, cp->id, e->msg);
			c->next_refresh = 0;
			return;
		}
		c->quit = 1;
	}
	consumer_fail(c, rc, "%s-%d: %s", cp->topic, cp->id, e->msg);
	if (c->o->sink)
		c->quit = 1;
}

/* The answer's positions, for a sink that watches its lag. */
static void tell_position(struct consumer *c, const struct cpart *cp)
{
	const struct consumer_sink *s = c->o->sink;

	if (s && s->position && cp->resp.high_watermark >= 0)
		s->position(s->arg, cp->topic, cp->id, cp->next, cp->resp.high_watermark);
}

static void fetched(struct consumer *c, struct cpart *cp, CURLcode code)
{
	struct err e;
	int rc;

	curl_multi_remove_handle(c->multi, cp->easy);
	cp->inflight = 0;
	rc = http_response_finish(cp->easy, code, cp->url, &cp->resp, &e);
	if (!rc) {
		int64_t printed = c->printed;
		cp->failing_since = 0;
		backoff_reset(&cp->backoff);
		if (take_batches(c, cp, &e)) {
			cp->done = 1;
			consumer_fail(c, e.code ? e.code : SLOG_ECORRUPT_MESSAGE, "%s", e.msg);
			if (c->o->sink)
				c->quit = 1; /* as partition_failed() says */
		}
		/* --idle counts from the last answer that brought records: the
		 * clock is read once an answer, not once a record. */
		if (c->printed > printed)
			c->last_record = mono();
		tell_position(c, cp);
		cp->caught_up = cp->resp.high_watermark >= 0 && cp->next >= cp->resp.high_watermark;
		if (!c->o->sink)
			output_flush(c); /* a sink is flushed before commits only */
		return;
	}
	if (rc == SLOG_EOFFSET_OUT_OF_RANGE && !c->o->exit_at_end) {
		/* Retention took records before we read them: go on from what is left. */
		int64_t start = answer_log_start(&cp->resp);
		if (start > cp->next) {
			consumer_log(c, LOG_LEVEL_WARN, "%s-%d: offsets %lld to %lld were deleted before they were "
					"read; continuing at %lld", cp->topic, cp->id,
					(long long)cp->next, (long long)start - 1, (long long)start);
			cp->next = start;
			return;
		}
	}
	/* UNKNOWN_LEADER_EPOCH: the broker has not caught up with the epoch
	 * the metadata gave; it will. */
	if (cluster_leader_moved(rc) || rc == SLOG_EREQUEST_TIMED_OUT || rc == SLOG_ESTORAGE ||
	    rc == SLOG_EUNKNOWN_LEADER_EPOCH) {
		int64_t now = mono();
		if (!cp->failing_since)
			cp->failing_since = now;
		if (now - cp->failing_since < c->o->timeout_ms) {
			leader_moved(cp, rc);
			cp->retry_at = backoff_until(&cp->backoff, now, cp->failing_since + c->o->timeout_ms);
			return;
		}
	}
	partition_failed(c, cp, rc, &e);
}

/* Metadata of a topic with at least min_partitions, from the cache or
 * (when absent or smaller) the cluster; NULL with e set. */
static const struct topic_meta *consumer_topic(struct consumer *c, const char *topic,
					       int32_t min_partitions, int64_t deadline,
					       struct err *e)
{
	struct topic_meta tm;
	size_t i;

	for (i = 0; i < c->ntms; i++)
		if (strcmp(c->tms[i].name, topic) == 0)
			break;
	if (i < c->ntms && c->tms[i].partitions >= min_partitions)
		return &c->tms[i];
	if (cluster_topic(c->cl, topic, 0, deadline, &tm, e))
		return NULL;
	if (i == c->ntms)
		c->tms = xrealloc(c->tms, (++c->ntms) * sizeof(*c->tms));
	else
		topic_meta_free(&c->tms[i]); /* it grew: ask again */
	c->tms[i] = tm;
	return &c->tms[i];
}

static struct cpart *consumer_add_part(struct consumer *c, const char *topic, int32_t id,
				       const char *leader, int32_t epoch)
{
	struct cpart *cp = xcalloc(1, sizeof(*cp));

	snprintf(cp->topic, sizeof(cp->topic), "%s", topic);
	cp->id = id;
	cp->committed = -1;
	cp->leader_epoch = epoch;
	cp->last_epoch = -1;
	consumer_set_leader(cp, leader);
	cp->easy = curl_easy_init();
	cp->headers = curl_slist_append(NULL, "Accept: application/x-slog-batch");
	http_response_init(&cp->resp);
	c->parts = xgrow(c->parts, &c->parts_cap, c->nparts + 1, sizeof(*c->parts));
	c->parts[c->nparts++] = cp;
	return cp;
}

static void consumer_remove_part(struct consumer *c, size_t i)
{
	struct cpart *cp = c->parts[i];

	if (cp->inflight)
		curl_multi_remove_handle(c->multi, cp->easy);
	curl_easy_cleanup(cp->easy);
	curl_slist_free_all(cp->headers);
	http_response_free(&cp->resp);
	free(cp->url);
	free(cp);
	memmove(c->parts + i, c->parts + i + 1, (c->nparts - i - 1) * sizeof(*c->parts));
	c->nparts--;
}

/* Without -g: every partition of -t (or the -p ones), started by -o. */
static int setup(struct consumer *c, struct err *e)
{
	int64_t deadline = mono() + c->o->timeout_ms;

	for (int t = 0; t < c->o->ntopics; t++) {
		const char *topic = c->o->topics[t];
		const struct topic_meta *tm = consumer_topic(c, topic, 0, deadline, e);
		size_t first = c->nparts;

		if (!tm)
			return e->code;
		for (int k = 0; k < c->o->npartitions + c->o->nstarts; k++) {
			int32_t p = k < c->o->npartitions ? c->o->partitions[k]
							  : c->o->starts[k - c->o->npartitions].partition;
			if (p >= tm->partitions)
				return err_set(e, SLOG_EUNKNOWN_TOPIC_OR_PARTITION,
					       "topic '%s' has no partition %d (it has %d)", topic, p,
					       tm->partitions);
		}
		for (int32_t i = 0; i < tm->partitions; i++) {
			int wanted = c->o->npartitions == 0;
			for (int k = 0; k < c->o->npartitions; k++)
				wanted |= c->o->partitions[k] == i;
			if (wanted)
				consumer_add_part(c, topic, i, tm->leader[i], tm->leader_epoch[i]);
		}
		for (size_t i = first; i < c->nparts; i++)
			if (consumer_start_at(c, c->parts[i], -1, deadline, e))
				return e->code;
	}
	return 0;
}

static void teardown(struct consumer *c)
{
	while (c->nparts)
		consumer_remove_part(c, c->nparts - 1);
	free(c->parts);
	for (size_t i = 0; i < c->ntms; i++)
		topic_meta_free(&c->tms[i]);
	free(c->tms);
	buf_free(&c->out);
	buf_free(&c->scratch);
	curl_multi_cleanup(c->multi);
}

/*
 * Ask the cluster where a partition's leader is now.  When no broker
 * answers, the fetch goes to the old one, fails again and waits longer.
 */
static void refresh_leader(struct consumer *c, struct cpart *cp)
{
	char leader[300];
	int32_t epoch;

	cp->stale = 0;
	if (!cluster_find_leader_epoch(c->cl, cp->topic, cp->id, cp->failing_since + c->o->timeout_ms,
				       leader, sizeof(leader), &epoch, NULL))
		learn_leader(cp, leader, epoch);
}

/* Start the fetches that are due; the soonest retry time, or INT64_MAX. */
static int64_t start_fetches(struct consumer *c, int64_t now, int *active)
{
	int64_t next_retry = INT64_MAX;

	*active = 0;
	for (size_t i = 0; i < c->nparts; i++) {
		struct cpart *cp = c->parts[i];
		if (cp->done)
			continue;
		(*active)++;
		if (!cp->inflight && cp->retry_at <= now) {
			if (cp->stale)
				refresh_leader(c, cp);
			if (!cp->validate || !epoch_validate(c, cp, now))
				start_fetch(c, cp);
			else if (!cp->done && cp->retry_at < next_retry)
				next_retry = cp->retry_at; /* the check is retried then */
		}
		else if (!cp->inflight && cp->retry_at < next_retry)
			next_retry = cp->retry_at;
	}
	return next_retry;
}

/* Every partition read has reached its high watermark: nothing more is
 * there to read now. */
static int all_caught_up(const struct consumer *c)
{
	for (size_t i = 0; i < c->nparts; i++)
		if (!c->parts[i]->done && !c->parts[i]->caught_up)
			return 0;
	return 1;
}

/*
 * Wait up to wait ms for fetch answers, or for the reader of stdout to go
 * away (curl wakes for any event on fd 1, asked for or not), and take
 * what came.  When answers brought nothing while a sink holds records not
 * flushed, the fetches have caught up: flush and commit now rather than
 * at the next interval, so that what was read is committed soon after
 * the topic goes quiet.  When answers brought records and every partition
 * reached its high watermark, flush at once (commit at the interval): a
 * sink that keeps up writes each record out as soon as it is read, not a
 * long poll later, while one that lags flushes by the interval only.
 */
static void wait_and_take(struct consumer *c, int64_t wait)
{
	struct curl_waitfd out = { .fd = 1, .events = 0 };
	int running, numfds, left, answers = 0;
	int64_t printed = c->printed;
	CURLMsg *m;

	curl_multi_poll(c->multi, c->watch_stdout ? &out : NULL, c->watch_stdout ? 1 : 0,
			(int)wait, &numfds);
	if (c->watch_stdout && output_stdout_gone())
		c->stdout_closed = 1;
	curl_multi_perform(c->multi, &running);
	while ((m = curl_multi_info_read(c->multi, &left))) {
		struct cpart *cp;
		if (m->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&cp);
		fetched(c, cp, m->data.result);
		answers++;
	}
	if (!c->o->sink || !answers || !output_unflushed(c))
		return;
	if (c->printed == printed)
		c->next_commit = 0;
	else if (all_caught_up(c))
		output_flush(c);
}

/*
 * With -g: the topics named must exist, as without it; then join.  A
 * program's sink waits for a topic not created yet instead, as Kafka's
 * consumer does: the group assigns its partitions once it exists.  A
 * regex that matches nothing yet joins once it does (subscribe_turn).
 */
static int group_join(struct consumer *c, struct err *e)
{
	int64_t deadline = mono() + c->o->timeout_ms;
	int changed;

	for (int t = 0; t < c->o->ntopics; t++) {
		if (consumer_topic(c, c->o->topics[t], 0, deadline, e))
			continue;
		if (!c->o->sink || e->code != SLOG_EUNKNOWN_TOPIC_OR_PARTITION)
			return e->code;
		consumer_log(c, LOG_LEVEL_WARN, "group %s: topic '%s' does not exist: reading it "
			     "once it is created", c->o->group, c->o->topics[t]);
	}
	if (subscribe_refresh(c, deadline, &changed, e))
		return e->code;
	if (c->nsubs)
		group_setup(c);
	else
		consumer_log(c, LOG_LEVEL_INFO, "group %s: no topic matches '%s' yet", c->o->group,
			     c->o->topics_pattern);
	return 0;
}

/* With a regex: look the topics up again when it is time, and join or
 * tell the group when they changed.  A failed look-up is tried later. */
static void subscribe_turn(struct consumer *c)
{
	struct err e;
	int changed;

	if (!c->o->topics_regex || mono() < c->next_refresh)
		return;
	if (subscribe_refresh(c, mono() + c->o->timeout_ms, &changed, &e)) {
		consumer_log(c, LOG_LEVEL_WARN, "group %s: cannot list the topics matching '%s': %s",
			     c->o->group, c->o->topics_pattern, e.msg);
		return;
	}
	if (changed && !c->gm)
		group_setup(c);
	else if (changed)
		group_resubscribe(c);
}

/* Say on stderr which partitions -o started, as the group had no offset. */
static void say_fresh(struct consumer *c, const struct group_diff *d)
{
	struct buf b = BUF_INIT;
	size_t k = 0;

	for (size_t i = 0; i < d->nadded; i++)
		if (d->added[i].resume < 0)
			buf_addf(&b, "%s%s-%d", k++ ? ", " : "", d->added[i].tp.topic,
				 d->added[i].tp.partition);
	if (k)
		consumer_log(c, LOG_LEVEL_INFO, "group %s has no offset for %s: starting at the %s", c->o->group,
				b.data, c->o->start.kind == OFF_END ? "end" : "beginning");
	buf_free(&b);
}

/* Start one partition the group added. */
static int start_added(struct consumer *c, const struct group_added *a, int64_t deadline,
		       struct err *e)
{
	const struct topic_meta *tm = consumer_topic(c, a->tp.topic, a->tp.partition + 1, deadline, e);
	struct cpart *cp;
	int rc;

	if (!tm)
		return e->code;
	if (a->tp.partition >= tm->partitions)
		return err_set(e, SLOG_EUNKNOWN_TOPIC_OR_PARTITION, "%s-%d does not exist",
			       a->tp.topic, a->tp.partition);
	cp = consumer_add_part(c, a->tp.topic, a->tp.partition, tm->leader[a->tp.partition],
			       tm->leader_epoch[a->tp.partition]);
	rc = consumer_start_at(c, cp, a->resume, deadline, e);
	cp->committed = a->committed;
	if (!rc)
		consumer_log(c, LOG_LEVEL_DEBUG, "group %s: reading %s-%d from offset %lld", c->o->group, cp->topic, cp->id,
			  (long long)cp->next);
	return rc;
}

/*
 * Was a revoked partition taken away because its topic was deleted?  The
 * group drops a deleted topic's partitions from the assignment, and that
 * answer can come before a fetch meets the deletion: ask the cluster
 * afresh (not the cache) for each topic a partition was revoked from.
 * 1, with the reason in e, when one is gone.
 */
static int revoked_topic_gone(struct consumer *c, const struct group_diff *d, int64_t deadline,
			      struct err *e)
{
	for (size_t k = 0; k < d->nrevoked; k++) {
		const char *topic = c->parts[d->revoked[k]]->topic;
		struct topic_meta tm;
		int seen = 0;

		for (size_t j = 0; j < k && !seen; j++)
			seen = strcmp(c->parts[d->revoked[j]]->topic, topic) == 0;
		if (seen || (c->o->topics_regex && !subscribe_named(c, topic)))
			continue; /* a topic the regex matched may go */
		if (cluster_topic(c->cl, topic, 0, deadline, &tm, e) == SLOG_EUNKNOWN_TOPIC_OR_PARTITION)
			return 1;
		topic_meta_free(&tm);
	}
	return 0;
}

/* Give up and start what the group's assignment moved; rc is
 * group_follow's, and the result the first error. */
static int apply_diff(struct consumer *c, const struct group_diff *d, int rc, struct err *e)
{
	int64_t deadline = mono() + c->o->timeout_ms;
	struct err gone;

	/* A member cannot go on without a topic it subscribed to: it leaves,
	 * as when a fetch finds the topic gone (fetched()). */
	if (!rc && revoked_topic_gone(c, d, deadline, &gone)) {
		consumer_fail(c, gone.code, "%s", gone.msg);
		c->quit = 1;
	}
	for (size_t k = d->nrevoked; k-- > 0;) {
		size_t i = d->revoked[k];
		consumer_log(c, LOG_LEVEL_DEBUG, "group %s: %s %s-%d", c->o->group,
			     d->lost ? "lost" : "released", c->parts[i]->topic, c->parts[i]->id);
		output_release(c, c->parts[i]);
		consumer_remove_part(c, i);
	}
	for (size_t i = 0; !rc && i < d->nadded; i++)
		rc = start_added(c, &d->added[i], deadline, e);
	if (!rc)
		say_fresh(c, d);
	group_report_owned(c);
	return rc;
}

/*
 * Commit what was written.  A sink is flushed first: only what it
 * confirmed counts as written.  A failed commit is said, and the next
 * one may succeed.
 */
static void commit_now(struct consumer *c)
{
	struct err e;
	int rc;

	c->next_commit = mono() + c->o->commit_interval_ms;
	if (c->o->sink && output_unflushed(c) && output_flush(c))
		return; /* the sink failed: the loop stops, nothing is committed */
	if (c->gm && (rc = group_commit_written(c, mono() + c->o->timeout_ms, &e)))
		consumer_log(c, LOG_LEVEL_ERROR, "group %s: commit failed: %s", c->o->group, e.msg);
}

/* The group's part of a turn of the loop; 1 to stop. */
static int group_turn(struct consumer *c)
{
	struct group_diff d;
	struct err e;
	int rc;

	subscribe_turn(c);
	if (!c->gm)
		return 0; /* nothing matches the regex yet */
	rc = group_follow(c, &d, &e);
	/* A sink makes what it was given safe before anything is given up:
	 * the positions committed then are the ones it flushed.  (When it
	 * fails, nothing more is committed and the loop stops.) */
	if (d.nrevoked && c->o->sink)
		output_flush(c);
	group_commit_revoked(c, &d);
	if (d.changed)
		rc = apply_diff(c, &d, rc, &e);
	group_diff_free(&d);
	if (rc) {
		consumer_fail(c, rc, "%s", e.msg);
		return 1;
	}
	if (c->o->exit_at_end && group_finished(c))
		return 1;
	return 0;
}

/* Write out the rest; a group member commits it and leaves. */
static void finish(struct consumer *c)
{
	struct buf b = BUF_INIT;
	struct err e;
	int rc;

	if (!c->sink_failed)
		output_flush(c);
	if (c->gm) {
		if (c->quit && !c->o->sink)
			consumer_log(c, LOG_LEVEL_ERROR, "group %s: leaving the group, as a topic it reads is gone",
				     c->o->group);
		for (size_t i = c->nparts; i-- > 0;)
			if (c->parts[i]->gone)
				consumer_remove_part(c, i); /* nothing to commit there */
		/* The last commit is the one that counts: positions it could
		 * not store are read again by the group, so say it failed.
		 * After a sink's failure nothing it was given counts. */
		if (!c->sink_failed && (rc = group_commit_written(c, mono() + c->o->timeout_ms, &e)))
			consumer_fail(c, rc, "group %s: commit failed: %s", c->o->group, e.msg);
		group_leave(c);
	}
	buf_addf(&b, "%lld records from ", (long long)c->printed);
	for (int i = 0; i < c->o->ntopics; i++)
		buf_addf(&b, "%s%s", i ? "," : "", c->o->topics[i]);
	consumer_log(c, LOG_LEVEL_DEBUG, "%s", b.data);
	buf_free(&b);
}

/* How long the loop may wait for answers from now. */
static int64_t loop_wait(const struct consumer *c, int64_t now, int64_t next_retry)
{
	int64_t wait = next_retry == INT64_MAX ? 1000 : next_retry - now + 1;

	if ((c->gm || c->o->sink) && c->next_commit - now < wait)
		wait = c->next_commit > now ? c->next_commit - now : 0;
	if (c->o->topics_regex && c->next_refresh - now < wait)
		wait = c->next_refresh > now ? c->next_refresh - now : 0;
	if (c->o->idle_ms && c->last_record + c->o->idle_ms - now < wait)
		wait = c->last_record + c->o->idle_ms - now;
	return wait;
}

int consumer_run(struct cluster *cl, const struct consumer_opts *o, volatile sig_atomic_t *stop,
		 struct err *e)
{
	struct consumer c = { .o = o, .cl = cl };
	struct err setup_err;

	c.multi = curl_multi_init();
	c.watch_stdout = !o->sink && fcntl(1, F_GETFD) != -1;
	c.next_commit = mono() + o->commit_interval_ms;
	if (o->group ? group_join(&c, &setup_err) : setup(&c, &setup_err)) {
		consumer_fail(&c, setup_err.code, "%s", setup_err.msg);
		subscribe_free(&c);
		teardown(&c);
		goto out;
	}
	c.last_record = mono();
	while (!*stop && !c.quit && !limit_reached(&c)) {
		int64_t now, next_retry;
		int active;

		if (o->group && group_turn(&c))
			break;
		now = mono();
		if (o->idle_ms && now - c.last_record >= o->idle_ms)
			break;
		if ((c.gm || o->sink) && now >= c.next_commit)
			commit_now(&c);
		next_retry = start_fetches(&c, now, &active);
		if (!active && !o->group)
			break;
		wait_and_take(&c, loop_wait(&c, now, next_retry));
	}
	finish(&c);
	subscribe_free(&c);
	teardown(&c);
out:
	if (!c.status)
		return 0;
	if (e)
		*e = c.err;
	return c.err.code ? c.err.code : SLOG_EUNKNOWN;
}
