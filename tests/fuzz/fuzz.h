/*
 * fuzz.h: what the fuzz targets share.
 *
 * FUZZ_CHECK(cond) aborts with the file and line when cond is false, so
 * libFuzzer (and the corpus runner, test_fuzz_<name>) reports a broken
 * property as a crash with its input.  Unlike assert() it stays in
 * optimised builds.
 *
 * fuzz_lines() calls fn on each '\n'-ended line of a body, the way the
 * broker splits an NDJSON request.
 *
 * fuzz_file() gives the input a path, for code that reads files (config
 * files, checkpoints): a memfd, so that no run touches the disk.
 */
#ifndef SLOG_FUZZ_H
#define SLOG_FUZZ_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define FUZZ_CHECK(cond)                                                              \
	do {                                                                          \
		if (!(cond)) {                                                        \
			fprintf(stderr, "%s:%d: fuzz check failed: %s\n", __FILE__, \
				__LINE__, #cond);                                     \
			abort();                                                      \
		}                                                                     \
	} while (0)

static inline void fuzz_lines(const char *p, size_t len,
			      void (*fn)(const char *line, size_t n, void *arg), void *arg)
{
	const char *end = p + len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		fn(p, nl ? (size_t)(nl - p) : (size_t)(end - p), arg);
		if (!nl)
			break;
		p = nl + 1;
	}
}

/* A file holding data[0..size), named in path; the fd to close after. */
static inline int fuzz_file(const uint8_t *data, size_t size, char *path, size_t path_size)
{
	int fd = memfd_create("fuzz-input", 0);

	FUZZ_CHECK(fd >= 0);
	FUZZ_CHECK(size == 0 || write(fd, data, size) == (ssize_t)size);
	snprintf(path, path_size, "/proc/self/fd/%d", fd);
	return fd;
}

#endif
