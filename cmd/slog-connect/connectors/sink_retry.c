/*
 * sink_retry.c: the waits between a sink's tries (sink_retry.h).
 */
#include <time.h>

#include "clock.h"
#include "connectors/sink_retry.h"
#include "runtime/connector.h"
#include "runtime/metrics.h"

/* The longest slice a sleep takes before it looks at the stop flag again. */
#define SINK_RETRY_SLICE_MS 50

void sink_retry_init(struct sink_retry *r, int64_t timeout_ms, int64_t delay_max_ms)
{
	r->timeout_ms = timeout_ms;
	r->delay_max_ms = delay_max_ms > 0 ? delay_max_ms : SINK_RETRY_FIRST_MS;
	r->rng = (uint64_t)clock_mono_ns() | 1;
}

/* xorshift64: jitter needs no more. */
static uint64_t next_random(struct sink_retry *r)
{
	r->rng ^= r->rng << 13;
	r->rng ^= r->rng >> 7;
	r->rng ^= r->rng << 17;
	return r->rng;
}

int sink_retry_next(struct sink_retry *r, int attempt, int64_t first_ms, int64_t now_ms,
		    int64_t retry_after_ms, int64_t *wait_ms)
{
	int64_t step = SINK_RETRY_FIRST_MS;

	for (int i = 1; i < attempt && step < r->delay_max_ms; i++)
		step *= 2;
	if (step > r->delay_max_ms)
		step = r->delay_max_ms;
	*wait_ms = step / 2 + (int64_t)(next_random(r) % (uint64_t)(step / 2 + 1));
	if (retry_after_ms > *wait_ms)
		*wait_ms = retry_after_ms;
	if (r->timeout_ms < 0)
		return 1;
	return now_ms + *wait_ms - first_ms <= r->timeout_ms;
}

int sink_retry_sleep(const struct connect_task *t, int64_t wait_ms, struct err *e)
{
	int64_t until = clock_mono_ms() + wait_ms;

	for (int64_t now = clock_mono_ms(); now < until; now = clock_mono_ms()) {
		if (t && task_stopping(t))
			return err_set(e, SLOG_EREQUEST_TIMED_OUT, "stopped while waiting to retry");
		int64_t ms = until - now < SINK_RETRY_SLICE_MS ? until - now : SINK_RETRY_SLICE_MS;
		struct timespec ts = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000L };
		nanosleep(&ts, NULL);
	}
	return 0;
}

void sink_retry_count(const struct connect_task *t)
{
	if (t && t->metrics)
		atomic_fetch_add(&t->metrics->retries, 1);
}
