/*
 * conf_reader.h: the lines of a connector file (or the worker file) as
 * key, value and place, before any key is checked.
 *
 * It adds to conf.h's line syntax what connector files need: [prefix]
 * sections and ${...} references in values (connector_conf.h says what
 * each means).  `$${` stands for a literal `${`.  The keys are checked
 * afterwards against the tables of connector_conf.c, so that the class
 * named in the file can choose the table.
 */
#ifndef SLOG_CONF_READER_H
#define SLOG_CONF_READER_H

#include <stddef.h>
#include <stdio.h>

#include "err.h"

struct conf_entry {
	char *key;    /* with its section's prefix */
	char *value;  /* ${...} resolved */
	char *origin; /* "FILE:LINE" */
};

struct conf_entries {
	struct conf_entry *v;
	size_t n, cap;
};

/*
 * Read every key of path ("-": f, which must then be given; else f is
 * NULL and path is opened).  Appends to out; on error e names the place.
 */
int conf_read(const char *path, FILE *f, struct conf_entries *out, struct err *e);

/* Resolve the ${...} of value; *out (caller frees) or an error naming the reference. */
int conf_expand(const char *value, char **out, struct err *e);

/* Append one entry (copies). */
void conf_entries_add(struct conf_entries *es, const char *key, const char *value,
		      const char *origin);
/* The last entry of key, or NULL. */
const struct conf_entry *conf_entries_last(const struct conf_entries *es, const char *key);
void conf_entries_free(struct conf_entries *es);

#endif
