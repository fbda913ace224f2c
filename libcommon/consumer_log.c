/*
 * consumer_log.c: where the consumer's notices and errors go.  See
 * consumer.h: slog-consume prints them on stderr as "prog: ..." (notices
 * unless -q, details with -v); a program that runs the engine gets every
 * line through its log function, and the engine prints nothing itself.
 */
#include <stdarg.h>
#include <stdio.h>

#include "cli.h"
#include "consumer_internal.h"
#include "log.h"

static void say(const struct consumer *c, int level, const char *fmt, va_list ap)
{
	char line[4096];

	vsnprintf(line, sizeof(line), fmt, ap);
	if (c->o->log)
		c->o->log(c->o->log_arg, level, line);
	else if (level == LOG_LEVEL_ERROR || (level == LOG_LEVEL_DEBUG && c->o->verbose) ||
		 (level != LOG_LEVEL_DEBUG && !c->o->quiet))
		cli_error("%s", line);
}

void consumer_log(const struct consumer *c, int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	say(c, level, fmt, ap);
	va_end(ap);
}

void consumer_fail(struct consumer *c, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	if (!c->status) {
		va_list again;
		va_copy(again, ap);
		c->err.code = code;
		vsnprintf(c->err.msg, sizeof(c->err.msg), fmt, again);
		va_end(again);
	}
	say(c, LOG_LEVEL_ERROR, fmt, ap);
	va_end(ap);
	c->status = 1;
}
