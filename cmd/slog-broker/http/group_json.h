/*
 * group_json.h: the group coordinator's C structs (group_coordinator.h)
 * rendered as the /v1/groups answers' JSON.  Keys come in a fixed order,
 * so an answer is byte for byte what it was when the coordinator built
 * JSON itself.  Every function returns a new reference.
 */
#ifndef SLOG_GROUP_JSON_H
#define SLOG_GROUP_JSON_H

#include <jansson.h>

#include "groups/group_coordinator.h"

/* [{"topic":..,"partitions":[..]}]: a sorted list, grouped by topic. */
json_t *group_json_tp_list(const struct gc_tp_list *l);

/* The partitions of offsets, as [{"topic","partition"}]. */
json_t *group_json_offset_tps(const struct gc_offset *v, size_t n);

/* {"group","state","group_epoch","members","partitions","lag","known_lag",
 * "unknown_lag_partitions"}: lag is null while a partition's is unknown. */
json_t *group_json_view(const struct gc_group_view *v);

/* [{"group","state","members"}] */
json_t *group_json_summaries(const struct gc_summary *v, size_t n);

/* [{"topic","partition","offset","metadata","commit_timestamp"}] */
json_t *group_json_offsets(const struct gc_offset_list *l);

/* A heartbeat's answer: {"member_id","member_epoch","heartbeat_interval_ms",
 * "session_timeout_ms","assignment","pending_partitions"}. */
json_t *group_json_answer(const struct gc_answer *a);

#endif
