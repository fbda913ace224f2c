/*
 * mirror_translate.c: translate mode, the engine's sink that re-produces
 * records.
 *
 * Where the copy cannot keep the source's offsets (a rename that merges
 * topics, transforms that change records, a copy that producers also
 * write to), each record is decoded and produced again to its copy,
 * renamed by topic.rename.regex, in the same partition, with its key,
 * value, headers and timestamp, through the task's transforms, by the
 * writer (record_writer.h: batching, acks=all).  Two headers go with it:
 *
 *   slog.mirror.src     <source cluster id>/<topic>/<partition>/<offset>:
 *                       where this copy was read (replaced on each hop),
 *                       so a reader can tell copies apart and dedupe
 *   slog.mirror.origin  the cluster the record was first produced to,
 *                       kept when a record already has it
 *
 * A record whose origin is the target cluster came from there and is not
 * copied back: two clusters mirroring each other in translate mode do
 * not loop (MM2 prevents the same cycles by prefixes; the header keeps
 * the names).
 *
 * Progress is the source group's commit: the engine commits only what
 * flush() said was delivered, i.e. what the target acknowledged (at
 * least once).  A record that fails goes to the task's error policy
 * (errors.*), stage KAFKA_PRODUCE through the writer, TRANSFORMATION
 * for a transform.
 *
 * Everything here runs on the engine's thread.
 */
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "connectors/mirror_internal.h"
#include "consumer.h"
#include "log.h"
#include "runtime/connect_record.h"
#include "runtime/error_policy.h"
#include "runtime/record_writer.h"
#include "transforms/transform.h"
#include "xalloc.h"

#define FLUSH_TIMEOUT_MS 120000

/* A copy's partition count, as last looked up. */
struct copy_size {
	char topic[256];        /* the source's name */
	int32_t partitions;
};

struct translate {
	struct mirror *m;
	struct cluster *src, *dst;
	struct record_writer *w;
	struct crec rec;
	struct copy_size *sizes;
	size_t nsizes;
};

/* The copy's partitions, grown first when the source's partition is
 * past them (the refresh may not have come yet). */
static int ensure_partition(struct translate *x, const char *topic, const char *copy,
			    int32_t partition, struct err *e)
{
	struct copy_size *cs = NULL;
	struct topic_meta meta;
	int rc;

	for (size_t i = 0; i < x->nsizes && !cs; i++)
		if (strcmp(x->sizes[i].topic, topic) == 0)
			cs = &x->sizes[i];
	if (cs && partition < cs->partitions)
		return 0;
	rc = mirror_topic_ensure(x->m, x->src, x->dst, topic, e);
	if (!rc)
		rc = cluster_topic(x->dst, copy, 0, mirror_deadline(), &meta, e);
	if (rc)
		return rc;
	if (!cs) {
		x->sizes = xrealloc(x->sizes, (x->nsizes + 1) * sizeof(*x->sizes));
		cs = &x->sizes[x->nsizes++];
		snprintf(cs->topic, sizeof(cs->topic), "%s", topic);
	}
	cs->partitions = meta.partitions;
	topic_meta_free(&meta);
	return 0;
}

/* 1 when the record came from the target cluster in the first place. */
static int from_target(const struct translate *x)
{
	const struct crec_header *h = crec_find_header(&x->rec, "slog.mirror.origin");
	size_t n = strlen(x->m->target_id);

	return h && !h->null_value && h->value.len == n &&
	       memcmp(buf_cstr(&h->value), x->m->target_id, n) == 0;
}

/* Name the copy, and say where it came from. */
static int stamp(struct translate *x, const char *topic, int32_t partition, int64_t offset,
		 struct err *e)
{
	char copy[256], src[600];
	int rc = mirror_target_name(x->m, topic, copy, sizeof(copy), e);

	if (rc)
		return rc;
	crec_set_topic(&x->rec, copy);
	x->rec.partition = partition;
	snprintf(src, sizeof(src), "%s/%s/%d/%lld", x->m->source_id, topic, partition,
		 (long long)offset);
	crec_drop_header(&x->rec, "slog.mirror.src");
	crec_add_header(&x->rec, "slog.mirror.src", src, (int32_t)strlen(src));
	if (!crec_find_header(&x->rec, "slog.mirror.origin"))
		crec_add_header(&x->rec, "slog.mirror.origin", x->m->source_id,
				(int32_t)strlen(x->m->source_id));
	return ensure_partition(x, topic, copy, partition, e);
}

/* A record the transforms or the stamp failed on: the error policy's. */
static int failed(struct translate *x, const char *topic, int32_t partition, int64_t offset,
		  enum connect_stage stage, const struct err *cause, struct err *e)
{
	struct error_origin o = { .stage = stage, .topic = topic, .partition = partition,
				  .offset = offset };
	uint64_t seq;
	int rc = error_policy_failed(x->m->t->errors, &x->rec, &o, cause, e);

	if (rc == 1)
		rc = writer_send(x->w, &x->rec, &seq, e);
	return rc < 0 ? rc : 0;
}

static int put(void *arg, const char *topic, int32_t partition, const struct record *r,
	       struct err *e)
{
	struct translate *x = arg;
	struct err why;
	uint64_t seq;
	int rc = crec_from_record(&x->rec, topic, partition, r, e);

	if (rc)
		return rc;
	if (from_target(x))
		return 0; /* the target's own record, come back: no loop */
	rc = transform_chain_apply(x->m->t->chain, &x->rec, &why);
	if (rc < 0)
		return failed(x, topic, partition, r->offset, STAGE_TRANSFORMATION, &why, e);
	if (rc == 0)
		return 0; /* a filter dropped it */
	rc = stamp(x, topic, partition, r->offset, e);
	if (!rc)
		rc = writer_send(x->w, &x->rec, &seq, e);
	return rc;
}

static int flush(void *arg, struct err *e)
{
	struct translate *x = arg;

	return writer_flush(x->w, clock_mono_ms() + FLUSH_TIMEOUT_MS, e);
}

static void position(void *arg, const char *topic, int32_t partition, int64_t next, int64_t hw)
{
	struct translate *x = arg;

	mirror_lag_set(x->m, topic, partition, next, hw);
}

static void release(void *arg, const char *topic, int32_t partition)
{
	struct translate *x = arg;

	mirror_lag_drop(x->m, topic, partition);
}

void *mirror_translate_new(struct mirror *m, struct cluster *src, struct cluster *dst,
			   struct consumer_sink *sink, struct err *e)
{
	struct translate *x = xcalloc(1, sizeof(*x));
	struct writer_opts o;

	x->m = m;
	x->src = src;
	x->dst = dst;
	crec_init(&x->rec);
	writer_opts_from_task(m->t, &o);
	x->w = writer_new(m->t, &o, mirror_deadline(), e);
	if (!x->w) {
		mirror_translate_free(x);
		return NULL;
	}
	*sink = (struct consumer_sink){ .arg = x, .put = put, .flush = flush, .release = release,
					.position = position };
	return x;
}

void mirror_translate_free(void *arg)
{
	struct translate *x = arg;

	if (!x)
		return;
	if (x->w)
		writer_free(x->w);
	crec_free(&x->rec);
	free(x->sizes);
	free(x);
}
