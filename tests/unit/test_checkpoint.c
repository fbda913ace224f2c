/*
 * test_checkpoint.c: checkpoint files round-trip, and a file that lies
 * about its size is refused without believing it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "storage/checkpoint.h"
#include "storage/fileio.h"
#include "unit.h"

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return;
	fputs(text, f);
	fclose(f);
}

static void test_entries_round_trip(void)
{
	struct checkpoint_entry in[2] = { { "orders", 0, 1042 }, { "audit", 3, 977 } }, *out;
	char path[512];
	size_t n;
	struct err e;

	snprintf(path, sizeof(path), "%s/cp", unit_tmpdir());
	REQUIRE(checkpoint_write(path, 1, in, 2, &e) == 0);
	REQUIRE(checkpoint_read(path, 1, &out, &n, &e) == 0);
	REQUIRE_EQ(n, 2);
	CHECK(strcmp(out[1].name, "audit") == 0 && out[1].a == 3 && out[1].b == 977);
	free(out);
}

static void test_missing_lines_are_an_error_naming_the_line(void)
{
	struct checkpoint_entry *out;
	char path[512];
	size_t n;
	struct err e;

	snprintf(path, sizeof(path), "%s/cp", unit_tmpdir());
	write_text(path, "0\n3\nt 0 1\nt 1 2\n");
	CHECK_EQ(checkpoint_read(path, 1, &out, &n, &e), SLOG_EIO);
	CHECK(strstr(e.msg, ":5:") != NULL);
	CHECK(out == NULL && n == 0);
}

/* The virtual size of this process now, in bytes (0 if unknown). */
static rlim_t vm_size(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	unsigned long long kb = 0;

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "VmSize: %llu kB", &kb) == 1)
			break;
	if (f)
		fclose(f);
	return (rlim_t)kb << 10;
}

/*
 * A checkpoint that claims 10,000,000 entries but holds two must fail as
 * a bad file, not allocate 2.7 GB for entries that are not there.  The
 * read runs in a child whose address space may grow by 512 MB at most
 * (counted from its current size, so an ASan build's shadow fits too): a
 * reader that trusts the count dies there instead of answering.
 */
static void test_a_false_count_allocates_nothing_for_it(void)
{
	char path[512];
	pid_t pid;
	int status;

	snprintf(path, sizeof(path), "%s/cp", unit_tmpdir());
	write_text(path, "0\n10000000\nt 0 1\nt 1 2\n");
	pid = fork();
	REQUIRE(pid >= 0);
	if (pid == 0) {
		struct rlimit rl;
		struct checkpoint_entry *out;
		size_t n;
		struct err e;
		int rc;

		rl.rlim_cur = rl.rlim_max = vm_size() + (512u << 20);
		if (setrlimit(RLIMIT_AS, &rl))
			_exit(3);
		rc = checkpoint_read(path, 1, &out, &n, &e);
		_exit(rc == SLOG_EIO && out == NULL && n == 0 ? 0 : 1);
	}
	REQUIRE(waitpid(pid, &status, 0) == pid);
	CHECK(WIFEXITED(status));
	CHECK_EQ(WIFEXITED(status) ? WEXITSTATUS(status) : -1, 0);
}

int main(void)
{
	unit_run("checkpoint entries round-trip", test_entries_round_trip);
	unit_run("a missing entry line is an error naming the line",
		 test_missing_lines_are_an_error_naming_the_line);
	unit_run("a false entry count allocates nothing for it",
		 test_a_false_count_allocates_nothing_for_it);
	return unit_done();
}
