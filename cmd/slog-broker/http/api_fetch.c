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
 * An NDJSON answer counts its own text against max_bytes and may stop
 * inside a batch: a few KiB of zstd can hold hundreds of MiB of records.
 * It is read, decompressed (in steps) and rendered after the metadata lock
 * is released; the region's segment reference keeps the file readable.
 *
 * At the high watermark with max_wait_ms > 0 the request suspends until
 * an append passes its offset or the wait runs out (fetch_wait.h).
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "batch_check.h"
#include "batch_iter.h"
#include "broker.h"
#include "http/api.h"
#include "ndjson.h"
#include "replica/registry.h"
#include "storage/dir_gate.h"
#include "storage/fileio.h"
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
	int at;                /* offsets: AT_*; AT_TIME's time is in offset */
	struct dir_gate_wait gate; /* waiting for a log dir's slot */
};

static void fetch_state_free(void *p)
{
	struct fetch_state *fs = p;

	dir_gate_forget(&fs->gate);
	free(fs);
}

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

/* An NDJSON answer in the making: where it stands against max_bytes. */
struct ndjson_answer {
	const struct fetch_state *fs;
	size_t record_limit;  /* message.max.uncompressed.bytes */
	struct buf out;
	int64_t next;         /* the first offset not rendered */
	uint64_t records;     /* records rendered */
	int full;             /* the next record would pass max_bytes */
	int64_t too_large;    /* the offset of a record beyond record_limit, or -1 */
};

/* A record's bytes, which its NDJSON takes at most six times. */
static size_t record_bytes(const struct record *r)
{
	return (r->key_len > 0 ? (size_t)r->key_len : 0) +
	       (r->value_len > 0 ? (size_t)r->value_len : 0) + r->headers_raw_len;
}

static int too_large(struct ndjson_answer *a, const struct record *rec, struct err *e)
{
	a->too_large = rec->offset;
	return err_set(e, SLOG_EMESSAGE_TOO_LARGE,
		       "the record at offset %lld holds %zu bytes, beyond "
		       "message.max.uncompressed.bytes (%zu); fetch it as application/x-slog-batch",
		       (long long)rec->offset, record_bytes(rec), a->record_limit);
}

/*
 * Render one batch's records from fs->offset on, read in steps (a record's
 * worth of scratch: a batch of a few KiB may expand to hundreds of MiB).
 * Stops before a record that would take the answer past max_bytes, unless
 * the answer is still empty: a reader always makes progress.
 */
static int render_batch(struct ndjson_answer *a, const uint8_t *p, const struct batch_header *h,
			struct buf *scratch, struct err *e)
{
	struct batch_iter it;
	struct record rec;
	int rc;

	rc = batch_iter_open(&it, p, batch_size(h), BATCH_MAX_RECORDS_BYTES, scratch, e);
	if (rc)
		return rc;
	while ((rc = batch_iter_next(&it, &rec, e)) == 1) {
		size_t mark = a->out.len;

		if (rec.offset < a->fs->offset)
			continue;
		if (record_bytes(&rec) > a->record_limit) {
			/* Stored before the limit was lowered (or by an older broker):
			 * one record must not cost gigabytes of JSON.  It ends the
			 * answer, or is the answer's error when it comes first. */
			a->full = 1;
			a->next = rec.offset;
			if (!a->records)
				rc = too_large(a, &rec, e);
			break;
		}
		ndjson_write(&a->out, a->fs->topic, a->fs->partition, &rec);
		if (a->records && a->out.len > (size_t)a->fs->max_bytes) {
			buf_setlen(&a->out, mark);
			a->full = 1;
			a->next = rec.offset;
			break;
		}
		a->records++;
		a->next = rec.offset + 1;
	}
	batch_iter_close(&it);
	return rc < 0 ? rc : 0;
}

/*
 * Render the region's batches as NDJSON, at most max_bytes of it (or one
 * record); a->next is where the reader goes on, inside a batch if the
 * answer stopped there.  Runs without the metadata lock: the caller holds a
 * reference to the partition, and the region one to its segment.
 */
static int region_ndjson(struct partition *p, const struct plog_region *reg,
			 struct ndjson_answer *a, struct err *e)
{
	struct buf data = BUF_INIT, scratch = BUF_INIT;
	ssize_t got;
	size_t off = 0;
	int rc = 0;

	got = segment_pread(reg->seg, buf_reserve(&data, reg->length), reg->length, reg->position, e);
	if (got < 0 || (uint64_t)got != reg->length) {
		buf_free(&data);
		return got < 0 ? (int)got : err_set(e, SLOG_ESTORAGE, "short read of %s", reg->seg->path);
	}
	while (off < reg->length && !rc && !a->full) {
		struct batch_header h;

		rc = batch_next_in((uint8_t *)data.data + off, reg->length - off, &h, e);
		if (!rc)
			rc = check_stored(p, reg, off, (uint8_t *)data.data + off, &h, e);
		if (!rc)
			rc = render_batch(a, (uint8_t *)data.data + off, &h, &scratch, e);
		off += batch_size(&h);
	}
	if (!rc && !a->full)
		a->next = reg->next_offset; /* past any offsets compaction left out */
	buf_free(&data);
	buf_free(&scratch);
	return rc;
}

/*
 * The NDJSON answer, rendered after the metadata lock is released; p is a
 * reference the caller took (partition_get), given back here.
 */
static int reply_ndjson(struct request *r, struct partition *p, struct plog_region *reg,
			int64_t start, int64_t hw)
{
	struct fetch_state *fs = r->state;
	struct ndjson_answer a = { .fs = fs, .out = BUF_INIT, .next = fs->offset, .too_large = -1 };
	struct err e;
	int rc;

	a.record_limit = (size_t)conf_get_num(&r->b->conf, "message.max.uncompressed.bytes");
	rc = reg->length ? region_ndjson(p, reg, &a, &e) : 0;
	plog_region_release(reg);
	if (!rc) {
		p->bytes_out += a.out.len;
		p->records_out += a.records;
	}
	partition_put(p);
	if (rc) {
		buf_free(&a.out);
		if (a.too_large < 0)
			return http_reply_err(r, &e);
		return http_reply_error_with(r, rc, json_pack("{s:I}", "offset", (json_int_t)a.too_large),
					     "%s", e.msg);
	}
	offsets_headers(r, start, hw, a.next);
	return http_reply(r, 200, "application/x-ndjson", &a.out);
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

/*
 * The request's partition, with a reference taken under meta_lock and
 * the lock released: a read may wait behind an append blocked on a
 * stalled disk, and must not hold the lock meanwhile (broker.h).  NULL
 * when it does not exist; the answer is then sent.
 */
static struct partition *hold_partition(struct request *r)
{
	struct fetch_state *fs = r->state;
	struct broker *b = r->b;
	struct topic *t;
	struct partition *p;
	int32_t n;

	pthread_rwlock_rdlock(&b->meta_lock);
	t = broker_topic(b, fs->topic);
	p = t ? topic_partition(t, fs->partition) : NULL;
	if (p) {
		partition_get(p);
		pthread_rwlock_unlock(&b->meta_lock);
		return p;
	}
	n = t ? t->npart : 0;
	pthread_rwlock_unlock(&b->meta_lock);
	if (!t)
		http_reply_error(r, SLOG_EUNKNOWN_TOPIC_OR_PARTITION, "topic '%s' does not exist",
				 fs->topic);
	else
		http_reply_error(r, SLOG_EUNKNOWN_TOPIC_OR_PARTITION,
				 "topic '%s' has no partition %d (it has %d)", fs->topic, fs->partition, n);
	return NULL;
}

/*
 * Nothing to read yet: wait for an append or the deadline.  The waiter is
 * registered under meta_lock, where a deletion cannot slip in between
 * (it drops a deleted partition's waiters under the lock for writing);
 * a partition deleted already is looked up again at once.
 */
static int wait_for_data(struct request *r, struct partition *p)
{
	struct fetch_state *fs = r->state;
	struct broker *b = r->b;

	fs->waited = 1;
	r->wait.part = p;
	r->wait.offset = fs->offset;
	r->wait.deadline_ms = clock_mono_ms() + fs->max_wait_ms;
	r->wait.wake = wake_fetch;
	r->wait.arg = r;
	http_suspend(r, fetch_again);
	pthread_rwlock_rdlock(&b->meta_lock);
	if (atomic_load(&p->deleted))
		http_resume(r);
	else
		fetch_waits_add(b->waits, &r->wait);
	pthread_rwlock_unlock(&b->meta_lock);
	partition_put(p); /* a registered waiter is dropped before p goes */
	return 1;
}

static int do_fetch(struct request *r)
{
	struct fetch_state *fs = r->state;
	struct broker *b = r->b;
	struct plog_region reg;
	struct partition *p = hold_partition(r);
	int64_t start, hw;
	struct err e;
	int rc;

	if (!p)
		return 1;
	/* The read waits behind an append to a stalled disk (dir_gate.h). */
	if (!api_enter_dirs(r, dir_gate_bit(p->dir), &fs->gate, fetch_again)) {
		partition_put(p);
		return 1;
	}
	hw = p->hw;
	plog_offsets(p->log, &start, NULL);
	if (fs->offset < 0)
		fs->offset = start;
	rc = plog_read(p->log, fs->offset, hw, (size_t)fs->max_bytes, &reg, &e);
	dir_gate_leave(b->gate, dir_gate_bit(p->dir));
	if (rc) {
		partition_put(p);
		if (rc == SLOG_EOFFSET_OUT_OF_RANGE)
			return http_reply_error_with(r, rc, json_pack("{s:I, s:I}", "log_start_offset",
								      (json_int_t)start, "high_watermark",
								      (json_int_t)hw),
						     "%s", e.msg);
		return http_reply_err(r, &e);
	}
	if (reg.length == 0 && fs->max_wait_ms > 0 && !fs->waited && !b->stopping) {
		plog_region_release(&reg);
		return wait_for_data(r, p);
	}
	if (!fs->binary)
		return reply_ndjson(r, p, &reg, start, hw);
	offsets_headers(r, start, hw, reg.length ? reg.next_offset : fs->offset);
	int fd = reg.length ? segment_fd_dup(reg.seg, &e) : -1;
	uint64_t pos = reg.position, len = reg.length;

	p->bytes_out += len;
	/* Offsets served: the records, less any compaction left out. */
	if (len)
		p->records_out += (uint64_t)(reg.next_offset - fs->offset);
	plog_region_release(&reg);
	partition_put(p);
	if (!len)
		return http_reply(r, 200, "application/x-slog-batch", NULL);
	if (fd < 0)
		return http_reply_error(r, SLOG_ESTORAGE, "cannot duplicate a segment descriptor");
	return http_reply_fd(r, 200, "application/x-slog-batch", fd, pos, len);
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
	r->free_state = fetch_state_free;
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

enum { AT_EARLIEST, AT_LATEST, AT_TIME };

static int do_offsets(struct request *r)
{
	struct fetch_state *fs = r->state;
	struct broker *b = r->b;
	int64_t start, offset, ts = -1;
	struct partition *p = hold_partition(r);
	struct err e;
	json_t *j;

	if (!p)
		return 1;
	if (!api_enter_dirs(r, dir_gate_bit(p->dir), &fs->gate, do_offsets)) {
		partition_put(p);
		return 1;
	}
	plog_offsets(p->log, &start, NULL);
	offset = fs->at == AT_EARLIEST ? start : p->hw;
	if (fs->at == AT_TIME) {
		int rc = plog_find_timestamp(p->log, fs->offset, &offset, &ts, &e);
		if (rc < 0) {
			dir_gate_leave(b->gate, dir_gate_bit(p->dir));
			partition_put(p);
			return http_reply_err(r, &e);
		}
		if (rc == 0 || offset >= p->hw) {
			offset = p->hw; /* every record is older: the end */
			ts = -1;
		}
	}
	dir_gate_leave(b->gate, dir_gate_bit(p->dir));
	partition_put(p);
	j = json_pack("{s:s, s:i, s:I, s:I}", "topic", fs->topic, "partition", fs->partition, "offset",
		      (json_int_t)offset, "timestamp", (json_int_t)ts);
	return http_reply_json(r, 200, j);
}

int api_offsets(struct request *r, char **args)
{
	const char *at = http_query(r, "at");
	struct fetch_state *fs = xcalloc(1, sizeof(*fs));

	r->state = fs;
	r->free_state = fetch_state_free;
	snprintf(fs->topic, sizeof(fs->topic), "%s", args[0]);
	fs->partition = api_partition_arg(args[1]);
	if (fs->partition < 0)
		return http_reply_error(r, SLOG_EUNKNOWN_TOPIC_OR_PARTITION, "%s-%s does not exist",
					args[0], args[1]);
	if (!at || strcmp(at, "latest") == 0) {
		fs->at = AT_LATEST;
	} else if (strcmp(at, "earliest") == 0) {
		fs->at = AT_EARLIEST;
	} else {
		if (units_parse_int(at, 0, INT64_MAX, &fs->offset, NULL))
			return http_reply_error(r, SLOG_EINVALID_REQUEST,
						"at must be earliest, latest or a time in ms since the epoch");
		fs->at = AT_TIME;
	}
	return do_offsets(r);
}
