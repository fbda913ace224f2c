/*
 * escape.c: the backslash escapes of slog's options.  See escape.h.
 */
#include "escape.h"

#include <ctype.h>
#include <string.h>

static int hex_digit(char c)
{
	static const char digits[] = "0123456789abcdef";
	const char *p = c ? strchr(digits, tolower((unsigned char)c)) : NULL;

	return p ? (int)(p - digits) : -1;
}

enum escape_rc escape_decode(const char *p, char *byte, int *used)
{
	static const char from[] = "ntr0\\", to[] = "\n\t\r\0\\";
	const char *at = *p ? strchr(from, *p) : NULL;

	*used = 1;
	if (at) {
		*byte = to[at - from];
		return ESCAPE_OK;
	}
	if (*p != 'x')
		return ESCAPE_UNKNOWN;
	if (hex_digit(p[1]) < 0 || hex_digit(p[2]) < 0)
		return ESCAPE_BAD_HEX;
	*byte = (char)(hex_digit(p[1]) * 16 + hex_digit(p[2]));
	*used = 3;
	return ESCAPE_OK;
}
