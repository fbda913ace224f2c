/*
 * fuzz_replica_frames.c: libFuzzer target for the answer of
 * POST /v1/replica/fetch, which a follower reads from its leader.
 *
 * The input is an answer: replica_frame_next() reads its frames until the
 * end or a corrupt one.  Each frame read must lie inside the answer and
 * after the one before, carry a valid topic name and numbers in their
 * ranges; its header written again by replica_frame_write_header() must
 * read back as the same frame (one format, one definition); and its bytes
 * go through what the follower does with them before the append (whole
 * batches with matching CRCs, the valid prefix).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "batch.h"
#include "batch_check.h"
#include "buf.h"
#include "cluster/replica_frames.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The follower's walk over a frame's bytes (replication_follower.c). */
static void walk_batches(const uint8_t *p, size_t len)
{
	size_t off = 0;

	while (off < len) {
		struct batch_header h;
		struct err e;

		if (batch_next_in(p + off, len - off, &h, &e) ||
		    batch_validate(p + off, batch_size(&h), BATCH_CHECK_CRC, NULL, NULL, &e))
			break;
		FUZZ_CHECK(batch_size(&h) > 0 && batch_size(&h) <= len - off);
		off += batch_size(&h);
	}
}

static void check_frame(const struct replica_frame *f)
{
	FUZZ_CHECK(topic_name_check(f->topic, NULL) == 0);
	FUZZ_CHECK(f->partition >= 0);
	FUZZ_CHECK(f->high_watermark >= -1 && f->log_start_offset >= -1 && f->log_end_offset >= -1);
	FUZZ_CHECK(f->leader_epoch >= -1 && f->diverging_epoch >= -1);
	FUZZ_CHECK(strlen(f->message) < sizeof(f->message));
}

/* The header written again reads back as the same frame. */
static void check_rewrite(const struct replica_frame *f)
{
	struct buf out = BUF_INIT;
	struct replica_frame g;
	struct err e;
	size_t pos = 0;
	uint8_t *answer;

	replica_frame_write_header(&out, f);
	buf_add(&out, f->data, f->len);
	answer = (uint8_t *)out.data;
	FUZZ_CHECK(replica_frame_next(answer, out.len, &pos, &g, &e) == 1);
	FUZZ_CHECK(pos == out.len && g.len == f->len);
	FUZZ_CHECK(f->len == 0 || memcmp(g.data, f->data, f->len) == 0);
	FUZZ_CHECK(strcmp(g.topic, f->topic) == 0 && g.partition == f->partition);
	FUZZ_CHECK(g.error == f->error);
	FUZZ_CHECK(!f->error || strcmp(g.message, f->message) == 0);
	FUZZ_CHECK(g.high_watermark == f->high_watermark);
	FUZZ_CHECK(g.log_start_offset == f->log_start_offset);
	FUZZ_CHECK(g.log_end_offset == f->log_end_offset);
	FUZZ_CHECK(g.leader_epoch == f->leader_epoch && g.diverging_epoch == f->diverging_epoch);
	FUZZ_CHECK(g.diverging_end_offset == f->diverging_end_offset);
	buf_free(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t pos = 0, last = 0;
	struct replica_frame f;
	struct err e;
	int rc;

	while ((rc = replica_frame_next(data, size, &pos, &f, &e)) == 1) {
		FUZZ_CHECK(pos > last && pos <= size);
		FUZZ_CHECK(f.data >= data + last && f.data + f.len == data + pos);
		check_frame(&f);
		check_rewrite(&f);
		walk_batches(f.data, f.len);
		last = pos;
	}
	FUZZ_CHECK(rc == 0 || rc == SLOG_ECORRUPT_MESSAGE);
	FUZZ_CHECK(rc != 0 || pos == size);
	return 0;
}
