/*
 * endian_io.h: load and store big-endian integers at unaligned addresses.
 *
 * Record batches, index files and checkpoints are big-endian (Kafka's wire
 * order).  memcpy plus a byte swap compiles to one load and one bswap.
 */
#ifndef SLOG_ENDIAN_IO_H
#define SLOG_ENDIAN_IO_H

#include <endian.h>
#include <stdint.h>
#include <string.h>

static inline uint16_t be16_get(const void *p)
{
	uint16_t v;
	memcpy(&v, p, 2);
	return be16toh(v);
}

static inline uint32_t be32_get(const void *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return be32toh(v);
}

static inline uint64_t be64_get(const void *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return be64toh(v);
}

static inline void be16_put(void *p, uint16_t v)
{
	v = htobe16(v);
	memcpy(p, &v, 2);
}

static inline void be32_put(void *p, uint32_t v)
{
	v = htobe32(v);
	memcpy(p, &v, 4);
}

static inline void be64_put(void *p, uint64_t v)
{
	v = htobe64(v);
	memcpy(p, &v, 8);
}

#endif
