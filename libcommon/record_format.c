/*
 * record_format.c: records printed by a format string.  See record_format.h.
 */
#include "record_format.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "escape.h"
#include "xalloc.h"

enum piece_kind { P_TEXT, P_VALUE, P_VALUE_LEN, P_KEY, P_KEY_LEN, P_TOPIC, P_PARTITION, P_OFFSET,
		  P_TIMESTAMP, P_HEADERS, P_DATE_ISO, P_DATE_FMT, P_LAG, P_LOG_START, P_HIGH_WATERMARK };

struct piece {
	enum piece_kind kind;
	size_t off, len; /* text of P_TEXT and P_DATE_FMT, in f->text */
};

struct format {
	struct piece *v;
	size_t n, cap;
	struct buf text;
};

static void push(struct format *f, enum piece_kind kind, size_t off, size_t len)
{
	f->v = xgrow(f->v, &f->cap, f->n + 1, sizeof(*f->v));
	f->v[f->n++] = (struct piece){ kind, off, len };
}

/* Append a literal byte, merging with a preceding text piece. */
static void literal(struct format *f, char c)
{
	if (!f->n || f->v[f->n - 1].kind != P_TEXT ||
	    f->v[f->n - 1].off + f->v[f->n - 1].len != f->text.len)
		push(f, P_TEXT, f->text.len, 0);
	buf_addc(&f->text, c);
	f->v[f->n - 1].len++;
}

/* The escape at p (past the backslash); the last byte it used, or NULL. */
static const char *escape(struct format *f, const char *p, struct err *e)
{
	char byte;
	int used;

	switch (escape_decode(p, &byte, &used)) {
	case ESCAPE_OK:
		literal(f, byte);
		return p + used - 1;
	case ESCAPE_BAD_HEX:
		err_set(e, SLOG_EINVALID_REQUEST, "'\\x' needs two hex digits in the format (\\x41)");
		return NULL;
	default:
		err_set(e, SLOG_EINVALID_REQUEST, "unknown escape '\\%c' in the format", *p ? *p : ' ');
		return NULL;
	}
}

struct format *format_compile(const char *fmt, struct err *e)
{
	struct format *f = xcalloc(1, sizeof(*f));

	for (const char *p = fmt; *p; p++) {
		if (*p == '\\') {
			p = escape(f, p + 1, e);
			if (!p)
				goto bad;
			continue;
		}
		if (*p != '%') {
			literal(f, *p);
			continue;
		}
		switch (*++p) {
		case 's': case 'v': push(f, P_VALUE, 0, 0); break;
		case 'S': push(f, P_VALUE_LEN, 0, 0); break;
		case 'k': push(f, P_KEY, 0, 0); break;
		case 'K': push(f, P_KEY_LEN, 0, 0); break;
		case 't': push(f, P_TOPIC, 0, 0); break;
		case 'p': push(f, P_PARTITION, 0, 0); break;
		case 'o': push(f, P_OFFSET, 0, 0); break;
		case 'T': push(f, P_TIMESTAMP, 0, 0); break;
		case 'h': push(f, P_HEADERS, 0, 0); break;
		case 'l': push(f, P_LAG, 0, 0); break;
		case '[': push(f, P_LOG_START, 0, 0); break;
		case ']': push(f, P_HIGH_WATERMARK, 0, 0); break;
		case '%': literal(f, '%'); break;
		case 'd':
			if (p[1] == '{') {
				const char *close = strchr(p + 2, '}');
				if (!close) {
					err_set(e, SLOG_EINVALID_REQUEST, "%%d{ has no closing }");
					goto bad;
				}
				push(f, P_DATE_FMT, f->text.len, (size_t)(close - p - 2));
				buf_add(&f->text, p + 2, (size_t)(close - p - 2));
				p = close;
			} else {
				push(f, P_DATE_ISO, 0, 0);
			}
			break;
		default:
			err_set(e, SLOG_EINVALID_REQUEST, "unknown token '%%%c' in the format", *p ? *p : ' ');
			goto bad;
		}
	}
	return f;
bad:
	format_free(f);
	return NULL;
}

void format_free(struct format *f)
{
	if (!f)
		return;
	free(f->v);
	buf_free(&f->text);
	free(f);
}

static void bytes_or_null(struct buf *out, const uint8_t *p, int32_t len, const char *null_text)
{
	if (len < 0) {
		if (null_text)
			buf_adds(out, null_text);
	} else {
		buf_add(out, p, (size_t)len);
	}
}

static void put_date(struct buf *out, int64_t ts, const char *fmt, size_t fmt_len)
{
	time_t secs = (time_t)(ts >= 0 ? ts / 1000 : (ts - 999) / 1000);
	int ms = (int)(ts - (int64_t)secs * 1000);
	struct tm tm;
	char spec[256], text[512];
	size_t n;

	if (!fmt) {
		gmtime_r(&secs, &tm);
		buf_addf(out, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
			 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
		return;
	}
	localtime_r(&secs, &tm);
	snprintf(spec, sizeof(spec), "%.*s", (int)fmt_len, fmt);
	/* The user's own strftime format is the feature; strftime never
	 * writes past the buffer, and says 0 when the result does not fit. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	n = strftime(text, sizeof(text), spec, &tm);
#pragma GCC diagnostic pop
	buf_add(out, text, n);
}

static void put_headers(struct buf *out, const struct record *r, const char *null_text)
{
	struct header_iter it;
	struct record_header h;
	int first = 1;

	record_headers_begin(r, &it);
	while (record_headers_next(&it, &h)) {
		if (!first)
			buf_addc(out, ',');
		first = 0;
		bytes_or_null(out, h.key, h.key_len, NULL);
		buf_addc(out, '=');
		bytes_or_null(out, h.value, h.value_len, null_text);
	}
}

void format_record(const struct format *f, struct buf *out, const char *topic, int32_t partition,
		   const struct record *r, const char *null_text)
{
	format_record_marked(f, out, topic, partition, r, null_text, NULL);
}

void format_record_marked(const struct format *f, struct buf *out, const char *topic,
			  int32_t partition, const struct record *r, const char *null_text,
			  const struct format_marks *m)
{
	int64_t hw = m ? m->high_watermark : -1, start = m ? m->log_start : -1;

	for (size_t i = 0; i < f->n; i++) {
		const struct piece *pc = &f->v[i];
		switch (pc->kind) {
		case P_TEXT: buf_add(out, f->text.data + pc->off, pc->len); break;
		case P_VALUE: bytes_or_null(out, r->value, r->value_len, null_text); break;
		case P_VALUE_LEN: buf_addf(out, "%d", r->value_len); break;
		case P_KEY: bytes_or_null(out, r->key, r->key_len, null_text); break;
		case P_KEY_LEN: buf_addf(out, "%d", r->key_len); break;
		case P_TOPIC: buf_adds(out, topic); break;
		case P_PARTITION: buf_addf(out, "%d", partition); break;
		case P_OFFSET: buf_addf(out, "%lld", (long long)r->offset); break;
		case P_TIMESTAMP: buf_addf(out, "%lld", (long long)r->timestamp); break;
		case P_DATE_ISO: put_date(out, r->timestamp, NULL, 0); break;
		case P_DATE_FMT: put_date(out, r->timestamp, f->text.data + pc->off, pc->len); break;
		case P_HEADERS: put_headers(out, r, null_text); break;
		case P_LAG: buf_addf(out, "%lld", hw < 0 ? -1LL : (long long)(hw - r->offset - 1)); break;
		case P_LOG_START: buf_addf(out, "%lld", (long long)start); break;
		case P_HIGH_WATERMARK: buf_addf(out, "%lld", (long long)hw); break;
		}
	}
}
