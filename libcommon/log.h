/*
 * log.h: leveled diagnostics on stderr.
 *
 * Programs print data on stdout and everything else through here.  Under
 * systemd (JOURNAL_STREAM names our stderr) each line starts with a
 * syslog priority prefix like "<4>" so the journal records the level and
 * adds its own timestamp; otherwise lines carry an ISO-8601 UTC timestamp
 * and the level name.  A line is written with one write(2), so lines from
 * different threads never interleave.
 */
#ifndef SLOG_LOG_H
#define SLOG_LOG_H

enum log_level {
	LOG_LEVEL_NONE = -1, /* nothing: fuzz targets, whose inputs are errors by the million */
	LOG_LEVEL_ERROR = 0,
	LOG_LEVEL_WARN = 1,
	LOG_LEVEL_INFO = 2,
	LOG_LEVEL_DEBUG = 3,
};

/* Set the most verbose level printed (default INFO) and the program name. */
void log_set_level(enum log_level level);
void log_set_ident(const char *ident);
enum log_level log_get_level(void);

/* "error", "warn", "info", "debug" to a level; -1 if unknown. */
int log_level_from_name(const char *name);

void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_error(...) log_msg(LOG_LEVEL_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_LEVEL_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LEVEL_DEBUG, __VA_ARGS__)

#endif
