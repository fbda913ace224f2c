/*
 * transform_regex.h: POSIX extended regular expressions over bytes, for
 * the transforms that match or rewrite topics, keys, values and headers.
 *
 * Matching runs over a length, not a C string (glibc's REG_STARTEND), so
 * a value with NUL bytes is matched whole.  Replacements follow Kafka's
 * RegexRouter (Java's replaceFirst): $0..$9 name the groups, \$ and \\
 * are a literal $ and \.
 */
#ifndef SLOG_TRANSFORM_REGEX_H
#define SLOG_TRANSFORM_REGEX_H

#include <regex.h>
#include <stddef.h>

#include "buf.h"
#include "err.h"

struct tconf;

#define TREGEX_GROUPS 10 /* $0..$9 */

struct tregex {
	regex_t re;
	int compiled;
};

/* Compile pattern, the value of key in tc: an error names the key. */
int tregex_compile(struct tregex *r, const struct tconf *tc, const char *key, const char *pattern,
		   struct err *e);
void tregex_free(struct tregex *r);

/*
 * Search p[0..n) (full: the match must cover all of it, as Kafka's
 * topic patterns do); 1 with m[0..TREGEX_GROUPS) filled when it matches.
 */
int tregex_match(const struct tregex *r, const void *p, size_t n, int full,
		 regmatch_t m[TREGEX_GROUPS]);

/*
 * Check a replacement once, at configuration: a reference to a group the
 * pattern does not have is an error naming key.
 */
int tregex_check_replacement(const struct tregex *r, const struct tconf *tc, const char *key,
			     const char *replacement, struct err *e);

/* Append replacement with its $N references taken from subject's match m. */
void tregex_expand(struct buf *out, const char *replacement, const char *subject,
		   const regmatch_t m[TREGEX_GROUPS]);

/*
 * Append p[0..n) with every match replaced (replacement NULL: each
 * matched byte becomes '*'); returns how many matches there were.
 */
size_t tregex_replace_all(struct buf *out, const struct tregex *r, const char *p, size_t n,
			  const char *replacement);

#endif
