/*
 * sink_batch.c: a sink's held records (sink_batch.h).
 */
#include <stdlib.h>
#include <string.h>

#include "connectors/sink_batch.h"
#include "xalloc.h"

void sink_batch_init(struct sink_batch *b)
{
	memset(b, 0, sizeof(*b));
}

void sink_batch_free(struct sink_batch *b)
{
	for (size_t i = 0; i < b->cap; i++)
		crec_free(&b->recs[i]);
	free(b->recs);
	sink_batch_init(b);
}

void sink_batch_clear(struct sink_batch *b)
{
	for (size_t i = 0; i < b->n; i++)
		crec_reset(&b->recs[i]);
	b->n = 0;
	b->bytes = 0;
}

void sink_crec_copy(struct crec *dst, const struct crec *src)
{
	crec_reset(dst);
	crec_set_topic(dst, buf_cstr(&src->topic));
	dst->partition = src->partition;
	dst->offset = src->offset;
	dst->timestamp = src->timestamp;
	crec_set_key(dst, src->key.data, src->null_key ? -1 : (int32_t)src->key.len);
	crec_set_value(dst, src->value.data, src->null_value ? -1 : (int32_t)src->value.len);
	for (size_t i = 0; i < src->nheaders; i++) {
		const struct crec_header *h = &src->headers[i];
		crec_add_header(dst, buf_cstr(&h->key), h->value.data,
				h->null_value ? -1 : (int32_t)h->value.len);
	}
}

void sink_batch_add(struct sink_batch *b, const struct crec *r, int64_t now_ms)
{
	if (b->n == b->cap) {
		size_t old = b->cap;
		b->recs = xgrow(b->recs, &b->cap, b->n + 1, sizeof(*b->recs));
		for (size_t i = old; i < b->cap; i++)
			crec_init(&b->recs[i]);
	}
	if (b->n == 0)
		b->first_ms = now_ms;
	sink_crec_copy(&b->recs[b->n++], r);
	b->bytes += r->key.len + r->value.len;
}

void sink_batch_drop_front(struct sink_batch *b, size_t k)
{
	if (k >= b->n) {
		sink_batch_clear(b);
		return;
	}
	/* Rotate: the dropped records' buffers become spares at the end. */
	struct crec *dropped = xmalloc(k * sizeof(*dropped));
	memcpy(dropped, b->recs, k * sizeof(*dropped));
	memmove(b->recs, b->recs + k, (b->n - k) * sizeof(*b->recs));
	b->n -= k;
	memcpy(b->recs + b->n, dropped, k * sizeof(*dropped));
	free(dropped);
	b->bytes = 0;
	for (size_t i = 0; i < b->n; i++)
		b->bytes += b->recs[i].key.len + b->recs[i].value.len;
	for (size_t i = b->n; i < b->n + k; i++)
		crec_reset(&b->recs[i]);
	b->first_ms = 0;
}
