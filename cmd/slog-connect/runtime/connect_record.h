/*
 * connect_record.h: one record on its way through a connector.
 *
 * A source builds it from what it read (a line, a webhook body, a child's
 * output); a sink gets it from a fetched batch; transforms change it in
 * place between the two.  Unlike struct record (record.h), which borrows
 * every byte from a batch, a crec owns its bytes, so that a transform can
 * replace a value or add a header without knowing where the record came
 * from.  Keys, values and headers stay bytes: nothing here parses JSON.
 *
 * Reuse one crec across records: crec_reset() empties it and keeps every
 * allocation, so a connector's steady state allocates nothing per record.
 *
 * A null key or value (a tombstone) is distinct from an empty one, as in
 * the rest of slog.  Header order and repeated names are kept.
 */
#ifndef SLOG_CONNECT_RECORD_H
#define SLOG_CONNECT_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "err.h"
#include "record.h"

struct crec_header {
	struct buf key;
	struct buf value;
	int null_value;
};

struct crec {
	struct buf topic;      /* NUL-terminated; empty: the connector's own topic */
	int32_t partition;     /* -1: the writer's partitioner chooses */
	int64_t offset;        /* where a sink's record was read; -1 for a source's */
	int64_t timestamp;     /* ms since the epoch; -1: the writer stamps the time it sends */
	int null_key, null_value;
	struct buf key, value;
	struct crec_header *headers;
	size_t nheaders, headers_cap; /* headers[nheaders..headers_cap) are spare, kept for reuse */
};

void crec_init(struct crec *r);
void crec_free(struct crec *r);
/* Empty it for the next record, keeping the allocations. */
void crec_reset(struct crec *r);

void crec_set_topic(struct crec *r, const char *topic);
/* len -1 sets a null key or value. */
void crec_set_key(struct crec *r, const void *p, int32_t len);
void crec_set_value(struct crec *r, const void *p, int32_t len);
/* Append a header (value_len -1: a null value). */
void crec_add_header(struct crec *r, const char *key, const void *value, int32_t value_len);
/* Remove every header called key; returns how many went. */
size_t crec_drop_header(struct crec *r, const char *key);
/* The last header called key, or NULL. */
const struct crec_header *crec_find_header(const struct crec *r, const char *key);

/*
 * Copy a decoded record (record.h; from a fetched batch) of topic's
 * partition into r, replacing what r held.  0, or SLOG_ECORRUPT_MESSAGE
 * when its headers cannot be walked.
 */
int crec_from_record(struct crec *r, const char *topic, int32_t partition, const struct record *in,
		     struct err *e);

/*
 * The other way: point out (a struct record, for batch_builder_add or
 * ndjson_write) at r's bytes.  Its headers go in hdrs, which has room for
 * r->nheaders entries.  out borrows from r until r changes.
 */
void crec_view(const struct crec *r, struct record *out, struct record_header *hdrs);

/* Append r as one NDJSON line, in slog-consume -J's shape (ndjson.h). */
void crec_write_ndjson(const struct crec *r, struct buf *out);

/*
 * Parse one NDJSON line (slog-produce -J's shape) into r; a topic or
 * partition the line names is kept, else left as it was.  0, or
 * SLOG_EINVALID_RECORD naming the field.  scratch is a parser the caller
 * keeps across lines (ndjson_record_init()).
 */
struct ndjson_record;
int crec_parse_ndjson(struct crec *r, struct ndjson_record *scratch, const char *line, size_t len,
		      struct err *e);

#endif
