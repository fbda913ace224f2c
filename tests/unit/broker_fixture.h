/*
 * broker_fixture.h: a broker without its HTTP side, for unit tests that
 * drive the controller, the publisher, the registry or the operations
 * directly.
 *
 * It has a node id of 1, its data in one log dir, flushes on every
 * acknowledgement, and a metadata quorum of its own (as a node alone
 * has) whose image is published as at start-up; its cluster is
 * bootstrapped.  It is registered as broker 1, with a new incarnation at
 * each start, as a broker registers itself.
 */
#ifndef SLOG_BROKER_FIXTURE_H
#define SLOG_BROKER_FIXTURE_H

#include "broker.h"

/* Start b with its data in the directory data: 0, or -1 (said why). */
int fixture_start(struct broker *b, const char *data);
void fixture_stop(struct broker *b);

#endif
