/*
 * placement.c: spread a topic's replicas over brokers.  See placement.h.
 */
#include "cluster/placement.h"

int placement_assign(const int32_t *brokers, size_t nbrokers, int32_t rf, int32_t from,
		     int32_t to, uint32_t start, int32_t *out, struct err *e)
{
	if (rf < 1)
		return err_set(e, SLOG_EINVALID_REPLICATION_FACTOR,
			       "replication factor %d: a partition has at least one replica", rf);
	if ((size_t)rf > nbrokers)
		return err_set(e, SLOG_EINVALID_REPLICATION_FACTOR,
			       "replication factor %d is larger than the %zu available broker%s", rf,
			       nbrokers, nbrokers == 1 ? "" : "s");
	for (int32_t p = from; p < to; p++)
		for (int32_t j = 0; j < rf; j++)
			out[(size_t)(p - from) * (size_t)rf + (size_t)j] =
				brokers[((size_t)start + (size_t)p + (size_t)j) % nbrokers];
	return 0;
}
