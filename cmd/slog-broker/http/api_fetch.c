/*
 * api_fetch.c: records and offsets out.
 *
 *   GET /v1/topics/{t}/partitions/{p}/records?offset=&max_bytes=&max_wait_ms=&leader_epoch=
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
 * an append passes its offset or the wait runs out (ops_fetch, fetch_wait.h).
 *
 * The fetch itself is ops_fetch (replica/ops.h); this file parses the
 * query, and renders the answer.
 */
#include <fcntl.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "batch_check.h"
#include "batch_iter.h"
#include "broker.h"
#include "http/api.h"
#include "ndjson.h"
#include "replica/ops.h"
#include "storage/fileio.h"
#include "units.h"
#include "xalloc.h"

#define FETCH_DEFAULT_BYTES (1 << 20)
#define FETCH_MAX_BYTES (64 << 20)

struct fetch_state {
	char topic[TOPIC_NAME_MAX + 1];
	int binary;
	struct ops_ctx ctx;
	struct ops_fetch op;        /* one partition */
	struct ops_fetch_part part;
	struct ops_list_offsets offsets;
};

static void fetch_state_free(void *p)
{
	struct fetch_state *fs = p;

	ops_fetch_release(&fs->op);
	dir_gate_forget(&fs->offsets.gate);
	free(fs);
}

/* What a reader learns of the partition besides its records, taken from
 * the part while it holds the partition: its log end and the leader
 * epoch this node has (KIP-320's check needs it). */
struct part_state {
	int64_t log_end;
	int32_t leader_epoch;
};

static struct part_state part_state(const struct ops_fetch_part *fp)
{
	struct part_state ps;

	plog_offsets(fp->p->log, NULL, &ps.log_end);
	ps.leader_epoch = atomic_load(&fp->p->leader_epoch);
	return ps;
}

static void offsets_headers(struct request *r, const struct part_state *ps, int64_t start,
			    int64_t hw, int64_t next)
{
	char v[32];

	snprintf(v, sizeof(v), "%lld", (long long)ps->log_end);
	http_add_header(r, "Slog-Log-End-Offset", v);
	snprintf(v, sizeof(v), "%d", (int)ps->leader_epoch);
	http_add_header(r, "Slog-Leader-Epoch", v);

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
	const struct ops_fetch_part *fp;
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
 * Render one batch's records from fp->offset on, read in steps (a record's
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

		if (rec.offset < a->fp->offset)
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
		ndjson_write(&a->out, a->fp->topic, a->fp->partition, &rec);
		if (a->records && a->out.len > (size_t)a->fp->max_bytes) {
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
 * The NDJSON answer, rendered after the metadata lock is released, from
 * the part's region; the part's reference keeps the partition.
 */
static int reply_ndjson(struct request *r, struct ops_fetch_part *fp)
{
	struct ndjson_answer a = { .fp = fp, .out = BUF_INIT, .next = fp->offset, .too_large = -1 };
	struct partition *p = fp->p;
	struct part_state ps = part_state(fp);
	struct err e;
	int rc;

	a.record_limit = (size_t)conf_get_num(&r->b->conf, "message.max.uncompressed.bytes");
	rc = fp->reg.length ? region_ndjson(p, &fp->reg, &a, &e) : 0;
	if (!rc) {
		p->bytes_out += a.out.len;
		p->records_out += a.records;
	}
	ops_fetch_part_release(fp);
	if (rc) {
		buf_free(&a.out);
		if (a.too_large < 0)
			return http_reply_err(r, &e);
		return http_reply_error_with(r, rc, json_pack("{s:I}", "offset", (json_int_t)a.too_large),
					     "%s", e.msg);
	}
	offsets_headers(r, &ps, fp->log_start, fp->hw, a.next);
	return http_reply(r, 200, "application/x-ndjson", &a.out);
}

/* The binary answer: the region, sent by the kernel. */
static int reply_region(struct request *r, struct ops_fetch_part *fp)
{
	struct partition *p = fp->p;
	uint64_t pos = fp->reg.position, len = fp->reg.length;
	struct err e;
	int fd = len ? segment_fd_dup(fp->reg.seg, &e) : -1;
	struct part_state ps = part_state(fp);

	offsets_headers(r, &ps, fp->log_start, fp->hw, len ? fp->reg.next_offset : fp->offset);
	p->bytes_out += len;
	/* Offsets served: the records, less any compaction left out. */
	if (len)
		p->records_out += (uint64_t)(fp->reg.next_offset - fp->offset);
	ops_fetch_part_release(fp);
	if (!len)
		return http_reply(r, 200, "application/x-slog-batch", NULL);
	if (fd < 0)
		return http_reply_error(r, SLOG_ESTORAGE, "cannot duplicate a segment descriptor");
	return http_reply_fd(r, 200, "application/x-slog-batch", fd, pos, len);
}

static void park(void *arg);

static void resume(void *arg)
{
	http_resume(arg);
}

static int do_fetch(struct request *r)
{
	struct fetch_state *fs = r->state;
	struct ops_fetch_part *fp = &fs->part;

	if (ops_fetch(r->b, &fs->ctx, &fs->op) == OPS_PENDING)
		return 1;
	if (fp->rc == SLOG_EOFFSET_OUT_OF_RANGE)
		return http_reply_error_with(r, fp->rc, json_pack("{s:I, s:I}", "log_start_offset",
								  (json_int_t)fp->log_start,
								  "high_watermark", (json_int_t)fp->hw),
					     "%s", fp->err.msg);
	if (fp->rc)
		return api_reply_op_err(r, &fp->err, &fp->leader);
	return fs->binary ? reply_region(r, fp) : reply_ndjson(r, fp);
}

static void park(void *arg)
{
	http_suspend(arg, do_fetch);
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

/* The request's state, with its context and hooks; NULL after answering
 * for a path that names no partition. */
static struct fetch_state *new_state(struct request *r, char **args)
{
	struct fetch_state *fs = xcalloc(1, sizeof(*fs));
	int32_t partition = api_partition_arg(args[1]);

	r->state = fs;
	r->free_state = fetch_state_free;
	snprintf(fs->topic, sizeof(fs->topic), "%s", args[0]);
	api_ops_ctx(r, &fs->ctx);
	ops_fetch_part_init(&fs->part, fs->topic, partition, -1, FETCH_DEFAULT_BYTES);
	fs->op.parts = &fs->part;
	fs->op.nparts = 1;
	fs->op.replica_id = -1;
	fs->op.min_bytes = 1;
	fs->op.resume = (struct ops_resume){ .park = park, .wake = resume, .arg = r };
	return fs;
}

int api_fetch(struct request *r, char **args)
{
	struct fetch_state *fs = new_state(r, args);
	const char *accept = http_header(r, "Accept");
	const char *isolation = http_query(r, "isolation");
	int64_t epoch;

	if (fs->part.partition < 0)
		return http_reply_error(r, SLOG_EUNKNOWN_TOPIC_OR_PARTITION, "'%s' is not a partition number",
					args[1]);
	if (query_num(r, "offset", 0, INT64_MAX, -1, &fs->part.offset) ||
	    query_num(r, "max_bytes", 1, FETCH_MAX_BYTES, FETCH_DEFAULT_BYTES, &fs->part.max_bytes) ||
	    query_num(r, "max_wait_ms", 0, INT64_MAX, 0, &fs->op.max_wait_ms) ||
	    query_num(r, "leader_epoch", 0, INT32_MAX, -1, &epoch))
		return 1;
	fs->part.current_leader_epoch = (int32_t)epoch;
	if (isolation && strcmp(isolation, "read_uncommitted") != 0 &&
	    strcmp(isolation, "read_committed") != 0)
		return http_reply_error(r, SLOG_EINVALID_REQUEST,
					"isolation must be read_committed or read_uncommitted");
	if (fs->op.max_wait_ms > r->b->fetch_max_wait_ms)
		fs->op.max_wait_ms = r->b->fetch_max_wait_ms;
	fs->op.max_bytes = fs->part.max_bytes;
	fs->binary = accept && strstr(accept, "application/x-slog-batch") != NULL;
	return do_fetch(r);
}

static int do_offsets(struct request *r)
{
	struct fetch_state *fs = r->state;
	struct ops_list_offsets *lo = &fs->offsets;
	struct err e;
	int rc = ops_list_offsets(r->b, &fs->ctx, lo, &e);
	json_t *j;

	if (rc == OPS_PENDING)
		return 1;
	if (rc)
		return api_reply_op_err(r, &e, &lo->leader);
	j = json_pack("{s:s, s:i, s:I, s:I}", "topic", fs->topic, "partition", lo->partition, "offset",
		      (json_int_t)lo->offset, "timestamp", (json_int_t)lo->timestamp);
	return http_reply_json(r, 200, j);
}

static void park_offsets(void *arg)
{
	http_suspend(arg, do_offsets);
}

int api_offsets(struct request *r, char **args)
{
	const char *at = http_query(r, "at");
	struct fetch_state *fs = new_state(r, args);
	struct ops_list_offsets *lo = &fs->offsets;

	lo->topic = fs->topic;
	lo->partition = fs->part.partition;
	lo->resume = (struct ops_resume){ .park = park_offsets, .wake = resume, .arg = r };
	if (lo->partition < 0)
		return http_reply_error(r, SLOG_EUNKNOWN_TOPIC_OR_PARTITION, "%s-%s does not exist",
					args[0], args[1]);
	if (!at || strcmp(at, "latest") == 0)
		lo->at = OPS_AT_LATEST;
	else if (strcmp(at, "earliest") == 0)
		lo->at = OPS_AT_EARLIEST;
	else if (units_parse_int(at, 0, INT64_MAX, &lo->at, NULL))
		return http_reply_error(r, SLOG_EINVALID_REQUEST,
					"at must be earliest, latest or a time in ms since the epoch");
	return do_offsets(r);
}
