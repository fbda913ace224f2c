/*
 * mirror_names.h: which topics and groups the mirror copies, and what
 * the copies are called.
 *
 * MirrorMaker 2's way, so that its configs mean the same here: `topics`
 * and `groups` are comma-separated lists of regular expressions (POSIX
 * extended), each matched against the whole name; a name is copied when
 * one of the include list matches and none of the exclude list does.
 * Translate mode renames by topic.rename.regex: a whole-name match is
 * replaced by topic.rename.replacement, where $1..$9 stand for the
 * groups; a name it does not match keeps its name.
 *
 * A struct mirror_filter is read-only once made: threads may share it.
 */
#ifndef SLOG_MIRROR_NAMES_H
#define SLOG_MIRROR_NAMES_H

#include <regex.h>
#include <stddef.h>

#include "err.h"

struct mirror_filter {
	regex_t *include, *exclude;
	size_t ninclude, nexclude;
};

/* Compile both lists; key_inc and key_exc name the keys in messages.
 * SLOG_EINVALID_CONFIG naming the key and the expression that does not
 * compile. */
int mirror_filter_init(struct mirror_filter *f, const char *include, const char *key_inc,
		       const char *exclude, const char *key_exc, struct err *e);
void mirror_filter_free(struct mirror_filter *f);

/* 1 when name is included and not excluded. */
int mirror_filter_match(const struct mirror_filter *f, const char *name);

/* One expression anchored to match a whole name (for the rename). */
int mirror_regex_whole(regex_t *re, const char *expr, const char *key, struct err *e);

/*
 * name renamed by re (NULL: none) and replacement into out (size), $N
 * taking the Nth group and $$ a dollar.  0, or SLOG_EINVALID_TOPIC when
 * the result does not fit.
 */
int mirror_rename(const regex_t *re, const char *replacement, const char *name, char *out,
		  size_t size, struct err *e);

#endif
