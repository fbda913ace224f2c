/*
 * meta_log.c: persist and replay metadata records.  See meta_log.h.
 */
#include "meta_log.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "batch_builder.h"
#include "clock.h"
#include "compress.h"
#include "fileio.h"
#include "log.h"
#include "xalloc.h"

/* Apply one metadata record. */
static int replay_record(void *arg, const struct record *r, struct err *e)
{
	struct meta_state *s = arg;
	json_error_t je;
	json_t *rec = json_loadb((const char *)r->value, r->value_len > 0 ? (size_t)r->value_len : 0,
				 0, &je);
	int rc;

	if (!rec)
		return err_set(e, SLOG_ECORRUPT_MESSAGE, "metadata record at offset %lld: %s",
			       (long long)r->offset, je.text);
	rc = meta_apply(s, rec, e);
	json_decref(rec);
	if (rc)
		return err_wrap(e, "metadata record at offset %lld", (long long)r->offset);
	return 0;
}

int meta_log_open(struct meta_log *ml, const char *log_dir, int clean, struct meta_state *s,
		  struct err *e)
{
	struct plog_config cfg;
	struct plog_open_opts o = { .recovery_point = 0, .clean_shutdown = clean, .now_ms = clock_wall_ms() };
	char dir[4096];
	int rc;

	plog_config_default(&cfg);
	cfg.segment_bytes = 64 << 20;
	cfg.retention_ms = -1; /* the metadata log is never expired */
	cfg.segment_ms = 0;
	snprintf(dir, sizeof(dir), "%s/__cluster_metadata-0", log_dir);
	rc = plog_open(dir, &cfg, &o, &ml->log, NULL, e);
	if (rc)
		return err_wrap(e, "metadata log");
	rc = plog_replay(ml->log, 0, replay_record, s, e);
	if (rc) {
		plog_close(ml->log, NULL);
		ml->log = NULL;
	}
	return rc;
}

int meta_log_commit(struct meta_log *ml, struct meta_state *s, json_t *rec, struct err *e)
{
	struct batch_builder bb;
	struct buf out = BUF_INIT;
	struct plog_append_result res;
	char *text = json_dumps(rec, JSON_COMPACT);
	const char *type = json_string_value(json_object_get(rec, "type"));
	struct record r = { .key = (const uint8_t *)type, .key_len = type ? (int32_t)strlen(type) : -1,
			    .value = (const uint8_t *)text, .value_len = (int32_t)strlen(text),
			    .timestamp = clock_wall_ms() };
	int rc;

	/* A record that would not apply must not become durable. */
	rc = meta_check(s, rec, e);
	if (rc) {
		free(text);
		return rc;
	}
	batch_builder_init(&bb, CODEC_NONE, 0);
	batch_builder_add(&bb, &r);
	rc = batch_builder_finish(&bb, &out, e);
	batch_builder_free(&bb);
	free(text);
	if (!rc)
		rc = plog_append(ml->log, (uint8_t *)out.data, out.len, 0, r.timestamp, &res, e);
	if (!rc)
		rc = plog_flush(ml->log, res.last_offset + 1, e);
	buf_free(&out);
	if (rc)
		return err_wrap(e, "metadata log");
	rc = meta_apply(s, rec, e);
	if (rc)
		log_error("metadata record committed but not applied: %s", e ? e->msg : "");
	return rc;
}

int meta_log_close(struct meta_log *ml, struct err *e)
{
	int rc = 0;

	if (ml->log)
		rc = plog_close(ml->log, e);
	ml->log = NULL;
	return rc;
}
