/*
 * api_groups.c: consumer groups over HTTP.
 *
 *   GET    /v1/groups                     list the groups coordinated here
 *   GET    /v1/groups/{g}                 describe: members, assignment, lag
 *   DELETE /v1/groups/{g}                 delete an empty group's offsets
 *   DELETE /v1/groups/{g}/offsets?topic=T[&partitions=0,1]
 *                                         delete its offsets of one topic
 *   POST   /v1/groups/{g}/heartbeat       join, heartbeat (long-polled)
 *   POST   /v1/groups/{g}/leave           leave at once
 *   GET    /v1/groups/{g}/offsets         committed offsets
 *   POST   /v1/groups/{g}/offsets         commit (fenced by member epoch)
 *
 * Every request about one group goes to its coordinator, the leader of
 * its __consumer_offsets partition; another broker answers
 * NOT_COORDINATOR with the coordinator's address.  Commits and deletes
 * are written to that partition with acks=all, as Kafka's coordinator
 * writes them: with log.flush.on.ack fsynced, then held (the request
 * suspends meanwhile) until the high watermark passes them, so that
 * every in-sync replica has them before they take effect and are
 * answered.  What the replicas do not take within
 * offsets.commit.timeout.ms is answered COORDINATOR_NOT_AVAILABLE, which
 * clients retry, and does not take effect.
 */
#include <stdlib.h>
#include <string.h>

#include "broker.h"
#include "groups/group_coordinator.h"
#include "groups/offsets_store.h"
#include "http/api.h"
#include "http/group_json.h"
#include "replica/fetch_wait.h"
#include "replica/registry.h"
#include "replica/replication.h"
#include "storage/flusher.h"
#include "units.h"
#include "xalloc.h"

#define MAX_TOPICS 1000      /* in a subscription */
#define MAX_PARTITIONS 100000 /* in an owned set or a commit */

/* Answer with an error and say so: for parsers that return "answered". */
static int refused(struct request *r, const struct err *e)
{
	http_reply_err(r, e);
	return 1;
}

#define container_of(ptr, type, member) ((type *)(void *)((char *)(ptr) - offsetof(type, member)))

/*
 * Check the group id, make __consumer_offsets if need be, and find the
 * group's partition.  Returns with meta_lock held for reading and *p set,
 * or answers the request, returns nonzero and holds nothing.
 */
static int coordinate(struct request *r, const char *group, struct partition **p)
{
	struct broker *b = r->b;
	json_t *where;
	struct err e;
	int rc;

	if (gc_group_name_valid(group, &e) || offsets_store_ensure(b, &e)) {
		http_reply_err(r, &e);
		return 1;
	}
	pthread_rwlock_rdlock(&b->meta_lock);
	rc = offsets_store_partition(b, group, p, &where, &e);
	if (rc) {
		pthread_rwlock_unlock(&b->meta_lock);
		if (where)
			http_reply_error_with(r, rc, json_pack("{s:o}", "coordinator", where), "%s", e.msg);
		else
			http_reply_err(r, &e);
		return 1;
	}
	return 0;
}

/* ---- list, describe ---- */

int api_groups_list(struct request *r, char **args)
{
	struct gc_summary *v;
	json_t *list;
	size_t n, k = 0;

	(void)args;
	gc_list(r->b->groups, &v, &n);
	/* The groups coordinated here, as Kafka's ListGroups answers: a
	 * replica's copy of another coordinator's groups may be stale. */
	pthread_rwlock_rdlock(&r->b->meta_lock);
	for (size_t i = 0; i < n; i++)
		if (offsets_store_coordinates(r->b, v[i].group))
			v[k++] = v[i];
	pthread_rwlock_unlock(&r->b->meta_lock);
	list = group_json_summaries(v, k);
	free(v);
	return http_reply_json(r, 200, json_pack("{s:o}", "groups", list));
}

/* gc_log_range_fn over the registry (meta_lock held). */
static int log_range(void *arg, const struct gc_tp *tp, int64_t *start, int64_t *end)
{
	struct topic *t = broker_topic(arg, tp->topic);
	struct partition *p = t ? topic_partition(t, tp->partition) : NULL;

	if (!p)
		return -1;
	plog_offsets(p->log, start, NULL);
	*end = (int64_t)p->hw;
	return 0;
}

int api_group_describe(struct request *r, char **args)
{
	struct gc_group_view v;
	struct partition *p;
	struct err e;
	json_t *j;

	if (coordinate(r, args[0], &p))
		return 1;
	if (gc_describe(r->b->groups, args[0], log_range, r->b, &v, &e)) {
		pthread_rwlock_unlock(&r->b->meta_lock);
		return http_reply_err(r, &e);
	}
	j = group_json_view(&v);
	gc_group_view_free(&v);
	json_object_set_new(j, "coordinator", broker_address(r->b, partition_leader(r->b, p)));
	pthread_rwlock_unlock(&r->b->meta_lock);
	return http_reply_json(r, 200, j);
}

/* ---- heartbeat, leave ---- */

struct hb_state {
	struct gc_waiter w;
	struct request *r;
	char member_id[GC_MEMBER_ID_MAX + 1];
};

/* The answer, which it frees. */
static int reply_answer(struct request *r, struct gc_answer *a)
{
	json_t *j = group_json_answer(a);

	gc_answer_free(a);
	return http_reply_json(r, 200, j);
}

static void hb_wake(struct gc_waiter *w)
{
	http_resume(((struct hb_state *)w->arg)->r);
}

/* After the wait: the member's answer as it is now. */
static int hb_answer(struct request *r)
{
	struct hb_state *s = r->state;
	struct gc_answer a;
	struct err e;
	int rc;

	pthread_rwlock_rdlock(&r->b->meta_lock);
	rc = gc_answer(r->b->groups, s->w.group, s->member_id, &a, &e);
	pthread_rwlock_unlock(&r->b->meta_lock);
	if (rc)
		return http_reply_err(r, &e);
	return reply_answer(r, &a);
}

/* A string field: absent is dflt, anything but a string is an error. */
static int str_field(struct request *r, json_t *body, const char *key, const char *dflt,
		     size_t max, const char **out)
{
	json_t *v = json_object_get(body, key);

	*out = dflt;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v) || json_string_length(v) > max) {
		http_reply_error(r, SLOG_EINVALID_REQUEST, "\"%s\" must be a string of at most %zu bytes",
				 key, max);
		return 1;
	}
	*out = json_string_value(v);
	return 0;
}

/* An integer field in [min, max]; absent is dflt. */
static int int_field(struct request *r, json_t *body, const char *key, int64_t min, int64_t max,
		     int64_t dflt, int64_t *out)
{
	json_t *v = json_object_get(body, key);

	*out = dflt;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max) {
		http_reply_error(r, SLOG_EINVALID_REQUEST, "\"%s\" must be an integer from %lld to %lld",
				 key, (long long)min, (long long)max);
		return 1;
	}
	*out = json_integer_value(v);
	return 0;
}

/* [{"topic":"t","partitions":[0,1]}] into a partition list. */
static int parse_owned(struct request *r, json_t *list, struct gc_tp **out, size_t *n)
{
	size_t i, k, cap = 0;
	json_t *item, *pn;
	struct err e;

	*out = NULL;
	*n = 0;
	if (!json_is_array(list))
		goto bad;
	json_array_foreach(list, i, item) {
		const char *topic = json_string_value(json_object_get(item, "topic"));
		json_t *parts = json_object_get(item, "partitions");
		if (!topic || !json_is_array(parts))
			goto bad;
		if (topic_name_check(topic, &e)) {
			free(*out);
			*out = NULL;
			return refused(r, &e);
		}
		json_array_foreach(parts, k, pn) {
			if (!json_is_integer(pn) || json_integer_value(pn) < 0 ||
			    json_integer_value(pn) > INT32_MAX || *n >= MAX_PARTITIONS)
				goto bad;
			*out = xgrow(*out, &cap, *n + 1, sizeof(**out));
			snprintf((*out)[*n].topic, sizeof((*out)[*n].topic), "%s", topic);
			(*out)[*n].partition = (int32_t)json_integer_value(pn);
			(*n)++;
		}
	}
	return 0;
bad:
	free(*out);
	*out = NULL;
	http_reply_error(r, SLOG_EINVALID_REQUEST,
			 "\"owned\" must be [{\"topic\":\"t\",\"partitions\":[0,1]}] (at most %d partitions)",
			 MAX_PARTITIONS);
	return 1;
}

/* ["a","b"] into a subscription. */
static int parse_topics(struct request *r, json_t *list, const char ***out, size_t *n)
{
	size_t i;
	json_t *t;
	struct err e;

	*out = NULL;
	*n = 0;
	if (!json_is_array(list) || json_array_size(list) > MAX_TOPICS) {
		http_reply_error(r, SLOG_EINVALID_REQUEST,
				 "\"topics\" must be a list of at most %d topic names", MAX_TOPICS);
		return 1;
	}
	*out = xcalloc(json_array_size(list) + 1, sizeof(char *));
	json_array_foreach(list, i, t) {
		if (!json_is_string(t) || topic_name_check(json_string_value(t), &e)) {
			free(*out);
			*out = NULL;
			if (!json_is_string(t))
				err_set(&e, SLOG_EINVALID_REQUEST, "\"topics\" holds topic names");
			return refused(r, &e);
		}
		(*out)[(*n)++] = json_string_value(t);
	}
	return 0;
}

/*
 * The heartbeat's body into hb; *topics and *owned are the caller's to
 * free, and hb borrows from body.  Answers the request and returns
 * nonzero when the body is wrong.
 */
static int parse_heartbeat(struct request *r, json_t *body, struct gc_heartbeat *hb,
			   const char ***topics, struct gc_tp **owned)
{
	static const char *const known[] = { "member_id", "member_epoch", "client_id", "topics",
					     "owned", "session_timeout_ms", NULL };
	int64_t epoch, session;

	if (api_unknown_field(r, body, known) ||
	    str_field(r, body, "member_id", "", GC_MEMBER_ID_MAX, &hb->member_id) ||
	    str_field(r, body, "client_id", NULL, 127, &hb->client_id) ||
	    int_field(r, body, "member_epoch", 0, INT32_MAX, 0, &epoch) ||
	    int_field(r, body, "session_timeout_ms", 1, INT32_MAX, 0, &session) ||
	    (json_object_get(body, "topics") &&
	     parse_topics(r, json_object_get(body, "topics"), topics, &hb->ntopics)) ||
	    (json_object_get(body, "owned") &&
	     parse_owned(r, json_object_get(body, "owned"), owned, &hb->nowned)))
		return 1;
	hb->member_epoch = (int32_t)epoch;
	hb->session_ms = session;
	hb->topics = *topics;
	hb->has_topics = *topics != NULL;
	hb->owned = *owned;
	hb->has_owned = json_object_get(body, "owned") != NULL;
	return 0;
}

/* Nothing to do for the member until the group changes: wait for that,
 * at most until it must heartbeat again (or wait_ms). */
static int hb_wait(struct request *r, const char *group, struct gc_answer *a, int64_t wait_ms)
{
	struct hb_state *s = xcalloc(1, sizeof(*s));

	s->r = r;
	snprintf(s->member_id, sizeof(s->member_id), "%s", a->member_id);
	snprintf(s->w.group, sizeof(s->w.group), "%s", group);
	s->w.wake = hb_wake;
	s->w.arg = s;
	s->w.version = a->version;
	s->w.deadline_ms = clock_mono_ms() + (wait_ms < a->interval_ms ? wait_ms : a->interval_ms);
	gc_answer_free(a);
	r->state = s;
	r->free_state = free;
	http_suspend(r, hb_answer);
	gc_wait(r->b->groups, &s->w);
	return 1;
}

int api_group_heartbeat(struct request *r, char **args)
{
	struct gc_heartbeat hb = { .group = args[0] };
	struct gc_tp *owned = NULL;
	const char **topics = NULL;
	const char *q = http_query(r, "max_wait_ms");
	int64_t wait = 0;
	char host[64];
	struct partition *p;
	struct gc_answer a;
	json_t *body;
	struct err e;
	int rc = 1;

	if (q && units_parse_int(q, 0, 3600000, &wait, NULL))
		return http_reply_error(r, SLOG_EINVALID_REQUEST,
					"max_wait_ms must be an integer from 0 to 3600000");
	body = api_body_object(r, 1);
	if (!body)
		return 1;
	if (parse_heartbeat(r, body, &hb, &topics, &owned))
		goto out;
	http_peer(r, host, sizeof(host));
	hb.host = host;
	if (coordinate(r, args[0], &p))
		goto out;
	rc = gc_heartbeat(r->b->groups, &hb, &a, &e);
	pthread_rwlock_unlock(&r->b->meta_lock);
	if (rc)
		rc = http_reply_err(r, &e);
	else if (!a.settled || wait == 0)
		rc = reply_answer(r, &a);
	else
		rc = hb_wait(r, args[0], &a, wait);
out:
	json_decref(body);
	free(owned);
	free(topics);
	return rc;
}

int api_group_leave(struct request *r, char **args)
{
	static const char *const known[] = { "member_id", NULL };
	json_t *body = api_body_object(r, 1);
	const char *member;
	struct partition *p;
	struct err e;
	int rc;

	if (!body)
		return 1;
	if (api_unknown_field(r, body, known) ||
	    str_field(r, body, "member_id", NULL, GC_MEMBER_ID_MAX, &member)) {
		json_decref(body);
		return 1;
	}
	if (!member) {
		json_decref(body);
		return http_reply_error(r, SLOG_EINVALID_REQUEST, "body needs \"member_id\"");
	}
	if (coordinate(r, args[0], &p)) {
		json_decref(body);
		return 1;
	}
	rc = gc_leave(r->b->groups, args[0], member, &e);
	pthread_rwlock_unlock(&r->b->meta_lock);
	if (rc)
		rc = http_reply_err(r, &e);
	else
		rc = http_reply_json(r, 200, json_pack("{s:s, s:i}", "member_id", member,
						       "member_epoch", -1));
	json_decref(body);
	return rc;
}

/* ---- offsets: read, commit, delete ---- */

int api_group_offsets_get(struct request *r, char **args)
{
	const char *q = http_query(r, "topics");
	char *copy = q ? xstrdup(q) : NULL;
	const char **topics = NULL;
	size_t n = 0;
	struct gc_offset_list l;
	struct partition *p;
	json_t *j;

	if (copy) {
		/* ?topics=a,b: split in place; empty names are skipped. */
		topics = xcalloc(strlen(copy) + 2, sizeof(char *));
		for (char *t = copy, *comma; t; t = comma ? comma + 1 : NULL) {
			comma = strchr(t, ',');
			if (comma)
				*comma = '\0';
			if (*t)
				topics[n++] = t;
		}
	}
	if (coordinate(r, args[0], &p)) {
		free(topics);
		free(copy);
		return 1;
	}
	pthread_rwlock_unlock(&r->b->meta_lock);
	gc_offsets(r->b->groups, args[0], topics, topics ? n : 0, &l);
	free(topics);
	free(copy);
	j = group_json_offsets(&l);
	gc_offset_list_free(&l);
	return http_reply_json(r, 200, json_pack("{s:s, s:o}", "group", args[0], "offsets", j));
}

/* A commit or a delete on its way to disk. */
struct write_state {
	struct request *r;
	char group[GC_GROUP_MAX + 1];
	struct gc_offset *v;
	size_t n;
	int tombstones;
	int whole_group;         /* tombstones: the group is deleted */
	json_t *body;            /* keeps the metadata strings alive */
	const char *member;      /* a commit's member_id (in body), and epoch */
	int32_t epoch;
	int64_t first_log_offset;
	int64_t last_log_offset; /* committed once the high watermark passes it */
	struct partition *part;  /* a reference while the records go to it */
	struct flush_req flush;
	struct fetch_wait wait;  /* for the high watermark */
	int rc;
	struct err err;
};

static void write_state_free(void *p)
{
	struct write_state *s = p;

	if (s->part)
		partition_put(s->part);
	free(s->v);
	json_decref(s->body);
	free(s);
}

/* Durable: take effect, answer. */
static int write_finish(struct request *r)
{
	struct write_state *s = r->state;

	if (s->rc)
		return http_reply_err(r, &s->err);
	if (s->tombstones) {
		for (size_t i = 0; i < s->n; i++)
			gc_offset_forget(r->b->groups, s->group, &s->v[i].tp);
		if (!s->whole_group)
			return http_reply_json(r, 200, json_pack("{s:s, s:i, s:o}", "group", s->group,
								 "offsets_deleted", (int)s->n, "partitions",
								 group_json_offset_tps(s->v, s->n)));
		return http_reply_json(r, 200, json_pack("{s:s, s:b, s:i}", "group", s->group, "deleted",
							 1, "offsets_deleted", (int)s->n));
	}
	/* The member may have been fenced while the records were flushed:
	 * ask again, and take effect only if it still owns what it commits. */
	if (gc_commit_check(r->b->groups, s->group, s->member, s->epoch, s->v, s->n, &s->err))
		return http_reply_err(r, &s->err);
	gc_commit_apply(r->b->groups, s->group, s->v, s->n, s->first_log_offset);
	return http_reply_json(r, 200, json_pack("{s:s, s:i}", "group", s->group, "committed",
						 (int)s->n));
}

/*
 * The high watermark passed the records, or the wait ran out.  Kafka's
 * coordinator answers a commit the replicas did not all take (too few in
 * sync, no answer in time) COORDINATOR_NOT_AVAILABLE: the client commits
 * again, which is harmless.
 */
static int write_committed(struct request *r)
{
	struct write_state *s = r->state;
	struct partition *p = s->part;
	struct err why;

	if (r->b->waits)
		fetch_waits_cancel(r->b->waits, &s->wait);
	if (s->rc)
		return write_finish(r);
	if (atomic_load(&p->hw) > s->last_log_offset) {
		if (!replication_check_acked(p, &why))
			return write_finish(r);
	} else if (atomic_load(&p->deleted)) {
		err_set(&why, SLOG_EUNKNOWN_TOPIC_OR_PARTITION, "%s was deleted", OFFSETS_TOPIC);
	} else {
		err_set(&why, SLOG_EREQUEST_TIMED_OUT, "not every in-sync replica of %s-%d had it "
			"within offsets.commit.timeout.ms", OFFSETS_TOPIC, p->id);
	}
	s->rc = err_set(&s->err, SLOG_ECOORDINATOR_NOT_AVAILABLE, "group %s: the change was not "
			"committed: %s", s->group, why.msg);
	return write_finish(r);
}

static void commit_woken(struct fetch_wait *w)
{
	http_resume(w->arg);
}

/* Durable here: wait until the in-sync replicas have the records too. */
static int await_hw(struct request *r)
{
	struct write_state *s = r->state;
	struct broker *b = r->b;
	struct partition *p = s->part;

	if (s->rc || atomic_load(&p->hw) > s->last_log_offset || !b->waits)
		return write_committed(r);
	s->wait = (struct fetch_wait){ .list = &p->waiters, .hw = &p->hw,
				       .offset = s->last_log_offset,
				       .deadline_ms = clock_mono_ms() +
						      conf_get_num(&b->conf, "offsets.commit.timeout.ms"),
				       .wake = commit_woken, .arg = r };
	/* Suspended first: the wait may fire as soon as it is added.  Under
	 * meta_lock a deletion cannot slip in between (it wakes waiters). */
	http_suspend(r, write_committed);
	pthread_rwlock_rdlock(&b->meta_lock);
	if (atomic_load(&p->deleted))
		http_resume(r);
	else
		fetch_waits_add(b->waits, &s->wait);
	pthread_rwlock_unlock(&b->meta_lock);
	return 1;
}

static void write_flushed(struct flush_req *fr, int rc, const struct err *e)
{
	struct write_state *s = container_of(fr, struct write_state, flush);

	if (rc) {
		s->rc = rc;
		s->err = *e;
	} else {
		replication_durable(s->r->b, s->part); /* the leader's own DO moved */
	}
	http_resume(s->r);
}

/*
 * Append the state's records to p, then finish once they are durable.
 * Called with meta_lock held: it takes a reference to p and releases the
 * lock before the append, which may block on a stalled disk (broker.h).
 */
static int write_records(struct request *r, struct write_state *s, struct partition *p)
{
	struct plog_append_result res = { 0 };
	struct err why;
	int rc;

	r->state = s;
	r->free_state = write_state_free;
	if (s->n == 0) {
		pthread_rwlock_unlock(&r->b->meta_lock);
		return write_finish(r);
	}
	s->part = partition_get(p);
	pthread_rwlock_unlock(&r->b->meta_lock);
	/* acks=all: nothing is written while too few replicas are in sync. */
	rc = replication_check_append(p, &why);
	if (rc)
		rc = err_set(&s->err, SLOG_ECOORDINATOR_NOT_AVAILABLE, "group %s: cannot commit now: %s",
			     s->group, why.msg);
	if (!rc)
		rc = offsets_store_append(r->b, p, s->group, s->v, s->n, s->tombstones, &res,
					  &s->err);
	s->first_log_offset = res.base_offset;
	s->last_log_offset = res.last_offset;
	s->rc = rc;
	if (rc || !r->b->flush_on_ack)
		return await_hw(r);
	s->flush.log = p->log; /* borrows s->part, given back after the answer */
	s->flush.dir = p->dir;
	s->flush.upto = res.last_offset + 1;
	s->flush.done = write_flushed;
	http_suspend(r, await_hw);
	flusher_submit(r->b->flusher, &s->flush);
	return 1;
}

/* One {"topic","partition","offset","metadata"} of a commit (meta_lock held). */
static int parse_commit(struct request *r, json_t *item, struct gc_offset *o, int64_t now)
{
	const char *topic = json_string_value(json_object_get(item, "topic"));
	json_t *pn = json_object_get(item, "partition"), *off = json_object_get(item, "offset");
	json_t *md = json_object_get(item, "metadata");
	/* The published metadata, not the registry: a group commits offsets
	 * of partitions led on any broker, not only those placed here. */
	struct meta_topic *t = topic ? meta_find(&r->b->meta, topic) : NULL;
	struct err e;

	if (!topic || !json_is_integer(pn) || !json_is_integer(off) || json_integer_value(off) < 0 ||
	    (md && !json_is_null(md) && !json_is_string(md))) {
		err_set(&e, SLOG_EINVALID_REQUEST,
			"each offset is {\"topic\":\"t\",\"partition\":0,\"offset\":N} with N >= 0 "
			"and an optional \"metadata\" string");
		return refused(r, &e);
	}
	if (!t || json_integer_value(pn) < 0 || json_integer_value(pn) >= t->partitions) {
		err_set(&e, SLOG_EUNKNOWN_TOPIC_OR_PARTITION, "%s-%lld does not exist", topic,
			(long long)json_integer_value(pn));
		return refused(r, &e);
	}
	if (json_is_string(md) && json_string_length(md) > GC_METADATA_MAX) {
		err_set(&e, SLOG_EOFFSET_METADATA_TOO_LARGE, "metadata of %s-%lld has more than %d bytes",
			topic, (long long)json_integer_value(pn), GC_METADATA_MAX);
		return refused(r, &e);
	}
	snprintf(o->tp.topic, sizeof(o->tp.topic), "%s", topic);
	o->tp.partition = (int32_t)json_integer_value(pn);
	o->offset = json_integer_value(off);
	o->metadata = json_string_value(md);
	o->commit_ms = now;
	return 0;
}

int api_group_offsets_commit(struct request *r, char **args)
{
	static const char *const known[] = { "member_id", "member_epoch", "offsets", NULL };
	json_t *body = api_body_object(r, 1), *list, *item;
	struct write_state *s;
	const char *member;
	struct partition *p;
	int64_t epoch, now = clock_wall_ms();
	struct err e;
	size_t i;

	if (!body)
		return 1;
	list = json_object_get(body, "offsets");
	if (api_unknown_field(r, body, known) ||
	    str_field(r, body, "member_id", "", GC_MEMBER_ID_MAX, &member) ||
	    int_field(r, body, "member_epoch", -1, INT32_MAX, -1, &epoch)) {
		json_decref(body);
		return 1;
	}
	if (!json_is_array(list) || json_array_size(list) > MAX_PARTITIONS) {
		json_decref(body);
		return http_reply_error(r, SLOG_EINVALID_REQUEST,
					"body needs \"offsets\": a list of at most %d offsets",
					MAX_PARTITIONS);
	}
	if (coordinate(r, args[0], &p)) {
		json_decref(body);
		return 1;
	}
	s = xcalloc(1, sizeof(*s));
	s->r = r;
	s->body = body;
	s->member = member;
	s->epoch = (int32_t)epoch;
	snprintf(s->group, sizeof(s->group), "%s", args[0]);
	s->v = xcalloc(json_array_size(list) + 1, sizeof(*s->v));
	json_array_foreach(list, i, item) {
		if (parse_commit(r, item, &s->v[s->n], now)) {
			pthread_rwlock_unlock(&r->b->meta_lock);
			write_state_free(s);
			return 1;
		}
		s->n++;
	}
	if (gc_commit_check(r->b->groups, s->group, member, (int32_t)epoch, s->v, s->n, &e)) {
		pthread_rwlock_unlock(&r->b->meta_lock);
		write_state_free(s);
		return http_reply_err(r, &e);
	}
	return write_records(r, s, p);
}

/* Tombstones for the offsets in gone (taken over), then the answer. */
static int write_tombstones(struct request *r, struct partition *p, const char *group,
			    struct gc_tp_list *gone, int whole_group)
{
	struct write_state *s = xcalloc(1, sizeof(*s));

	s->r = r;
	s->tombstones = 1;
	s->whole_group = whole_group;
	snprintf(s->group, sizeof(s->group), "%s", group);
	s->v = xcalloc(gone->n + 1, sizeof(*s->v));
	for (size_t i = 0; i < gone->n; i++)
		s->v[s->n++] = (struct gc_offset){ .tp = gone->v[i], .commit_ms = clock_wall_ms() };
	gc_tp_list_free(gone);
	return write_records(r, s, p);
}

int api_group_delete(struct request *r, char **args)
{
	struct gc_tp_list gone;
	struct partition *p;
	struct err e;

	if (coordinate(r, args[0], &p))
		return 1;
	if (gc_delete_plan(r->b->groups, args[0], &gone, &e)) {
		pthread_rwlock_unlock(&r->b->meta_lock);
		return http_reply_err(r, &e);
	}
	return write_tombstones(r, p, args[0], &gone, 1);
}

/* ?partitions=0,1 into a list; NULL when absent. */
static int parse_partition_list(const char *q, int32_t **out, size_t *n, struct err *e)
{
	char *copy = xstrdup(q);
	int rc = 0;

	*out = xcalloc(strlen(q) / 2 + 1, sizeof(**out));
	*n = 0;
	for (char *t = copy, *comma; t && !rc; t = comma ? comma + 1 : NULL) {
		int64_t v;
		comma = strchr(t, ',');
		if (comma)
			*comma = '\0';
		if (units_parse_int(t, 0, INT32_MAX, &v, NULL))
			rc = err_set(e, SLOG_EINVALID_REQUEST,
				     "partitions must be a list of partition numbers: 0,1,2");
		else
			(*out)[(*n)++] = (int32_t)v;
	}
	free(copy);
	return rc;
}

int api_group_offsets_delete(struct request *r, char **args)
{
	const char *topic = http_query(r, "topic"), *q = http_query(r, "partitions");
	int32_t *parts = NULL;
	size_t nparts = 0;
	struct gc_tp_list gone;
	struct partition *p;
	struct err e;
	int rc;

	if (!topic)
		return http_reply_error(r, SLOG_EINVALID_REQUEST,
					"deleting offsets needs ?topic=T (and ?partitions=0,1 for some "
					"of its partitions)");
	if (topic_name_check(topic, &e) || (q && parse_partition_list(q, &parts, &nparts, &e))) {
		free(parts);
		return http_reply_err(r, &e);
	}
	if (coordinate(r, args[0], &p)) {
		free(parts);
		return 1;
	}
	rc = gc_delete_offsets_plan(r->b->groups, args[0], topic, parts, nparts, &gone, &e);
	free(parts);
	if (rc) {
		pthread_rwlock_unlock(&r->b->meta_lock);
		return http_reply_err(r, &e);
	}
	return write_tombstones(r, p, args[0], &gone, 0);
}
