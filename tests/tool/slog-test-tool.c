/*
 * slog-test-tool: internals and small jobs the bats suite needs, the way
 * git's test-tool serves its shell tests.
 *
 *   notify-listen PATH SECONDS   receive sd_notify datagrams on PATH and
 *                                print each; stop at STOPPING=1 or SECONDS
 *   partition KEY COUNT          the partition Kafka's murmur2 gives KEY
 *   batch VALUE...               a record batch (one record per VALUE)
 *                                on stdout, for binary produce tests
 *   bomb-batch --records N --record-bytes B [--timestamp MS]
 *                                a valid zstd batch of N records whose
 *                                values are B zero bytes each, on stdout: a
 *                                few KiB that expand to N * B bytes (the
 *                                frame does not declare its size)
 *   metadata-append DIR RECORD...
 *                                append each RECORD (JSON, as given: no
 *                                version is added) to a metadata log of the
 *                                format before the quorum in DIR, a batch
 *                                each, as a broker of those releases did
 */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <zstd.h>

#include "batch.h"
#include "batch_builder.h"
#include "compress.h"
#include "endian_io.h"
#include "meta/meta_migrate.h"
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

/* Compress one encoded record into z (continue) or end the frame. */
static int bomb_feed(ZSTD_CCtx *c, const void *p, size_t n, ZSTD_EndDirective how, struct buf *z)
{
	ZSTD_inBuffer in = { p, n, 0 };
	size_t left;

	do {
		ZSTD_outBuffer out = { buf_reserve(z, 1 << 16), 1 << 16, 0 };
		left = ZSTD_compressStream2(c, &out, &in, how);
		if (ZSTD_isError(left))
			return -1;
		buf_commit(z, out.pos);
	} while (in.pos < in.size || (how == ZSTD_e_end && left));
	return 0;
}

/* The header of a batch of count records, all stamped ts, body in place. */
static void bomb_header(struct buf *b, int32_t count, int64_t ts)
{
	uint8_t *h = (uint8_t *)b->data;

	memset(h, 0, BATCH_HEADER_SIZE);
	be32_put(h + BATCH_OFF_LENGTH, (uint32_t)(b->len - BATCH_LOG_OVERHEAD));
	h[BATCH_OFF_MAGIC] = BATCH_MAGIC;
	be16_put(h + BATCH_OFF_ATTRIBUTES, CODEC_ZSTD);
	be32_put(h + BATCH_OFF_LAST_OFFSET_DELTA, (uint32_t)(count - 1));
	be64_put(h + BATCH_OFF_BASE_TIMESTAMP, (uint64_t)ts);
	be64_put(h + BATCH_OFF_MAX_TIMESTAMP, (uint64_t)ts);
	be64_put(h + BATCH_OFF_PRODUCER_ID, UINT64_MAX);
	be16_put(h + BATCH_OFF_PRODUCER_EPOCH, UINT16_MAX);
	be32_put(h + BATCH_OFF_BASE_SEQUENCE, UINT32_MAX);
	be32_put(h + BATCH_OFF_RECORD_COUNT, (uint32_t)count);
	be32_put(h + BATCH_OFF_CRC, batch_crc_compute(h, b->len));
}

/*
 * A batch that is small on the wire and large decompressed, built one
 * record at a time so that the tool never holds the records themselves.
 */
static int bomb_batch(int argc, char **argv)
{
	int64_t count = 0, bytes = -1, ts = (int64_t)time(NULL) * 1000;
	struct buf z = BUF_INIT, rec = BUF_INIT;
	ZSTD_CCtx *c = ZSTD_createCCtx();
	uint8_t *zeros;
	int rc = 0;

	for (int i = 0; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--records") == 0)
			rc |= units_parse_int(argv[i + 1], 1, INT32_MAX, &count, NULL);
		else if (strcmp(argv[i], "--record-bytes") == 0)
			rc |= units_parse_bytes(argv[i + 1], 0, 1 << 30, &bytes, NULL);
		else if (strcmp(argv[i], "--timestamp") == 0)
			rc |= units_parse_int(argv[i + 1], INT64_MIN, INT64_MAX, &ts, NULL);
		else
			rc = -1;
	}
	if (rc || argc % 2 || count < 1 || bytes < 0) {
		fprintf(stderr, "usage: slog-test-tool bomb-batch --records N --record-bytes B "
				"[--timestamp MS]\n");
		ZSTD_freeCCtx(c);
		return 2;
	}
	zeros = calloc(1, (size_t)bytes + 1);
	buf_reserve(&z, BATCH_HEADER_SIZE);
	buf_commit(&z, BATCH_HEADER_SIZE);
	for (int32_t i = 0; i < count && !rc; i++) {
		struct record r = { .key_len = -1, .value = zeros, .value_len = (int32_t)bytes,
				    .timestamp = ts };
		size_t n = record_encoded_size(&r, 0, i);

		buf_reset(&rec);
		buf_commit(&rec, record_encode((uint8_t *)buf_reserve(&rec, n), &r, 0, i));
		rc = bomb_feed(c, rec.data, rec.len, ZSTD_e_continue, &z);
	}
	if (!rc)
		rc = bomb_feed(c, NULL, 0, ZSTD_e_end, &z);
	if (!rc) {
		bomb_header(&z, (int32_t)count, ts);
		rc = fwrite(z.data, 1, z.len, stdout) == z.len ? 0 : -1;
	}
	ZSTD_freeCCtx(c);
	free(zeros);
	buf_free(&z);
	buf_free(&rec);
	return rc ? 1 : 0;
}

static int metadata_append(const char *dir, int n, char **texts)
{
	struct err e;
	int rc = 0;

	for (int i = 0; i < n && !rc; i++) {
		json_error_t je;
		json_t *rec = json_loads(texts[i], 0, &je), *one = json_pack("[o]", rec);
		if (!rec)
			rc = err_set(&e, SLOG_EINVALID_REQUEST, "%s: %s", texts[i], je.text);
		else
			rc = meta_migrate_append(dir, one, &e);
		json_decref(one);
	}
	if (rc)
		fprintf(stderr, "slog-test-tool: %s\n", e.msg);
	return rc ? 1 : 0;
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
	if (argc >= 2 && strcmp(argv[1], "bomb-batch") == 0)
		return bomb_batch(argc - 2, argv + 2);
	if (argc >= 4 && strcmp(argv[1], "metadata-append") == 0)
		return metadata_append(argv[2], argc - 3, argv + 3);
	fprintf(stderr, "usage: slog-test-tool notify-listen PATH SECONDS | partition KEY COUNT | "
			"batch VALUE... | bomb-batch --records N --record-bytes B | "
			"metadata-append DIR RECORD...\n");
	return 2;
}
