/*
 * group_id.h: what may name a consumer group.
 *
 * One rule for the broker, which refuses a bad id with INVALID_GROUP_ID,
 * and for the clients, which refuse it as a usage error before asking.
 */
#ifndef SLOG_GROUP_ID_H
#define SLOG_GROUP_ID_H

#include "err.h"

#define GROUP_ID_MAX 255 /* bytes */

/*
 * 0 when id can name a group: 1 to GROUP_ID_MAX bytes, no control
 * characters, and no '/' (it is a path segment of /v1/groups/{g}/...).
 * Otherwise SLOG_EINVALID_GROUP_ID with the reason in e.
 */
int group_id_check(const char *id, struct err *e);

#endif
