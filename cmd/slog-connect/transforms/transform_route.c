/*
 * transform_route.c: route and route.time (transform_route.h).
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "topic_name.h"
#include "transforms/transform_regex.h"
#include "transforms/transform_route.h"
#include "xalloc.h"

struct route {
	struct tregex re;
	const char *replacement;   /* the conf's */
	struct buf topic;          /* scratch, kept across records */
};

static int set_topic(struct crec *r, struct buf *topic, struct err *e)
{
	int rc = topic_name_check(buf_cstr(topic), e);
	if (rc < 0)
		return err_wrap(e, "routed to '%s'", buf_cstr(topic));
	crec_set_topic(r, buf_cstr(topic));
	return 1;
}

static int route_init(struct tstep *s, struct err *e)
{
	struct route *rt = xcalloc(1, sizeof(*rt));
	s->state = rt;
	const char *re = tconf_str(&s->conf, "regex");
	rt->replacement = tconf_str(&s->conf, "replacement");
	if (!re || !rt->replacement)
		return tconf_error(&s->conf, re ? "replacement" : "regex", e, "missing");
	int rc = tregex_compile(&rt->re, &s->conf, "regex", re, e);
	if (rc == 0)
		rc = tregex_check_replacement(&rt->re, &s->conf, "replacement", rt->replacement, e);
	return rc;
}

static int route_apply(struct tstep *s, struct crec *r, struct err *e)
{
	struct route *rt = s->state;
	const char *topic = tstep_topic(s, r);
	regmatch_t m[TREGEX_GROUPS];
	if (!tregex_match(&rt->re, topic, strlen(topic), 1, m))
		return 1;
	buf_reset(&rt->topic);
	tregex_expand(&rt->topic, rt->replacement, topic, m);
	return set_topic(r, &rt->topic, e);
}

static void route_free(struct tstep *s)
{
	struct route *rt = s->state;
	if (!rt)
		return;
	tregex_free(&rt->re);
	buf_free(&rt->topic);
	free(rt);
}

static const struct conf_def route_keys[] = {
	TRANSFORM_COMMON_KEYS,
	{ "regex", CONF_STRING, NULL, 0, 0, 0, NULL, "a regex the whole topic name must match" },
	{ "replacement", CONF_STRING, NULL, 0, 0, 0, NULL,
	  "the new topic; $1..$9 are the regex's groups" },
};

const struct transform_type transform_route = {
	.name = "route",
	.aliases = (const char *const[]){ "RegexRouter", "org.apache.kafka.connect.transforms.RegexRouter",
					   NULL },
	.doc = "rename the topic: regex and replacement ($1..)",
	.keys = route_keys,
	.nkeys = sizeof(route_keys) / sizeof(route_keys[0]),
	.init = route_init,
	.apply = route_apply,
	.free = route_free,
};

/* route.time */

struct route_time {
	const char *format;        /* topic.format */
	struct buf stamp_format;   /* timestamp.format, as strftime's */
	struct buf shaped, stamp, topic;  /* scratch, kept across records */
};

/* Kafka's (Java's SimpleDateFormat) letters and what strftime calls them. */
static const struct {
	const char *java, *c;
} java_letters[] = {
	{ "yyyy", "%Y" }, { "yy", "%y" }, { "MM", "%m" }, { "dd", "%d" }, { "HH", "%H" },
	{ "mm", "%M" },   { "ss", "%S" }, { "DDD", "%j" }, { "EEE", "%a" }, { "MMM", "%b" },
};

/* Write Java's pattern p as strftime's into out; the letter not known, or 0. */
static int from_java(const char *p, struct buf *out)
{
	while (*p) {
		if (*p == '\'') {          /* 'quoted text' is literal */
			const char *end = strchr(p + 1, '\'');
			size_t n = end ? (size_t)(end - p - 1) : strlen(p + 1);
			buf_add(out, p + 1, n);
			p += n + 1 + (end != NULL);
			continue;
		}
		size_t i, nl = sizeof(java_letters) / sizeof(java_letters[0]);
		for (i = 0; i < nl; i++) {
			size_t n = strlen(java_letters[i].java);
			if (strncmp(p, java_letters[i].java, n) == 0 && p[n] != p[0])
				break;
		}
		if (i < nl) {
			buf_adds(out, java_letters[i].c);
			p += strlen(java_letters[i].java);
		} else if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')) {
			return *p;
		} else {
			buf_addc(out, *p++);
		}
	}
	return 0;
}

static int route_time_init(struct tstep *s, struct err *e)
{
	struct route_time *rt = xcalloc(1, sizeof(*rt));
	s->state = rt;
	rt->format = tconf_str(&s->conf, "topic.format");
	const char *ts = tconf_str(&s->conf, "timestamp.format");
	if (!rt->format || !ts)
		return tconf_error(&s->conf, rt->format ? "timestamp.format" : "topic.format", e,
				   "empty");
	if (strchr(ts, '%')) {
		buf_adds(&rt->stamp_format, ts);
		return 0;
	}
	int bad = from_java(ts, &rt->stamp_format);
	if (bad)
		return tconf_error(&s->conf, "timestamp.format", e,
				   "'%c' is not one of the pattern letters known (yyyy yy MM dd HH mm "
				   "ss DDD EEE MMM); strftime's %% codes take the rest",
				   bad);
	return 0;
}

/* Append strftime(fmt) of tm; 0, or -1 when it does not fit. */
static int add_time(struct buf *out, const char *fmt, const struct tm *tm)
{
	char s[512];
	/* The user's strftime format is the feature; strftime never writes
	 * past the buffer, and says 0 when the result does not fit. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	size_t n = strftime(s, sizeof(s), fmt, tm);
#pragma GCC diagnostic pop
	if (n == 0 && *fmt)
		return -1;
	buf_add(out, s, n);
	return 0;
}

/* Replace every ${name} of in with value, appending to out. */
static void substitute(struct buf *out, const char *in, const char *topic, const char *stamp)
{
	for (const char *p = in; *p;) {
		if (strncmp(p, "${topic}", 8) == 0) {
			buf_adds(out, topic);
			p += 8;
		} else if (strncmp(p, "${timestamp}", 12) == 0) {
			buf_adds(out, stamp);
			p += 12;
		} else {
			buf_addc(out, *p++);
		}
	}
}

static int route_time_apply(struct tstep *s, struct crec *r, struct err *e)
{
	struct route_time *rt = s->state;
	int64_t ms = r->timestamp >= 0 ? r->timestamp : clock_wall_ms();
	time_t secs = (time_t)(ms / 1000);
	struct tm tm;
	gmtime_r(&secs, &tm);
	buf_reset(&rt->shaped);
	buf_reset(&rt->stamp);
	if (add_time(&rt->stamp, buf_cstr(&rt->stamp_format), &tm) < 0 ||
	    add_time(&rt->shaped, rt->format, &tm) < 0)
		return err_set(e, SLOG_EINVALID_RECORD, "the time formats give more than 511 bytes");
	buf_reset(&rt->topic);
	substitute(&rt->topic, buf_cstr(&rt->shaped), tstep_topic(s, r), buf_cstr(&rt->stamp));
	return set_topic(r, &rt->topic, e);
}

static void route_time_free(struct tstep *s)
{
	struct route_time *rt = s->state;
	if (!rt)
		return;
	buf_free(&rt->stamp_format);
	buf_free(&rt->shaped);
	buf_free(&rt->stamp);
	buf_free(&rt->topic);
	free(rt);
}

static const struct conf_def route_time_keys[] = {
	TRANSFORM_COMMON_KEYS,
	{ "topic.format", CONF_STRING, "${topic}-${timestamp}", 0, 0, 0, NULL,
	  "the new topic: ${topic}, ${timestamp} and strftime's % codes" },
	{ "timestamp.format", CONF_STRING, "%Y%m%d", 0, 0, 0, NULL,
	  "${timestamp}: strftime's codes, or Kafka's pattern letters (yyyyMMdd)" },
};

const struct transform_type transform_route_time = {
	.name = "route.time",
	.aliases = (const char *const[]){ "TimestampRouter",
					   "org.apache.kafka.connect.transforms.TimestampRouter", NULL },
	.doc = "rename the topic by the record's time: topic.format, timestamp.format",
	.keys = route_time_keys,
	.nkeys = sizeof(route_time_keys) / sizeof(route_time_keys[0]),
	.init = route_time_init,
	.apply = route_time_apply,
	.free = route_time_free,
};
