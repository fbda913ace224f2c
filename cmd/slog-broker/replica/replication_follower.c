/*
 * replication_follower.c: a partition's side of replication where this
 * node follows it (replication.h; docs/replication.md is the protocol).
 *
 * The replica fetcher (cluster/replica_fetcher.c) asks here what to put
 * in a fetch, and hands back what the leader answered: batches to
 * append, the leader's high watermark and log start, a diverging epoch
 * or an offset out of range to truncate by.  Everything here runs on the
 * fetcher's thread of the partition's leader, one call at a time per
 * partition; the leader's offsets are trusted only as far as the local
 * log can back them.
 *
 * Order matters for safety (KAFKA-14704, D4): a truncation is durable
 * (plog_truncate fsyncs the cut and the directory) before the next fetch
 * reports a position past it, and an answer that diverged applies no
 * high watermark.  The follower's HW never passes its own log end, so a
 * replica that becomes leader never exposes what it does not hold.
 *
 * repl_lock is held only to read the role, the leader and its epoch
 * from p->rs: never across the log's I/O.  A role change between that
 * read and an append is harmless: a new leader's epoch is in the log's
 * epoch cache before any append of it, and plog_append_replica refuses
 * batches of an older epoch than the log's latest.
 */
#include <stdatomic.h>

#include "batch_check.h"
#include "broker.h"
#include "clock.h"
#include "log.h"
#include "replica/replication.h"

int replication_position(struct partition *p, struct replica_position *pos)
{
	if (replication_role(p, &pos->leader, &pos->leader_epoch) != REPLICA_FOLLOWER ||
	    pos->leader < 0)
		return -1;
	/* A log on an offline dir follows no more (D7): what it would fetch
	 * could not be made durable, and its durable offset stays where the
	 * last good fsync left it, which the leader has had already. */
	if (plog_offline(p->log))
		return -1;
	plog_offsets(p->log, &pos->log_start, &pos->offset);
	pos->last_fetched_epoch = plog_latest_epoch(p->log);
	/* The recovery point is what an fsync covered: never past the LEO
	 * read just before it, whatever appends in between. */
	pos->durable = plog_recovery_point(p->log);
	if (pos->durable > pos->offset)
		pos->durable = pos->offset;
	return 0;
}

/* The length of the leading batches of data that are whole and whose CRC
 * matches; *bad receives the error of the first that is not (0: none). */
static size_t valid_prefix(const uint8_t *data, size_t len, int *bad, struct err *e)
{
	size_t off = 0;

	*bad = 0;
	while (off < len) {
		struct batch_header h;

		*bad = batch_next_in(data + off, len - off, &h, e);
		if (!*bad)
			*bad = batch_validate(data + off, batch_size(&h), BATCH_CHECK_CRC, NULL, NULL, e);
		if (*bad)
			break;
		off += batch_size(&h);
	}
	return off;
}

static void publish_leo(struct partition *p)
{
	int64_t end;

	plog_offsets(p->log, NULL, &end);
	atomic_store(&p->leo, end);
}

int replication_follower_append(struct broker *b, struct partition *p, const uint8_t *data,
				size_t len, struct err *e)
{
	struct plog_append_result res;
	struct err why;
	size_t ok;
	int bad, rc = 0;

	(void)b;
	ok = valid_prefix(data, len, &bad, &why);
	if (ok)
		rc = plog_append_replica(p->log, data, ok, clock_wall_ms(), &res, e);
	if (rc)
		return rc;
	publish_leo(p);
	if (ok)
		p->bytes_in += ok;
	if (bad)
		/* The leader's copy is damaged (or the wire): what came before
		 * it is appended; the fetch goes on from there, and the leader
		 * learns of it from the log's reports. */
		return err_set(e, SLOG_ECORRUPT_MESSAGE, "a batch from the leader is damaged: %s",
			       why.msg);
	return 0;
}

/* Raise p's HW to hw, never lowering it. */
static void hw_raise(struct partition *p, int64_t hw)
{
	int64_t old = atomic_load(&p->hw);

	while (hw > old && !atomic_compare_exchange_weak(&p->hw, &old, hw))
		;
}

/* A truncation at end: the HW follows it down (it was above what is
 * left, which is why the log was cut). */
static void hw_clamp(struct partition *p, int64_t end)
{
	int64_t old = atomic_load(&p->hw);

	while (old > end && !atomic_compare_exchange_weak(&p->hw, &old, end))
		;
	atomic_store(&p->leo, end);
}

void replication_follower_hw(struct broker *b, struct partition *p, int64_t leader_hw,
			     int64_t leader_log_start)
{
	int64_t start, end;
	struct err e;

	(void)b;
	plog_offsets(p->log, &start, &end);
	hw_raise(p, leader_hw < end ? leader_hw : end);
	/* The leader's retention or DeleteRecords moved its log start: this
	 * copy follows, within what it holds (Kafka's
	 * maybeIncrementLogStartOffset); a failure only keeps old segments. */
	if (leader_log_start > start && leader_log_start <= end &&
	    plog_delete_before(p->log, leader_log_start, &e))
		log_warn("%s-%d: cannot move the log start to %lld: %s", p->topic->name, p->id,
			      (long long)leader_log_start, e.msg);
}

static int truncate_to(struct partition *p, int64_t offset, const char *why, struct err *e)
{
	int64_t before, end;
	int rc;

	plog_offsets(p->log, NULL, &before);
	rc = plog_truncate(p->log, offset, clock_wall_ms(), e);
	plog_offsets(p->log, NULL, &end);
	hw_clamp(p, end);
	if (end < before)
		log_info("%s-%d: truncated from %lld to %lld: %s", p->topic->name, p->id,
			 (long long)before, (long long)end, why);
	return rc;
}

/*
 * The follower's truncation point for the leader's DivergingEpoch(epoch,
 * end) (KIP-279, replication.md section 2): its own end for the largest
 * epoch <= epoch; when that is epoch itself, the smaller of both ends;
 * when it is older, its own end, and the next fetch, naming that older
 * epoch, walks back one more step if needed.
 */
static int64_t replication_diverging_target(struct plog *l, int32_t epoch, int64_t end)
{
	int32_t found = -1;
	int64_t leo, own = plog_epoch_end_offset(l, epoch, &found);

	plog_offsets(l, NULL, &leo);
	if (own < 0 || found < 0)
		return end < leo ? end : leo;
	if (found == epoch && end < own)
		own = end;
	return own < leo ? own : leo;
}

int replication_truncate_diverging(struct broker *b, struct partition *p, int32_t epoch,
				   int64_t end, struct err *e)
{
	int64_t target;

	(void)b;
	if (end < 0) /* the leader knows no end: keep what is committed */
		end = atomic_load(&p->hw);
	target = replication_diverging_target(p->log, epoch, end);
	return truncate_to(p, target, "the leader's log diverged after it", e);
}

int replication_out_of_range(struct broker *b, struct partition *p, int64_t leader_log_start,
			     int64_t leader_log_end, struct err *e)
{
	int64_t end;
	int rc;

	(void)b;
	plog_offsets(p->log, NULL, &end);
	if (leader_log_end >= 0 && leader_log_end < end)
		/* Only after an unclean election: the new leader has less. */
		return truncate_to(p, leader_log_end, "the leader's log ends there", e);
	if (leader_log_start > end) {
		log_info("%s-%d: restarting the log at %lld: the leader's log starts there",
			 p->topic->name, p->id, (long long)leader_log_start);
		rc = plog_truncate_fully_and_start_at(p->log, leader_log_start, clock_wall_ms(), e);
		plog_offsets(p->log, NULL, &end);
		hw_clamp(p, end);
		hw_raise(p, end);
		return rc;
	}
	/* Within the leader's log: the next fetch, from the LEO, is valid. */
	return 0;
}
