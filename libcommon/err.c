/*
 * err.c: the error table and struct err helpers.  See err.h.
 */
#include "err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

struct err_row {
	const char *name;
	int status;
};

static const struct err_row err_rows[SLOG_EIDX_COUNT_] = {
#define SLOG_ERR_ROW(sym, name, status) [SLOG_EIDX_##sym] = { name, status },
	SLOG_ERRORS(SLOG_ERR_ROW)
#undef SLOG_ERR_ROW
};

static const struct err_row *err_row_of(int code)
{
	int idx = -2 - code;

	if (code > -2 || idx >= SLOG_EIDX_COUNT_)
		return NULL;
	return &err_rows[idx];
}

int err_set(struct err *e, int code, const char *fmt, ...)
{
	va_list ap;

	if (!e)
		return code;
	e->code = code;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return code;
}

int err_wrap(struct err *e, const char *fmt, ...)
{
	char prefix[160];
	size_t plen, mlen, room = sizeof(e->msg) - 1;
	va_list ap;
	int n;

	if (!e)
		return SLOG_EUNKNOWN;
	va_start(ap, fmt);
	n = vsnprintf(prefix, sizeof(prefix) - 2, fmt, ap);
	va_end(ap);
	plen = n < 0 ? 0 : strlen(prefix);
	memcpy(prefix + plen, ": ", 2);
	plen += 2;
	/* Shift the old message right, dropping what no longer fits. */
	mlen = strnlen(e->msg, room);
	if (plen + mlen > room)
		mlen = room - plen;
	memmove(e->msg + plen, e->msg, mlen);
	memcpy(e->msg, prefix, plen);
	e->msg[plen + mlen] = '\0';
	return e->code;
}

void err_clear(struct err *e)
{
	if (!e)
		return;
	e->code = 0;
	e->msg[0] = '\0';
}

const char *err_name(int code)
{
	const struct err_row *row = err_row_of(code);

	if (code == SLOG_OK)
		return "NONE";
	return row ? row->name : "UNKNOWN_SERVER_ERROR";
}

int err_from_name(const char *name)
{
	for (int i = 0; i < SLOG_EIDX_COUNT_; i++)
		if (strcmp(err_rows[i].name, name) == 0)
			return -2 - i;
	return SLOG_EUNKNOWN;
}

int err_http_status(int code)
{
	const struct err_row *row = err_row_of(code);

	if (code == SLOG_OK)
		return 200;
	return row ? row->status : 500;
}
