/*
 * units.c: parse integers, sizes and durations with units.  See units.h.
 */
#include "units.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct unit {
	const char *name;
	int64_t mult;
};

static const struct unit byte_units[] = {
	{ "", 1 }, { "b", 1 },
	{ "k", 1LL << 10 }, { "kib", 1LL << 10 }, { "kb", 1000LL },
	{ "m", 1LL << 20 }, { "mib", 1LL << 20 }, { "mb", 1000000LL },
	{ "g", 1LL << 30 }, { "gib", 1LL << 30 }, { "gb", 1000000000LL },
	{ "t", 1LL << 40 }, { "tib", 1LL << 40 }, { "tb", 1000000000000LL },
	{ NULL, 0 },
};

static const struct unit time_units[] = {
	{ "ms", 1 }, { "s", 1000 }, { "sec", 1000 }, { "m", 60000 }, { "min", 60000 },
	{ "h", 3600000LL }, { "d", 86400000LL }, { "w", 604800000LL },
	{ NULL, 0 },
};

/*
 * Split s into a signed decimal number (integer and fraction digits) and a
 * unit suffix.  The number must have at least one digit.
 */
static int split_number(const char *s, int *neg, const char **int_start, size_t *int_len,
			const char **frac_start, size_t *frac_len, const char **suffix)
{
	const char *p = s;

	while (isspace((unsigned char)*p))
		p++;
	*neg = 0;
	if (*p == '-' || *p == '+')
		*neg = *p++ == '-';
	*int_start = p;
	while (isdigit((unsigned char)*p))
		p++;
	*int_len = (size_t)(p - *int_start);
	*frac_start = p;
	*frac_len = 0;
	if (*p == '.') {
		*frac_start = ++p;
		while (isdigit((unsigned char)*p))
			p++;
		*frac_len = (size_t)(p - *frac_start);
	}
	if (*int_len + *frac_len == 0)
		return -1;
	while (*p == ' ')
		p++;
	*suffix = p;
	return 0;
}

/* value = number * mult, exactly, or -1 on overflow. */
static int scale(const char *ip, size_t il, const char *fp, size_t fl, int64_t mult,
		 int neg, int64_t *out)
{
	int64_t v = 0, frac = 0, div = 1;

	for (size_t i = 0; i < il; i++)
		if (__builtin_mul_overflow(v, 10, &v) || __builtin_add_overflow(v, ip[i] - '0', &v))
			return -1;
	if (__builtin_mul_overflow(v, mult, &v))
		return -1;
	for (size_t i = 0; i < fl && i < 15; i++) {
		frac = frac * 10 + (fp[i] - '0');
		div *= 10;
	}
	if (fl) {
		/* frac/div * mult, rounded down; mult <= 2^40 keeps this in range. */
		__int128 f = (__int128)frac * mult / div;
		if (__builtin_add_overflow(v, (int64_t)f, &v))
			return -1;
	}
	*out = neg ? -v : v;
	return 0;
}

static int out_of_range(struct err *e, const char *s, int64_t min, int64_t max)
{
	return err_set(e, SLOG_EINVALID_CONFIG, "'%s' is out of range [%lld, %lld]", s,
		       (long long)min, (long long)max);
}

static int parse_with(const char *s, const struct unit *units, int64_t bare, int64_t min,
		      int64_t max, int64_t *out, const char *kind, struct err *e)
{
	const char *ip, *fp, *suffix;
	size_t il, fl;
	int neg;
	int64_t v;

	if (split_number(s, &neg, &ip, &il, &fp, &fl, &suffix))
		return err_set(e, SLOG_EINVALID_CONFIG, "'%s' is not a %s", s, kind);
	for (const struct unit *u = units; u->name; u++) {
		if (strcasecmp(suffix, u->name) != 0)
			continue;
		if (scale(ip, il, fp, fl, u->mult, neg, &v))
			return out_of_range(e, s, min, max);
		goto found;
	}
	if (*suffix != '\0' || bare == 0)
		return err_set(e, SLOG_EINVALID_CONFIG, "'%s' is not a %s (unknown unit '%s')", s,
			       kind, suffix);
	if (scale(ip, il, fp, fl, bare, neg, &v))
		return out_of_range(e, s, min, max);
found:
	if (v < min || v > max)
		return out_of_range(e, s, min, max);
	*out = v;
	return 0;
}

int units_parse_int(const char *s, int64_t min, int64_t max, int64_t *out, struct err *e)
{
	const char *ip, *fp, *suffix;
	size_t il, fl;
	int neg;
	int64_t v;

	if (split_number(s, &neg, &ip, &il, &fp, &fl, &suffix) || strchr(s, '.') ||
	    *suffix != '\0' || il == 0)
		return err_set(e, SLOG_EINVALID_CONFIG, "'%s' is not an integer", s);
	if (scale(ip, il, fp, 0, 1, neg, &v) || v < min || v > max)
		return out_of_range(e, s, min, max);
	*out = v;
	return 0;
}

int units_parse_bytes(const char *s, int64_t min, int64_t max, int64_t *out, struct err *e)
{
	return parse_with(s, byte_units, 1, min, max, out, "size", e);
}

int units_parse_duration(const char *s, int64_t bare_unit_ms, int64_t min, int64_t max,
			 int64_t *out_ms, struct err *e)
{
	return parse_with(s, time_units, bare_unit_ms, min, max, out_ms, "duration", e);
}

int units_parse_bool(const char *s, int *out, struct err *e)
{
	static const char *const yes[] = { "true", "yes", "on", "1" };
	static const char *const no[] = { "false", "no", "off", "0" };

	for (size_t i = 0; i < 4; i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = 1;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = 0;
			return 0;
		}
	}
	return err_set(e, SLOG_EINVALID_CONFIG, "'%s' is not a boolean (true or false)", s);
}

void units_format_bytes(char *out, size_t size, int64_t bytes)
{
	static const char *const names[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double v = (double)bytes;
	int i = 0;

	while ((v >= 1024 || v <= -1024) && i < 4) {
		v /= 1024;
		i++;
	}
	if (i == 0)
		snprintf(out, size, "%lld B", (long long)bytes);
	else
		snprintf(out, size, "%.1f %s", v, names[i]);
}

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

/*
 * A bare number: seconds or milliseconds by its digit count, as rpk tells
 * them apart.  Ten digits or fewer are seconds (9999999999 s is the year
 * 2286); eleven or more are ms (10^10 ms is April 1970, so a number that
 * long meant as seconds would be past the year 2286).  A trailing s or ms
 * says which outright.  -1 if s is not such a number.
 */
static int parse_epoch(const char *s, int64_t *out)
{
	size_t digits = strspn(s, "0123456789");
	const char *unit = s + digits;
	int64_t v, per;

	if (!digits || digits > 18)
		return -1;
	if (!*unit)
		per = digits <= 10 ? 1000 : 1;
	else if (!strcmp(unit, "ms"))
		per = 1;
	else if (!strcmp(unit, "s"))
		per = 1000;
	else
		return -1;
	v = strtoll(s, NULL, 10);
	if (v > INT64_MAX / per)
		return -1;
	*out = v * per;
	return 0;
}

int units_parse_time(const char *s, int64_t now_ms, int64_t *out, struct err *e)
{
	int64_t v;

	if (*s == '-') {
		if (units_parse_duration(s + 1, 1, 0, INT64_MAX, &v, NULL))
			return err_set(e, SLOG_EINVALID_REQUEST, "'%s' is not a duration like -1h", s);
		*out = now_ms - v;
		return 0;
	}
	if (parse_epoch(s, out) == 0)
		return 0;
	if (parse_date(s, out) == 0)
		return 0;
	return err_set(e, SLOG_EINVALID_REQUEST,
		       "'%s' is not a time (seconds or ms since the epoch, YYYY-MM-DD[THH:MM[:SS]][Z], "
		       "or -DURATION)", s);
}
