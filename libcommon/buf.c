/*
 * buf.c: the growable byte buffer.  See buf.h for the invariants.
 */
#include "buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "endian_io.h"
#include "xalloc.h"

void buf_grow(struct buf *b, size_t extra)
{
	size_t need = b->len + extra + 1;

	if (need < b->len) {
		fprintf(stderr, "fatal: buffer size overflow\n");
		abort();
	}
	if (need <= b->cap)
		return;
	b->data = xgrow(b->data, &b->cap, need, 1);
}

void buf_add(struct buf *b, const void *p, size_t n)
{
	buf_grow(b, n);
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void buf_addc(struct buf *b, int c)
{
	buf_grow(b, 1);
	b->data[b->len++] = (char)c;
	b->data[b->len] = '\0';
}

void buf_adds(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

void buf_vaddf(struct buf *b, const char *fmt, va_list ap)
{
	va_list ap2;
	int n;

	buf_grow(b, 64);
	va_copy(ap2, ap);
	n = vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		return;
	if ((size_t)n >= b->cap - b->len) {
		buf_grow(b, (size_t)n);
		n = vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap);
	}
	b->len += (size_t)n;
}

void buf_addf(struct buf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	buf_vaddf(b, fmt, ap);
	va_end(ap);
}

void buf_add_be16(struct buf *b, uint16_t v)
{
	be16_put(buf_reserve(b, 2), v);
	buf_commit(b, 2);
}

void buf_add_be32(struct buf *b, uint32_t v)
{
	be32_put(buf_reserve(b, 4), v);
	buf_commit(b, 4);
}

void buf_add_be64(struct buf *b, uint64_t v)
{
	be64_put(buf_reserve(b, 8), v);
	buf_commit(b, 8);
}

char *buf_reserve(struct buf *b, size_t n)
{
	buf_grow(b, n);
	return b->data + b->len;
}

void buf_commit(struct buf *b, size_t n)
{
	b->len += n;
	b->data[b->len] = '\0';
}

void buf_setlen(struct buf *b, size_t len)
{
	if (len > b->len)
		buf_grow(b, len - b->len);
	b->len = len;
	if (b->data)
		b->data[len] = '\0';
}

void buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

void buf_free(struct buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

char *buf_detach(struct buf *b, size_t *len)
{
	char *p;

	if (!b->data)
		buf_grow(b, 0);
	p = b->data;
	if (len)
		*len = b->len;
	b->data = NULL;
	b->len = b->cap = 0;
	return p;
}

const char *buf_cstr(const struct buf *b)
{
	return b->data ? b->data : "";
}
