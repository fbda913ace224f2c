/*
 * offsets_store.c: __consumer_offsets.  See offsets_store.h.
 */
#include "groups/offsets_store.h"

#include <stdlib.h>
#include <string.h>

#include "batch_builder.h"
#include "broker.h"
#include "compress.h"
#include "groups/offsets_record.h"
#include "log.h"
#include "meta/controller.h"
#include "replica/registry.h"
#include "replica/replication.h"
#include "xalloc.h"

/* Batches of the topic stay well under its max.message.bytes. */
#define BATCH_TARGET (256 << 10)

/* ---- reading back ---- */

struct load_ctx {
	struct broker *b;
	const char *where;
	long applied, skipped;
};

static int load_record(void *arg, const struct record *r, struct err *e)
{
	struct load_ctx *c = arg;
	struct offsets_record or;

	(void)e;
	switch (offsets_record_decode(r, &or)) {
	case OFFSETS_RECORD_SKIP:
		c->skipped++;
		break;
	case OFFSETS_RECORD_TOMBSTONE:
		gc_offset_forget(c->b->groups, or.group, &or.o.tp);
		c->applied++;
		break;
	case OFFSETS_RECORD_COMMIT:
		gc_commit_apply(c->b->groups, or.group, &or.o, 1, r->offset);
		c->applied++;
		break;
	}
	offsets_record_clear(&or);
	return 0;
}

int offsets_store_load(struct broker *b, struct err *e)
{
	struct load_ctx c = { .b = b };
	struct topic *t;
	int rc = 0;

	pthread_rwlock_rdlock(&b->meta_lock);
	t = broker_topic(b, OFFSETS_TOPIC);
	for (int32_t i = 0; t && !rc && i < t->npart; i++) {
		rc = plog_replay(t->parts[i]->log, 0, load_record, &c, e);
		if (rc)
			err_wrap(e, "%s-%d", OFFSETS_TOPIC, i);
	}
	pthread_rwlock_unlock(&b->meta_lock);
	if (!rc && t)
		log_info("loaded %ld committed offsets from %s%s", c.applied, OFFSETS_TOPIC,
			 c.skipped ? " (some records were not offsets and were skipped)" : "");
	return rc;
}

/* ---- writing ---- */

int offsets_store_ensure(struct broker *b, struct err *e)
{
	json_t *configs;
	int exists, rc;

	pthread_rwlock_rdlock(&b->meta_lock);
	exists = broker_topic(b, OFFSETS_TOPIC) != NULL;
	pthread_rwlock_unlock(&b->meta_lock);
	if (exists)
		return 0;
	configs = json_pack("{s:s, s:I}", "cleanup.policy", "compact", "segment.bytes",
			    (json_int_t)conf_get_num(&b->conf, "offsets.topic.segment.bytes"));
	rc = controller_create_internal_topic(
		b, OFFSETS_TOPIC, (int32_t)conf_get_num(&b->conf, "offsets.topic.num.partitions"),
		(int32_t)conf_get_num(&b->conf, "offsets.topic.replication.factor"), configs, e);
	json_decref(configs);
	if (rc == SLOG_ETOPIC_ALREADY_EXISTS)
		rc = 0; /* another request made it first */
	if (rc == SLOG_ENOT_CONTROLLER) /* the controller makes it (main.c) */
		rc = err_set(e, SLOG_ECOORDINATOR_NOT_AVAILABLE,
			     "%s does not exist yet; the controller is creating it", OFFSETS_TOPIC);
	return rc;
}

/*
 * The leader epoch in which this node leads offsets partition p, or -1
 * while it does not (yet): its replication role turns LEADER once the
 * published placement names it and the new epoch is in its log, so no
 * commit of the epoch can be written before the groups are read back.
 */
static int32_t led_epoch(struct partition *p)
{
	int32_t epoch = -1;

	if (replication_role(p, NULL, &epoch) != REPLICA_LEADER)
		return -1;
	return epoch;
}

/*
 * Read back the groups of offsets partition idx (of count), p, if this
 * node has not since it leads it in epoch (meta_lock held: the replay
 * reads the log as offsets_store_load does at start).
 */
static int ensure_loaded(struct broker *b, struct partition *p, int32_t idx, int32_t count,
			 int32_t epoch, struct err *e)
{
	struct load_ctx c = { .b = b };
	int rc;

	switch (gc_load_begin(b->groups, idx, count, epoch)) {
	case GC_LOADED:
		return 0;
	case GC_LOADING:
		return err_set(e, SLOG_ECOORDINATOR_NOT_AVAILABLE,
			       "the coordinator is loading the groups of %s-%d", OFFSETS_TOPIC, idx);
	case GC_LOAD_NOW:
		break;
	}
	rc = plog_replay(p->log, 0, load_record, &c, e);
	gc_load_end(b->groups, idx, epoch, rc == 0);
	if (rc)
		return err_set(e, SLOG_ECOORDINATOR_NOT_AVAILABLE,
			       "cannot load the groups of %s-%d: %s", OFFSETS_TOPIC, idx, e->msg);
	log_info("coordinating the groups of %s-%d in leader epoch %d: %ld committed offsets read "
		 "back", OFFSETS_TOPIC, idx, epoch, c.applied);
	return 0;
}

int offsets_store_partition(struct broker *b, const char *group, struct partition **p,
			    json_t **where, struct err *e)
{
	struct topic *t = broker_topic(b, OFFSETS_TOPIC);
	int32_t leader, idx, epoch;

	*p = NULL;
	*where = NULL;
	if (!t || t->npart == 0)
		return err_set(e, SLOG_ECOORDINATOR_NOT_AVAILABLE, "%s does not exist yet", OFFSETS_TOPIC);
	idx = gc_partition_for(group, t->npart);
	*p = t->parts[idx];
	leader = partition_leader(b, *p);
	if (leader < 0)
		return err_set(e, SLOG_ECOORDINATOR_NOT_AVAILABLE,
			       "group %s has no coordinator: %s-%d has no leader now", group,
			       OFFSETS_TOPIC, idx);
	if (leader != b->node_id) {
		*where = broker_address(b, leader);
		return err_set(e, SLOG_ENOT_COORDINATOR, "the coordinator of group %s is broker %d",
			       group, leader);
	}
	epoch = led_epoch(*p);
	if (epoch < 0)
		return err_set(e, SLOG_ECOORDINATOR_NOT_AVAILABLE,
			       "broker %d is becoming the coordinator of group %s", b->node_id, group);
	return ensure_loaded(b, *p, idx, t->npart, epoch, e);
}

int offsets_store_coordinates(struct broker *b, const char *group)
{
	struct topic *t = broker_topic(b, OFFSETS_TOPIC);

	return t && t->npart > 0 &&
	       partition_leader(b, t->parts[gc_partition_for(group, t->npart)]) == b->node_id;
}

static int add_one(struct batch_builder *bb, const char *group, const struct gc_offset *o,
		   int tombstone, struct err *e)
{
	struct record r;
	int rc = offsets_record_encode(group, o, tombstone, &r) ? SLOG_EINVALID_REQUEST : 0;

	if (!rc)
		rc = batch_builder_add(bb, &r);
	if (rc)
		err_set(e, rc, "cannot encode the offset of %s-%d", o->tp.topic, o->tp.partition);
	offsets_record_free_text(&r);
	return rc;
}

int offsets_store_append(struct broker *b, struct partition *p, const char *group,
			 const struct gc_offset *v, size_t n, int tombstones,
			 struct plog_append_result *res, struct err *e)
{
	struct batch_builder bb;
	struct buf out = BUF_INIT;
	int rc = 0;

	batch_builder_init(&bb, CODEC_NONE, 0);
	for (size_t i = 0; !rc && i < n; i++) {
		rc = add_one(&bb, group, &v[i], tombstones, e);
		if (!rc && (batch_builder_size(&bb) >= BATCH_TARGET || i + 1 == n))
			rc = batch_builder_finish(&bb, &out, e);
	}
	batch_builder_free(&bb);
	if (!rc && out.len)
		rc = plog_append(p->log, (uint8_t *)out.data, out.len, p->leader_epoch, clock_wall_ms(),
				 res, e);
	if (!rc && out.len) {
		p->bytes_in += out.len;
		p->records_in += n;
		replication_appended(b, p, res->last_offset + 1);
	}
	buf_free(&out);
	return rc;
}

/* ---- expiry ---- */

/* Tombstones for one expired group, made durable, then forgotten. */
static void expire_group(struct broker *b, const struct gc_expired_group *x)
{
	const char *group = x->group;
	size_t n = x->offsets.n;
	struct gc_offset *v = xcalloc(n + 1, sizeof(*v));
	struct plog_append_result res;
	struct partition *p;
	json_t *where;
	struct err e;
	int rc;

	for (size_t i = 0; i < n; i++) {
		v[i].tp = x->offsets.v[i];
		v[i].commit_ms = clock_wall_ms();
	}
	pthread_rwlock_rdlock(&b->meta_lock);
	rc = offsets_store_partition(b, group, &p, &where, &e);
	json_decref(where);
	if (!rc)
		partition_get(p); /* the append and fsync run without meta_lock */
	pthread_rwlock_unlock(&b->meta_lock);
	if (!rc) {
		rc = offsets_store_append(b, p, group, v, n, 1, &res, &e);
		if (!rc)
			rc = plog_flush(p->log, res.last_offset + 1, &e);
		partition_put(p);
	}
	if (rc == SLOG_ENOT_COORDINATOR || rc == SLOG_ECOORDINATOR_NOT_AVAILABLE) {
		/* Read from a replica's copy of the log: its coordinator, which
		 * knows its latest commits, decides. */
		log_debug("group %s: not expired here: %s", group, e.msg);
	} else if (rc) {
		log_warn("group %s: cannot expire its offsets: %s", group, e.msg);
	} else {
		for (size_t i = 0; i < n; i++)
			gc_offset_forget(b->groups, group, &v[i].tp);
		log_info("group %s: offsets expired (no member and no commit for %lld minutes)", group,
			 (long long)conf_get_num(&b->conf, "offsets.retention.minutes") / 60000);
	}
	free(v);
}

void offsets_store_expire(struct broker *b)
{
	struct gc_expired_group *gone;
	size_t n;

	gc_expired(b->groups, conf_get_num(&b->conf, "offsets.retention.minutes"), clock_wall_ms(),
		   &gone, &n);
	for (size_t i = 0; i < n; i++)
		expire_group(b, &gone[i]);
	gc_expired_free(gone, n);
}
