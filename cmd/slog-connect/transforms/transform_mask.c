/*
 * transform_mask.c: the mask step (transform_mask.h).
 */
#include <stdlib.h>

#include "transforms/json_field.h"
#include "transforms/transform_mask.h"
#include "transforms/transform_regex.h"
#include "xalloc.h"

struct mask {
	struct json_field *fields;
	size_t n;
	struct tregex re;
	const char *replacement;  /* NULL: the empty value / stars */
	struct buf out;           /* regex's scratch, kept across records */
};

static int mask_init(struct tstep *s, struct err *e)
{
	struct mask *m = xcalloc(1, sizeof(*m));
	s->state = m;
	const char *re = tconf_str(&s->conf, "regex");
	m->replacement = conf_get_str(&s->conf.conf, "replacement");
	int rc = tstep_fields(s, "fields", &m->fields, &m->n, e);
	if (rc < 0)
		return rc;
	if (!re == !m->n)
		return tconf_error(&s->conf, NULL, e, "mask takes fields or regex (one of them)");
	if (m->n) {
		s->mode = TSTEP_JSON;
		return 0;
	}
	s->reads_value = s->writes_value = 1;
	rc = tregex_compile(&m->re, &s->conf, "regex", re, e);
	if (rc == 0 && m->replacement)
		rc = tregex_check_replacement(&m->re, &s->conf, "replacement", m->replacement, e);
	return rc;
}

/* Kafka's MaskField: the "empty" value of v's type. */
static json_t *masked(const json_t *v, const char *replacement)
{
	if (replacement)
		return json_string(replacement);
	switch (json_typeof(v)) {
	case JSON_OBJECT: return json_object();
	case JSON_ARRAY: return json_array();
	case JSON_STRING: return json_string("");
	case JSON_INTEGER: return json_integer(0);
	case JSON_REAL: return json_real(0);
	case JSON_TRUE:
	case JSON_FALSE: return json_false();
	default: return json_null();
	}
}

static int mask_fields(struct tstep *s, struct crec *r, struct tjson *j, struct err *e)
{
	(void)r;
	const struct mask *m = s->state;
	if (!json_is_object(j->doc) && !json_is_array(j->doc))
		return tstep_not_object(s, j->doc, e);
	for (size_t i = 0; i < m->n; i++) {
		const json_t *v = json_field_get(j->doc, &m->fields[i]);
		if (!v || json_is_null(v))
			continue;
		if (json_field_set(j->doc, &m->fields[i], masked(v, m->replacement), e) < 0)
			return SLOG_EINVALID_RECORD;
		j->dirty = 1;
	}
	return 1;
}

static int mask_bytes(struct tstep *s, struct crec *r, struct err *e)
{
	(void)e;
	struct mask *m = s->state;
	if (r->null_value)
		return 1;
	buf_reset(&m->out);
	if (tregex_replace_all(&m->out, &m->re, buf_cstr(&r->value), r->value.len, m->replacement)) {
		/* Swap, so that both buffers keep their allocations. */
		struct buf t = r->value;
		r->value = m->out;
		m->out = t;
	}
	return 1;
}

static void mask_free(struct tstep *s)
{
	struct mask *m = s->state;
	if (!m)
		return;
	tstep_fields_free(m->fields, m->n);
	tregex_free(&m->re);
	buf_free(&m->out);
	free(m);
}

static const struct conf_def mask_keys[] = {
	TRANSFORM_COMMON_KEYS,
	{ "fields", CONF_STRING, NULL, 0, 0, 0, NULL,
	  "JSON fields to mask (names or JSON pointers, by commas)" },
	{ "regex", CONF_STRING, NULL, 0, 0, 0, NULL, "mask what this regex matches in the bytes" },
	{ "replacement", CONF_STRING, NULL, 0, 0, 0, NULL,
	  "what a masked field or match becomes ($1.. for regex); default \"\" or '*' per byte" },
};

const struct transform_type transform_mask = {
	.key_variant = 1,
	.name = "mask",
	.aliases = (const char *const[]){ "MaskField$Value",
					   "org.apache.kafka.connect.transforms.MaskField$Value", NULL },
	.doc = "mask JSON fields (fields) or the matches of a regex in the bytes (regex); replacement",
	.keys = mask_keys,
	.nkeys = sizeof(mask_keys) / sizeof(mask_keys[0]),
	.init = mask_init,
	.apply = mask_bytes,
	.apply_json = mask_fields,
	.free = mask_free,
};
