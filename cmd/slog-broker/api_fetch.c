/*
 * api_fetch.c: records and offsets out.
 *
 *   GET /v1/topics/{t}/partitions/{p}/records?offset=&max_bytes=&max_wait_ms=
 *   GET /v1/topics/{t}/partitions/{p}/offsets?at=earliest|latest|<ms>
 *
 * A fetch that asks for application/x-slog-batch is answered with a
 * region of a segment file, sent by the kernel (sendfile): the records
 * are never copied through this process.  Other fetches get NDJSON,
 * decoded here.  The first batch may start before the offset asked for
 * (batches are never split); NDJSON skips those records, binary readers
 * skip them themselves, as Kafka's do.
 *
 * At the high watermark with max_wait_ms > 0 the request suspends until
 * an append passes its offset or the wait runs out (fetch_wait.h).
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api.h"
#include "batch_iter.h"
#include "broker.h"
#include "fileio.h"
#include "ndjson.h"
#include "units.h"
#include "xalloc.h"

#define FETCH_DEFAULT_BYTES (1 << 20)
#define FETCH_MAX_BYTES (64 << 20)

struct fetch_state {
	char topic[TOPIC_NAME_MAX + 1];
	int32_t partition;
	int64_t offset;
	int64_t max_bytes;
	int64_t max_wait_ms;
	int binary;
	int waited;
};

static void offsets_headers(struct request *r, int64_t start, int64_t hw, int64_t next)
{
	char v[32];

	snprintf(v, sizeof(v), "%lld", (long long)hw);
	http_add_header(r, "Slog-High-Watermark", v);
	snprintf(v, sizeof(v), "%lld", (long long)start);
	http_add_header(r, "Slog-Log-Start-Offset", v);
	snprintf(v, sizeof(v), "%lld", (long long)next);
	http_add_header(r, "Slog-Next-Offset", v);
}

/*
 * Records are decoded only from a batch whose CRC matches: altered bytes
 * are answered with CORRUPT_MESSAGE naming the offsets, never served, and
 * the partition remembers the damage so that later reads stop before it.
 */
static int check_stored(struct partition *p, const struct plog_region *reg, size_t off,
			const uint8_t *batch, const struct batch_header *h, struct err *e)
{
	struct err why;

	if (batch_validate(batch, batch_size(h), BATCH_CHECK_CRC, NULL, NULL, &why) == 0)
		return 0;
	plog_report_damage(p->log, reg->seg, reg->position + off, h, why.msg);
	return err_set(e, SLOG_ECORRUPT_MESSAGE,
		       "offsets %lld-%lld are damaged on this broker (%s)", (long long)h->base_offset,
		       (long long)batch_last_offset(h), why.msg);
}

/* Decode the region's batches into NDJSON lines, skipping offsets < from. */
static int region_ndjson(struct partition *p, const struct plog_region *reg, int64_t from,
			 struct buf *out, struct err *e)
{
	struct buf data = BUF_INIT, scratch = BUF_INIT;
	ssize_t got;
	size_t off = 0;
	int rc = 0;

	got = fio_pread(reg->seg->fd, buf_reserve(&data, reg->length), reg->length,
			(off_t)reg->position, reg->seg->path, e);
	if (got < 0 || (uint64_t)got != reg->length) {
		buf_free(&data);
		return got < 0 ? (int)got : err_set(e, SLOG_ESTORAGE, "short read of %s", reg->seg->path);
	}
	while (off < reg->length && !rc) {
		struct batch_header h;
		struct batch_iter it;
		struct record rec;

		rc = batch_next_in((uint8_t *)data.data + off, reg->length - off, &h, e);
		if (!rc)
			rc = check_stored(p, reg, off, (uint8_t *)data.data + off, &h, e);
		if (!rc)
			rc = batch_iter_init(&it, (uint8_t *)data.data + off, batch_size(&h), &scratch, e);
		if (rc)
			break;
		while ((rc = batch_iter_next(&it, &rec, e)) == 1) {
			if (rec.offset < from)
				continue;
			ndjson_write(out, p->topic->name, p->id, &rec);
			p->records_out++;
		}
		off += batch_size(&h);
	}
	buf_free(&data);
	buf_free(&scratch);
	return rc < 0 ? rc : 0;
}

static void wake_fetch(struct fetch_wait *w)
{
	http_resume(w->arg);
}

static int do_fetch(struct request *r);

static int fetch_again(struct request *r)
{
	return do_fetch(r);
}

static int do_fetch(struct request *r)
{
	struct fetch_state *fs = r->state;
	struct broker *b = r->b;
	struct plog_region reg;
	struct topic *t;
	struct partition *p;
	int64_t start, hw;
	struct err e;
	int rc;

	pthread_rwlock_rdlock(&b->meta_lock);
	t = broker_topic(b, fs->topic);
	p = t ? topic_partition(t, fs->partition) : NULL;
	if (!p) {
		int32_t n = t ? t->npart : 0;
		pthread_rwlock_unlock(&b->meta_lock);
		if (!t)
			return http_reply_error(r, SLOG_EUNKNOWN_TOPIC_OR_PARTITION,
						"topic '%s' does not exist", fs->topic);
		return http_reply_error(r, SLOG_EUNKNOWN_TOPIC_OR_PARTITION,
					"topic '%s' has no partition %d (it has %d)", fs->topic,
					fs->partition, n);
	}
	hw = p->hw;
	plog_offsets(p->log, &start, NULL);
	if (fs->offset < 0)
		fs->offset = start;
	rc = plog_read(p->log, fs->offset, hw, (size_t)fs->max_bytes, &reg, &e);
	if (rc) {
		pthread_rwlock_unlock(&b->meta_lock);
		if (rc == SLOG_EOFFSET_OUT_OF_RANGE)
			return http_reply_error_with(r, rc, json_pack("{s:I, s:I}", "log_start_offset",
								      (json_int_t)start, "high_watermark",
								      (json_int_t)hw),
						     "%s", e.msg);
		return http_reply_err(r, &e);
	}
	if (reg.length == 0 && fs->max_wait_ms > 0 && !fs->waited && !b->stopping) {
		/* Nothing yet: wait for an append or the deadline. */
		plog_region_release(&reg);
		fs->waited = 1;
		r->wait.part = p;
		r->wait.offset = fs->offset;
		r->wait.deadline_ms = clock_mono_ms() + fs->max_wait_ms;
		r->wait.wake = wake_fetch;
		r->wait.arg = r;
		http_suspend(r, fetch_again);
		fetch_waits_add(b->waits, &r->wait);
		pthread_rwlock_unlock(&b->meta_lock);
		return 1;
	}
	offsets_headers(r, start, hw, reg.length ? reg.next_offset : fs->offset);
	if (fs->binary) {
		int fd = reg.length ? fcntl(reg.seg->fd, F_DUPFD_CLOEXEC, 0) : -1;
		uint64_t pos = reg.position, len = reg.length;

		p->bytes_out += len;
		/* Offsets served: the records, less any compaction left out. */
		if (len)
			p->records_out += (uint64_t)(reg.next_offset - fs->offset);
		plog_region_release(&reg);
		pthread_rwlock_unlock(&b->meta_lock);
		if (!len)
			return http_reply(r, 200, "application/x-slog-batch", NULL);
		if (fd < 0)
			return http_reply_error(r, SLOG_ESTORAGE, "cannot duplicate a segment descriptor");
		return http_reply_fd(r, 200, "application/x-slog-batch", fd, pos, len);
	} else {
		struct buf out = BUF_INIT;
		rc = reg.length ? region_ndjson(p, &reg, fs->offset, &out, &e) : 0;
		p->bytes_out += out.len;
		plog_region_release(&reg);
		pthread_rwlock_unlock(&b->meta_lock);
		if (rc) {
			buf_free(&out);
			return http_reply_err(r, &e);
		}
		return http_reply(r, 200, "application/x-ndjson", &out);
	}
}

/* A numeric query parameter in [min, max], or dflt when absent. */
static int query_num(struct request *r, const char *name, int64_t min, int64_t max, int64_t dflt,
		     int64_t *out)
{
	const char *v = http_query(r, name);
	struct err e;

	*out = dflt;
	if (!v)
		return 0;
	if (units_parse_int(v, min, max, out, &e)) {
		http_reply_error(r, SLOG_EINVALID_REQUEST, "%s: %s", name, e.msg);
		return -1;
	}
	return 0;
}

int api_fetch(struct request *r, char **args)
{
	struct fetch_state *fs = xcalloc(1, sizeof(*fs));
	const char *accept = http_header(r, "Accept");
	const char *isolation = http_query(r, "isolation");

	r->state = fs;
	r->free_state = free;
	snprintf(fs->topic, sizeof(fs->topic), "%s", args[0]);
	fs->partition = api_partition_arg(args[1]);
	if (fs->partition < 0)
		return http_reply_error(r, SLOG_EUNKNOWN_TOPIC_OR_PARTITION, "'%s' is not a partition number",
					args[1]);
	if (query_num(r, "offset", 0, INT64_MAX, -1, &fs->offset) ||
	    query_num(r, "max_bytes", 1, FETCH_MAX_BYTES, FETCH_DEFAULT_BYTES, &fs->max_bytes) ||
	    query_num(r, "max_wait_ms", 0, INT64_MAX, 0, &fs->max_wait_ms))
		return 1;
	if (isolation && strcmp(isolation, "read_uncommitted") != 0 &&
	    strcmp(isolation, "read_committed") != 0)
		return http_reply_error(r, SLOG_EINVALID_REQUEST,
					"isolation must be read_committed or read_uncommitted");
	if (fs->max_wait_ms > r->b->fetch_max_wait_ms)
		fs->max_wait_ms = r->b->fetch_max_wait_ms;
	fs->binary = accept && strstr(accept, "application/x-slog-batch") != NULL;
	return do_fetch(r);
}

int api_offsets(struct request *r, char **args)
{
	struct broker *b = r->b;
	const char *at = http_query(r, "at");
	int32_t pn = api_partition_arg(args[1]);
	int64_t start, offset, ts = -1, when = 0;
	struct topic *t;
	struct partition *p;
	struct err e;
	json_t *j;
	int by_time = 0;

	if (!at)
		at = "latest";
	if (strcmp(at, "earliest") != 0 && strcmp(at, "latest") != 0) {
		if (units_parse_int(at, 0, INT64_MAX, &when, NULL))
			return http_reply_error(r, SLOG_EINVALID_REQUEST,
						"at must be earliest, latest or a time in ms since the epoch");
		by_time = 1;
	}
	pthread_rwlock_rdlock(&b->meta_lock);
	t = broker_topic(b, args[0]);
	p = t && pn >= 0 ? topic_partition(t, pn) : NULL;
	if (!p) {
		pthread_rwlock_unlock(&b->meta_lock);
		return http_reply_error(r, SLOG_EUNKNOWN_TOPIC_OR_PARTITION, "%s-%s does not exist", args[0],
					args[1]);
	}
	plog_offsets(p->log, &start, NULL);
	offset = strcmp(at, "earliest") == 0 ? start : p->hw;
	if (by_time) {
		int rc = plog_find_timestamp(p->log, when, &offset, &ts, &e);
		if (rc < 0) {
			pthread_rwlock_unlock(&b->meta_lock);
			return http_reply_err(r, &e);
		}
		if (rc == 0 || offset >= p->hw) {
			offset = p->hw; /* every record is older: the end */
			ts = -1;
		}
	}
	j = json_pack("{s:s, s:i, s:I, s:I}", "topic", t->name, "partition", pn, "offset",
		      (json_int_t)offset, "timestamp", (json_int_t)ts);
	pthread_rwlock_unlock(&b->meta_lock);
	return http_reply_json(r, 200, j);
}
