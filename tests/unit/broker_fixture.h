/*
 * broker_fixture.h: a broker without its HTTP side, for unit tests that
 * drive the controller, the registry or the operations directly: its
 * configuration, log dirs, metadata log, flusher and fetch waiters, on a
 * data directory of the test's.
 */
#ifndef SLOG_BROKER_FIXTURE_H
#define SLOG_BROKER_FIXTURE_H

#include "broker.h"

/* Start b on data (log.dirs=data); 0, or -1 after a diagnostic. */
int fixture_broker_start(struct broker *b, const char *data);
void fixture_broker_stop(struct broker *b);

#endif
