/*
 * ops_fetch.c: records and offsets out (ops.h), for any front end.
 *
 * A fetch reads regions of segment files: the front end sends them as
 * they are (sendfile) or decodes them; no record byte is copied here.
 * Each partition is looked up, and a reference taken, under meta_lock;
 * the reads run without it, inside the log dirs' slots (dir_gate.h),
 * since a read may wait behind an append to a stalled disk.
 *
 * When fewer than min_bytes are there and the fetch may wait, it parks
 * with one waiter on each partition (fetch_wait.h): the first append
 * past a waiter's offset, or the deadline, brings it back, and the rest
 * of its waiters are cancelled before it reads again.  It waits at most
 * once; the second read answers whatever is there.
 */
#include <string.h>

#include "broker.h"
#include "replica/ops_internal.h"
#include "replica/registry.h"
#include "replica/replication.h"

/* The waiters' wake and the registration's end race to resume the
 * fetch: whichever comes second does (see arm_waits). */
enum { WAIT_FIRED = 1, WAIT_ARMED = 2 };

void ops_fetch_part_init(struct ops_fetch_part *fp, const char *topic, int32_t partition,
			 int64_t offset, int64_t max_bytes)
{
	memset(fp, 0, sizeof(*fp));
	fp->topic = topic;
	fp->partition = partition;
	fp->offset = offset;
	fp->max_bytes = max_bytes;
	fp->current_leader_epoch = -1;
	fp->last_fetched_epoch = -1;
	fp->diverging_epoch = -1;
	fp->diverging_end = -1;
}

void ops_fetch_part_release(struct ops_fetch_part *fp)
{
	if (fp->reg.seg)
		plog_region_release(&fp->reg);
	if (fp->p)
		partition_put(fp->p);
	fp->p = NULL;
}

void ops_fetch_release(struct ops_fetch *req)
{
	dir_gate_forget(&req->gate);
	for (size_t i = 0; i < req->nparts; i++)
		ops_fetch_part_release(&req->parts[i]);
}

/* A reference to each part's partition, or the part's error. */
static void hold_all(struct broker *b, struct ops_fetch *req)
{
	pthread_rwlock_rdlock(&b->meta_lock);
	for (size_t i = 0; i < req->nparts; i++) {
		struct ops_fetch_part *fp = &req->parts[i];

		memset(&fp->reg, 0, sizeof(fp->reg));
		fp->p = ops_find_partition(b, fp->topic, fp->partition, &fp->leader, &fp->err);
		fp->rc = fp->p ? 0 : fp->err.code;
	}
	pthread_rwlock_unlock(&b->meta_lock);
}

static uint64_t dirs_of(const struct ops_fetch *req)
{
	uint64_t mask = 0;

	for (size_t i = 0; i < req->nparts; i++)
		if (req->parts[i].p)
			mask |= dir_gate_bit(req->parts[i].p->dir);
	return mask;
}

/*
 * A follower's log diverged from this one when its last fetched epoch
 * ends here before the offset it asks for (or is not in this log): it
 * must truncate to the end given, and gets no records.
 */
static int diverged(struct ops_fetch_part *fp)
{
	int32_t found;
	int64_t end;

	if (fp->last_fetched_epoch < 0)
		return 0;
	end = plog_epoch_end_offset(fp->p->log, fp->last_fetched_epoch, &found);
	if (found == fp->last_fetched_epoch && end >= fp->offset)
		return 0;
	fp->diverging_epoch = found;
	fp->diverging_end = end;
	return 1;
}

/*
 * A follower's fetch that did not diverge: its offset must lie in this
 * log (OFFSET_OUT_OF_RANGE, with the log's start and end, otherwise:
 * replication.md section 2 says what the follower does), then its
 * positions count for the HW and the ISR.
 */
static int follower_fetched(struct broker *b, const struct ops_fetch *req,
			    struct ops_fetch_part *fp)
{
	struct replica_fetch_state st = {
		.replica_id = req->replica_id,
		.broker_epoch = req->broker_epoch,
		.offset = fp->offset,
		.durable = fp->durable_offset,
		.log_start = fp->log_start_offset,
	};

	if (fp->offset < fp->log_start || fp->offset > fp->log_end)
		return err_set(&fp->err, SLOG_EOFFSET_OUT_OF_RANGE,
			       "offset %lld is outside %s-%d's log [%lld, %lld] on its leader",
			       (long long)fp->offset, fp->topic, fp->partition,
			       (long long)fp->log_start, (long long)fp->log_end);
	return replication_follower_fetched(b, fp->p, &st, &fp->err);
}

/*
 * Read one part, up to *room bytes of the fetch; its dir entered.  A
 * consumer reads below the HW; a follower up to the log end, once its
 * log is known not to have diverged (it then gets no records: it must
 * truncate first, and its position does not count, KAFKA-13141).
 */
static void read_part(struct broker *b, struct ops_fetch *req, struct ops_fetch_part *fp,
		      int64_t *room)
{
	struct partition *p = fp->p;
	int64_t max = fp->max_bytes < *room ? fp->max_bytes : *room;
	int follower = req->replica_id >= 0;

	if (fp->rc)
		return;
	fp->leader_epoch = atomic_load(&p->leader_epoch);
	fp->rc = ops_check_epoch(p, fp->current_leader_epoch, &fp->err);
	if (fp->rc)
		return;
	plog_offsets(p->log, &fp->log_start, &fp->log_end);
	if (fp->offset < 0)
		fp->offset = fp->log_start;
	if (diverged(fp))
		return;
	if (follower)
		fp->rc = follower_fetched(b, req, fp);
	/* After the follower's report, which may have moved it. */
	fp->hw = atomic_load(&p->hw);
	if (fp->rc || max <= 0)
		return;
	fp->rc = plog_read(p->log, fp->offset, follower ? fp->log_end : fp->hw, (size_t)max,
			   &fp->reg, &fp->err);
	if (!fp->rc)
		*room -= (int64_t)fp->reg.length;
}

static void wake_fetch(struct fetch_wait *w)
{
	struct ops_fetch *req = w->arg;

	if (atomic_fetch_or(&req->woken, WAIT_FIRED) == WAIT_ARMED)
		req->resume.wake(req->resume.arg);
}

/* Every waiter is registered: resume now if one fired meanwhile. */
static void arm_waits(struct ops_fetch *req)
{
	if (atomic_fetch_or(&req->woken, WAIT_ARMED) == WAIT_FIRED)
		req->resume.wake(req->resume.arg);
}

/*
 * Nothing to read yet: park, with a waiter on each partition.  They are
 * registered under meta_lock, where a deletion cannot slip in between
 * (it drops a deleted partition's waiters under the lock for writing); a
 * partition deleted already fires at once.  The references go before the
 * fetch is armed, so it never runs again while this thread still holds
 * them; a registered waiter is dropped before its partition goes.
 */
static int wait_for_data(struct broker *b, const struct ops_ctx *ctx, struct ops_fetch *req)
{
	int64_t deadline = clock_mono_ms() + req->max_wait_ms;

	if (deadline > ctx->deadline_ms)
		deadline = ctx->deadline_ms;
	req->waited = 1;
	atomic_store(&req->woken, 0);
	for (size_t i = 0; i < req->nparts; i++) {
		struct fetch_wait *w = &req->parts[i].wait;

		plog_region_release(&req->parts[i].reg);
		w->list = &req->parts[i].p->waiters;
		/* Followers wait for the log end, consumers for the HW. */
		w->hw = req->replica_id >= 0 ? &req->parts[i].p->leo : &req->parts[i].p->hw;
		w->offset = req->parts[i].offset;
		w->deadline_ms = deadline;
		w->wake = wake_fetch;
		w->arg = req;
		w->queued = 0;
	}
	req->resume.park(req->resume.arg);
	pthread_rwlock_rdlock(&b->meta_lock);
	for (size_t i = 0; i < req->nparts; i++) {
		if (atomic_load(&req->parts[i].p->deleted))
			wake_fetch(&req->parts[i].wait);
		else
			fetch_waits_add(b->waits, &req->parts[i].wait);
	}
	pthread_rwlock_unlock(&b->meta_lock);
	for (size_t i = 0; i < req->nparts; i++)
		ops_fetch_part_release(&req->parts[i]);
	arm_waits(req);
	return OPS_PENDING;
}

/* Whether the fetch waits: too little there, no error, time to wait. */
static int should_wait(struct broker *b, const struct ops_fetch *req, int64_t got)
{
	if (got >= req->min_bytes || req->max_wait_ms <= 0 || req->waited || b->stopping)
		return 0;
	for (size_t i = 0; i < req->nparts; i++)
		if (req->parts[i].rc || req->parts[i].diverging_epoch >= 0)
			return 0;
	return 1;
}

/* The broker stopped with a dir still full: every part held fails. */
static void fail_held(struct ops_fetch *req, const struct err *e)
{
	for (size_t i = 0; i < req->nparts; i++) {
		struct ops_fetch_part *fp = &req->parts[i];
		if (fp->p) {
			fp->rc = e->code;
			fp->err = *e;
		}
	}
}

int ops_fetch(struct broker *b, const struct ops_ctx *ctx, struct ops_fetch *req)
{
	int64_t room = req->max_bytes;
	uint64_t dirs;
	struct err e;
	int in;

	if (req->waited)
		for (size_t i = 0; i < req->nparts; i++)
			fetch_waits_cancel(b->waits, &req->parts[i].wait);
	hold_all(b, req);
	dirs = dirs_of(req);
	in = dir_gate_try(b->gate, dirs, &req->gate);
	if (in < 0) {
		ops_dirs_closed(&e);
		fail_held(req, &e);
		return 0;
	}
	if (in == 0) {
		/* The references go first: once queued, the fetch may run again
		 * on another thread. */
		for (size_t i = 0; i < req->nparts; i++)
			ops_fetch_part_release(&req->parts[i]);
		return ops_park_for_dirs(b, dirs, &req->gate, &req->resume);
	}
	for (size_t i = 0; i < req->nparts; i++)
		read_part(b, req, &req->parts[i], &room);
	dir_gate_leave(b->gate, dirs);
	if (should_wait(b, req, req->max_bytes - room))
		return wait_for_data(b, ctx, req);
	return 0;
}

/* ---- offsets ---- */

/* The offset for req->at in p; its dir entered. */
static int find_offset(struct partition *p, struct ops_list_offsets *req, struct err *e)
{
	int64_t start, epoch_start, hw = atomic_load(&p->hw);
	int rc;

	plog_offsets(p->log, &start, NULL);
	req->timestamp = -1;
	req->offset = req->at == OPS_AT_EARLIEST ? start : hw;
	if (req->at >= 0) {
		rc = plog_find_timestamp(p->log, req->at, &req->offset, &req->timestamp, e);
		if (rc < 0)
			return rc;
		if (rc == 0 || req->offset >= hw) {
			req->offset = hw; /* every record is older: the end */
			req->timestamp = -1;
		}
	}
	/* KIP-207: a new leader's HW below its epoch's start is behind what
	 * the last leader may have committed: its end is not known yet. */
	epoch_start = replication_epoch_start(p);
	if (req->at != OPS_AT_EARLIEST && req->offset >= hw && hw < epoch_start)
		return err_set(e, SLOG_EOFFSET_NOT_AVAILABLE,
			       "%s-%d has a new leader whose high watermark (%lld) has not reached "
			       "the start of its epoch (%lld) yet; try again", p->topic->name, p->id,
			       (long long)hw, (long long)epoch_start);
	return 0;
}

int ops_list_offsets(struct broker *b, const struct ops_ctx *ctx, struct ops_list_offsets *req,
		     struct err *e)
{
	struct partition *p = ops_hold_partition(b, req->topic, req->partition, &req->leader, e);
	int rc, in;

	(void)ctx;
	if (!p)
		return e->code;
	in = ops_enter_dirs(b, dir_gate_bit(p->dir), &req->gate, &req->resume, e);
	if (in <= 0) {
		partition_put(p);
		return in < 0 ? in : OPS_PENDING;
	}
	rc = find_offset(p, req, e);
	dir_gate_leave(b->gate, dir_gate_bit(p->dir));
	partition_put(p);
	return rc;
}

int ops_offsets_for_leader_epoch(struct broker *b, const struct ops_ctx *ctx, const char *topic,
				 int32_t partition, int32_t current_leader_epoch, int32_t epoch,
				 int64_t *end_offset, int32_t *found_epoch, struct err *e)
{
	struct partition *p = ops_hold_partition(b, topic, partition, NULL, e);
	int rc;

	(void)ctx;
	if (!p)
		return e->code;
	rc = ops_check_epoch(p, current_leader_epoch, e);
	if (!rc)
		*end_offset = plog_epoch_end_offset(p->log, epoch, found_epoch);
	partition_put(p);
	return rc;
}
