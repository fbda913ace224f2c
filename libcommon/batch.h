/*
 * batch.h: the record batch, slog's unit of storage and transfer.
 *
 * Byte for byte Kafka's RecordBatch v2 (magic 2), all integers big-endian:
 *
 *   off  size  field
 *     0     8  baseOffset            assigned by the broker
 *     8     4  batchLength           bytes after this field
 *    12     4  partitionLeaderEpoch  assigned by the broker
 *    16     1  magic                 2
 *    17     4  crc                   CRC-32C of bytes 21..end
 *    21     2  attributes            bits 0-2 codec, 3 log-append time,
 *                                    4 transactional, 5 control
 *    23     4  lastOffsetDelta
 *    27     8  baseTimestamp         the first record's timestamp
 *    35     8  maxTimestamp
 *    43     8  producerId            -1 without idempotence
 *    51     2  producerEpoch
 *    53     4  baseSequence
 *    57     4  recordCount
 *    61        records (compressed as one unit when the codec is not none)
 *
 * The fields before the CRC are outside it on purpose: the broker stamps
 * offsets and epochs on accepted batches without recomputing anything.
 *
 * batch_validate() (batch_check.h) is the one place where a batch from
 * outside (network or disk) is checked; everything downstream may trust
 * what it passed.
 */
#ifndef SLOG_BATCH_H
#define SLOG_BATCH_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "err.h"

#define BATCH_HEADER_SIZE 61
#define BATCH_LOG_OVERHEAD 12 /* baseOffset + batchLength */
#define BATCH_MAGIC 2

#define BATCH_OFF_BASE_OFFSET 0
#define BATCH_OFF_LENGTH 8
#define BATCH_OFF_LEADER_EPOCH 12
#define BATCH_OFF_MAGIC 16
#define BATCH_OFF_CRC 17
#define BATCH_OFF_ATTRIBUTES 21
#define BATCH_OFF_LAST_OFFSET_DELTA 23
#define BATCH_OFF_BASE_TIMESTAMP 27
#define BATCH_OFF_MAX_TIMESTAMP 35
#define BATCH_OFF_PRODUCER_ID 43
#define BATCH_OFF_PRODUCER_EPOCH 51
#define BATCH_OFF_BASE_SEQUENCE 53
#define BATCH_OFF_RECORD_COUNT 57

#define BATCH_ATTR_CODEC_MASK 0x07
#define BATCH_ATTR_LOG_APPEND_TIME 0x08
#define BATCH_ATTR_TRANSACTIONAL 0x10
#define BATCH_ATTR_CONTROL 0x20
#define BATCH_ATTR_DELETE_HORIZON 0x40
#define BATCH_ATTR_KNOWN 0x7f

/*
 * The largest batch slog will parse, and the most its records may expand
 * to when decompressed.  Topic limits (max.message.bytes) are smaller and
 * are enforced by the broker; these bound memory against hostile input.
 */
#define BATCH_MAX_SIZE (256u << 20)
#define BATCH_MAX_RECORDS_BYTES (512u << 20)

struct batch_header {
	int64_t base_offset;
	int32_t length;
	int32_t leader_epoch;
	int8_t magic;
	uint32_t crc;
	int16_t attributes;
	int32_t last_offset_delta;
	int64_t base_timestamp;
	int64_t max_timestamp;
	int64_t producer_id;
	int16_t producer_epoch;
	int32_t base_sequence;
	int32_t record_count;
};

/* The whole batch's size in bytes, header included. */
static inline size_t batch_size(const struct batch_header *h)
{
	return BATCH_LOG_OVERHEAD + (size_t)h->length;
}

static inline int64_t batch_last_offset(const struct batch_header *h)
{
	return h->base_offset + h->last_offset_delta;
}

static inline int batch_codec(const struct batch_header *h)
{
	return h->attributes & BATCH_ATTR_CODEC_MASK;
}

/*
 * Parse the 61-byte header at p (avail bytes readable) and check what can
 * be checked without the body: magic, length range, non-negative counts
 * and offsets.  The body need not be present: callers reading a file use
 * batch_size() to learn how much more to read.  Returns 0 or
 * SLOG_ECORRUPT_MESSAGE.
 */
int batch_header_parse(const uint8_t *p, size_t avail, struct batch_header *h, struct err *e);

/* Compute the CRC a batch should carry (over bytes 21..len). */
uint32_t batch_crc_compute(const uint8_t *p, size_t len);

/* Stamp the broker-assigned fields (outside the CRC). */
void batch_set_base_offset(uint8_t *p, int64_t base_offset);
void batch_set_leader_epoch(uint8_t *p, int32_t epoch);

/*
 * Walk a region of back-to-back batches: the size of the first one,
 * after checking its header and that it is whole within avail bytes.
 * Returns 0 or SLOG_ECORRUPT_MESSAGE.
 */
int batch_next_in(const uint8_t *p, size_t avail, struct batch_header *h, struct err *e);

#endif
