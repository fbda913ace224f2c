/*
 * controller_internal.h: what the controller's files share
 * (controller.c, controller_partitions.c), and nothing else uses.
 *
 * Every change holds the controller's lock from its validation to its
 * commit (controller_lock), checks that this node is the active
 * controller (controller_require_active), and proposes its records as
 * one entry (controller_propose), as controller.h describes.
 */
#ifndef SLOG_CONTROLLER_INTERNAL_H
#define SLOG_CONTROLLER_INTERNAL_H

#include <jansson.h>
#include <stdint.h>

#include "err.h"
#include "meta/meta_state.h"

struct broker;

void controller_lock(void);
void controller_unlock(void);

/* 0 on the active controller, else SLOG_ENOT_CONTROLLER naming it. */
int controller_require_active(struct broker *b, struct err *e);

/* Propose recs (a JSON array; consumed) as one entry, wait for it to be
 * committed and published (controller lock held, no other). */
int controller_propose(struct broker *b, json_t *recs, struct err *e);

/*
 * The partition records that broker id's move to state needs, appended
 * to recs (the image's lock not held): fenced or shutting down, it
 * leaves every ISR and its leaderships are elected anew; alive,
 * leaderless partitions elect.  (A new incarnation registering counts
 * as fenced: controller_restart_elections.)
 */
void controller_state_elections(struct broker *b, int32_t id, enum meta_broker_state state,
				json_t *recs);

/* The partition records that broker id's new incarnation needs, appended
 * to recs: it leaves every ISR as a fenced broker does, its leaderships
 * are elected anew, and its replicas are no longer offline. */
void controller_restart_elections(struct broker *b, int32_t id, json_t *recs);

/* The partition records that empty the ELR of topic name's partitions,
 * appended to recs: a change of its min.insync.replicas. */
void controller_clear_elr(struct broker *b, const char *name, json_t *recs);

#endif
