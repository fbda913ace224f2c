/*
 * fuzz_client_config.c: libFuzzer target for the client config file
 * (slog.conf, read by slog-produce, slog-consume, slog-topics and
 * slog-groups: client_config.h), and for -X key=value pairs.
 *
 * The input is read as each program's config file, and each of its lines
 * is given as an -X pair.  A value read is one only that program takes,
 * and it says where it came from ("FILE:LINE", "-X"); the -X list table
 * is printed from what was read.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client_config.h"
#include "fuzz.h"
#include "xalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const enum client_program programs[] = {
	CLIENT_PRODUCE, CLIENT_CONSUME, CLIENT_TOPICS, CLIENT_GROUPS,
};

static void check_values(const struct client_config *cc)
{
	size_t n;
	const struct client_key *keys = client_config_keys(&n);
	char *text = NULL;
	size_t len = 0;
	FILE *out;

	for (size_t i = 0; i < n; i++) {
		if (!cc->v[i].value)
			continue;
		FUZZ_CHECK(keys[i].programs & cc->prog);
		FUZZ_CHECK(cc->v[i].where && cc->v[i].where[0]);
		FUZZ_CHECK(client_config_find(keys[i].key) == &keys[i]);
	}
	out = open_memstream(&text, &len);
	FUZZ_CHECK(out);
	client_config_list(cc, out);
	fclose(out);
	free(text);
}

static void set_pair(const char *line, size_t n, void *cc)
{
	char *pair = xstrndup(line, n);
	struct err e;

	client_config_set_pair(cc, pair, &e);
	free(pair);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[64];
	int fd = fuzz_file(data, size, path, sizeof(path));

	for (size_t i = 0; i < sizeof(programs) / sizeof(programs[0]); i++) {
		struct client_config cc;
		struct err e;

		client_config_init(&cc, programs[i]);
		client_config_load_file(&cc, path, &e);
		check_values(&cc);
		fuzz_lines((const char *)data, size, set_pair, &cc);
		check_values(&cc);
		client_config_free(&cc);
	}
	close(fd);
	return 0;
}
