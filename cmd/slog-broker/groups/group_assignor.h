/*
 * group_assignor.h: which member of a consumer group gets which
 * partitions (the broker assigns, as in Kafka's KIP-848).
 *
 * A pure function of the members (their subscriptions and their previous
 * target) and the topics' partition counts:
 *
 *   balanced  every partition of a subscribed topic goes to exactly one
 *             member subscribed to it, and members' counts differ by at
 *             most one where their subscriptions are alike;
 *   sticky    a partition stays with its previous member whenever balance
 *             allows, so a member joining or leaving moves as few
 *             partitions as possible.
 *
 * Quotas are dealt first (each partition raises the quota of the
 * eligible member with the smallest, preferring its previous owner);
 * members then keep what they had up to their quota, and what is left
 * goes to eligible members with room, fewest first.  Ties break by
 * member id, so the result is the same on every broker.
 */
#ifndef SLOG_GROUP_ASSIGNOR_H
#define SLOG_GROUP_ASSIGNOR_H

#include <stddef.h>
#include <stdint.h>

struct ga_tp {
	int topic;         /* index into the topics array */
	int32_t partition;
};

struct ga_member {
	const char *id;
	const int *topics;         /* indexes of the topics it subscribes to */
	size_t ntopics;
	const struct ga_tp *prev;  /* its previous target */
	size_t nprev;
	/* out: the new target, owned by the member; free() it */
	struct ga_tp *target;
	size_t ntarget;
};

struct ga_topic {
	const char *name;
	int32_t partitions;
};

/* Fill every member's target.  Members must be sorted by id. */
void group_assign(struct ga_member *m, size_t nm, const struct ga_topic *t, size_t nt);

#endif
