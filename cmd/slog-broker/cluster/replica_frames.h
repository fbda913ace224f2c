/*
 * replica_frames.h: the framed answer of POST /v1/replica/fetch
 * (docs/http-api.md), written by the leader and read by its followers.
 *
 * For each partition asked, in the request's order, one header line of
 * compact JSON ending in "\n":
 *   {"topic":"t","partition":0,"error":null,"high_watermark":H,
 *    "log_start_offset":S,"log_end_offset":L,"leader_epoch":E,
 *    "diverging_epoch":-1,"diverging_end_offset":-1,"bytes":N}
 * then exactly N bytes of whole record batches.  A partition's error is
 * {"code":"NOT_LEADER","message":"..."} in "error", with bytes 0.
 *
 * Both directions live here so that the format has one definition; the
 * reader checks every field and every length against what was received
 * (the bytes come from the network).  Pure: no I/O, no locks.
 */
#ifndef SLOG_REPLICA_FRAMES_H
#define SLOG_REPLICA_FRAMES_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "err.h"
#include "topic_name.h"

/* The longest header line a reader accepts (a topic name is at most
 * TOPIC_NAME_MAX; the rest is numbers and an error message). */
#define REPLICA_FRAME_HEADER_MAX 2048

struct replica_frame {
	char topic[TOPIC_NAME_MAX + 1];
	int32_t partition;
	int error;                /* 0, or the SLOG_E* the leader named */
	char message[320];        /* with error */
	int64_t high_watermark;
	int64_t log_start_offset;
	int64_t log_end_offset;
	int32_t leader_epoch;
	int32_t diverging_epoch;  /* -1: the fetch did not diverge */
	int64_t diverging_end_offset;
	const uint8_t *data;      /* the batches, borrowed from the answer */
	size_t len;
};

/* Append f's header line (not its data; f->len is its "bytes") to out. */
void replica_frame_write_header(struct buf *out, const struct replica_frame *f);

/*
 * Read the frame at *pos of answer[0..len): 1 with f filled (f->data
 * points into answer) and *pos past it, 0 at the end, or
 * SLOG_ECORRUPT_MESSAGE when the header is not one or its bytes run past
 * what was received; e says where.
 */
int replica_frame_next(const uint8_t *answer, size_t len, size_t *pos, struct replica_frame *f,
		       struct err *e);

#endif
