/*
 * clock.h: the two clocks, and condition variables that wait on the
 * monotonic one.
 *
 * Wall time (CLOCK_REALTIME) stamps records and is what users give and
 * read; it may jump.  Every interval, timeout and deadline is measured on
 * CLOCK_MONOTONIC, so a clock step never fires or stalls one.
 */
#ifndef SLOG_CLOCK_H
#define SLOG_CLOCK_H

#include <pthread.h>
#include <stdint.h>

int64_t clock_wall_ms(void);
int64_t clock_mono_ms(void);
int64_t clock_mono_ns(void);

/* A condition variable whose timed waits are on the monotonic clock. */
void clock_cond_init(pthread_cond_t *c);

/* Wait on c (holding m) until signalled or the monotonic clock reaches
 * at_ms; spurious wake-ups return too, as with pthread_cond_wait. */
void clock_cond_wait_until(pthread_cond_t *c, pthread_mutex_t *m, int64_t at_ms);

#endif
