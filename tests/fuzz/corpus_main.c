/*
 * corpus_main.c: a fuzz target as an ordinary test, without libFuzzer.
 *
 * Linked with one tests/fuzz/fuzz_<name>.c as build/tests/test_fuzz_<name>,
 * it feeds every file of tests/fuzz/corpus/<name>/ to the target once and
 * prints one TAP line per file, so the seeds and every input a fuzzer ever
 * crashed on keep being run by `make check` (plain and ASan builds), on
 * machines without clang.  A crash kills the run, which tests/run counts as
 * a failure; the last "# file" line names the input.
 *
 * With arguments, it runs those files instead: the way to replay a crash
 * reproducer under gdb or a debug build.
 *
 * The address space may grow by FUZZ_MEMORY_BOUND (512 MiB) at most while the inputs
 * run, so an input that makes the code believe a size it does not have
 * (a checkpoint's count, a frame's declared length) fails here as it does
 * under libFuzzer's -malloc_limit_mb, in plain and ASan builds alike.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "buf.h"
#include "xalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_MEMORY_BOUND (512ull << 20)

/* Bound the address space to its current size plus FUZZ_MEMORY_BOUND. */
static void bound_memory(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	unsigned long long kb = 0;
	struct rlimit rl;

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "VmSize: %llu kB", &kb) == 1)
			break;
	if (f)
		fclose(f);
	if (!kb)
		return;
	rl.rlim_cur = rl.rlim_max = (rlim_t)(kb << 10) + FUZZ_MEMORY_BOUND;
	setrlimit(RLIMIT_AS, &rl);
}

static int read_all(const char *path, struct buf *out)
{
	FILE *f = fopen(path, "rb");
	char chunk[4096];
	size_t n;

	if (!f)
		return -1;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_add(out, chunk, n);
	fclose(f);
	return 0;
}

static int run_file(int num, const char *path)
{
	struct buf data = BUF_INIT;
	int ok;

	printf("# file %s\n", path);
	fflush(stdout);
	ok = read_all(path, &data) == 0;
	if (ok) {
		/* An exact-size copy, so ASan sees a read past the end. */
		uint8_t *copy = xmalloc(data.len);
		memcpy(copy, data.data ? data.data : "", data.len);
		LLVMFuzzerTestOneInput(copy, data.len);
		free(copy);
	}
	printf("%sok %d - %s\n", ok ? "" : "not ", num, path);
	buf_free(&data);
	return ok;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The files of dir, sorted, as "dir/name" strings in *out (caller frees). */
static size_t list_dir(const char *dir, char ***out)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t n = 0, cap = 0;
	char **v = NULL;

	while (d && (de = readdir(d))) {
		struct buf path = BUF_INIT;
		if (de->d_name[0] == '.')
			continue;
		buf_addf(&path, "%s/%s", dir, de->d_name);
		if (n == cap) {
			cap = cap ? 2 * cap : 16;
			v = xrealloc(v, cap * sizeof(*v));
		}
		v[n++] = buf_detach(&path, NULL);
	}
	if (d)
		closedir(d);
	if (n)
		qsort(v, n, sizeof(*v), by_name);
	*out = v;
	return n;
}

int main(int argc, char **argv)
{
	const char *self = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
	char dir[512], **files;
	size_t n;
	int failed = 0;

	bound_memory();
	if (argc > 1) {
		for (int i = 1; i < argc; i++)
			failed += !run_file(i, argv[i]);
		printf("1..%d\n", argc - 1);
		return failed != 0;
	}
	/* test_fuzz_<name> reads tests/fuzz/corpus/<name> (tests/run runs from the top). */
	if (strncmp(self, "test_fuzz_", 10) != 0) {
		fprintf(stderr, "%s: give the input files (or run as test_fuzz_<name>)\n", self);
		return 2;
	}
	snprintf(dir, sizeof(dir), "tests/fuzz/corpus/%s", self + 10);
	n = list_dir(dir, &files);
	if (n == 0)
		printf("not ok 1 - %s has no inputs\n1..1\n", dir);
	for (size_t i = 0; i < n; i++) {
		failed += !run_file((int)i + 1, files[i]);
		free(files[i]);
	}
	free(files);
	if (n)
		printf("1..%zu\n", n);
	return n == 0 || failed != 0;
}
