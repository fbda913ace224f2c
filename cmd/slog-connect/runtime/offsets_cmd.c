/*
 * offsets_cmd.c: slog-connect offsets (offsets_cmd.h).
 *
 * The store is opened (which reads the topic to its end), changed in
 * memory, flushed (acks=all), and what it then holds is printed: the
 * output shows the positions a connector started now would use.
 */
#include <string.h>

#include "clock.h"
#include "runtime/offset_store.h"
#include "runtime/offsets_cmd.h"

/* {"partition":{...},"offset":{...}|null}, checked before anything is written. */
static int apply_set(struct offset_store *s, const char *text, struct err *e)
{
	json_error_t je;
	json_t *j = json_loads(text, 0, &je), *p, *o;

	if (!j)
		return err_set(e, SLOG_EINVALID_REQUEST, "--set-offset: not JSON: %s", je.text);
	p = json_object_get(j, "partition");
	o = json_object_get(j, "offset");
	if (!json_is_object(p) || !o || !(json_is_object(o) || json_is_null(o))) {
		json_decref(j);
		return err_set(e, SLOG_EINVALID_REQUEST,
			       "--set-offset: expected {\"partition\":{...},\"offset\":{...}} "
			       "(or \"offset\":null to forget one)");
	}
	offset_store_put(s, p, json_is_null(o) ? NULL : json_incref(o));
	json_decref(j);
	return 0;
}

static void print_text(json_t *list, FILE *out)
{
	size_t i;
	json_t *v;

	json_array_foreach(list, i, v) {
		char *p = json_dumps(json_object_get(v, "partition"), JSON_COMPACT | JSON_SORT_KEYS);
		char *o = json_dumps(json_object_get(v, "offset"), JSON_COMPACT | JSON_SORT_KEYS);

		fprintf(out, "%s\t%s\n", p ? p : "null", o ? o : "null");
		free(p);
		free(o);
	}
}

int offsets_command(const struct worker_conf *wc, const struct offsets_args *a, FILE *out,
		    struct err *e)
{
	int64_t deadline = clock_mono_ms() + a->timeout_ms;
	struct offset_store *s;
	json_t *list;
	int rc;

	rc = offset_store_open(wc->brokers, conf_get_str(&wc->conf, "offset.storage.topic"),
			       a->name, deadline, &s, e);
	if (rc)
		return rc;
	if (a->reset)
		offset_store_reset(s);
	if (a->set_offset)
		rc = apply_set(s, a->set_offset, e);
	if (!rc && (a->reset || a->set_offset))
		rc = offset_store_flush(s, deadline, e);
	if (!rc) {
		list = offset_store_list(s);
		if (a->json) {
			json_t *doc = json_pack("{s:o}", "offsets", list);
			json_dumpf(doc, out, JSON_COMPACT);
			fputc('\n', out);
			json_decref(doc);
		} else {
			print_text(list, out);
			json_decref(list);
		}
	}
	offset_store_close(s);
	return rc;
}
