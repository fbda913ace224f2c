/*
 * controller_partitions.c: the controller's changes to partitions'
 * leaders, ISRs and replicas.  See controller.h.
 *
 * The rules are partition_change.h's, pure; this file feeds them the
 * image's committed state and turns what they change into partition
 * records.  Each change reads the image under its lock (brokers' states,
 * the topic's min.insync.replicas and unclean.leader.election.enable),
 * applies a rule to a copy of each partition it touches, and proposes
 * the records of those that changed as one entry, under the controller's
 * lock like every other change, so that two changes here never both
 * pass a check only one can meet.
 */
#include <stdlib.h>
#include <string.h>

#include "broker.h"
#include "clock.h"
#include "log.h"
#include "meta/controller.h"
#include "meta/controller_internal.h"
#include "meta/partition_change.h"
#include "xalloc.h"

/* ---- the image as partition_change.h sees it (image lock held) ---- */

/* The brokers' states, with one broker's about to change. */
struct view {
	const struct meta_state *s;
	int32_t id; /* the broker whose state changes; 0: none */
	enum meta_broker_state state;
};

/* Registered, unfenced and not shutting down. */
static int view_alive(void *arg, int32_t broker)
{
	const struct view *v = arg;
	const struct meta_broker *mb;

	if (broker == v->id)
		return v->state == META_BROKER_ALIVE;
	mb = meta_find_broker(v->s, broker);
	return mb && mb->state == META_BROKER_ALIVE;
}

/* The rules' context for topic t: its min.insync.replicas and whether it
 * allows unclean elections (the broker's defaults under its overrides). */
static struct pc_ctx topic_ctx(struct broker *b, const struct meta_topic *t, struct view *v)
{
	struct topic_config cfg;
	struct pc_ctx c = { .alive = view_alive, .arg = v, .min_isr = 1, .unclean = 0 };
	struct err e;

	if (topic_config_resolve(&b->conf, t->configs, &cfg, &e) == 0) {
		c.min_isr = (int32_t)cfg.min_insync_replicas;
		c.unclean = cfg.unclean_leader_election;
	} else {
		c.min_isr = (int32_t)conf_get_num(&b->conf, "min.insync.replicas");
		c.unclean = conf_get_bool(&b->conf, "unclean.leader.election.enable");
	}
	return c;
}

/* A rule applied to one partition's copy: 1 when it changed it. */
typedef int (*part_rule)(struct meta_partition *p, const struct pc_ctx *c, void *arg);

/* Apply rule to every placed partition of the image (of topic only, when
 * not NULL); append the records of those it changed to recs.  Returns
 * how many changed. */
static size_t each_partition(struct broker *b, struct view *v, const char *only, part_rule rule,
			     void *arg, json_t *recs)
{
	const struct meta_state *s = &b->image.state;
	size_t changed = 0;

	pthread_mutex_lock(&b->image.lock);
	v->s = s;
	for (size_t i = 0; i < s->ntopics; i++) {
		const struct meta_topic *t = s->topics[i];
		struct pc_ctx c;

		if (only && strcmp(t->name, only) != 0)
			continue;
		c = topic_ctx(b, t, v);
		for (int32_t k = 0; k < t->partitions; k++) {
			struct meta_partition p;

			if (t->parts[k].nreplicas < 1)
				continue;
			pc_copy(&p, &t->parts[k]);
			if (rule(&p, &c, arg)) {
				json_array_append_new(recs, meta_partition_record(t, k, &p));
				changed++;
			}
			pc_free(&p);
		}
	}
	pthread_mutex_unlock(&b->image.lock);
	return changed;
}

/* ---- elections on a broker's change of state ---- */

static int rule_fence(struct meta_partition *p, const struct pc_ctx *c, void *arg)
{
	int32_t id = *(const int32_t *)arg;

	if (!meta_partition_on(p, id) && p->leader != id)
		return 0;
	return pc_fence(p, id, c);
}

static int rule_leaderless(struct meta_partition *p, const struct pc_ctx *c, void *arg)
{
	(void)arg;
	return p->leader < 0 && pc_elect(p, c);
}

void controller_state_elections(struct broker *b, int32_t id, enum meta_broker_state state,
				json_t *recs)
{
	struct view v = { .id = id, .state = state };
	size_t n;

	if (state == META_BROKER_ALIVE)
		n = each_partition(b, &v, NULL, rule_leaderless, NULL, recs);
	else
		n = each_partition(b, &v, NULL, rule_fence, &id, recs);
	if (n)
		log_info("broker %d %s: %zu partitions change leader or ISR", id,
			 meta_broker_state_name(state), n);
}

static int rule_restart(struct meta_partition *p, const struct pc_ctx *c, void *arg)
{
	int32_t id = *(const int32_t *)arg;

	if (!meta_partition_on(p, id) && p->leader != id)
		return 0;
	return pc_restarted(p, id, c);
}

void controller_restart_elections(struct broker *b, int32_t id, json_t *recs)
{
	struct view v = { .id = id, .state = META_BROKER_FENCED };
	size_t n = each_partition(b, &v, NULL, rule_restart, &id, recs);

	if (n)
		log_info("broker %d restarted: %zu partitions change leader or ISR", id, n);
}

static int rule_clear_elr(struct meta_partition *p, const struct pc_ctx *c, void *arg)
{
	(void)c;
	(void)arg;
	return pc_clear_elr(p);
}

void controller_clear_elr(struct broker *b, const char *name, json_t *recs)
{
	struct view v = { .id = 0 };

	each_partition(b, &v, name, rule_clear_elr, NULL, recs);
}

/* ---- one partition ---- */

/* Topic name's partition idx in the image (lock held), or why not. */
static int find_partition(const struct meta_state *s, const char *name, int32_t idx,
			  const struct meta_topic **t, struct err *e)
{
	*t = meta_find(s, name);
	if (!*t)
		return err_set(e, SLOG_EUNKNOWN_TOPIC_OR_PARTITION, "topic '%s' does not exist", name);
	if (idx < 0 || idx >= (*t)->partitions || (*t)->parts[idx].nreplicas < 1)
		return err_set(e, SLOG_EUNKNOWN_TOPIC_OR_PARTITION, "partition %s-%d does not exist",
			       name, idx);
	return 0;
}

/* The record of topic's partition idx as the image has it now (new
 * reference; NULL when it is gone). */
static json_t *current_record(struct broker *b, const char *topic, int32_t idx)
{
	const struct meta_topic *t;
	json_t *rec = NULL;

	pthread_mutex_lock(&b->image.lock);
	if (find_partition(&b->image.state, topic, idx, &t, NULL) == 0)
		rec = meta_partition_record(t, idx, &t->parts[idx]);
	pthread_mutex_unlock(&b->image.lock);
	return rec;
}

/* The sender is the incarnation registered under its id (KIP-903). */
static int check_sender(const struct meta_state *s, const struct controller_alter *a,
			struct err *e)
{
	const struct meta_broker *mb = meta_find_broker(s, a->broker);

	if (!mb)
		return err_set(e, SLOG_ESTALE_BROKER_EPOCH, "broker %d is not registered", a->broker);
	if (strcmp(mb->incarnation, a->broker_epoch) != 0)
		return err_set(e, SLOG_ESTALE_BROKER_EPOCH,
			       "broker %d is registered with epoch %s, not %s", a->broker,
			       mb->incarnation, a->broker_epoch);
	return 0;
}

/* The alter's record (into *rec, NULL when nothing changes), validated
 * against the image. */
static int alter_record(struct broker *b, const struct controller_alter *a, json_t **rec,
			struct err *e)
{
	const struct meta_state *s = &b->image.state;
	struct view v = { .s = s };
	struct pc_alter pa = { a->broker, a->leader_epoch, a->partition_epoch, a->isr, a->nisr };
	const struct meta_topic *t;
	struct meta_partition p;
	struct pc_ctx c;
	int rc;

	*rec = NULL;
	pthread_mutex_lock(&b->image.lock);
	rc = check_sender(s, a, e);
	if (!rc)
		rc = find_partition(s, a->topic, a->partition, &t, e);
	if (rc)
		goto out;
	c = topic_ctx(b, t, &v);
	pc_copy(&p, &t->parts[a->partition]);
	rc = pc_alter(&p, &pa, &c, e);
	if (!rc && pc_changed(&p, &t->parts[a->partition]))
		*rec = meta_partition_record(t, a->partition, &p);
	pc_free(&p);
out:
	pthread_mutex_unlock(&b->image.lock);
	return rc;
}

int controller_alter_partition(struct broker *b, const struct controller_alter *a,
			       json_t **record, struct err *e)
{
	json_t *rec = NULL;
	int rc;

	*record = NULL;
	controller_lock();
	rc = controller_require_active(b, e);
	if (!rc)
		rc = alter_record(b, a, &rec, e);
	if (!rc && rec)
		rc = controller_propose(b, json_pack("[o]", rec), e);
	controller_unlock();
	if (rc)
		return rc;
	if (rec)
		log_info("partition %s-%d: ISR changed at broker %d's request", a->topic,
			 a->partition, a->broker);
	*record = current_record(b, a->topic, a->partition);
	if (!*record)
		return err_set(e, SLOG_EUNKNOWN_TOPIC_OR_PARTITION, "partition %s-%d is gone",
			       a->topic, a->partition);
	return 0;
}

/* ---- replicas on an offline log dir (replication spec D7) ---- */

/* One reported topic's partitions marked offline for broker id (records
 * appended to recs; image lock held). */
static void offline_topic(struct broker *b, struct view *v, int32_t id, json_t *entry,
			    json_t *recs)
{
	const struct meta_topic *t = meta_find(v->s, json_string_value(json_object_get(entry, "topic")));
	const char *tid = json_string_value(json_object_get(entry, "topic_id"));
	json_t *parts = json_object_get(entry, "partitions"), *x;
	size_t i;
	struct pc_ctx c;

	if (!t || (tid && strcmp(tid, t->id) != 0))
		return; /* deleted (and maybe made again) since it reported */
	c = topic_ctx(b, t, v);
	json_array_foreach(parts, i, x) {
		json_int_t k = json_integer_value(x);
		struct meta_partition p;

		if (k < 0 || k >= t->partitions || t->parts[k].nreplicas < 1)
			continue;
		pc_copy(&p, &t->parts[k]);
		if (pc_replica_offline(&p, id, &c))
			json_array_append_new(recs, meta_partition_record(t, (int32_t)k, &p));
		pc_free(&p);
	}
}

/* The records that mark replicas offline, validated against the image. */
static int offline_records(struct broker *b, int32_t id, const char *incarnation,
			   json_t *replicas, json_t *recs, struct err *e)
{
	const struct meta_state *s = &b->image.state;
	struct view v = { .s = s };
	const struct meta_broker *mb;
	json_t *entry;
	size_t i;
	int rc = 0;

	pthread_mutex_lock(&b->image.lock);
	mb = meta_find_broker(s, id);
	if (!mb || strcmp(mb->incarnation, incarnation) != 0)
		rc = err_set(e, SLOG_ESTALE_BROKER_EPOCH,
			     "broker %d's incarnation %s is not the registered one", id, incarnation);
	else
		json_array_foreach(replicas, i, entry)
			offline_topic(b, &v, id, entry, recs);
	pthread_mutex_unlock(&b->image.lock);
	return rc;
}

int controller_replicas_offline(struct broker *b, int32_t id, const char *incarnation,
				json_t *replicas, size_t *changed, struct err *e)
{
	json_t *recs = json_array();
	size_t n = 0;
	int rc;

	controller_lock();
	rc = controller_require_active(b, e);
	if (!rc)
		rc = offline_records(b, id, incarnation, replicas, recs, e);
	n = json_array_size(recs);
	if (!rc && n) {
		rc = controller_propose(b, recs, e);
		recs = NULL;
	}
	controller_unlock();
	json_decref(recs);
	if (!rc && n)
		log_info("broker %d has replicas on an offline log dir: %zu partitions leave its "
			 "ISR membership and leadership", id, n);
	if (changed)
		*changed = rc ? 0 : n;
	return rc;
}

/* ---- reassignment ---- */

#define MOVE_MAX_REPLICAS 100 /* replicas of a record, old and new together */

/* Every broker of a move's target is registered. */
static int check_targets(const struct meta_state *s, const struct controller_move *m,
			 struct err *e)
{
	for (int32_t i = 0; i < m->n; i++)
		if (!meta_find_broker(s, m->replicas[i]))
			return err_set(e, SLOG_EINVALID_REQUEST,
				       "partition %d: broker %d is not registered", m->partition,
				       m->replicas[i]);
	return 0;
}

/* The records of moves (appended to recs), validated against the image. */
static int reassign_records(struct broker *b, const char *topic,
			    const struct controller_move *moves, size_t n, json_t *recs,
			    struct err *e)
{
	const struct meta_state *s = &b->image.state;
	struct view v = { .s = s };
	const struct meta_topic *t;
	int rc = 0;

	pthread_mutex_lock(&b->image.lock);
	for (size_t i = 0; i < n && !rc; i++) {
		const struct controller_move *m = &moves[i];
		struct meta_partition p;
		struct pc_ctx c;

		rc = find_partition(s, topic, m->partition, &t, e);
		if (!rc)
			rc = check_targets(s, m, e);
		if (!rc && m->n + t->parts[m->partition].nreplicas > MOVE_MAX_REPLICAS)
			rc = err_set(e, SLOG_EINVALID_REQUEST, "partition %d: too many replicas",
				     m->partition);
		if (rc)
			break;
		c = topic_ctx(b, t, &v);
		pc_copy(&p, &t->parts[m->partition]);
		rc = pc_reassign(&p, m->replicas, m->n, &c, e);
		if (rc) {
			char why[sizeof(e->msg)];

			memcpy(why, e->msg, sizeof(why));
			err_set(e, rc, "partition %d: %s", m->partition, why);
		}
		else if (pc_changed(&p, &t->parts[m->partition]))
			json_array_append_new(recs, meta_partition_record(t, m->partition, &p));
		pc_free(&p);
	}
	pthread_mutex_unlock(&b->image.lock);
	return rc;
}

/* No partition twice in one request: each move reads the committed state. */
static int check_distinct(const struct controller_move *moves, size_t n, struct err *e)
{
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < i; k++)
			if (moves[i].partition == moves[k].partition)
				return err_set(e, SLOG_EINVALID_REQUEST, "partition %d is named twice",
					       moves[i].partition);
	return 0;
}

int controller_reassign(struct broker *b, const char *topic, const struct controller_move *moves,
			size_t n, int validate_only, json_t **records, struct err *e)
{
	json_t *recs = json_array();
	int rc = check_distinct(moves, n, e);

	*records = NULL;
	controller_lock();
	if (!rc)
		rc = controller_require_active(b, e);
	if (!rc)
		rc = reassign_records(b, topic, moves, n, recs, e);
	if (!rc && json_array_size(recs) && !validate_only) {
		log_info("topic %s: moving %zu partitions", topic, json_array_size(recs));
		rc = controller_propose(b, recs, e);
		recs = NULL;
	}
	controller_unlock();
	json_decref(recs);
	if (rc || validate_only)
		return rc;
	*records = json_array();
	for (size_t i = 0; i < n; i++) {
		json_t *rec = current_record(b, topic, moves[i].partition);

		json_array_append_new(*records, rec ? rec : json_null());
	}
	return 0;
}

/* ---- the duties ---- */

#define DUTY_MS 1000

/* A move whose new replicas are in sync ends; a leaderless partition
 * elects; with arg set, leadership goes to the preferred replica.  One
 * rule a round, so that each record moves an epoch by one. */
static int rule_duty(struct meta_partition *p, const struct pc_ctx *c, void *arg)
{
	int rebalance = *(const int *)arg;

	if (pc_reassign_complete(p, c))
		return 1;
	if (p->leader < 0)
		return pc_elect(p, c);
	return rebalance && pc_preferred(p, c);
}

void controller_partition_duties(struct broker *b, int64_t active_ms)
{
	/* The lifecycle thread's alone. */
	static int64_t last_ms = -1, next_duty, next_rebalance;
	int64_t interval = conf_get_num(&b->conf, "leader.imbalance.check.interval.seconds");
	struct view v = { .id = 0 };
	json_t *recs;
	struct err e;
	int rebalance;
	size_t n;

	if (active_ms < last_ms || last_ms < 0) {
		/* A new term: the first rebalance waits an interval, as Kafka's. */
		next_duty = active_ms + DUTY_MS;
		next_rebalance = active_ms + interval;
	}
	last_ms = active_ms;
	if (active_ms < next_duty)
		return;
	next_duty = active_ms + DUTY_MS;
	rebalance = active_ms >= next_rebalance &&
		    conf_get_bool(&b->conf, "auto.leader.rebalance.enable");
	if (active_ms >= next_rebalance)
		next_rebalance = active_ms + interval;
	recs = json_array();
	controller_lock();
	n = controller_require_active(b, &e) ? 0 : each_partition(b, &v, NULL, rule_duty, &rebalance, recs);
	if (n && controller_propose(b, recs, &e))
		log_warn("cannot move %zu partitions' leaders or replicas: %s", n, e.msg);
	else if (n)
		log_info("%zu partitions moved leader or ended a move", n);
	else
		json_decref(recs);
	controller_unlock();
}
