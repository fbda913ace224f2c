/*
 * log.c: leveled logging to stderr.  See log.h.
 */
#include "log.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static _Atomic int log_level = LOG_LEVEL_INFO;
static const char *log_ident = "slog";
static const char *const level_names[] = { "error", "warn", "info", "debug" };
static const int syslog_prio[] = { 3, 4, 6, 7 };

void log_set_level(enum log_level level)
{
	log_level = level;
}

enum log_level log_get_level(void)
{
	return (enum log_level)log_level;
}

void log_set_ident(const char *ident)
{
	log_ident = ident;
}

int log_level_from_name(const char *name)
{
	for (int i = 0; i < 4; i++)
		if (strcmp(name, level_names[i]) == 0)
			return i;
	return -1;
}

/* True when stderr is the journal stream systemd gave us. */
static int stderr_is_journal(void)
{
	static int cached = -1;
	const char *js;
	unsigned long dev, ino;
	struct stat st;

	if (cached >= 0)
		return cached;
	cached = 0;
	js = getenv("JOURNAL_STREAM");
	if (js && sscanf(js, "%lu:%lu", &dev, &ino) == 2 && fstat(2, &st) == 0 &&
	    st.st_dev == dev && st.st_ino == ino)
		cached = 1;
	return cached;
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	char line[2048];
	size_t n = 0;
	va_list ap;
	int w;

	if ((int)level > log_level)
		return;
	if (stderr_is_journal()) {
		w = snprintf(line, sizeof(line), "<%d>", syslog_prio[level]);
	} else {
		struct timespec ts;
		struct tm tm;
		clock_gettime(CLOCK_REALTIME, &ts);
		gmtime_r(&ts.tv_sec, &tm);
		w = snprintf(line, sizeof(line), "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %s %s: ",
			     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
			     tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000, log_ident,
			     level_names[level]);
	}
	n = w > 0 ? (size_t)w : 0;
	va_start(ap, fmt);
	w = vsnprintf(line + n, sizeof(line) - n - 1, fmt, ap);
	va_end(ap);
	if (w > 0)
		n += (size_t)w < sizeof(line) - n - 1 ? (size_t)w : sizeof(line) - n - 2;
	line[n++] = '\n';
	if (write(2, line, n) < 0) {
		/* Nowhere left to report it. */
	}
}
