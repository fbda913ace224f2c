/*
 * fuzz_checkpoint.c: libFuzzer target for checkpoint files (recovery
 * points, log starts, cleaner offsets, leader epochs).
 *
 * The input is read as a checkpoint with and without names, and as a
 * leader-epoch file.  A read that succeeds holds no more entries than the
 * file has lines, and every name fits its field.  A file the broker reads
 * at start must never crash it or make it allocate for entries that are
 * not there (the reader once believed the count line).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "storage/checkpoint.h"
#include "storage/leader_epoch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t count_lines(const uint8_t *data, size_t size)
{
	size_t n = size && data[size - 1] != '\n';

	for (size_t i = 0; i < size; i++)
		n += data[i] == '\n';
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct checkpoint_entry *ce;
	struct leader_epochs le;
	struct err e;
	char path[64];
	int fd = fuzz_file(data, size, path, sizeof(path));
	size_t n;

	for (int with_name = 0; with_name <= 1; with_name++) {
		if (checkpoint_read(path, with_name, &ce, &n, &e) != 0)
			continue;
		FUZZ_CHECK(n + 2 <= count_lines(data, size) || n == 0);
		for (size_t i = 0; i < n; i++)
			FUZZ_CHECK(strlen(ce[i].name) < sizeof(ce[i].name));
		free(ce);
	}
	leader_epochs_open(&le, path, &e);
	leader_epochs_close(&le);
	close(fd);
	return 0;
}
