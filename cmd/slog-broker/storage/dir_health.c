/*
 * dir_health.c: the offline state of a log directory.  See dir_health.h.
 */
#include "storage/dir_health.h"

#include <stdio.h>
#include <string.h>

#include "log.h"

void dir_health_init(struct dir_health *h, const char *path)
{
	h->path = path;
	atomic_store(&h->state, 0);
	h->reason[0] = '\0';
	h->watch = NULL;
	h->watch_arg = NULL;
}

void dir_health_watch(struct dir_health *h, void (*fn)(void *arg), void *arg)
{
	h->watch = fn;
	h->watch_arg = arg;
}

int dir_health_fail(struct dir_health *h, const struct err *why, struct err *e)
{
	const char *msg = why ? why->msg : "fsync failed";
	int expected = 0;

	if (atomic_compare_exchange_strong(&h->state, &expected, 1)) {
		snprintf(h->reason, sizeof(h->reason), "%s", msg);
		atomic_store(&h->state, 2);
		log_error("log dir %s is offline: %s; its partitions take no more writes and "
			  "serve nothing above their recovery points until the broker restarts",
			  h->path, h->reason);
		if (h->watch)
			h->watch(h->watch_arg);
	}
	if (e && e != why)
		err_set(e, SLOG_ESTORAGE, "%s", msg);
	else if (e)
		e->code = SLOG_ESTORAGE;
	return SLOG_ESTORAGE;
}

int dir_health_offline(const struct dir_health *h)
{
	return atomic_load(&h->state) != 0;
}

int dir_health_error(const struct dir_health *h, struct err *e)
{
	return err_set(e, SLOG_ESTORAGE, "log dir %s is offline after a failed fsync: %s", h->path,
		       dir_health_reason(h));
}

const char *dir_health_reason(const struct dir_health *h)
{
	/* Between the two stores the reason is being written: say nothing yet. */
	return atomic_load(&h->state) == 2 ? h->reason : "";
}
