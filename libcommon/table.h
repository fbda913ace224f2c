/*
 * table.h: aligned text tables for listings (slog-topics, slog-groups).
 *
 *   struct table t;
 *   table_init(&t, "PARTITION", "LEADER", NULL);   // header cells
 *   table_row(&t, "0", "1", NULL);
 *   table_print(&t, stdout);                       // columns padded
 *   table_free(&t);
 *
 * Cells are copied.  The last column is not padded (no trailing blanks).
 */
#ifndef SLOG_TABLE_H
#define SLOG_TABLE_H

#include <stddef.h>
#include <stdio.h>

struct table {
	char **cells;
	size_t ncols, nrows; /* rows include the header */
	size_t cap;
	const char *indent;
};

void table_init(struct table *t, const char *first, ...) __attribute__((sentinel));
void table_row(struct table *t, const char *first, ...) __attribute__((sentinel));
/* A row from printf-formatted cells is often handier: */
void table_rowv(struct table *t, const char **cells);
void table_print(const struct table *t, FILE *out);
void table_free(struct table *t);

#endif
