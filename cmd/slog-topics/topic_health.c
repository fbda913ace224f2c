/*
 * topic_health.c: describe's health filters, as kafka-topics.sh has them.
 *
 * They are computed here from the broker's descriptions (replicas, ISR,
 * leader, offline, min.insync.replicas, config sources): the broker has
 * no question to answer that describe does not already.
 */
#include <stdlib.h>
#include <string.h>

#include "topics_cmd.h"

/* The partition matches one of the partition filters in health. */
static int partition_matches(json_t *p, int64_t min_isr, unsigned health)
{
	int64_t isr = (int64_t)json_array_size(json_object_get(p, "isr"));
	/* During a move, the replication factor is the target's (Kafka's
	 * TopicCommand): the replicas being removed do not count. */
	int64_t replicas = (int64_t)json_array_size(json_object_get(p, "replicas")) -
			   (int64_t)json_array_size(json_object_get(p, "removing"));

	if ((health & HEALTH_UNDER_REPLICATED) && isr < replicas)
		return 1;
	if ((health & HEALTH_UNAVAILABLE) && (json_integer_value(json_object_get(p, "leader")) < 0 ||
					       json_is_true(json_object_get(p, "offline"))))
		return 1;
	if ((health & HEALTH_UNDER_MIN_ISR) && isr < min_isr)
		return 1;
	return (health & HEALTH_AT_MIN_ISR) && isr == min_isr;
}

static json_t *matching_partitions(json_t *t, unsigned health)
{
	const char *v = topic_config_value(t, "min.insync.replicas");
	int64_t min_isr = v ? strtoll(v, NULL, 10) : 1;
	json_t *out = json_array(), *p;
	size_t i;

	json_array_foreach(json_object_get(t, "partitions"), i, p)
		if (partition_matches(p, min_isr, health))
			json_array_append(out, p);
	return out;
}

static json_t *overrides(json_t *t)
{
	json_t *out = json_array(), *c;
	size_t i;

	json_array_foreach(json_object_get(t, "configs"), i, c)
		if (strcmp(json_string_value(json_object_get(c, "source")), "topic") == 0)
			json_array_append(out, c);
	return out;
}

json_t *topics_health_filter(json_t *all, unsigned health)
{
	json_t *out = json_array(), *t;
	size_t i;

	json_array_foreach(all, i, t) {
		json_t *m = json_pack("{s:O, s:O, s:O, s:O}", "name", json_object_get(t, "name"), "id",
				      json_object_get(t, "id"), "internal",
				      json_object_get(t, "internal"), "replication_factor",
				      json_object_get(t, "replication_factor"));
		int any = 0;

		if (health & HEALTH_PARTITIONS) {
			json_t *parts = matching_partitions(t, health);
			any |= json_array_size(parts) > 0;
			json_object_set_new(m, "partitions", parts);
		}
		if (health & HEALTH_OVERRIDES) {
			json_t *own = overrides(t);
			any |= json_array_size(own) > 0;
			json_object_set_new(m, "configs", own);
		}
		if (any)
			json_array_append(out, m);
		json_decref(m);
	}
	return out;
}
