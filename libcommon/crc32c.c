/*
 * crc32c.c: CRC-32C in software (slicing-by-8) and with SSE4.2.
 *
 * The hardware path: the crc32 instruction has a latency of three cycles
 * but a throughput of one per cycle, so a single dependent chain runs at a
 * third of the possible speed.  For long buffers we split the data into
 * three equal blocks, checksum them in parallel starting from zero, and
 * join the partial results.  CRCs are linear over GF(2): the register
 * after processing A||B from state s is crc(0, B) XOR shift(s, |B|), where
 * shift() advances a register over |B| zero bytes.  shift() by a fixed
 * length is a linear map on 32 bits, so it is precomputed once as four
 * 256-entry tables (one per byte of the register).
 *
 * Inner functions work on the raw register (no pre/post inversion); the
 * public functions invert on entry and exit, which is the CRC-32C
 * convention and what makes results chain.
 */
#include "crc32c.h"

#include <pthread.h>
#include <string.h>

#define CRC32C_POLY 0x82f63b78u /* Castagnoli, bit-reflected */

static uint32_t sw_table[8][256];

/* Shift tables for the two interleave block sizes. */
#define LONG_BLOCK 8192
#define SHORT_BLOCK 256
static uint32_t shift_long[4][256];
static uint32_t shift_short[4][256];
static int hw_ok;
static pthread_once_t crc_once = PTHREAD_ONCE_INIT;

static uint32_t sw_byte(uint32_t crc, uint8_t b)
{
	return sw_table[0][(crc ^ b) & 0xff] ^ (crc >> 8);
}

/* Advance a raw register over n zero bytes, one byte at a time (init only). */
static uint32_t shift_slow(uint32_t crc, size_t n)
{
	while (n--)
		crc = sw_byte(crc, 0);
	return crc;
}

static void shift_table_init(uint32_t table[4][256], size_t n)
{
	uint32_t basis[32];

	/* shift() is linear: compute it on the 32 basis vectors, then XOR. */
	for (int i = 0; i < 32; i++)
		basis[i] = shift_slow(1u << i, n);
	for (int k = 0; k < 4; k++) {
		for (int v = 0; v < 256; v++) {
			uint32_t r = 0;
			for (int bit = 0; bit < 8; bit++)
				if (v & (1 << bit))
					r ^= basis[k * 8 + bit];
			table[k][v] = r;
		}
	}
}

static uint32_t shift_apply(const uint32_t table[4][256], uint32_t crc)
{
	return table[0][crc & 0xff] ^ table[1][(crc >> 8) & 0xff] ^
	       table[2][(crc >> 16) & 0xff] ^ table[3][crc >> 24];
}

static void crc_init(void)
{
	for (uint32_t n = 0; n < 256; n++) {
		uint32_t c = n;
		for (int k = 0; k < 8; k++)
			c = (c & 1) ? (c >> 1) ^ CRC32C_POLY : c >> 1;
		sw_table[0][n] = c;
	}
	for (int n = 0; n < 256; n++)
		for (int k = 1; k < 8; k++)
			sw_table[k][n] = sw_table[0][sw_table[k - 1][n] & 0xff] ^
					 (sw_table[k - 1][n] >> 8);
	shift_table_init(shift_long, LONG_BLOCK);
	shift_table_init(shift_short, SHORT_BLOCK);
#if defined(__x86_64__)
	__builtin_cpu_init();
	hw_ok = __builtin_cpu_supports("sse4.2");
#endif
}

static uint32_t sw_raw(uint32_t crc, const uint8_t *p, size_t len)
{
	while (len && ((uintptr_t)p & 7)) {
		crc = sw_byte(crc, *p++);
		len--;
	}
	while (len >= 8) {
		uint32_t lo, hi;
		memcpy(&lo, p, 4);
		memcpy(&hi, p + 4, 4);
		lo ^= crc; /* little-endian hosts only; see the #error below */
		crc = sw_table[7][lo & 0xff] ^ sw_table[6][(lo >> 8) & 0xff] ^
		      sw_table[5][(lo >> 16) & 0xff] ^ sw_table[4][lo >> 24] ^
		      sw_table[3][hi & 0xff] ^ sw_table[2][(hi >> 8) & 0xff] ^
		      sw_table[1][(hi >> 16) & 0xff] ^ sw_table[0][hi >> 24];
		p += 8;
		len -= 8;
	}
	while (len--)
		crc = sw_byte(crc, *p++);
	return crc;
}

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "crc32c.c: the slicing-by-8 loop assumes a little-endian host"
#endif

uint32_t crc32c_sw(uint32_t crc, const void *buf, size_t len)
{
	pthread_once(&crc_once, crc_init);
	return ~sw_raw(~crc, buf, len);
}

#if defined(__x86_64__)
#include <nmmintrin.h>

__attribute__((target("sse4.2")))
static uint32_t hw_raw1(uint32_t crc, const uint8_t *p, size_t len)
{
	uint64_t c = crc;

	while (len && ((uintptr_t)p & 7)) {
		c = _mm_crc32_u8((uint32_t)c, *p++);
		len--;
	}
	while (len >= 8) {
		uint64_t w;
		memcpy(&w, p, 8);
		c = _mm_crc32_u64(c, w);
		p += 8;
		len -= 8;
	}
	while (len--)
		c = _mm_crc32_u8((uint32_t)c, *p++);
	return (uint32_t)c;
}

/* Three streams of block bytes each (block is a multiple of 8). */
__attribute__((target("sse4.2")))
static uint32_t hw_raw3(uint32_t crc, const uint8_t *p, size_t block,
			const uint32_t shift[4][256])
{
	uint64_t c0 = crc, c1 = 0, c2 = 0;
	const uint8_t *a = p, *b = p + block, *c = p + 2 * block;

	for (size_t i = 0; i < block; i += 8) {
		uint64_t wa, wb, wc;
		memcpy(&wa, a + i, 8);
		memcpy(&wb, b + i, 8);
		memcpy(&wc, c + i, 8);
		c0 = _mm_crc32_u64(c0, wa);
		c1 = _mm_crc32_u64(c1, wb);
		c2 = _mm_crc32_u64(c2, wc);
	}
	c0 = shift_apply(shift, (uint32_t)c0) ^ c1;
	c0 = shift_apply(shift, (uint32_t)c0) ^ c2;
	return (uint32_t)c0;
}

uint32_t crc32c_hw(uint32_t crc, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	uint32_t c = ~crc;

	pthread_once(&crc_once, crc_init);
	while (len >= 3 * LONG_BLOCK) {
		c = hw_raw3(c, p, LONG_BLOCK, shift_long);
		p += 3 * LONG_BLOCK;
		len -= 3 * LONG_BLOCK;
	}
	while (len >= 3 * SHORT_BLOCK) {
		c = hw_raw3(c, p, SHORT_BLOCK, shift_short);
		p += 3 * SHORT_BLOCK;
		len -= 3 * SHORT_BLOCK;
	}
	return ~hw_raw1(c, p, len);
}

int crc32c_hw_available(void)
{
	pthread_once(&crc_once, crc_init);
	return hw_ok;
}
#else
uint32_t crc32c_hw(uint32_t crc, const void *buf, size_t len)
{
	return crc32c_sw(crc, buf, len);
}

int crc32c_hw_available(void)
{
	return 0;
}
#endif

uint32_t crc32c(uint32_t crc, const void *buf, size_t len)
{
	pthread_once(&crc_once, crc_init);
	if (hw_ok)
		return crc32c_hw(crc, buf, len);
	return crc32c_sw(crc, buf, len);
}
