/*
 * slog-test-tool: internals and small jobs the bats suite needs, the way
 * git's test-tool serves its shell tests.
 *
 *   notify-listen PATH SECONDS   receive sd_notify datagrams on PATH and
 *                                print each; stop at STOPPING=1 or SECONDS
 *   partition KEY COUNT          the partition Kafka's murmur2 gives KEY
 *   batch VALUE...               a record batch (one record per VALUE)
 *                                on stdout, for binary produce tests
 */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "batch_builder.h"
#include "compress.h"
#include "murmur2.h"
#include "units.h"

static int notify_listen(const char *path, int64_t seconds)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	time_t end = time(NULL) + seconds;
	int fd = socket(AF_UNIX, SOCK_DGRAM, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	unlink(path);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		perror("notify-listen");
		return 1;
	}
	printf("listening\n");
	fflush(stdout);
	while (time(NULL) < end) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		char msg[1024];
		ssize_t n;

		if (poll(&p, 1, 200) <= 0)
			continue;
		n = recv(fd, msg, sizeof(msg) - 1, 0);
		if (n <= 0)
			continue;
		msg[n] = '\0';
		printf("%s\n", msg);
		fflush(stdout);
		if (strstr(msg, "STOPPING=1"))
			break;
	}
	close(fd);
	unlink(path);
	return 0;
}

static int batch(int argc, char **argv)
{
	struct batch_builder bb;
	struct buf out = BUF_INIT;
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	batch_builder_init(&bb, CODEC_NONE, 0);
	for (int i = 0; i < argc; i++) {
		struct record r = { .key_len = -1, .value = (const uint8_t *)argv[i],
				    .value_len = (int32_t)strlen(argv[i]),
				    .timestamp = (int64_t)ts.tv_sec * 1000 };
		batch_builder_add(&bb, &r);
	}
	if (batch_builder_finish(&bb, &out, NULL) || fwrite(out.data, 1, out.len, stdout) != out.len)
		return 1;
	batch_builder_free(&bb);
	buf_free(&out);
	return 0;
}

int main(int argc, char **argv)
{
	int64_t n;

	if (argc >= 4 && strcmp(argv[1], "notify-listen") == 0 &&
	    units_parse_int(argv[3], 1, 3600, &n, NULL) == 0)
		return notify_listen(argv[2], n);
	if (argc == 4 && strcmp(argv[1], "partition") == 0 &&
	    units_parse_int(argv[3], 1, INT32_MAX, &n, NULL) == 0) {
		printf("%d\n", murmur2_partition(argv[2], strlen(argv[2]), (int32_t)n));
		return 0;
	}
	if (argc >= 3 && strcmp(argv[1], "batch") == 0)
		return batch(argc - 2, argv + 2);
	fprintf(stderr, "usage: slog-test-tool notify-listen PATH SECONDS | partition KEY COUNT | "
			"batch VALUE...\n");
	return 2;
}
