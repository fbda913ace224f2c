/*
 * json_compact.c: JSON values to bytes (json_compact.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ndjson.h"
#include "transforms/json_compact.h"

/* The shortest %g form that reads back as d (at most 17 digits do). */
static void write_real(struct buf *out, double d)
{
	char s[40];
	for (int prec = 15; prec <= 17; prec++) {
		snprintf(s, sizeof(s), "%.*g", prec, d);
		if (strtod(s, NULL) == d)
			break;
	}
	buf_adds(out, s);
	/* "2" would read back as an integer: keep it a real. */
	if (!strpbrk(s, ".eE"))
		buf_adds(out, ".0");
}

static void write_object(struct buf *out, const json_t *v)
{
	const char *k;
	json_t *m;
	int first = 1;
	buf_addc(out, '{');
	json_object_foreach((json_t *)v, k, m) {
		if (!first)
			buf_addc(out, ',');
		first = 0;
		json_write_string(out, k, strlen(k));
		buf_addc(out, ':');
		json_compact_write(out, m);
	}
	buf_addc(out, '}');
}

void json_compact_write(struct buf *out, const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		write_object(out, v);
		break;
	case JSON_ARRAY:
		buf_addc(out, '[');
		for (size_t i = 0; i < json_array_size(v); i++) {
			if (i)
				buf_addc(out, ',');
			json_compact_write(out, json_array_get(v, i));
		}
		buf_addc(out, ']');
		break;
	case JSON_STRING:
		json_write_string(out, json_string_value(v), json_string_length(v));
		break;
	case JSON_INTEGER:
		buf_addf(out, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		break;
	case JSON_REAL:
		write_real(out, json_real_value(v));
		break;
	case JSON_TRUE: buf_adds(out, "true"); break;
	case JSON_FALSE: buf_adds(out, "false"); break;
	case JSON_NULL: buf_adds(out, "null"); break;
	}
}

void json_compact_bytes(struct buf *out, const json_t *v)
{
	if (json_is_string(v))
		buf_add(out, json_string_value(v), json_string_length(v));
	else
		json_compact_write(out, v);
}
