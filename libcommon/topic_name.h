/*
 * topic_name.h: what may name a topic.
 *
 * One rule for the broker, which refuses a bad name with
 * INVALID_TOPIC_EXCEPTION, and for the clients, which refuse it as a
 * usage error before asking (a typo like "-t 'a b'" is not "no such
 * topic").  The name becomes a directory name, "<topic>-<partition>", so
 * it keeps to a portable file-name alphabet.
 */
#ifndef SLOG_TOPIC_NAME_H
#define SLOG_TOPIC_NAME_H

#include "err.h"

#define TOPIC_NAME_MAX 249 /* bytes, as in Kafka: room for "-<partition>" and a suffix */

/*
 * 0 when name can name a topic: 1 to TOPIC_NAME_MAX of letters, digits,
 * '.', '_' and '-', and not "." or "..".  Otherwise SLOG_EINVALID_TOPIC
 * with the reason in e.
 */
int topic_name_check(const char *name, struct err *e);

#endif
