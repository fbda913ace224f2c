/*
 * transform_from_value.c: value-to-key and header-from
 * (transform_from_value.h).
 */
#include <stdlib.h>
#include <string.h>

#include "ndjson.h"
#include "transforms/json_compact.h"
#include "transforms/json_field.h"
#include "transforms/transform_from_value.h"
#include "xalloc.h"

struct from_value {
	struct json_field *fields;
	size_t n;
	char **headers;        /* header-from's names, n of them */
	int move;
	struct buf scratch;    /* kept across records */
};

static int fields_init(struct tstep *s, struct from_value **out, struct err *e)
{
	struct from_value *fv = xcalloc(1, sizeof(*fv));
	s->state = *out = fv;
	s->mode = TSTEP_JSON;
	int rc = tstep_fields(s, "fields", &fv->fields, &fv->n, e);
	if (rc == 0 && fv->n == 0)
		return tconf_error(&s->conf, "fields", e, "missing");
	return rc;
}

static int value_to_key_init(struct tstep *s, struct err *e)
{
	struct from_value *fv;
	return fields_init(s, &fv, e);
}

static int value_to_key_apply(struct tstep *s, struct crec *r, struct tjson *j, struct err *e)
{
	struct from_value *fv = s->state;
	/* Kafka's ValueToKey makes an object even of one field (an
	 * ExtractField$Key after it takes the field out). */
	int object = fv->n > 1 || s->kafka;
	buf_reset(&fv->scratch);
	if (object)
		buf_addc(&fv->scratch, '{');
	for (size_t i = 0; i < fv->n; i++) {
		json_t *v = json_field_get(j->doc, &fv->fields[i]);
		if (!v)
			return err_set(e, SLOG_EINVALID_RECORD, "value has no field %s",
				       fv->fields[i].text);
		if (!object) {
			json_compact_bytes(&fv->scratch, v);
			break;
		}
		const char *name = json_field_name(&fv->fields[i]);
		if (i)
			buf_addc(&fv->scratch, ',');
		json_write_string(&fv->scratch, name, strlen(name));
		buf_addc(&fv->scratch, ':');
		json_compact_write(&fv->scratch, v);
	}
	if (object)
		buf_addc(&fv->scratch, '}');
	crec_set_key(r, buf_cstr(&fv->scratch), (int32_t)fv->scratch.len);
	return 1;
}

static void from_value_free(struct tstep *s)
{
	struct from_value *fv = s->state;
	if (!fv)
		return;
	tstep_fields_free(fv->fields, fv->n);
	tconf_list_free(fv->headers);
	buf_free(&fv->scratch);
	free(fv);
}

static const struct conf_def value_to_key_keys[] = {
	TRANSFORM_COMMON_KEYS,
	{ "fields", CONF_STRING, NULL, 0, 0, 0, NULL,
	  "the fields (names or JSON pointers, by commas) that make the key" },
};

const struct transform_type transform_value_to_key = {
	.name = "value-to-key",
	.aliases = (const char *const[]){ "ValueToKey", "org.apache.kafka.connect.transforms.ValueToKey",
					   NULL },
	.doc = "the key from fields of the JSON value (names or JSON pointers)",
	.keys = value_to_key_keys,
	.nkeys = sizeof(value_to_key_keys) / sizeof(value_to_key_keys[0]),
	.init = value_to_key_init,
	.apply_json = value_to_key_apply,
	.free = from_value_free,
};

/* header-from */

static int header_from_init(struct tstep *s, struct err *e)
{
	struct from_value *fv;
	size_t nh;
	int rc = fields_init(s, &fv, e);
	if (rc == 0)
		rc = tconf_list(&s->conf, "headers", &fv->headers, &nh, e);
	if (rc == 0 && nh != fv->n)
		return tconf_error(&s->conf, "headers", e, "%zu header(s) for %zu field(s)", nh, fv->n);
	fv->move = tconf_num(&s->conf, "operation") == 1;
	return rc;
}

static int header_from_apply(struct tstep *s, struct crec *r, struct tjson *j, struct err *e)
{
	(void)e;
	struct from_value *fv = s->state;
	for (size_t i = 0; i < fv->n; i++) {
		json_t *v = json_field_get(j->doc, &fv->fields[i]);
		if (!v) {
			crec_add_header(r, fv->headers[i], NULL, -1);
			continue;
		}
		buf_reset(&fv->scratch);
		json_compact_bytes(&fv->scratch, v);
		crec_add_header(r, fv->headers[i], buf_cstr(&fv->scratch), (int32_t)fv->scratch.len);
		if (fv->move && json_field_del(j->doc, &fv->fields[i]))
			j->dirty = 1;
	}
	return 1;
}

static const struct conf_def header_from_keys[] = {
	TRANSFORM_COMMON_KEYS,
	{ "fields", CONF_STRING, NULL, 0, 0, 0, NULL,
	  "the fields (names or JSON pointers, by commas) to copy" },
	{ "headers", CONF_STRING, NULL, 0, 0, 0, NULL, "the headers they go to, in the same order" },
	{ "operation", CONF_ENUM, "copy", 0, 0, 0, "copy|move", "move also takes the fields out" },
};

const struct transform_type transform_header_from = {
	.key_variant = 1,
	.name = "header-from",
	.aliases = (const char *const[]){ "HeaderFrom$Value",
					   "org.apache.kafka.connect.transforms.HeaderFrom$Value", NULL },
	.doc = "headers from fields of the JSON value: fields, headers, operation copy|move",
	.keys = header_from_keys,
	.nkeys = sizeof(header_from_keys) / sizeof(header_from_keys[0]),
	.init = header_from_init,
	.apply_json = header_from_apply,
	.free = from_value_free,
};
