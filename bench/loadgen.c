/*
 * bench/loadgen.c: the load tool of the pipeline benchmarks.
 *
 *   loadgen gen RATE COUNT SIZE   write COUNT lines of SIZE bytes (newline
 *                                 included) to stdout, RATE per second
 *                                 (0: as fast as possible); each line starts
 *                                 with the monotonic time it was written, in ns
 *   loadgen lat COUNT [SKIP]      read such lines (as slog-consume prints
 *                                 them) until COUNT or EOF and print latency
 *                                 percentiles: "n p50 p99 p99.9 max" in ms of
 *                                 all but the first SKIP (sent while the
 *                                 producer was still starting)
 *
 * Both ends run on one machine, so CLOCK_MONOTONIC is one clock: a
 * line's latency is when it was read minus when it was generated, the
 * whole produce -> broker -> consume path.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "units.h"
#include "xalloc.h"

static int64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int write_all(const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(1, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int gen(int64_t rate, int64_t count, int64_t size)
{
	char *line = xmalloc((size_t)size + 64), *block = NULL;
	int64_t start = mono_ns(), i;
	size_t fill = 0;

	if (rate == 0)
		block = xmalloc(1 << 20);
	for (i = 0; i < count; i++) {
		int n;

		if (rate > 0) {
			/* Pace to the schedule, not to the previous write. */
			int64_t due = start + i * 1000000000 / rate;
			struct timespec ts = { .tv_sec = due / 1000000000, .tv_nsec = due % 1000000000 };
			clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
		}
		n = snprintf(line, 32, "%lld ", (long long)mono_ns());
		memset(line + n, 'x', (size_t)(size - 1 - n > 0 ? size - 1 - n : 0));
		line[size - 1] = '\n';
		if (rate > 0) {
			if (write_all(line, (size_t)size))
				return 1;
		} else {
			if (fill + (size_t)size > (1 << 20)) {
				if (write_all(block, fill))
					return 1;
				fill = 0;
			}
			memcpy(block + fill, line, (size_t)size);
			fill += (size_t)size;
		}
	}
	if (fill && write_all(block, fill))
		return 1;
	free(block);
	free(line);
	return 0;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

static int lat(int64_t count, int64_t skip)
{
	int64_t *v = xcalloc((size_t)count + 1, sizeof(int64_t)), n = 0, seen = 0;
	char *line = NULL;
	size_t cap = 0;

	while (seen < count && getline(&line, &cap, stdin) > 0) {
		long long sent;
		if (sscanf(line, "%lld", &sent) != 1)
			continue;
		if (seen++ < skip)
			continue;
		v[n++] = mono_ns() - sent;
	}
	free(line);
	if (n == 0) {
		printf("0 - - - -\n");
		return 1;
	}
	qsort(v, (size_t)n, sizeof(int64_t), cmp_i64);
	printf("%lld %.3f %.3f %.3f %.3f\n", (long long)n, (double)v[n / 2] / 1e6,
	       (double)v[n * 99 / 100] / 1e6, (double)v[n * 999 / 1000] / 1e6,
	       (double)v[n - 1] / 1e6);
	free(v);
	return 0;
}

int main(int argc, char **argv)
{
	int64_t a, b, c;

	if (argc == 5 && strcmp(argv[1], "gen") == 0 &&
	    !units_parse_int(argv[2], 0, INT64_MAX, &a, NULL) &&
	    !units_parse_int(argv[3], 1, INT64_MAX, &b, NULL) &&
	    !units_parse_int(argv[4], 32, 1 << 20, &c, NULL))
		return gen(a, b, c);
	b = 0;
	if ((argc == 3 || argc == 4) && strcmp(argv[1], "lat") == 0 &&
	    !units_parse_int(argv[2], 1, 1LL << 32, &a, NULL) &&
	    (argc == 3 || !units_parse_int(argv[3], 0, 1LL << 32, &b, NULL)))
		return lat(a, b);
	fprintf(stderr, "usage: loadgen gen RATE COUNT SIZE | loadgen lat COUNT [SKIP]\n");
	return 2;
}
