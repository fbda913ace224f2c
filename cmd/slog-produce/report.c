/*
 * report.c: the delivery report, from the acknowledged batches.  See
 * report.h.
 */
#include "report.h"

#include <stdlib.h>
#include <string.h>

#include "batch_iter.h"
#include "ndjson.h"
#include "record_format.h"
#include "xalloc.h"

struct report {
	struct format *fmt;  /* NULL: json */
	struct buf scratch;  /* a compressed batch, decompressed */
};

struct report *report_new(const char *fmt, struct err *e)
{
	struct report *rp = xcalloc(1, sizeof(*rp));

	if (strcmp(fmt, "json") != 0) {
		rp->fmt = format_compile(fmt, e);
		if (!rp->fmt) {
			free(rp);
			return NULL;
		}
	}
	return rp;
}

void report_free(struct report *rp)
{
	if (!rp)
		return;
	format_free(rp->fmt);
	buf_free(&rp->scratch);
	free(rp);
}

int report_batch(struct report *rp, struct buf *out, const char *topic, int32_t partition,
		 int64_t base_offset, const void *data, size_t len, struct err *e)
{
	struct batch_iter it;
	struct record r;
	int rc = batch_iter_init(&it, data, len, &rp->scratch, e);

	if (rc)
		return rc;
	/* The batch was built with base offset 0: its offsets are the deltas. */
	while ((rc = batch_iter_next(&it, &r, e)) > 0) {
		r.offset += base_offset;
		if (rp->fmt)
			format_record(rp->fmt, out, topic, partition, &r, NULL);
		else
			ndjson_write_head(out, topic, partition, &r);
	}
	return rc;
}
