/*
 * xalloc.h: allocation that cannot return NULL.
 *
 * slog treats running out of memory as fatal: on Linux with overcommit a
 * failed malloc is nearly unobservable, and code that pretends to recover
 * from it everywhere is code nobody tests.  What keeps memory bounded is
 * elsewhere: every size that comes from the network or a file is checked
 * against a limit before it reaches an allocator.  These wrappers print one
 * line and abort() if the system says no.
 */
#ifndef SLOG_XALLOC_H
#define SLOG_XALLOC_H

#include <stddef.h>

void *xmalloc(size_t n) __attribute__((malloc, returns_nonnull));
void *xcalloc(size_t count, size_t size) __attribute__((malloc, returns_nonnull));
void *xrealloc(void *p, size_t n) __attribute__((returns_nonnull));
char *xstrdup(const char *s) __attribute__((malloc, returns_nonnull));
char *xstrndup(const char *s, size_t n) __attribute__((malloc, returns_nonnull));
void *xmemdup(const void *p, size_t n) __attribute__((malloc, returns_nonnull));

/* Grow an array of *cap elements of size elem so that it holds need. */
void *xgrow(void *p, size_t *cap, size_t need, size_t elem) __attribute__((returns_nonnull));

#endif
