/*
 * offsets_record.c: the records of __consumer_offsets.  See offsets_record.h.
 */
#include "groups/offsets_record.h"

#include <stdlib.h>
#include <string.h>

/* The key's fields; 0 if it is one of ours. */
static int decode_key(const struct record *r, struct offsets_record *out)
{
	json_t *k = json_loadb((const char *)r->key, r->key_len > 0 ? (size_t)r->key_len : 0, 0, NULL);
	const char *g = json_string_value(json_object_get(k, "group"));
	const char *t = json_string_value(json_object_get(k, "topic"));
	json_t *p = json_object_get(k, "partition");
	int rc = -1;

	if (g && t && json_is_integer(p) && strlen(g) < sizeof(out->group) &&
	    strlen(t) < sizeof(out->o.tp.topic) && json_integer_value(p) >= 0 &&
	    json_integer_value(p) <= INT32_MAX) {
		snprintf(out->group, sizeof(out->group), "%s", g);
		snprintf(out->o.tp.topic, sizeof(out->o.tp.topic), "%s", t);
		out->o.tp.partition = (int32_t)json_integer_value(p);
		rc = 0;
	}
	json_decref(k);
	return rc;
}

enum offsets_record_kind offsets_record_decode(const struct record *r, struct offsets_record *out)
{
	json_t *off, *meta;

	memset(out, 0, sizeof(*out));
	if (!r->key || decode_key(r, out))
		return OFFSETS_RECORD_SKIP;
	if (!r->value)
		return OFFSETS_RECORD_TOMBSTONE;
	out->value = json_loadb((const char *)r->value, r->value_len > 0 ? (size_t)r->value_len : 0,
				0, NULL);
	off = json_object_get(out->value, "offset");
	if (!json_is_integer(off) || json_integer_value(off) < 0) {
		offsets_record_clear(out);
		return OFFSETS_RECORD_SKIP;
	}
	out->o.offset = json_integer_value(off);
	meta = json_object_get(out->value, "metadata");
	out->o.metadata = json_string_value(meta);
	out->o.commit_ms = json_integer_value(json_object_get(out->value, "commit_timestamp"));
	return OFFSETS_RECORD_COMMIT;
}

void offsets_record_clear(struct offsets_record *or)
{
	json_decref(or->value);
	or->value = NULL;
	or->o.metadata = NULL;
}

int offsets_record_encode(const char *group, const struct gc_offset *o, int tombstone,
			  struct record *r)
{
	json_t *k = json_pack("{s:s, s:s, s:i}", "group", group, "topic", o->tp.topic, "partition",
			      o->tp.partition);
	json_t *v = tombstone ? NULL
			      : json_pack("{s:I, s:s?, s:I}", "offset", (json_int_t)o->offset,
					  "metadata", o->metadata, "commit_timestamp",
					  (json_int_t)o->commit_ms);
	char *ks = k ? json_dumps(k, JSON_COMPACT) : NULL;
	char *vs = v ? json_dumps(v, JSON_COMPACT) : NULL;

	json_decref(k);
	json_decref(v);
	memset(r, 0, sizeof(*r));
	if (!ks || (!tombstone && !vs)) {
		free(ks);
		free(vs);
		return -1;
	}
	r->timestamp = o->commit_ms;
	r->key = (const uint8_t *)ks;
	r->key_len = (int32_t)strlen(ks);
	r->value = (const uint8_t *)vs;
	r->value_len = vs ? (int32_t)strlen(vs) : -1;
	return 0;
}

void offsets_record_free_text(struct record *r)
{
	free((void *)r->key);
	free((void *)r->value);
	r->key = r->value = NULL;
}
