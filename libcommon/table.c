/*
 * table.c: aligned text tables.  See table.h.
 */
#include "table.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

static void add_cells(struct table *t, const char *first, va_list ap)
{
	size_t n = 0;
	const char *c = first;

	t->cells = xgrow(t->cells, &t->cap, (t->nrows + 1) * t->ncols + 1, sizeof(char *));
	for (; n < t->ncols; n++) {
		t->cells[t->nrows * t->ncols + n] = xstrdup(c ? c : "");
		if (c)
			c = va_arg(ap, const char *);
	}
	t->nrows++;
}

void table_init(struct table *t, const char *first, ...)
{
	va_list ap;
	const char *c;

	memset(t, 0, sizeof(*t));
	t->indent = "";
	va_start(ap, first);
	for (c = first; c; c = va_arg(ap, const char *))
		t->ncols++;
	va_end(ap);
	va_start(ap, first);
	add_cells(t, first, ap);
	va_end(ap);
}

void table_row(struct table *t, const char *first, ...)
{
	va_list ap;

	va_start(ap, first);
	add_cells(t, first, ap);
	va_end(ap);
}

void table_rowv(struct table *t, const char **cells)
{
	t->cells = xgrow(t->cells, &t->cap, (t->nrows + 1) * t->ncols + 1, sizeof(char *));
	for (size_t i = 0; i < t->ncols; i++)
		t->cells[t->nrows * t->ncols + i] = xstrdup(cells[i] ? cells[i] : "");
	t->nrows++;
}

void table_print(const struct table *t, FILE *out)
{
	size_t *w = xcalloc(t->ncols + 1, sizeof(size_t));

	for (size_t r = 0; r < t->nrows; r++)
		for (size_t c = 0; c < t->ncols; c++) {
			size_t n = strlen(t->cells[r * t->ncols + c]);
			if (n > w[c])
				w[c] = n;
		}
	for (size_t r = 0; r < t->nrows; r++) {
		fputs(t->indent, out);
		for (size_t c = 0; c < t->ncols; c++) {
			const char *cell = t->cells[r * t->ncols + c];
			if (c + 1 < t->ncols)
				fprintf(out, "%-*s  ", (int)w[c], cell);
			else
				fputs(cell, out);
		}
		fputc('\n', out);
	}
	free(w);
}

void table_free(struct table *t)
{
	for (size_t i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	memset(t, 0, sizeof(*t));
}
