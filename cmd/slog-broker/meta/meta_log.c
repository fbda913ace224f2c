/*
 * meta_log.c: persist and replay metadata records.  See meta_log.h.
 */
#include "meta/meta_log.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "batch_builder.h"
#include "clock.h"
#include "compress.h"
#include "log.h"
#include "storage/fileio.h"
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

static int is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int meta_log_locate(const char *configured, const char *first_log_dir, char *out, size_t size,
		    struct err *e)
{
	char old[4200], parent[4200];
	int rc;

	if (configured && *configured)
		snprintf(out, size, "%s", configured);
	else
		snprintf(out, size, "%s/" META_LOG_DIR_NAME, first_log_dir);
	snprintf(old, sizeof(old), "%s/__cluster_metadata-0", first_log_dir);
	if (!is_dir(old))
		return 0;
	if (is_dir(out))
		return err_set(e, SLOG_EINVALID_CONFIG,
			       "both %s (the old place of the metadata log) and %s exist: "
			       "keep the one that holds this cluster's metadata", old, out);
	/* Renamed, then the rename made durable: a crash in between finds
	 * either the old place or the new one, never both or neither. */
	rc = fio_rename(old, out, e);
	fio_dirname(out, parent, sizeof(parent));
	if (!rc)
		rc = fio_fsync_dir(parent, e);
	if (!rc && strcmp(parent, first_log_dir) != 0)
		rc = fio_fsync_dir(first_log_dir, e);
	if (rc)
		return err_wrap(e, "moving the metadata log out of the topics' names");
	log_info("moved the metadata log from %s to %s", old, out);
	return 0;
}

int meta_log_open(struct meta_log *ml, const char *dir, int clean, struct meta_state *s,
		  struct err *e)
{
	struct plog_config cfg;
	struct plog_open_opts o = { .recovery_point = 0, .clean_shutdown = clean, .now_ms = clock_wall_ms() };
	int rc;

	plog_config_default(&cfg);
	cfg.segment_bytes = 64 << 20;
	cfg.retention_ms = -1; /* the metadata log is never expired */
	cfg.segment_ms = 0;
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

int meta_log_write(struct meta_log *ml, const struct meta_state *s, json_t *rec, struct err *e)
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
	return rc ? err_wrap(e, "metadata log") : 0;
}

int meta_log_applied(struct meta_state *s, json_t *rec, struct err *e)
{
	int rc = meta_apply(s, rec, e);

	if (rc)
		log_error("metadata record committed but not applied: %s", e ? e->msg : "");
	return rc;
}

int meta_log_commit(struct meta_log *ml, struct meta_state *s, json_t *rec, struct err *e)
{
	int rc = meta_log_write(ml, s, rec, e);

	return rc ? rc : meta_log_applied(s, rec, e);
}

int meta_log_close(struct meta_log *ml, struct err *e)
{
	int rc = 0;

	if (ml->log)
		rc = plog_close(ml->log, e);
	ml->log = NULL;
	return rc;
}
