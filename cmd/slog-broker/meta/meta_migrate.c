/*
 * meta_migrate.c: read (and, for tests, write) the metadata log of the
 * releases before the quorum.  See meta_migrate.h.
 */
#include "meta/meta_migrate.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "batch_builder.h"
#include "clock.h"
#include "compress.h"
#include "log.h"
#include "storage/fileio.h"
#include "storage/partition_log.h"
#include "xalloc.h"

int meta_migrate_is_old(const char *dir)
{
	DIR *dh = opendir(dir);
	struct dirent *de;
	int old = 0;

	if (!dh)
		return 0;
	while (!old && (de = readdir(dh))) {
		size_t len = strlen(de->d_name);
		old = len > 4 && strcmp(de->d_name + len - 4, ".log") == 0;
	}
	closedir(dh);
	return old;
}

int meta_migrate_move(const char *dir, const char *to, struct err *e)
{
	char parent[4200];
	int rc = fio_rename(dir, to, e);

	/* Renamed, then the rename made durable: a crash finds the old log
	 * at one of the two names, never at none. */
	fio_dirname(to, parent, sizeof(parent));
	if (!rc)
		rc = fio_fsync_dir(parent, e);
	if (rc)
		return err_wrap(e, "moving the metadata log of the old format aside");
	log_info("moved the metadata log of the old format to %s, to import it into the quorum", to);
	return 0;
}

/* The old log's settings: one that never expires. */
static int open_old(const char *dir, struct plog **out, struct err *e)
{
	struct plog_config cfg;
	struct plog_open_opts o = { .now_ms = clock_wall_ms() };

	plog_config_default(&cfg);
	cfg.segment_bytes = 64 << 20;
	cfg.retention_ms = -1;
	cfg.segment_ms = 0;
	if (plog_open(dir, &cfg, &o, out, NULL, e))
		return err_wrap(e, "metadata log %s", dir);
	return 0;
}

struct reader {
	const char *dir;
	int (*fn)(void *arg, json_t *rec, int64_t offset, struct err *e);
	void *arg;
};

static int read_record(void *arg, const struct record *r, struct err *e)
{
	struct reader *rd = arg;
	json_error_t je;
	json_t *rec = json_loadb((const char *)r->value, r->value_len > 0 ? (size_t)r->value_len : 0,
				 0, &je);
	int rc;

	if (!rec)
		return err_set(e, SLOG_ECORRUPT_MESSAGE,
			       "metadata log %s, record at offset %lld is not JSON: %s", rd->dir,
			       (long long)r->offset, je.text);
	rc = rd->fn(rd->arg, rec, r->offset, e);
	json_decref(rec);
	return rc;
}

int meta_migrate_read(const char *dir,
		      int (*fn)(void *arg, json_t *rec, int64_t offset, struct err *e), void *arg,
		      struct err *e)
{
	struct reader rd = { dir, fn, arg };
	struct plog *l;
	int rc = open_old(dir, &l, e);

	if (!rc) {
		rc = plog_replay(l, 0, read_record, &rd, e);
		plog_close(l, NULL);
	}
	return rc;
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

int meta_migrate_append(const char *dir, json_t *recs, struct err *e)
{
	struct buf out = BUF_INIT;
	struct plog_append_result res;
	struct plog *l;
	int64_t now = clock_wall_ms();
	int rc;

	if (!json_is_array(recs) || json_array_size(recs) == 0)
		return err_set(e, SLOG_EINVALID_REQUEST, "an append holds records");
	rc = open_old(dir, &l, e);
	if (rc)
		return rc;
	rc = build_batch(recs, now, &out, e);
	if (!rc)
		rc = plog_append(l, (uint8_t *)out.data, out.len, 0, now, &res, e);
	if (!rc)
		rc = plog_flush(l, res.last_offset + 1, e);
	buf_free(&out);
	{
		int crc = plog_close(l, rc ? NULL : e);
		if (!rc)
			rc = crc;
	}
	return rc;
}
