/*
 * murmur2.c: MurmurHash2 as Kafka's Java client computes it.
 *
 * Two details make it Kafka's rather than the textbook function: the
 * seed, and the tail bytes, which are read as signed bytes and masked
 * back to 8 bits (Java has no unsigned byte) - the mask makes that the
 * same as reading them unsigned, so we can.
 */
#include "murmur2.h"

int32_t murmur2(const void *key, size_t len)
{
	const uint32_t seed = 0x9747b28cu;
	const uint32_t m = 0x5bd1e995u;
	const int r = 24;
	const uint8_t *p = key;
	uint32_t h = seed ^ (uint32_t)len;
	size_t blocks = len / 4;

	for (size_t i = 0; i < blocks; i++) {
		const uint8_t *b = p + 4 * i;
		/* Little-endian assembly, as Java does it; one load on x86. */
		uint32_t k = (uint32_t)b[0] | (uint32_t)b[1] << 8 |
			     (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
		k *= m;
		k ^= k >> r;
		k *= m;
		h *= m;
		h ^= k;
	}
	p += 4 * blocks;
	switch (len & 3) {
	case 3:
		h ^= (uint32_t)p[2] << 16;
		/* fall through */
	case 2:
		h ^= (uint32_t)p[1] << 8;
		/* fall through */
	case 1:
		h ^= p[0];
		h *= m;
	}
	h ^= h >> 13;
	h *= m;
	h ^= h >> 15;
	return (int32_t)h;
}

int32_t murmur2_partition(const void *key, size_t len, int32_t count)
{
	return (int32_t)(((uint32_t)murmur2(key, len) & 0x7fffffffu) % (uint32_t)count);
}
