/*
 * test_buf.c: the growable buffer, error values, and checkpoint files.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "storage/checkpoint.h"
#include "unit.h"

static void test_buf_grows_and_stays_terminated(void)
{
	struct buf b = BUF_INIT;
	size_t len;
	char *p;

	CHECK(strcmp(buf_cstr(&b), "") == 0);
	for (int i = 0; i < 1000; i++)
		buf_addf(&b, "%d,", i);
	CHECK(b.len == strlen(b.data));
	CHECK(strncmp(b.data, "0,1,2,", 6) == 0);
	buf_setlen(&b, 4);
	CHECK(strcmp(b.data, "0,1,") == 0);
	buf_add_be32(&b, 0x01020304);
	CHECK(b.len == 8 && (uint8_t)b.data[4] == 1 && (uint8_t)b.data[7] == 4);
	buf_reset(&b);
	CHECK(b.len == 0 && b.cap > 0);
	buf_adds(&b, "kept");
	p = buf_detach(&b, &len);
	CHECK(len == 4 && strcmp(p, "kept") == 0 && b.data == NULL);
	free(p);
	buf_free(&b);
}

static void test_errors_carry_names_statuses_and_context(void)
{
	struct err e;

	CHECK(strcmp(err_name(SLOG_ENOT_LEADER), "NOT_LEADER") == 0);
	CHECK(strcmp(err_name(SLOG_EOFFSET_OUT_OF_RANGE), "OFFSET_OUT_OF_RANGE") == 0);
	CHECK_EQ(err_from_name("MESSAGE_TOO_LARGE"), SLOG_EMESSAGE_TOO_LARGE);
	CHECK_EQ(err_http_status(SLOG_EUNKNOWN_TOPIC_OR_PARTITION), 404);
	CHECK_EQ(err_http_status(SLOG_OK), 200);
	CHECK(strcmp(err_name(-9999), "UNKNOWN_SERVER_ERROR") == 0);
	CHECK_EQ(err_set(&e, SLOG_ECORRUPT_MESSAGE, "crc %d", 5), SLOG_ECORRUPT_MESSAGE);
	CHECK_EQ(err_wrap(&e, "partition %d", 3), SLOG_ECORRUPT_MESSAGE);
	CHECK(strcmp(e.msg, "partition 3: crc 5") == 0);
	CHECK_EQ(err_set(NULL, SLOG_EIO, "nobody listens"), SLOG_EIO);
}

static void test_checkpoints_round_trip_and_reject_garbage(void)
{
	struct checkpoint_entry in[3] = { { "orders", 0, 1042 }, { "orders", 1, 977 },
					  { "__consumer_offsets", 12, 0 } };
	struct checkpoint_entry *out;
	char path[512];
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "%s/recovery-point-offset-checkpoint", unit_tmpdir());
	CHECK_EQ(checkpoint_read(path, 1, &out, &n, NULL), 0);
	CHECK_EQ(n, 0);
	REQUIRE(checkpoint_write(path, 1, in, 3, NULL) == 0);
	REQUIRE(checkpoint_read(path, 1, &out, &n, NULL) == 0);
	REQUIRE(n == 3);
	for (size_t i = 0; i < 3; i++)
		CHECK(strcmp(out[i].name, in[i].name) == 0 && out[i].a == in[i].a && out[i].b == in[i].b);
	free(out);
	f = fopen(path, "w");
	fprintf(f, "0\n2\norders 0 10\norders one 20\n");
	fclose(f);
	CHECK(checkpoint_read(path, 1, &out, &n, NULL) != 0);
	CHECK(n == 0 && out == NULL);
}

int main(void)
{
	unit_run("buf grows and stays NUL-terminated", test_buf_grows_and_stays_terminated);
	unit_run("errors carry names, statuses and context",
		 test_errors_carry_names_statuses_and_context);
	unit_run("checkpoints round-trip and reject garbage",
		 test_checkpoints_round_trip_and_reject_garbage);
	return unit_done();
}
