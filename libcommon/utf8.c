/*
 * utf8.c: UTF-8 validation with an ASCII fast path.  See utf8.h.
 */
#include "utf8.h"

#include <stdint.h>
#include <string.h>

int utf8_valid(const void *p, size_t n)
{
	const uint8_t *s = p, *end = s + n;

	while (s < end) {
		uint32_t c;
		int len;

		/* Eight ASCII bytes at a time: the common case for text. */
		while (end - s >= 8) {
			uint64_t w;
			memcpy(&w, s, 8);
			if (w & 0x8080808080808080ull)
				break;
			s += 8;
		}
		if (s >= end)
			break;
		c = *s;
		if (c < 0x80) {
			s++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			len = 2;
		else if (c >= 0xe0 && c <= 0xef)
			len = 3;
		else if (c >= 0xf0 && c <= 0xf4)
			len = 4;
		else
			return 0;
		if (end - s < len)
			return 0;
		for (int i = 1; i < len; i++)
			if ((s[i] & 0xc0) != 0x80)
				return 0;
		if (len == 3) {
			c = (c & 0x0f) << 12 | (uint32_t)(s[1] & 0x3f) << 6 | (s[2] & 0x3f);
			if (c < 0x800 || (c >= 0xd800 && c <= 0xdfff))
				return 0;
		} else if (len == 4) {
			c = (c & 0x07) << 18 | (uint32_t)(s[1] & 0x3f) << 12 |
			    (uint32_t)(s[2] & 0x3f) << 6 | (s[3] & 0x3f);
			if (c < 0x10000 || c > 0x10ffff)
				return 0;
		}
		s += len;
	}
	return 1;
}
