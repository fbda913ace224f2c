/*
 * transform_timestamp.c: the timestamp step (transform_timestamp.h).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "transforms/json_field.h"
#include "transforms/transform_timestamp.h"
#include "xalloc.h"

struct timestamp {
	struct json_field field;
	const char *header;
	int64_t unit_ns;            /* of a bare number */
};

static const int64_t unit_ns[] = { 1000000, 1000000000, 1000, 1 }; /* ms, s, us, ns */

static int timestamp_init(struct tstep *s, struct err *e)
{
	struct timestamp *t = xcalloc(1, sizeof(*t));
	s->state = t;
	const char *field = tconf_str(&s->conf, "field");
	t->header = tconf_str(&s->conf, "header");
	t->unit_ns = unit_ns[tconf_num(&s->conf, "unix.precision")];
	if (!field == !t->header)
		return tconf_error(&s->conf, NULL, e, "timestamp takes field or header (one of them)");
	if (!field)
		return 0;
	struct err fe;
	s->mode = TSTEP_JSON;
	if (json_field_parse(&t->field, field, &fe) < 0)
		return tconf_error(&s->conf, "field", e, "'%s': %s", field, fe.msg);
	return 0;
}

/* n digits at s, as a number; -1 if they are not all digits. */
static int64_t digits(const char *s, size_t n)
{
	int64_t v = 0;
	if (n == 0 || n > 18)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/* "[+-]hh[:mm]" or "Z" at s[0..n): the offset east of UTC in seconds; -1 if not one. */
static int64_t zone_offset(const char *s, size_t n, int *ok)
{
	*ok = 1;
	if (n == 1 && (s[0] == 'Z' || s[0] == 'z'))
		return 0;
	if (n < 3 || (s[0] != '+' && s[0] != '-'))
		return *ok = 0;
	int64_t hh = digits(s + 1, 2), mm = 0;
	if (n == 6 && s[3] == ':')
		mm = digits(s + 4, 2);
	else if (n == 5)
		mm = digits(s + 3, 2);
	else if (n != 3)
		return *ok = 0;
	if (hh < 0 || hh > 23 || mm < 0 || mm > 59)
		return *ok = 0;
	return (s[0] == '-' ? -1 : 1) * (hh * 3600 + mm * 60);
}

/* The fraction ".ddd" at *p (advanced past it), in ms. */
static int64_t fraction_ms(const char **p, const char *end)
{
	int64_t ms = 0, scale = 100;
	if (*p >= end || (**p != '.' && **p != ','))
		return 0;
	for ((*p)++; *p < end && **p >= '0' && **p <= '9'; (*p)++, scale /= 10)
		ms += (**p - '0') * scale;
	return ms;
}

int transform_timestamp_parse_iso(const char *s, size_t n, int64_t *ms, struct err *e)
{
	const char *p = s, *end = s + n;
	struct tm tm;
	int ok = 1;
	memset(&tm, 0, sizeof(tm));
	if (n < 10 || s[4] != '-' || s[7] != '-')
		goto bad;
	tm.tm_year = (int)digits(s, 4) - 1900;
	tm.tm_mon = (int)digits(s + 5, 2) - 1;
	tm.tm_mday = (int)digits(s + 8, 2);
	p += 10;
	if (p < end && (*p == 'T' || *p == 't' || *p == ' ')) {
		if (end - p < 6 || p[3] != ':')
			goto bad;
		tm.tm_hour = (int)digits(p + 1, 2);
		tm.tm_min = (int)digits(p + 4, 2);
		p += 6;
		if (p < end && *p == ':') {
			tm.tm_sec = (int)(end - p >= 3 ? digits(p + 1, 2) : -1);
			p += 3;
		}
	}
	int64_t frac = fraction_ms(&p, end);
	int64_t zone = p < end ? zone_offset(p, (size_t)(end - p), &ok) : 0;
	if (!ok || tm.tm_year < -1900 || tm.tm_mon < 0 || tm.tm_mon > 11 ||
	    tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour < 0 || tm.tm_hour > 23 || tm.tm_min < 0 ||
	    tm.tm_min > 59 || tm.tm_sec < 0 || tm.tm_sec > 60)
		goto bad;
	*ms = ((int64_t)timegm(&tm) - zone) * 1000 + frac;
	if (*ms >= 0)
		return 0;
bad:
	return err_set(e, SLOG_EINVALID_TIMESTAMP, "'%.*s' is not a time (ISO 8601 or a number)",
		       (int)(n > 64 ? 64 : n), s);
}

static int from_number(const struct timestamp *t, double v, int64_t *ms, struct err *e)
{
	double out = v * (double)t->unit_ns / 1e6;
	if (!(out >= 0 && out < 9.2e15))
		return err_set(e, SLOG_EINVALID_TIMESTAMP, "time %.17g out of range", v);
	*ms = (int64_t)out;
	return 0;
}

static int from_text(const struct timestamp *t, const char *s, size_t n, int64_t *ms,
		     struct err *e)
{
	int64_t v = digits(s, n);
	if (v >= 0)
		return from_number(t, (double)v, ms, e);
	return transform_timestamp_parse_iso(s, n, ms, e);
}

static int timestamp_from_field(struct tstep *s, struct crec *r, struct tjson *j, struct err *e)
{
	const struct timestamp *t = s->state;
	const json_t *v = json_field_get(j->doc, &t->field);
	int rc;
	if (json_is_number(v))
		rc = from_number(t, json_number_value(v), &r->timestamp, e);
	else if (json_is_string(v))
		rc = from_text(t, json_string_value(v), json_string_length(v), &r->timestamp, e);
	else
		rc = err_set(e, SLOG_EINVALID_TIMESTAMP, "value has no time in field %s", t->field.text);
	return rc < 0 ? rc : 1;
}

static int timestamp_from_header(struct tstep *s, struct crec *r, struct err *e)
{
	const struct timestamp *t = s->state;
	const struct crec_header *h = crec_find_header(r, t->header);
	if (!h || h->null_value)
		return err_set(e, SLOG_EINVALID_TIMESTAMP, "no header '%s'", t->header);
	int rc = from_text(t, buf_cstr(&h->value), h->value.len, &r->timestamp, e);
	return rc < 0 ? rc : 1;
}

static void timestamp_free(struct tstep *s)
{
	struct timestamp *t = s->state;
	if (t && t->field.n)
		json_field_free(&t->field);
	free(t);
}

static const struct conf_def timestamp_keys[] = {
	TRANSFORM_COMMON_KEYS,
	{ "field", CONF_STRING, NULL, 0, 0, 0, NULL, "the JSON field holding the time" },
	{ "header", CONF_STRING, NULL, 0, 0, 0, NULL, "the header holding the time" },
	{ "unix.precision", CONF_ENUM, "milliseconds", 0, 0, 0,
	  "milliseconds|seconds|microseconds|nanoseconds", "the unit of a number" },
};

const struct transform_type transform_timestamp = {
	.name = "timestamp",
	.doc = "the record's time from a JSON field or a header: epoch (unix.precision) or ISO 8601",
	.keys = timestamp_keys,
	.nkeys = sizeof(timestamp_keys) / sizeof(timestamp_keys[0]),
	.init = timestamp_init,
	.apply = timestamp_from_header,
	.apply_json = timestamp_from_field,
	.free = timestamp_free,
};
