/*
 * offset_spec.c: parse -o.  See offset_spec.h.
 */
#include "offset_spec.h"

#include <string.h>

#include "units.h"

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
	if (!strcmp(s, "stored")) {
		o->kind = OFF_STORED;
		return 0;
	}
	if (!strncmp(s, "s@", 2))
		s++;
	if (!strncmp(s, "e@", 2)) {
		o->kind = OFF_BEGINNING;
		return units_parse_time(s + 2, now_ms, &o->stop_ts, e);
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
			if ((*start && units_parse_time(start, now_ms, &t1, NULL)) ||
			    units_parse_time(c + 1, now_ms, &t2, NULL))
				continue;
			o->kind = *start ? OFF_TIME : OFF_BEGINNING;
			o->n = t1;
			o->stop_ts = t2;
			return 0;
		}
		return units_parse_time(t, now_ms, &o->n, e);
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
