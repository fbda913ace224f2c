/*
 * base64.h: standard base64 (RFC 4648, with padding), for the *_b64
 * fields of NDJSON records.  Encoding appends to a buf; decoding checks
 * every character and the padding, so malformed input is an error and
 * never a silently shorter value.
 */
#ifndef SLOG_BASE64_H
#define SLOG_BASE64_H

#include <stddef.h>

#include "buf.h"

void base64_encode(struct buf *out, const void *p, size_t n);

/* Append the bytes of s[0..n) to out; -1 if s is not valid base64. */
int base64_decode(struct buf *out, const char *s, size_t n);

#endif
