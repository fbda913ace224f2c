/*
 * utf8.h: UTF-8 validation (RFC 3629: no overlongs, no surrogates, no
 * code points past U+10FFFF).  NDJSON output writes a key or value as a
 * JSON string only when its bytes are valid UTF-8, and as base64
 * otherwise, so that every byte survives a round trip.
 */
#ifndef SLOG_UTF8_H
#define SLOG_UTF8_H

#include <stddef.h>

int utf8_valid(const void *p, size_t n);

#endif
