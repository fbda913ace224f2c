/*
 * meta_log.c: persist and replay metadata records.  See meta_log.h.
 */
#include "meta/meta_log.h"

#include <stdio.h>
#include <stdlib.h>
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

int meta_log_apply(const struct meta_log *ml, struct meta_state *s, json_t *rec, int64_t offset,
		   struct err *e)
{
	struct err why;
	char where[64] = "a proposed record";
	int rc = meta_state_apply(s, rec, &why);

	if (offset >= 0)
		snprintf(where, sizeof(where), "record at offset %lld", (long long)offset);
	if (rc == SLOG_EINVALID_REQUEST) {
		log_warn("metadata log %s, %s does not apply, skipped: %s", ml->dir, where, why.msg);
		return 0;
	}
	if (rc)
		return err_set(e, rc, "metadata log %s, %s: %s", ml->dir, where, why.msg);
	return 0;
}

struct replay {
	struct meta_log *ml;
	struct meta_state *s;
};

static int replay_record(void *arg, const struct record *r, struct err *e)
{
	struct replay *rp = arg;
	json_error_t je;
	json_t *rec = json_loadb((const char *)r->value, r->value_len > 0 ? (size_t)r->value_len : 0,
				 0, &je);
	int rc;

	if (!rec)
		return err_set(e, SLOG_ECORRUPT_MESSAGE,
			       "metadata log %s, record at offset %lld is not JSON: %s", rp->ml->dir,
			       (long long)r->offset, je.text);
	rc = meta_log_apply(rp->ml, rp->s, rec, r->offset, e);
	json_decref(rec);
	return rc;
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
	struct replay rp = { ml, s };
	int rc;

	snprintf(ml->dir, sizeof(ml->dir), "%s", dir);
	plog_config_default(&cfg);
	cfg.segment_bytes = 64 << 20;
	cfg.retention_ms = -1; /* the metadata log is never expired */
	cfg.segment_ms = 0;
	rc = plog_open(dir, &cfg, &o, &ml->log, NULL, e);
	if (rc)
		return err_wrap(e, "metadata log");
	rc = plog_replay(ml->log, 0, replay_record, &rp, e);
	if (rc) {
		plog_close(ml->log, NULL);
		ml->log = NULL;
		return rc;
	}
	pthread_mutex_init(&ml->lock, NULL);
	clock_cond_init(&ml->committed_cond);
	plog_offsets(ml->log, NULL, &ml->committed);
	return 0;
}

/* One batch of the records of recs, each keyed by its type. */
static int build_batch(json_t *recs, int64_t now, struct buf *out, struct err *e)
{
	struct batch_builder bb;
	json_t *rec;
	char **texts = xcalloc(json_array_size(recs) + 1, sizeof(*texts));
	size_t i;
	int rc;

	batch_builder_init(&bb, CODEC_NONE, 0);
	json_array_foreach(recs, i, rec) {
		const char *type = json_string_value(json_object_get(rec, "type"));
		struct record r = { .key = (const uint8_t *)type,
				    .key_len = type ? (int32_t)strlen(type) : -1,
				    .timestamp = now };

		texts[i] = json_dumps(rec, JSON_COMPACT);
		r.value = (const uint8_t *)texts[i];
		r.value_len = (int32_t)strlen(texts[i]);
		batch_builder_add(&bb, &r);
	}
	rc = batch_builder_finish(&bb, out, e);
	batch_builder_free(&bb);
	for (i = 0; i < json_array_size(recs); i++)
		free(texts[i]);
	free(texts);
	return rc;
}

int meta_log_propose(struct meta_log *ml, json_t *recs, int64_t *end, struct err *e)
{
	struct buf out = BUF_INIT;
	struct plog_append_result res;
	int64_t now = clock_wall_ms();
	int rc;

	if (!json_is_array(recs) || json_array_size(recs) == 0)
		return err_set(e, SLOG_EINVALID_REQUEST, "a metadata proposal holds records");
	rc = build_batch(recs, now, &out, e);
	if (!rc)
		rc = plog_append(ml->log, (uint8_t *)out.data, out.len, 0, now, &res, e);
	if (!rc)
		rc = plog_flush(ml->log, res.last_offset + 1, e);
	buf_free(&out);
	if (rc)
		return err_wrap(e, "metadata log");
	/* Durable is committed, with one voter. */
	pthread_mutex_lock(&ml->lock);
	ml->committed = res.last_offset + 1;
	pthread_cond_broadcast(&ml->committed_cond);
	pthread_mutex_unlock(&ml->lock);
	*end = res.last_offset + 1;
	return 0;
}

int meta_log_await(struct meta_log *ml, int64_t end, int64_t deadline_ms, struct err *e)
{
	int rc = 0;

	pthread_mutex_lock(&ml->lock);
	while (ml->committed < end && clock_mono_ms() < deadline_ms)
		clock_cond_wait_until(&ml->committed_cond, &ml->lock, deadline_ms);
	if (ml->committed < end)
		rc = err_set(e, SLOG_EREQUEST_TIMED_OUT,
			     "metadata records up to offset %lld not committed in time",
			     (long long)end - 1);
	pthread_mutex_unlock(&ml->lock);
	return rc;
}

int meta_log_close(struct meta_log *ml, struct err *e)
{
	int rc = 0;

	if (ml->log) {
		rc = plog_close(ml->log, e);
		pthread_mutex_destroy(&ml->lock);
		pthread_cond_destroy(&ml->committed_cond);
	}
	ml->log = NULL;
	return rc;
}
