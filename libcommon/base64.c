/*
 * base64.c: RFC 4648 base64.  See base64.h.
 */
#include "base64.h"

#include <stdint.h>

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void base64_encode(struct buf *out, const void *p, size_t n)
{
	const uint8_t *s = p;
	char *o = buf_reserve(out, (n + 2) / 3 * 4);
	size_t i = 0, k = 0;

	for (; i + 3 <= n; i += 3) {
		uint32_t v = (uint32_t)s[i] << 16 | (uint32_t)s[i + 1] << 8 | s[i + 2];
		o[k++] = alphabet[v >> 18];
		o[k++] = alphabet[(v >> 12) & 63];
		o[k++] = alphabet[(v >> 6) & 63];
		o[k++] = alphabet[v & 63];
	}
	if (n - i == 1) {
		uint32_t v = (uint32_t)s[i] << 16;
		o[k++] = alphabet[v >> 18];
		o[k++] = alphabet[(v >> 12) & 63];
		o[k++] = '=';
		o[k++] = '=';
	} else if (n - i == 2) {
		uint32_t v = (uint32_t)s[i] << 16 | (uint32_t)s[i + 1] << 8;
		o[k++] = alphabet[v >> 18];
		o[k++] = alphabet[(v >> 12) & 63];
		o[k++] = alphabet[(v >> 6) & 63];
		o[k++] = '=';
	}
	buf_commit(out, k);
}

static int value_of(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

int base64_decode(struct buf *out, const char *s, size_t n)
{
	size_t start = out->len, pad = 0;
	char *o;
	size_t k = 0;

	if (n % 4)
		return -1;
	if (n && s[n - 1] == '=')
		pad++;
	if (n > 1 && s[n - 2] == '=')
		pad++;
	o = buf_reserve(out, n / 4 * 3);
	for (size_t i = 0; i < n; i += 4) {
		int v[4];
		int last = i + 4 == n;
		for (int j = 0; j < 4; j++) {
			v[j] = value_of(s[i + j]);
			if (v[j] < 0 && !(last && s[i + j] == '=' && j >= 4 - (int)pad))
				goto bad;
			if (v[j] < 0)
				v[j] = 0;
		}
		o[k++] = (char)(v[0] << 2 | v[1] >> 4);
		if (!last || pad < 2)
			o[k++] = (char)((v[1] & 15) << 4 | v[2] >> 2);
		if (!last || pad < 1)
			o[k++] = (char)((v[2] & 3) << 6 | v[3]);
	}
	buf_commit(out, k);
	return 0;
bad:
	buf_setlen(out, start);
	return -1;
}
