/*
 * test_replica_frames.c: the framed answer of a replica fetch, written by
 * a leader and read by a follower (cluster/replica_frames.h).
 */
#include <string.h>

#include "cluster/replica_frames.h"
#include "unit.h"

static struct replica_frame frame(const char *topic, int32_t partition, const char *data)
{
	struct replica_frame f = { .partition = partition, .high_watermark = 7,
				   .log_start_offset = 2, .log_end_offset = 9, .leader_epoch = 3,
				   .diverging_epoch = -1, .diverging_end_offset = -1 };

	snprintf(f.topic, sizeof(f.topic), "%s", topic);
	f.data = (const uint8_t *)data;
	f.len = strlen(data);
	return f;
}

static void add(struct buf *out, const struct replica_frame *f)
{
	replica_frame_write_header(out, f);
	buf_add(out, f->data, f->len);
}

static void test_frames_read_back_as_written_in_order(void)
{
	struct replica_frame a = frame("orders", 0, "abc\ndef"), b = frame("orders", 4, ""), f;
	struct buf out = BUF_INIT;
	size_t pos = 0;
	struct err e;

	b.error = SLOG_ENOT_LEADER;
	snprintf(b.message, sizeof(b.message), "broker 2 leads \"orders\"-4");
	add(&out, &a);
	add(&out, &b);
	REQUIRE_EQ(replica_frame_next((uint8_t *)out.data, out.len, &pos, &f, &e), 1);
	CHECK(strcmp(f.topic, "orders") == 0);
	CHECK_EQ(f.partition, 0);
	CHECK_EQ(f.error, 0);
	CHECK_EQ(f.high_watermark, 7);
	CHECK_EQ(f.log_start_offset, 2);
	CHECK_EQ(f.log_end_offset, 9);
	CHECK_EQ(f.leader_epoch, 3);
	CHECK_EQ(f.diverging_epoch, -1);
	CHECK_EQ(f.len, 7);
	CHECK(memcmp(f.data, "abc\ndef", 7) == 0);
	REQUIRE_EQ(replica_frame_next((uint8_t *)out.data, out.len, &pos, &f, &e), 1);
	CHECK_EQ(f.partition, 4);
	CHECK_EQ(f.error, SLOG_ENOT_LEADER);
	CHECK(strcmp(f.message, "broker 2 leads \"orders\"-4") == 0);
	CHECK_EQ(f.len, 0);
	CHECK_EQ(replica_frame_next((uint8_t *)out.data, out.len, &pos, &f, &e), 0);
	buf_free(&out);
}

static void test_a_diverging_epoch_reads_back(void)
{
	struct replica_frame a = frame("t", 1, ""), f;
	struct buf out = BUF_INIT;
	size_t pos = 0;
	struct err e;

	a.diverging_epoch = 5;
	a.diverging_end_offset = 120;
	add(&out, &a);
	REQUIRE_EQ(replica_frame_next((uint8_t *)out.data, out.len, &pos, &f, &e), 1);
	CHECK_EQ(f.diverging_epoch, 5);
	CHECK_EQ(f.diverging_end_offset, 120);
	buf_free(&out);
}

/* Every prefix of a valid answer but the whole is refused or ends early,
 * never read past: a cut connection cannot pass for records. */
static void test_a_truncated_answer_is_corrupt_at_every_cut(void)
{
	struct replica_frame a = frame("t", 0, "0123456789"), f;
	struct buf out = BUF_INIT;
	struct err e;

	add(&out, &a);
	for (size_t cut = 1; cut < out.len; cut++) {
		size_t pos = 0;

		CHECK_EQ(replica_frame_next((uint8_t *)out.data, cut, &pos, &f, &e),
			 SLOG_ECORRUPT_MESSAGE);
	}
	buf_free(&out);
}

static int parse_one(const char *text, struct err *e)
{
	struct replica_frame f;
	size_t pos = 0;

	return replica_frame_next((const uint8_t *)text, strlen(text), &pos, &f, e);
}

static void test_a_length_past_the_answer_is_corrupt(void)
{
	struct err e;

	CHECK_EQ(parse_one("{\"topic\":\"t\",\"partition\":0,\"error\":null,\"high_watermark\":0,"
			   "\"log_start_offset\":0,\"log_end_offset\":0,\"leader_epoch\":0,"
			   "\"diverging_epoch\":-1,\"diverging_end_offset\":-1,"
			   "\"bytes\":9223372036854775807}\nabc",
			   &e),
		 SLOG_ECORRUPT_MESSAGE);
	CHECK(strstr(e.msg, "only 3 were received") != NULL);
}

static void test_bad_headers_are_corrupt(void)
{
	static const char *const bad[] = {
		"not json\n",
		"[1,2]\n",
		"{\"topic\":\"../x\",\"partition\":0}\n",
		"{\"topic\":\"t\",\"partition\":-1}\n",
		"{\"topic\":\"t\",\"partition\":0,\"error\":null,\"high_watermark\":-5}\n",
		"{\"topic\":\"t\",\"partition\":0,\"error\":null,\"high_watermark\":0,"
		"\"log_start_offset\":0,\"log_end_offset\":0,\"leader_epoch\":4294967296}\n",
		"{\"topic\":\"t\",\"partition\":0,\"error\":{\"message\":\"x\"}}\n",
		"{\"topic\":\"t\",\"partition\":0,\"error\":null,\"high_watermark\":0,"
		"\"log_start_offset\":0,\"log_end_offset\":0,\"leader_epoch\":0,"
		"\"diverging_epoch\":-1,\"diverging_end_offset\":-1,\"bytes\":-1}\n",
		"{\"topic\":\"t\",\"partition\":0,\"error\":null,\"high_watermark\":\"0\"}\n",
	};
	struct err e;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (!CHECK(parse_one(bad[i], &e) == SLOG_ECORRUPT_MESSAGE))
			unit_diag("accepted: %s", bad[i]);
}

static void test_an_oversized_header_is_refused_without_a_search_to_the_end(void)
{
	struct buf text = BUF_INIT;
	struct err e;
	size_t pos = 0;
	struct replica_frame f;

	for (int i = 0; i < REPLICA_FRAME_HEADER_MAX + 10; i++)
		buf_addc(&text, ' ');
	buf_adds(&text, "{}\n");
	CHECK_EQ(replica_frame_next((uint8_t *)text.data, text.len, &pos, &f, &e),
		 SLOG_ECORRUPT_MESSAGE);
	CHECK(strstr(e.msg, "no end within") != NULL);
	buf_free(&text);
}

static void test_an_unknown_error_name_is_still_an_error(void)
{
	struct replica_frame f;
	const char *text = "{\"topic\":\"t\",\"partition\":0,\"error\":{\"code\":\"NEW_THING\"},"
			   "\"high_watermark\":-1,\"log_start_offset\":-1,\"log_end_offset\":-1,"
			   "\"leader_epoch\":-1,\"diverging_epoch\":-1,\"diverging_end_offset\":-1,"
			   "\"bytes\":0}\n";
	size_t pos = 0;
	struct err e;

	REQUIRE_EQ(replica_frame_next((const uint8_t *)text, strlen(text), &pos, &f, &e), 1);
	CHECK_EQ(f.error, SLOG_EUNKNOWN);
}

int main(void)
{
	unit_run("frames read back as written, in order", test_frames_read_back_as_written_in_order);
	unit_run("a diverging epoch reads back", test_a_diverging_epoch_reads_back);
	unit_run("a truncated answer is corrupt at every cut",
		 test_a_truncated_answer_is_corrupt_at_every_cut);
	unit_run("a length past the answer is corrupt", test_a_length_past_the_answer_is_corrupt);
	unit_run("bad headers are corrupt", test_bad_headers_are_corrupt);
	unit_run("an oversized header is refused without a search to the end",
		 test_an_oversized_header_is_refused_without_a_search_to_the_end);
	unit_run("an unknown error name is still an error",
		 test_an_unknown_error_name_is_still_an_error);
	return unit_done();
}
