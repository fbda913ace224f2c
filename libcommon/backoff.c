/*
 * backoff.c: the growing wait between retries.  See backoff.h.
 */
#include "backoff.h"

#include <errno.h>
#include <time.h>

#include "clock.h"
#include "err.h"

void backoff_reset(struct backoff *b)
{
	b->next_ms = 0;
}

int64_t backoff_next(struct backoff *b)
{
	int64_t wait = b->next_ms > 0 ? b->next_ms : BACKOFF_FIRST_MS;

	b->next_ms = wait * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : wait * 2;
	return wait;
}

int64_t backoff_until(struct backoff *b, int64_t now_ms, int64_t deadline_ms)
{
	int64_t at = now_ms + backoff_next(b);

	return at < deadline_ms ? at : deadline_ms;
}

int backoff_sleep(struct backoff *b, int64_t deadline_ms)
{
	int64_t until = backoff_until(b, clock_mono_ms(), deadline_ms);
	int64_t left;

	while ((left = until - clock_mono_ms()) > 0) {
		struct timespec ts = { left / 1000, (left % 1000) * 1000000 };
		if (nanosleep(&ts, NULL) && errno != EINTR)
			break;
	}
	return clock_mono_ms() < deadline_ms ? 0 : SLOG_EREQUEST_TIMED_OUT;
}
