/*
 * control.h: slog-connect status|pause|resume|restart [NAME], a client
 * of a running slog-connect's REST API (rest.h).
 *
 *   status [NAME]    a table: NAME TYPE STATE TASKS WORKER, and with NAME
 *                    its tasks (TASK STATE WORKER TRACE, the first line of
 *                    a failed task's trace)
 *   pause [NAME]     PUT /connectors/NAME/pause, then wait (up to 10 s)
 *                    until it is PAUSED, and print its status
 *   resume [NAME]    likewise to RUNNING
 *   restart [NAME]   POST /connectors/NAME/restart?includeTasks=true: the
 *                    connector and every task, then its status
 *
 * Without NAME, pause, resume and restart act on every connector.  With
 * json, Connect's own JSON is printed (GET /connectors?expand=status, or
 * each connector's status), one document a line.
 */
#ifndef SLOG_CONNECT_CONTROL_H
#define SLOG_CONNECT_CONTROL_H

#include <stdio.h>

#include "err.h"

/*
 * url: the REST API (http://127.0.0.1:8083).  0, or SLOG_ENOT_FOUND (no
 * such connector), SLOG_ENETWORK (slog-connect not reachable at url),
 * SLOG_EREQUEST_TIMED_OUT (the state was not reached), SLOG_EINVALID_REQUEST
 * (an unknown command), each with e saying so.
 */
int control_command(const char *url, const char *cmd, const char *name, int json, FILE *out,
		    struct err *e);

#endif
