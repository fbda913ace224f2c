/*
 * offset_spec.c: parse -o.  See offset_spec.h.
 */
#include "offset_spec.h"

#include <stdio.h>
#include <string.h>

#include "units.h"

static const char grammar[] =
	"beginning, end, N, -N, +N, N:M, N:end, :end, @TIME, @T1:T2, @T1:end, P=START";

static int is_word(const char *s, const char *const *words)
{
	for (; *words; words++)
		if (!strcmp(s, *words))
			return 1;
	return 0;
}

/* One side of a range: "" (none), "end", or what parse() accepts. */
typedef int (*side_fn)(const char *s, int64_t now_ms, int64_t *out);

static int side_time(const char *s, int64_t now_ms, int64_t *out)
{
	return units_parse_time(s, now_ms, out, NULL);
}

static int side_offset(const char *s, int64_t now_ms, int64_t *out)
{
	(void)now_ms;
	return units_parse_int(s, 0, INT64_MAX, out, NULL);
}

/*
 * s is "T1:T2" (or "N:M"): split it at the colon where the start is empty
 * or a T1, and the stop is empty, "end" or a T2.  0, or -1 when no colon
 * fits.  At most one does: a side that reads as a time has a colon only
 * inside a date and time, which the other side then cannot begin or end.
 */
static int split_range(const char *s, side_fn side, int64_t now_ms, struct offset_spec *o)
{
	for (const char *c = strchr(s, ':'); c; c = strchr(c + 1, ':')) {
		char start[128];
		int64_t t1 = -1, t2 = -1;
		int to_end = !strcmp(c + 1, "end");

		if ((size_t)(c - s) >= sizeof(start))
			break;
		memcpy(start, s, (size_t)(c - s));
		start[c - s] = '\0';
		if ((*start && side(start, now_ms, &t1)) || (c[1] && !to_end && side(c + 1, now_ms, &t2)))
			continue;
		o->n = t1;
		o->stop_at_end = to_end;
		if (side == side_time)
			o->stop_ts = t2;
		else
			o->stop_offset = t2;
		return 0;
	}
	return -1;
}

/* "@T", "@T1:T2", "@T1:", "@:T2", "@T1:end" (t is past the '@'). */
static int parse_times(const char *t, int64_t now_ms, struct offset_spec *o, struct err *e)
{
	struct err why;

	if (units_parse_time(t, now_ms, &o->n, &why) == 0) {
		o->kind = OFF_TIME;
		return 0;
	}
	if (split_range(t, side_time, now_ms, o) == 0) {
		o->kind = o->n >= 0 ? OFF_TIME : OFF_BEGINNING;
		return 0;
	}
	if (!strchr(t, ':'))
		return err_set(e, why.code, "%s", why.msg);
	return err_set(e, SLOG_EINVALID_REQUEST, "'@%s' is neither a time nor a range @T1:T2 of "
		       "times (seconds or ms since the epoch, YYYY-MM-DD[THH:MM[:SS]][Z], or "
		       "-DURATION)", t);
}

/* "N:M", "N:", ":M", "N:end", ":end". */
static int parse_offsets(const char *s, struct offset_spec *o, struct err *e)
{
	if (split_range(s, side_offset, 0, o))
		return err_set(e, SLOG_EINVALID_REQUEST, "'%s' is not an offset (%s)", s, grammar);
	o->kind = o->n >= 0 ? OFF_ABSOLUTE : OFF_BEGINNING;
	if (o->stop_offset >= 0 && o->n > o->stop_offset)
		return err_set(e, SLOG_EINVALID_REQUEST, "'%s' stops before it starts", s);
	return 0;
}

int offset_spec_parse(const char *s, int64_t now_ms, struct offset_spec *o, struct err *e)
{
	static const char *const beginning[] = { "beginning", "start", "earliest", "oldest", NULL };
	static const char *const end[] = { "end", "latest", "newest", NULL };
	int64_t v;

	memset(o, 0, sizeof(*o));
	o->stop_ts = o->stop_offset = -1;
	if (is_word(s, beginning) || is_word(s, end) || !strcmp(s, "stored")) {
		o->kind = is_word(s, beginning) ? OFF_BEGINNING : is_word(s, end) ? OFF_END : OFF_STORED;
		return 0;
	}
	if (!strncmp(s, "s@", 2))
		s++;
	if (!strncmp(s, "e@", 2)) {
		o->kind = OFF_BEGINNING;
		return units_parse_time(s + 2, now_ms, &o->stop_ts, e);
	}
	if (*s == '@')
		return parse_times(s + 1, now_ms, o, e);
	if (strchr(s, ':'))
		return parse_offsets(s, o, e);
	if ((*s == '-' || *s == '+') && units_parse_int(s + 1, 0, INT64_MAX, &v, NULL) == 0) {
		o->kind = *s == '-' ? OFF_FROM_END : OFF_FROM_START;
		o->n = v;
		return 0;
	}
	if (units_parse_int(s, 0, INT64_MAX, &v, NULL) == 0) {
		o->kind = OFF_ABSOLUTE;
		o->n = v;
		return 0;
	}
	return err_set(e, SLOG_EINVALID_REQUEST, "'%s' is not an offset (%s)", s, grammar);
}

int offset_spec_stops(const struct offset_spec *o)
{
	return o->stop_ts >= 0 || o->stop_offset >= 0 || o->stop_at_end;
}

int offset_spec_parse_partition(const char *s, int64_t now_ms, struct partition_start *ps,
				struct err *e)
{
	const char *eq = strchr(s, '=');
	char p[16];
	int64_t v;

	if (!eq)
		return 0;
	snprintf(p, sizeof(p), "%.*s", (int)(eq - s < 15 ? eq - s : 15), s);
	if ((size_t)(eq - s) >= sizeof(p) || units_parse_int(p, 0, INT32_MAX, &v, NULL)) {
		err_set(e, SLOG_EINVALID_REQUEST, "'%s': P=START needs a partition number before '='", s);
		return -1;
	}
	ps->partition = (int32_t)v;
	if (offset_spec_parse(eq + 1, now_ms, &ps->spec, e))
		return -1;
	if (offset_spec_stops(&ps->spec) || ps->spec.kind == OFF_STORED) {
		err_set(e, SLOG_EINVALID_REQUEST, "'%s': a partition's start cannot be a range or "
			"stored; stops apply to every partition", s);
		return -1;
	}
	return 1;
}
