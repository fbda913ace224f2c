/*
 * meta_log.c: persist and replay metadata records.  See meta_log.h.
 */
#include "meta_log.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "batch_builder.h"
#include "batch_iter.h"
#include "compress.h"
#include "fileio.h"
#include "log.h"
#include "xalloc.h"

static int64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Apply every record of one batch. */
static int replay_batch(struct meta_state *s, const uint8_t *p, size_t len, struct buf *scratch,
			struct err *e)
{
	struct batch_iter it;
	struct record r;
	int rc;

	rc = batch_iter_init(&it, p, len, scratch, e);
	while (!rc && (rc = batch_iter_next(&it, &r, e)) == 1) {
		json_error_t je;
		json_t *rec = json_loadb((const char *)r.value, r.value_len > 0 ? (size_t)r.value_len : 0,
					 0, &je);
		if (!rec)
			return err_set(e, SLOG_ECORRUPT_MESSAGE, "metadata record at offset %lld: %s",
				       (long long)r.offset, je.text);
		rc = meta_apply(s, rec, e);
		json_decref(rec);
		if (rc)
			return err_wrap(e, "metadata record at offset %lld", (long long)r.offset);
		rc = 0;
	}
	return rc < 0 ? rc : 0;
}

static int replay(struct meta_log *ml, struct meta_state *s, struct err *e)
{
	struct buf data = BUF_INIT, scratch = BUF_INIT;
	int64_t start, end, off;
	int rc = 0;

	plog_offsets(ml->log, &start, &end);
	off = start;
	while (!rc && off < end) {
		struct plog_region r;
		size_t pos = 0;
		ssize_t got;

		rc = plog_read(ml->log, off, end, 1 << 20, &r, e);
		if (rc)
			break;
		buf_reset(&data);
		got = fio_pread(r.seg->fd, buf_reserve(&data, r.length), r.length, (off_t)r.position,
				r.seg->path, e);
		if (got < 0 || (uint64_t)got != r.length) {
			plog_region_release(&r);
			rc = got < 0 ? (int)got : err_set(e, SLOG_EIO, "short read of the metadata log");
			break;
		}
		while (!rc && pos < r.length) {
			struct batch_header h;
			rc = batch_next_in((uint8_t *)data.data + pos, r.length - pos, &h, e);
			if (!rc)
				rc = replay_batch(s, (uint8_t *)data.data + pos, batch_size(&h), &scratch, e);
			pos += batch_size(&h);
		}
		off = r.next_offset;
		plog_region_release(&r);
	}
	buf_free(&data);
	buf_free(&scratch);
	return rc;
}

int meta_log_open(struct meta_log *ml, const char *log_dir, int clean, struct meta_state *s,
		  struct err *e)
{
	struct plog_config cfg;
	struct plog_open_opts o = { .recovery_point = 0, .clean_shutdown = clean, .now_ms = wall_ms() };
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
	rc = replay(ml, s, e);
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
			    .timestamp = wall_ms() };
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
