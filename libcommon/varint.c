/*
 * varint.c: zigzag varints as Kafka's ByteUtils writes and reads them.
 */
#include "varint.h"

static size_t put_u64(uint8_t *out, uint64_t u)
{
	size_t n = 0;

	while (u >= 0x80) {
		out[n++] = (uint8_t)(u | 0x80);
		u >>= 7;
	}
	out[n++] = (uint8_t)u;
	return n;
}

static size_t len_u64(uint64_t u)
{
	size_t n = 1;

	while (u >= 0x80) {
		u >>= 7;
		n++;
	}
	return n;
}

static uint64_t zigzag64(int64_t v)
{
	return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

static uint32_t zigzag32(int32_t v)
{
	return ((uint32_t)v << 1) ^ (uint32_t)(v >> 31);
}

size_t varint_put_s32(uint8_t *out, int32_t v)
{
	return put_u64(out, zigzag32(v));
}

size_t varint_put_s64(uint8_t *out, int64_t v)
{
	return put_u64(out, zigzag64(v));
}

size_t varint_len_s32(int32_t v)
{
	return len_u64(zigzag32(v));
}

size_t varint_len_s64(int64_t v)
{
	return len_u64(zigzag64(v));
}

/* Read an unsigned varint of at most max bytes; 0 on truncation/overlong. */
static size_t get_u64(const uint8_t *p, const uint8_t *end, size_t max, uint64_t *out)
{
	/* An empty buffer may be (NULL, NULL): count, never offset a null pointer. */
	size_t avail = p && end > p ? (size_t)(end - p) : 0;
	uint64_t u = 0;
	size_t n = 0;

	while (n < avail && n < max) {
		uint8_t b = p[n];
		u |= (uint64_t)(b & 0x7f) << (7 * n);
		n++;
		if (!(b & 0x80)) {
			*out = u;
			return n;
		}
	}
	return 0;
}

size_t varint_get_s32(const uint8_t *p, const uint8_t *end, int32_t *out)
{
	uint64_t u;
	size_t n = get_u64(p, end, VARINT_MAX32, &u);

	/* Five groups carry 35 bits; Kafka rejects values beyond 32. */
	if (!n || u > 0xffffffffu)
		return 0;
	*out = (int32_t)((uint32_t)(u >> 1) ^ -(uint32_t)(u & 1));
	return n;
}

size_t varint_get_s64(const uint8_t *p, const uint8_t *end, int64_t *out)
{
	uint64_t u;
	size_t n = get_u64(p, end, VARINT_MAX64, &u);

	/* The tenth byte may carry only the top bit of the 64. */
	if (!n || (n == VARINT_MAX64 && p[9] > 1))
		return 0;
	*out = (int64_t)((u >> 1) ^ -(u & 1));
	return n;
}
