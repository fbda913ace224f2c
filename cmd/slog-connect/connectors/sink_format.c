/*
 * sink_format.c: a record as the bytes a file or exec sink writes
 * (sink_format.h).
 *
 * "value" is the -f format "%s\n" rather than a case of its own, so
 * the two spellings cannot drift apart; only NDJSON goes its own way,
 * through the shape slog-consume -J prints.
 */
#include <stdlib.h>
#include <string.h>

#include "connectors/sink_format.h"
#include "ndjson.h"
#include "record_format.h"
#include "xalloc.h"

struct sink_format {
	int ndjson;
	struct format *fmt;          /* the -f format, NULL for ndjson */
	struct record_header *hdrs;  /* scratch for viewing a record's headers */
	size_t hdrs_cap;
};

struct sink_format *sink_format_new(const char *spec, struct err *e)
{
	struct sink_format *f = xcalloc(1, sizeof(*f));

	if (strcmp(spec, "ndjson") == 0) {
		f->ndjson = 1;
		return f;
	}
	if (strcmp(spec, "value") == 0)
		spec = "%s\\n";
	else if (!strchr(spec, '%')) {
		free(f);
		err_set(e, SLOG_EINVALID_CONFIG,
			"format '%s': not value, ndjson, or a format with %% tokens (%%s\\n)", spec);
		return NULL;
	}
	f->fmt = format_compile(spec, e);
	if (!f->fmt) {
		free(f);
		return NULL;
	}
	return f;
}

void sink_format_free(struct sink_format *f)
{
	if (!f)
		return;
	format_free(f->fmt);
	free(f->hdrs);
	free(f);
}

int sink_format_is_ndjson(const struct sink_format *f)
{
	return f->ndjson;
}

void sink_format_write(struct sink_format *f, const struct crec *r, struct buf *out)
{
	struct record view;

	if (f->ndjson) {
		crec_write_ndjson(r, out);
		return;
	}
	if (r->nheaders > f->hdrs_cap)
		f->hdrs = xgrow(f->hdrs, &f->hdrs_cap, r->nheaders, sizeof(*f->hdrs));
	crec_view(r, &view, f->hdrs);
	format_record(f->fmt, out, buf_cstr(&r->topic), r->partition, &view, NULL);
}
