/*
 * transform_json.c: insert-field, replace-field, extract-field and
 * hoist-field (transform_json.h).
 *
 * Each works on the value the chain parsed (struct tjson) and marks it
 * changed; the chain writes it back once, after the last JSON step of a
 * run.
 */
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "transforms/json_field.h"
#include "transforms/transform_json.h"
#include "xalloc.h"

#define KAFKA_SMT(c) "org.apache.kafka.connect.transforms." c
#define NKEYS(t) (sizeof(t) / sizeof((t)[0]))

/* insert-field */

enum { IF_TOPIC, IF_PARTITION, IF_OFFSET, IF_TIMESTAMP, IF_STATIC, IF_N };

static const char *const insert_keys[IF_N] = { "topic.field", "partition.field", "offset.field",
					       "timestamp.field", "static.field" };

struct insert_field {
	struct json_field field[IF_N];
	int has[IF_N];
	const char *static_value;
};

static int insert_field_init(struct tstep *s, struct err *e)
{
	struct insert_field *f = xcalloc(1, sizeof(*f));
	int any = 0;
	s->state = f;
	s->mode = TSTEP_JSON;
	for (int i = 0; i < IF_N; i++) {
		const char *v = tconf_str(&s->conf, insert_keys[i]);
		struct err fe;
		if (!v)
			continue;
		/* Kafka's "name!" (required) and "name?" (optional): the name. */
		char *name = xstrdup(v);
		size_t n = strlen(name);
		if (n > 1 && (name[n - 1] == '!' || name[n - 1] == '?'))
			name[n - 1] = '\0';
		int rc = json_field_parse(&f->field[i], name, &fe);
		free(name);
		if (rc < 0)
			return tconf_error(&s->conf, insert_keys[i], e, "'%s': %s", v, fe.msg);
		f->has[i] = any = 1;
	}
	f->static_value = conf_get_str(&s->conf.conf, "static.value");
	if (!any)
		return tconf_error(&s->conf, NULL, e, "insert-field needs one of topic.field, "
				   "partition.field, offset.field, timestamp.field, static.field");
	if (f->has[IF_STATIC] != (f->static_value != NULL))
		return tconf_error(&s->conf, f->static_value ? "static.field" : "static.value", e,
				   "missing: static.field and static.value go together");
	return 0;
}

static json_t *insert_value(int i, const struct tstep *s, const struct crec *r,
			    const struct insert_field *f)
{
	switch (i) {
	case IF_TOPIC: return json_string(tstep_topic(s, r));
	case IF_PARTITION: return r->partition >= 0 ? json_integer(r->partition) : NULL;
	case IF_OFFSET: return r->offset >= 0 ? json_integer(r->offset) : NULL;
	case IF_TIMESTAMP: return json_integer(r->timestamp >= 0 ? r->timestamp : clock_wall_ms());
	default: return json_string(f->static_value);
	}
}

static int insert_field_apply(struct tstep *s, struct crec *r, struct tjson *j, struct err *e)
{
	const struct insert_field *f = s->state;
	if (!json_is_object(j->doc))
		return tstep_not_object(s, j->doc, e);
	for (int i = 0; i < IF_N; i++) {
		json_t *v = f->has[i] ? insert_value(i, s, r, f) : NULL;
		if (!v)
			continue;
		if (json_field_set(j->doc, &f->field[i], v, e) < 0)
			return SLOG_EINVALID_RECORD;
		j->dirty = 1;
	}
	return 1;
}

static void insert_field_free(struct tstep *s)
{
	struct insert_field *f = s->state;
	for (int i = 0; f && i < IF_N; i++)
		if (f->has[i])
			json_field_free(&f->field[i]);
	free(f);
}

static const struct conf_def insert_field_keys[] = {
	TRANSFORM_COMMON_KEYS,
	{ "topic.field", CONF_STRING, NULL, 0, 0, 0, NULL, "the field that gets the topic" },
	{ "partition.field", CONF_STRING, NULL, 0, 0, 0, NULL, "the field that gets the partition" },
	{ "offset.field", CONF_STRING, NULL, 0, 0, 0, NULL, "the field that gets the offset" },
	{ "timestamp.field", CONF_STRING, NULL, 0, 0, 0, NULL,
	  "the field that gets the time (ms since the epoch)" },
	{ "static.field", CONF_STRING, NULL, 0, 0, 0, NULL, "the field that gets static.value" },
	{ "static.value", CONF_STRING, NULL, 0, 0, 0, NULL, "a string for static.field" },
};

const struct transform_type transform_insert_field = {
	.key_variant = 1,
	.name = "insert-field",
	.aliases = (const char *const[]){ "InsertField$Value", KAFKA_SMT("InsertField$Value"), NULL },
	.doc = "add fields to a JSON object: topic.field, partition.field, offset.field, "
	       "timestamp.field, static.field and static.value",
	.keys = insert_field_keys,
	.nkeys = NKEYS(insert_field_keys),
	.init = insert_field_init,
	.apply_json = insert_field_apply,
	.free = insert_field_free,
};

/* replace-field */

struct replace_field {
	char **include, **exclude, **renames; /* renames: "old:new" */
	size_t ninclude, nexclude, nrenames;
};

static int listed(char *const *list, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(list[i], name) == 0)
			return 1;
	return 0;
}

static int replace_field_init(struct tstep *s, struct err *e)
{
	struct replace_field *f = xcalloc(1, sizeof(*f));
	s->state = f;
	s->mode = TSTEP_JSON;
	/* Kafka's older names: whitelist is include, blacklist exclude. */
	const char *inc = tconf_given(&s->conf, "whitelist") ? "whitelist" : "include";
	const char *exc = tconf_given(&s->conf, "blacklist") ? "blacklist" : "exclude";
	if (tconf_given(&s->conf, "whitelist") && tconf_given(&s->conf, "include"))
		return tconf_error(&s->conf, "whitelist", e, "the same as include: give one");
	if (tconf_given(&s->conf, "blacklist") && tconf_given(&s->conf, "exclude"))
		return tconf_error(&s->conf, "blacklist", e, "the same as exclude: give one");
	int rc = tconf_list(&s->conf, inc, &f->include, &f->ninclude, e);
	if (rc == 0)
		rc = tconf_list(&s->conf, exc, &f->exclude, &f->nexclude, e);
	if (rc == 0)
		rc = tconf_list(&s->conf, "renames", &f->renames, &f->nrenames, e);
	for (size_t i = 0; rc == 0 && i < f->nrenames; i++) {
		char *colon = strchr(f->renames[i], ':');
		if (!colon || colon == f->renames[i] || !colon[1])
			return tconf_error(&s->conf, "renames", e, "'%s' is not old:new", f->renames[i]);
	}
	if (rc == 0 && !f->ninclude && !f->nexclude && !f->nrenames)
		return tconf_error(&s->conf, NULL, e, "replace-field needs include, exclude or renames");
	return rc;
}

/* The new name of name, or name. */
static const char *renamed(const struct replace_field *f, const char *name)
{
	size_t n = strlen(name);
	for (size_t i = 0; i < f->nrenames; i++)
		if (strncmp(f->renames[i], name, n) == 0 && f->renames[i][n] == ':')
			return f->renames[i] + n + 1;
	return name;
}

static int replace_field_apply(struct tstep *s, struct crec *r, struct tjson *j, struct err *e)
{
	(void)r;
	const struct replace_field *f = s->state;
	if (!json_is_object(j->doc))
		return tstep_not_object(s, j->doc, e);
	json_t *out = json_object();
	const char *k;
	json_t *v;
	json_object_foreach(j->doc, k, v) {
		if (listed(f->exclude, f->nexclude, k) ||
		    (f->ninclude && !listed(f->include, f->ninclude, k)))
			continue;
		json_object_set(out, renamed(f, k), v);
	}
	json_decref(j->doc);
	j->doc = out;
	j->dirty = 1;
	return 1;
}

static void replace_field_free(struct tstep *s)
{
	struct replace_field *f = s->state;
	if (!f)
		return;
	tconf_list_free(f->include);
	tconf_list_free(f->exclude);
	tconf_list_free(f->renames);
	free(f);
}

static const struct conf_def replace_field_keys[] = {
	TRANSFORM_COMMON_KEYS,
	{ "include", CONF_STRING, NULL, 0, 0, 0, NULL, "keep only these fields (by commas)" },
	{ "exclude", CONF_STRING, NULL, 0, 0, 0, NULL, "drop these fields (by commas)" },
	{ "renames", CONF_STRING, NULL, 0, 0, 0, NULL, "old:new pairs, by commas" },
	{ "whitelist", CONF_STRING, NULL, 0, 0, 0, NULL, "Kafka's older name of include" },
	{ "blacklist", CONF_STRING, NULL, 0, 0, 0, NULL, "Kafka's older name of exclude" },
};

const struct transform_type transform_replace_field = {
	.key_variant = 1,
	.name = "replace-field",
	.aliases = (const char *const[]){ "ReplaceField$Value", KAFKA_SMT("ReplaceField$Value"), NULL },
	.doc = "keep (include), drop (exclude) and rename (renames old:new) fields of a JSON object",
	.keys = replace_field_keys,
	.nkeys = NKEYS(replace_field_keys),
	.init = replace_field_init,
	.apply_json = replace_field_apply,
	.free = replace_field_free,
};

/* extract-field and hoist-field: one field, by name */

static int one_field_init(struct tstep *s, struct err *e)
{
	struct json_field *f = xcalloc(1, sizeof(*f));
	struct err fe;
	s->state = f;
	s->mode = TSTEP_JSON;
	const char *v = tconf_str(&s->conf, "field");
	if (!v)
		return tconf_error(&s->conf, "field", e, "missing");
	if (json_field_parse(f, v, &fe) < 0)
		return tconf_error(&s->conf, "field", e, "'%s': %s", v, fe.msg);
	return 0;
}

static void one_field_free(struct tstep *s)
{
	if (s->state)
		json_field_free(s->state);
	free(s->state);
}

static int extract_field_apply(struct tstep *s, struct crec *r, struct tjson *j, struct err *e)
{
	(void)r;
	const struct json_field *f = s->state;
	if (!json_is_object(j->doc) && !json_is_array(j->doc))
		return tstep_not_object(s, j->doc, e);
	json_t *v = json_field_get(j->doc, f);
	if (!v)
		return err_set(e, SLOG_EINVALID_RECORD, "%s has no field %s", tstep_part(s), f->text);
	json_incref(v);
	json_decref(j->doc);
	j->doc = v;
	j->dirty = 1;
	return 1;
}

static int hoist_field_init(struct tstep *s, struct err *e)
{
	int rc = one_field_init(s, e);
	const struct json_field *f = s->state;
	if (rc == 0 && f->n != 1)
		return tconf_error(&s->conf, "field", e, "a name, not a JSON pointer");
	s->text_ok = 1;
	return rc;
}

static int hoist_field_apply(struct tstep *s, struct crec *r, struct tjson *j, struct err *e)
{
	(void)r;
	(void)e;
	const struct json_field *f = s->state;
	json_t *out = json_object();
	json_object_set_new(out, json_field_name(f), j->doc);
	j->doc = out;
	j->dirty = 1;
	return 1;
}

static const struct conf_def field_keys[] = {
	TRANSFORM_COMMON_KEYS,
	{ "field", CONF_STRING, NULL, 0, 0, 0, NULL, "the field (a name, or a JSON pointer)" },
};

const struct transform_type transform_extract_field = {
	.key_variant = 1,
	.name = "extract-field",
	.aliases = (const char *const[]){ "ExtractField$Value", KAFKA_SMT("ExtractField$Value"), NULL },
	.doc = "the value becomes one of its fields: field",
	.keys = field_keys,
	.nkeys = NKEYS(field_keys),
	.init = one_field_init,
	.apply_json = extract_field_apply,
	.free = one_field_free,
};

const struct transform_type transform_hoist_field = {
	.key_variant = 1,
	.name = "hoist-field",
	.aliases = (const char *const[]){ "HoistField$Value", KAFKA_SMT("HoistField$Value"), NULL },
	.doc = "the value becomes {field: value}",
	.keys = field_keys,
	.nkeys = NKEYS(field_keys),
	.init = hoist_field_init,
	.apply_json = hoist_field_apply,
	.free = one_field_free,
};
