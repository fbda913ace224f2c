/*
 * crc32c.h: CRC-32C (Castagnoli), the checksum of record batches.
 *
 * Every batch the broker accepts is checksummed here, so this sits on the
 * produce hot path.  crc32c() picks the SSE4.2 crc32 instruction when the
 * CPU has it, running three independent streams so the instruction's
 * latency is hidden, and a slicing-by-8 table walk otherwise.
 *
 * Values chain: crc32c(crc32c(0, a), b) == crc32c(0, a || b).  Start at 0.
 * All functions are thread-safe and never block.
 */
#ifndef SLOG_CRC32C_H
#define SLOG_CRC32C_H

#include <stddef.h>
#include <stdint.h>

uint32_t crc32c(uint32_t crc, const void *buf, size_t len);

/* The two implementations, for tests and benchmarks. */
uint32_t crc32c_sw(uint32_t crc, const void *buf, size_t len);
uint32_t crc32c_hw(uint32_t crc, const void *buf, size_t len); /* needs crc32c_hw_available() */
int crc32c_hw_available(void);

#endif
