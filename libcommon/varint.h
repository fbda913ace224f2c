/*
 * varint.h: the variable-length integers of Kafka's record format.
 *
 * Records inside a batch encode their fields as zigzag varints (Protocol
 * Buffers' encoding): signed values map to unsigned by (n << 1) ^ (n >> 63),
 * then 7 bits per byte, low group first, high bit set on all but the last.
 * Kafka reads 32-bit fields ("varint") in at most 5 bytes and 64-bit fields
 * ("varlong") in at most 10; longer encodings are errors, as in Kafka.
 *
 * Decoders take the end of the readable bytes and never read past it.
 */
#ifndef SLOG_VARINT_H
#define SLOG_VARINT_H

#include <stddef.h>
#include <stdint.h>

#define VARINT_MAX32 5
#define VARINT_MAX64 10

/* Encode into out (room for VARINT_MAX64 bytes); return bytes written. */
size_t varint_put_s32(uint8_t *out, int32_t v);
size_t varint_put_s64(uint8_t *out, int64_t v);

/* Bytes the encoding of v takes. */
size_t varint_len_s32(int32_t v);
size_t varint_len_s64(int64_t v);

/*
 * Decode one value from [p, end).  Return the number of bytes read, or 0
 * if the bytes end first or the encoding is too long for the type.
 */
size_t varint_get_s32(const uint8_t *p, const uint8_t *end, int32_t *out);
size_t varint_get_s64(const uint8_t *p, const uint8_t *end, int64_t *out);

#endif
