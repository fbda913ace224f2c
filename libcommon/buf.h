/*
 * buf.h: the growable byte buffer.
 *
 * One buffer type serves text and binary data alike (git's strbuf is the
 * model).  Invariants: data[0..len) holds the bytes; when data is not NULL
 * data[len] is a NUL, so text can be handed to C string functions; cap is
 * the allocated size.  A zeroed struct (BUF_INIT) is a valid empty buffer.
 *
 * Ownership: the buffer owns data.  buf_detach() hands it to the caller,
 * who frees it with free().  Growing may move data, so pointers into a
 * buffer are valid only until the next call that adds to it.
 *
 * On hot paths, keep a buffer alive across iterations and buf_reset() it:
 * the allocation stays and the data path allocates nothing per record.
 */
#ifndef SLOG_BUF_H
#define SLOG_BUF_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

struct buf {
	char *data;
	size_t len;
	size_t cap;
};

#define BUF_INIT { NULL, 0, 0 }

/* Make room for extra more bytes (plus the trailing NUL). */
void buf_grow(struct buf *b, size_t extra);

/* Append bytes, one byte, a C string, or formatted text. */
void buf_add(struct buf *b, const void *p, size_t n);
void buf_addc(struct buf *b, int c);
void buf_adds(struct buf *b, const char *s);
void buf_addf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_vaddf(struct buf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

/* Append big-endian integers (the wire byte order of record batches). */
void buf_add_be16(struct buf *b, uint16_t v);
void buf_add_be32(struct buf *b, uint32_t v);
void buf_add_be64(struct buf *b, uint64_t v);

/*
 * Reserve n bytes at the end and return where to write them; the caller
 * then calls buf_commit() with how many it wrote (at most n).
 */
char *buf_reserve(struct buf *b, size_t n);
void buf_commit(struct buf *b, size_t n);

/* Set the length (shrink, or grow over bytes already written in place). */
void buf_setlen(struct buf *b, size_t len);

/* Empty the buffer, keeping its allocation. */
void buf_reset(struct buf *b);

/* Release the allocation; the buffer is empty and reusable afterwards. */
void buf_free(struct buf *b);

/* Hand the bytes to the caller (who frees them); the buffer is emptied. */
char *buf_detach(struct buf *b, size_t *len);

/* The contents as a C string; "" for an empty, never-allocated buffer. */
const char *buf_cstr(const struct buf *b);

#endif
