/*
 * bench/membw.c: the machine's memory copy bandwidth, a ceiling for any
 * path that copies bytes.
 *
 *   membw [MiB]
 *
 * Copies a buffer of MiB (default 256, well past the caches) into
 * another with memcpy, 10 times, and prints the best rate in GB/s.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "xalloc.h"

int main(int argc, char **argv)
{
	size_t n = (size_t)(argc > 1 ? strtol(argv[1], NULL, 10) : 256) << 20;
	char *a, *b;
	double best = 0;

	if (n == 0) {
		fprintf(stderr, "usage: membw [MiB]\n");
		return 2;
	}
	a = xmalloc(n);
	b = xmalloc(n);
	memset(a, 1, n);
	memset(b, 2, n); /* fault every page in before timing */
	for (int i = 0; i < 10; i++) {
		int64_t t0 = clock_mono_ns();
		double gbps;
		memcpy(b, a, n);
		gbps = (double)n / (double)(clock_mono_ns() - t0);
		a[i] = b[n - 1 - (size_t)i]; /* keep the copy observable */
		if (gbps > best)
			best = gbps;
	}
	printf("%.1f\n", best);
	free(a);
	free(b);
	return 0;
}
