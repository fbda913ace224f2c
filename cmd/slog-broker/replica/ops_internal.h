/*
 * ops_internal.h: what the operations' files (ops_*.c) share: entering
 * log dirs without a thread, and finding a partition.  Nothing else
 * includes this.
 */
#ifndef SLOG_OPS_INTERNAL_H
#define SLOG_OPS_INTERNAL_H

#include "replica/ops.h"

/*
 * Take a slot in each log dir of dirs (dir_gate.h) before storage calls
 * that may block on a stalled disk.  1: entered (dir_gate_leave later).
 * 0: parked through rs; rs->wake comes when the caller may try again (w
 * must stay put meanwhile).  An error when the broker is stopping and a
 * dir is still full.  After 0 the caller must not touch what the
 * operation shares with its next run: that run may have begun.
 */
int ops_enter_dirs(struct broker *b, uint64_t dirs, struct dir_gate_wait *w,
		   const struct ops_resume *rs, struct err *e);

/* The waiting half of ops_enter_dirs, for a caller whose dir_gate_try
 * found a dir full: park, queue w; returns OPS_PENDING. */
int ops_park_for_dirs(struct broker *b, uint64_t dirs, struct dir_gate_wait *w,
		      const struct ops_resume *rs);

/* The error of a dir still full when the broker stops. */
int ops_dirs_closed(struct err *e);

/*
 * topic's partition, with a reference taken (meta_lock held for reading);
 * NULL, e set, when either does not exist or another broker leads it
 * (ops_check_leader: *leader, which may be NULL, names it).
 */
struct partition *ops_find_partition(struct broker *b, const char *topic, int32_t partition,
				     struct ops_leader *leader, struct err *e);

/* The same, taking meta_lock for reading. */
struct partition *ops_hold_partition(struct broker *b, const char *topic, int32_t partition,
				     struct ops_leader *leader, struct err *e);

/* current_leader_epoch (-1: unchecked) against the partition's epoch. */
int ops_check_epoch(const struct partition *p, int32_t current_leader_epoch, struct err *e);

#endif
