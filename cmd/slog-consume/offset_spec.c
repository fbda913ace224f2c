/*
 * offset_spec.c: parse -o.  See offset_spec.h.
 */
#include "offset_spec.h"

#include <string.h>
#include <time.h>

#include "units.h"

static int parse_date(const char *s, int64_t *out)
{
	static const char *const forms[] = { "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d" };
	struct tm tm;

	for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		const char *end;
		int utc;
		time_t t;

		memset(&tm, 0, sizeof(tm));
		end = strptime(s, forms[i], &tm);
		if (!end)
			continue;
		utc = *end == 'Z';
		if (*end && !(utc && end[1] == '\0'))
			continue;
		tm.tm_isdst = -1;
		t = utc ? timegm(&tm) : mktime(&tm);
		*out = (int64_t)t * 1000;
		return 0;
	}
	return -1;
}

int parse_time_ms(const char *s, int64_t now_ms, int64_t *out, struct err *e)
{
	int64_t v;

	if (*s == '-') {
		if (units_parse_duration(s + 1, 1, 0, INT64_MAX, &v, NULL))
			return err_set(e, SLOG_EINVALID_REQUEST, "'%s' is not a duration like -1h", s);
		*out = now_ms - v;
		return 0;
	}
	if (units_parse_int(s, 0, INT64_MAX, &v, NULL) == 0) {
		*out = v;
		return 0;
	}
	if (parse_date(s, out) == 0)
		return 0;
	return err_set(e, SLOG_EINVALID_REQUEST,
		       "'%s' is not a time (ms since the epoch, YYYY-MM-DD[THH:MM[:SS]][Z], or -DURATION)",
		       s);
}

int offset_spec_parse(const char *s, int64_t now_ms, struct offset_spec *o, struct err *e)
{
	int64_t v;

	o->stop_ts = -1;
	o->n = 0;
	if (!strcmp(s, "beginning") || !strcmp(s, "start") || !strcmp(s, "earliest") ||
	    !strcmp(s, "oldest")) {
		o->kind = OFF_BEGINNING;
		return 0;
	}
	if (!strcmp(s, "end") || !strcmp(s, "latest") || !strcmp(s, "newest")) {
		o->kind = OFF_END;
		return 0;
	}
	if (!strcmp(s, "stored"))
		return err_set(e, SLOG_EINVALID_REQUEST, "-o stored needs a consumer group");
	if (!strncmp(s, "s@", 2))
		s++;
	if (!strncmp(s, "e@", 2)) {
		o->kind = OFF_BEGINNING;
		return parse_time_ms(s + 2, now_ms, &o->stop_ts, e);
	}
	if (*s == '@') {
		/* @T or @T1:T2.  Times of day have colons too, so take the
		 * first colon at which both sides read as times. */
		const char *t = s + 1;
		o->kind = OFF_TIME;
		for (const char *c = strchr(t, ':'); c; c = strchr(c + 1, ':')) {
			char start[64];
			int64_t t1 = 0, t2;
			if ((size_t)(c - t) >= sizeof(start))
				break;
			memcpy(start, t, (size_t)(c - t));
			start[c - t] = '\0';
			if ((*start && parse_time_ms(start, now_ms, &t1, NULL)) ||
			    parse_time_ms(c + 1, now_ms, &t2, NULL))
				continue;
			o->kind = *start ? OFF_TIME : OFF_BEGINNING;
			o->n = t1;
			o->stop_ts = t2;
			return 0;
		}
		return parse_time_ms(t, now_ms, &o->n, e);
	}
	if (*s == '-' || *s == '+') {
		if (units_parse_int(s + 1, 0, INT64_MAX, &v, NULL))
			return err_set(e, SLOG_EINVALID_REQUEST, "'%s' is not an offset", s);
		o->kind = *s == '-' ? OFF_FROM_END : OFF_FROM_START;
		o->n = v;
		return 0;
	}
	if (units_parse_int(s, 0, INT64_MAX, &v, NULL) == 0) {
		o->kind = OFF_ABSOLUTE;
		o->n = v;
		return 0;
	}
	return err_set(e, SLOG_EINVALID_REQUEST,
		       "'%s' is not an offset (beginning, end, N, -N, +N, @TIME, @T1:T2)", s);
}
