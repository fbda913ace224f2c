/*
 * transform_regex.c: regular expressions over bytes (transform_regex.h).
 *
 * The process runs in the C locale, so a pattern matches bytes, and a
 * value that is not UTF-8 is matched as it is rather than refused.
 */
#include <string.h>

#include "transforms/transform_conf.h"
#include "transforms/transform_regex.h"

int tregex_compile(struct tregex *r, const struct tconf *tc, const char *key, const char *pattern,
		   struct err *e)
{
	memset(r, 0, sizeof(*r));
	int rc = regcomp(&r->re, pattern, REG_EXTENDED);
	if (rc != 0) {
		char why[160];
		regerror(rc, &r->re, why, sizeof(why));
		return tconf_error(tc, key, e, "bad regular expression '%s': %s", pattern, why);
	}
	r->compiled = 1;
	return 0;
}

void tregex_free(struct tregex *r)
{
	if (r->compiled)
		regfree(&r->re);
	r->compiled = 0;
}

int tregex_match(const struct tregex *r, const void *p, size_t n, int full,
		 regmatch_t m[TREGEX_GROUPS])
{
	m[0].rm_so = 0;
	m[0].rm_eo = (regoff_t)n;
	if (regexec(&r->re, p ? p : "", TREGEX_GROUPS, m, REG_STARTEND) != 0)
		return 0;
	/* POSIX matching is leftmost-longest: if the whole subject can
	 * match, the match found starts at 0 and runs to the end. */
	return !full || (m[0].rm_so == 0 && (size_t)m[0].rm_eo == n);
}

/* The group a "$N" at s names, or -1 when s is not one. */
static int group_ref(const char *s)
{
	return s[0] == '$' && s[1] >= '0' && s[1] <= '9' ? s[1] - '0' : -1;
}

int tregex_check_replacement(const struct tregex *r, const struct tconf *tc, const char *key,
			     const char *replacement, struct err *e)
{
	for (const char *s = replacement; *s; s++) {
		if (*s == '\\' && (s[1] == '$' || s[1] == '\\')) {
			s++;
			continue;
		}
		int g = group_ref(s);
		if (g > (int)r->re.re_nsub)
			return tconf_error(tc, key, e, "'$%d': the regex has %zu group(s)", g,
					   r->re.re_nsub);
		if (*s == '$' && g < 0)
			return tconf_error(tc, key, e, "'$' not followed by a group number (write \\$)");
	}
	return 0;
}

void tregex_expand(struct buf *out, const char *replacement, const char *subject,
		   const regmatch_t m[TREGEX_GROUPS])
{
	for (const char *s = replacement; *s; s++) {
		if (*s == '\\' && (s[1] == '$' || s[1] == '\\')) {
			buf_addc(out, *++s);
			continue;
		}
		int g = group_ref(s);
		if (g < 0) {
			buf_addc(out, *s);
			continue;
		}
		if (m[g].rm_so >= 0)
			buf_add(out, subject + m[g].rm_so, (size_t)(m[g].rm_eo - m[g].rm_so));
		s++;
	}
}

size_t tregex_replace_all(struct buf *out, const struct tregex *r, const char *p, size_t n,
			  const char *replacement)
{
	regmatch_t m[TREGEX_GROUPS];
	size_t at = 0, count = 0;
	while (at <= n) {
		m[0].rm_so = (regoff_t)at;
		m[0].rm_eo = (regoff_t)n;
		int flags = REG_STARTEND | (at > 0 ? REG_NOTBOL : 0);
		if (regexec(&r->re, p, TREGEX_GROUPS, m, flags) != 0)
			break;
		size_t so = (size_t)m[0].rm_so, eo = (size_t)m[0].rm_eo;
		buf_add(out, p + at, so - at);
		if (replacement) {
			tregex_expand(out, replacement, p, m);
		} else {
			for (size_t i = so; i < eo; i++)
				buf_addc(out, '*');
		}
		count++;
		/* An empty match would match again at the same place: step
		 * over one byte, kept as it is. */
		if (eo == so) {
			if (eo < n)
				buf_addc(out, p[eo]);
			eo++;
		}
		at = eo;
	}
	if (at < n)
		buf_add(out, p + at, n - at);
	return count;
}
