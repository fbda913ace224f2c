/*
 * mirror_names.c: MirrorMaker 2's topic and group lists, and the rename
 * of translate mode.  See mirror_names.h.
 *
 * Java's Pattern.matches() matches a whole name; POSIX regexec() finds a
 * match anywhere, so every expression is compiled as ^(expr)$.  MM2
 * splits its lists at commas (an expression cannot hold one), and so do
 * we.
 */
#include "connectors/mirror_names.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "xalloc.h"

int mirror_regex_whole(regex_t *re, const char *expr, const char *key, struct err *e)
{
	struct buf anchored = BUF_INIT;
	char why[160];
	int rc;

	buf_addf(&anchored, "^(%s)$", expr);
	rc = regcomp(re, buf_cstr(&anchored), REG_EXTENDED);
	buf_free(&anchored);
	if (rc == 0)
		return 0;
	regerror(rc, re, why, sizeof(why));
	return err_set(e, SLOG_EINVALID_CONFIG, "%s: '%s' is not a regular expression: %s", key,
		       expr, why);
}

/* Split list at commas into compiled expressions (blank items skipped). */
static int compile_list(const char *list, const char *key, regex_t **out, size_t *n,
			struct err *e)
{
	const char *p = list ? list : "";

	*out = NULL;
	*n = 0;
	while (*p) {
		size_t len = strcspn(p, ",");
		char *item = xstrndup(p, len);
		char *s = item, *end;
		int rc = 0;

		s += strspn(s, " \t");
		end = s + strlen(s);
		while (end > s && (end[-1] == ' ' || end[-1] == '\t'))
			*--end = '\0';
		if (*s) {
			*out = xrealloc(*out, (*n + 1) * sizeof(**out));
			rc = mirror_regex_whole(&(*out)[*n], s, key, e);
			*n += rc == 0;
		}
		free(item);
		if (rc)
			return rc;
		p += len + (p[len] == ',');
	}
	return 0;
}

static void free_list(regex_t *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		regfree(&v[i]);
	free(v);
}

int mirror_filter_init(struct mirror_filter *f, const char *include, const char *key_inc,
		       const char *exclude, const char *key_exc, struct err *e)
{
	int rc;

	memset(f, 0, sizeof(*f));
	rc = compile_list(include, key_inc, &f->include, &f->ninclude, e);
	if (!rc)
		rc = compile_list(exclude, key_exc, &f->exclude, &f->nexclude, e);
	if (rc)
		mirror_filter_free(f);
	return rc;
}

void mirror_filter_free(struct mirror_filter *f)
{
	free_list(f->include, f->ninclude);
	free_list(f->exclude, f->nexclude);
	memset(f, 0, sizeof(*f));
}

static int any_matches(const regex_t *v, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (regexec(&v[i], name, 0, NULL, 0) == 0)
			return 1;
	return 0;
}

int mirror_filter_match(const struct mirror_filter *f, const char *name)
{
	return any_matches(f->include, f->ninclude, name) &&
	       !any_matches(f->exclude, f->nexclude, name);
}

/* Append replacement to out with $N taken from name's groups m. */
static void substitute(const char *replacement, const char *name, const regmatch_t *m,
		       size_t nm, struct buf *out)
{
	for (const char *p = replacement; *p; p++) {
		size_t g;

		if (p[0] != '$' || !p[1]) {
			buf_add(out, p, 1);
			continue;
		}
		if (p[1] == '$') {
			buf_add(out, "$", 1);
			p++;
			continue;
		}
		if (p[1] < '0' || p[1] > '9') {
			buf_add(out, p, 1);
			continue;
		}
		/* Group N of the expression is N+1 of the anchored ^(...)$. */
		g = (size_t)(p[1] - '0') + 1;
		if (g < nm && m[g].rm_so >= 0)
			buf_add(out, name + m[g].rm_so, (size_t)(m[g].rm_eo - m[g].rm_so));
		p++;
	}
}

int mirror_rename(const regex_t *re, const char *replacement, const char *name, char *out,
		  size_t size, struct err *e)
{
	regmatch_t m[11];
	struct buf b = BUF_INIT;
	int rc = 0;

	if (!re || regexec(re, name, 11, m, 0) != 0) {
		if (strlen(name) >= size)
			return err_set(e, SLOG_EINVALID_TOPIC, "topic name '%s' is too long", name);
		memcpy(out, name, strlen(name) + 1);
		return 0;
	}
	substitute(replacement ? replacement : "", name, m, 11, &b);
	buf_add(&b, "", 1);
	if (b.len > size || b.len <= 1)
		rc = err_set(e, SLOG_EINVALID_TOPIC, "topic '%s' renamed gives '%s', not a topic name",
			     name, buf_cstr(&b));
	else
		memcpy(out, b.data, b.len);
	buf_free(&b);
	return rc;
}
