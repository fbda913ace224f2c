/*
 * ops.c: what the operations share (ops_internal.h): log dir admission
 * without a thread, partition lookup (only of a partition this node
 * leads, in the metadata and in its replication role), the leader epoch
 * check.  The
 * operations themselves are in ops_produce.c, ops_fetch.c and
 * ops_metadata.c; ops.h describes them.
 */
#include "replica/ops_internal.h"

#include "broker.h"
#include "replica/registry.h"
#include "replica/replication.h"

static void gate_wake(struct dir_gate_wait *w)
{
	const struct ops_resume *rs = w->arg;

	rs->wake(rs->arg);
}

int ops_park_for_dirs(struct broker *b, uint64_t dirs, struct dir_gate_wait *w,
		      const struct ops_resume *rs)
{
	int in;

	/*
	 * Park first, then queue.  A wake can come from another thread as
	 * soon as the waiter is queued, and must never come before its park.
	 */
	w->wake = gate_wake;
	w->arg = (void *)rs;
	rs->park(rs->arg);
	in = dir_gate_enter(b->gate, dirs, w);
	if (in == 1)
		dir_gate_leave(b->gate, dirs); /* a slot freed meanwhile: give it back */
	if (in != 0)
		rs->wake(rs->arg);             /* and let the caller try again at once */
	return OPS_PENDING;
}

int ops_enter_dirs(struct broker *b, uint64_t dirs, struct dir_gate_wait *w,
		   const struct ops_resume *rs, struct err *e)
{
	int in = dir_gate_try(b->gate, dirs, w);

	if (in == 1)
		return 1;
	if (in < 0)
		return ops_dirs_closed(e);
	ops_park_for_dirs(b, dirs, w, rs);
	return 0;
}

int ops_dirs_closed(struct err *e)
{
	return err_set(e, SLOG_ESTORAGE,
		       "the partition's log dir did not answer before the broker stopped");
}

struct partition *ops_find_partition(struct broker *b, const char *topic, int32_t partition,
				     struct ops_leader *leader, struct err *e)
{
	struct topic *t;
	struct partition *p;

	if (ops_check_leader(b, topic, partition, leader, e))
		return NULL;
	/* The registry is swapped in with the state that places p here. */
	t = broker_topic(b, topic);
	p = t ? topic_partition(t, partition) : NULL;
	if (!p) {
		err_set(e, SLOG_ELEADER_NOT_AVAILABLE, "%s-%d is not open on this broker yet", topic,
			partition);
		return NULL;
	}
	/* The metadata names this node before it has taken the epoch over
	 * (replication_apply runs after the publication). */
	if (replication_role(p, NULL, NULL) != REPLICA_LEADER) {
		err_set(e, SLOG_ELEADER_NOT_AVAILABLE, "%s-%d: this broker is taking over its leadership",
			topic, partition);
		return NULL;
	}
	return partition_get(p);
}

struct partition *ops_hold_partition(struct broker *b, const char *topic, int32_t partition,
				     struct ops_leader *leader, struct err *e)
{
	struct partition *p;

	pthread_rwlock_rdlock(&b->meta_lock);
	p = ops_find_partition(b, topic, partition, leader, e);
	pthread_rwlock_unlock(&b->meta_lock);
	return p;
}

int ops_check_epoch(const struct partition *p, int32_t current_leader_epoch, struct err *e)
{
	if (current_leader_epoch < 0 || current_leader_epoch == p->leader_epoch)
		return 0;
	if (current_leader_epoch < p->leader_epoch)
		return err_set(e, SLOG_EFENCED_LEADER_EPOCH,
			       "leader epoch %d of %s-%d is older than the partition's (%d)",
			       current_leader_epoch, p->topic->name, p->id, p->leader_epoch);
	return err_set(e, SLOG_EUNKNOWN_LEADER_EPOCH,
		       "leader epoch %d of %s-%d is newer than the partition's (%d)",
		       current_leader_epoch, p->topic->name, p->id, p->leader_epoch);
}
