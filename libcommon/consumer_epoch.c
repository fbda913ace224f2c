/*
 * consumer_epoch.c: a consumer's leader epochs, as KIP-320 has Kafka's.
 *
 * Fetches carry the partition's leader epoch once the metadata gave it:
 * a broker that leads in an older epoch answers FENCED_LEADER_EPOCH (the
 * consumer asks the metadata again), one that has not learned a newer
 * epoch UNKNOWN_LEADER_EPOCH (it retries).  Each batch read leaves its
 * partitionLeaderEpoch behind.  When the leader changes, records the
 * consumer has read may not be on the new leader: an unclean election
 * can make a replica leader that never had them, and the new leader's
 * log then diverges from what was read.  So before the next fetch the
 * consumer asks the new leader where the epoch of the last batch read
 * ends in its log (GET .../epochs/{e}/end-offset, the OffsetsForLeaderEpoch
 * of Kafka).  A position past that end means those records are gone:
 * the consumer says which, and goes on from the end, as Kafka's consumer
 * does with a reset policy, or stops (--on-truncation fail), as it
 * raises LogTruncationException without one.
 */
#include <stdlib.h>
#include <string.h>

#include "consumer_internal.h"
#include "log.h"

void epoch_learned(struct cpart *cp, const char *leader, int32_t epoch)
{
	int moved = strcmp(cp->leader, leader) != 0 || epoch != cp->leader_epoch;

	if (moved && cp->last_epoch >= 0)
		cp->validate = 1;
	cp->leader_epoch = epoch;
}

/*
 * Ask the leader, once, where epoch cp->last_epoch ends: 0 with *end (-1:
 * it cannot tell) and *epoch, or the error.  When the leader moved, the
 * partition looks it up again (and its epoch) before the next try.
 */
static int end_of_epoch(struct consumer *c, struct cpart *cp, int64_t *end, int32_t *epoch,
			struct err *e)
{
	struct buf path = BUF_INIT;
	char moved_to[300];
	json_t *j;
	int rc;

	buf_adds(&path, "/v1/topics/");
	http_escape(&path, cp->topic);
	buf_addf(&path, "/partitions/%d/epochs/%d/end-offset", cp->id, cp->last_epoch);
	if (cp->leader_epoch >= 0)
		buf_addf(&path, "?leader_epoch=%d", cp->leader_epoch);
	rc = cluster_leader_get(cp->leader, path.data, clock_mono_ms() + c->o->timeout_ms, &j,
				moved_to, sizeof(moved_to), e);
	buf_free(&path);
	if (cluster_leader_moved(rc))
		cp->stale = 1; /* FENCED_LEADER_EPOCH too: the epoch moved */
	if (rc)
		return rc;
	*end = json_is_integer(json_object_get(j, "end_offset"))
		       ? json_integer_value(json_object_get(j, "end_offset")) : -1;
	*epoch = (int32_t)json_integer_value(json_object_get(j, "epoch"));
	json_decref(j);
	return 0;
}

/* Records from end up to the position were read and are gone. */
static void truncated(struct consumer *c, struct cpart *cp, int64_t end, int32_t epoch)
{
	if (c->o->fail_on_truncation) {
		consumer_fail(c, SLOG_ELOG_TRUNCATION, "partition %s-%d was truncated "
			      "(LOG_TRUNCATION): offsets %lld..%lld read before a leader change are gone",
			      cp->topic, cp->id, (long long)end, (long long)cp->next - 1);
		c->quit = 1;
		cp->done = 1;
		return;
	}
	consumer_log(c, LOG_LEVEL_WARN, "partition %s-%d was truncated: offsets %lld..%lld read before a leader "
			  "change are gone; continuing at %lld", cp->topic, cp->id, (long long)end,
			  (long long)cp->next - 1, (long long)end);
	cp->next = cp->written = end;
	cp->last_epoch = epoch;
	/* -e stops at the end the partition had when reading started; that
	 * end is gone too, and the new leader may never reach it. */
	if (cp->end > end)
		cp->end = end;
	cp->done = cp->end >= 0 && cp->next >= cp->end;
	/* The group's offset may be past the new end: commit from there. */
	if (cp->committed > end)
		cp->committed = -1;
}

int epoch_validate(struct consumer *c, struct cpart *cp, int64_t now)
{
	int64_t end = -1, until;
	int32_t epoch = -1;
	struct err e;
	int rc;

	if (!cp->failing_since)
		cp->failing_since = now;
	until = cp->failing_since + c->o->timeout_ms;
	rc = end_of_epoch(c, cp, &end, &epoch, &e);
	if ((rc == SLOG_EUNKNOWN_LEADER_EPOCH || rc == SLOG_EOFFSET_NOT_AVAILABLE ||
	     rc == SLOG_EREQUEST_TIMED_OUT || cluster_leader_moved(rc)) && now < until) {
		/* The new leader is not settled yet: ask again later, the
		 * other partitions and the group going on meanwhile. */
		cp->retry_at = backoff_until(&cp->backoff, now, until);
		return 1;
	}
	cp->validate = 0;
	if (rc) {
		/* A broker that cannot tell (an older one): read on unchecked. */
		consumer_log(c, LOG_LEVEL_DEBUG, "%s-%d: cannot check the position after a leader change: %s",
				  cp->topic, cp->id, e.msg);
		return 0;
	}
	if (end >= 0 && end < cp->next)
		truncated(c, cp, end, epoch);
	return cp->done;
}
