/*
 * escape.h: the backslash escapes slog's options take, one language for
 * all: slog-consume -f and slog-produce --report-format (record_format.h),
 * and slog-produce -D and -K.
 *
 *   \n \t \r \0 \\   newline, tab, carriage return, NUL, backslash
 *   \xNN             the byte NN, two hex digits
 */
#ifndef SLOG_ESCAPE_H
#define SLOG_ESCAPE_H

enum escape_rc {
	ESCAPE_OK = 0,
	ESCAPE_BAD_HEX = -1, /* \x without two hex digits after it */
	ESCAPE_UNKNOWN = -2, /* a backslash before any other character */
};

/*
 * The escape at p, just past its backslash: its byte in *byte and the
 * number of characters it used after the backslash in *used.
 */
enum escape_rc escape_decode(const char *p, char *byte, int *used);

#endif
