/*
 * replica_frames.c: the replica fetch answer's frames (replica_frames.h).
 *
 * The header is JSON so that a person with curl can read an answer, and
 * one line so that a reader finds its end without a streaming parser.
 * A reader bounds the search for that line, parses it whole, and then
 * checks each number before trusting it: a length past the received
 * bytes, a negative offset or an epoch beyond 32 bits is a corrupt
 * answer, never a read past the buffer.
 */
#include "cluster/replica_frames.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

void replica_frame_write_header(struct buf *out, const struct replica_frame *f)
{
	json_t *j, *err = json_null();
	char *text;

	if (f->error)
		err = json_pack("{s:s, s:s}", "code", err_name(f->error), "message", f->message);
	j = json_pack("{s:s, s:i, s:o, s:I, s:I, s:I, s:i, s:i, s:I, s:I}", "topic", f->topic,
		      "partition", (int)f->partition, "error", err, "high_watermark",
		      (json_int_t)f->high_watermark, "log_start_offset", (json_int_t)f->log_start_offset,
		      "log_end_offset", (json_int_t)f->log_end_offset, "leader_epoch",
		      (int)f->leader_epoch, "diverging_epoch", (int)f->diverging_epoch,
		      "diverging_end_offset", (json_int_t)f->diverging_end_offset, "bytes",
		      (json_int_t)f->len);
	text = json_dumps(j, JSON_COMPACT);
	buf_adds(out, text ? text : "{}");
	buf_addc(out, '\n');
	free(text);
	json_decref(j);
}

/* An integer field within [min, max]; -1 when absent or out of range. */
static int num_field(json_t *h, const char *name, int64_t min, int64_t max, int64_t *out)
{
	json_t *v = json_object_get(h, name);

	if (!json_is_integer(v))
		return -1;
	*out = json_integer_value(v);
	return *out < min || *out > max ? -1 : 0;
}

static int error_field(json_t *h, struct replica_frame *f)
{
	json_t *v = json_object_get(h, "error"), *code, *msg;

	f->error = 0;
	f->message[0] = '\0';
	if (json_is_null(v))
		return 0;
	code = json_object_get(v, "code");
	msg = json_object_get(v, "message");
	if (!json_is_string(code))
		return -1;
	f->error = err_from_name(json_string_value(code));
	if (f->error == 0)
		f->error = SLOG_EUNKNOWN;
	snprintf(f->message, sizeof(f->message), "%s",
		 json_is_string(msg) ? json_string_value(msg) : err_name(f->error));
	return 0;
}

/* The header's fields into f; the name of the first bad one, or NULL. */
static const char *header_fields(json_t *h, struct replica_frame *f, int64_t *bytes)
{
	json_t *topic = json_object_get(h, "topic");
	int64_t v[7];

	if (!json_is_string(topic) || topic_name_check(json_string_value(topic), NULL))
		return "topic";
	snprintf(f->topic, sizeof(f->topic), "%s", json_string_value(topic));
	if (num_field(h, "partition", 0, INT32_MAX, &v[0]))
		return "partition";
	if (error_field(h, f))
		return "error";
	if (num_field(h, "high_watermark", -1, INT64_MAX, &v[1]))
		return "high_watermark";
	if (num_field(h, "log_start_offset", -1, INT64_MAX, &v[2]))
		return "log_start_offset";
	if (num_field(h, "log_end_offset", -1, INT64_MAX, &v[3]))
		return "log_end_offset";
	if (num_field(h, "leader_epoch", -1, INT32_MAX, &v[4]))
		return "leader_epoch";
	if (num_field(h, "diverging_epoch", -1, INT32_MAX, &v[5]))
		return "diverging_epoch";
	if (num_field(h, "diverging_end_offset", -1, INT64_MAX, &v[6]))
		return "diverging_end_offset";
	if (num_field(h, "bytes", 0, INT64_MAX, bytes))
		return "bytes";
	f->partition = (int32_t)v[0];
	f->high_watermark = v[1];
	f->log_start_offset = v[2];
	f->log_end_offset = v[3];
	f->leader_epoch = (int32_t)v[4];
	f->diverging_epoch = (int32_t)v[5];
	f->diverging_end_offset = v[6];
	return NULL;
}

int replica_frame_next(const uint8_t *answer, size_t len, size_t *pos, struct replica_frame *f,
		       struct err *e)
{
	size_t at = *pos, avail = len - at, scan = avail;
	const uint8_t *nl;
	const char *bad;
	json_t *h;
	int64_t bytes = 0;

	if (at >= len)
		return 0;
	if (scan > REPLICA_FRAME_HEADER_MAX)
		scan = REPLICA_FRAME_HEADER_MAX;
	nl = memchr(answer + at, '\n', scan);
	if (!nl)
		return err_set(e, SLOG_ECORRUPT_MESSAGE,
			       "the frame header at byte %zu has no end within %zu bytes", at, scan);
	memset(f, 0, sizeof(*f));
	h = json_loadb((const char *)answer + at, (size_t)(nl - (answer + at)), 0, NULL);
	bad = !json_is_object(h) ? "header" : header_fields(h, f, &bytes);
	json_decref(h);
	if (bad)
		return err_set(e, SLOG_ECORRUPT_MESSAGE, "the frame header at byte %zu has a bad %s", at,
			       bad);
	at = (size_t)(nl - answer) + 1;
	if ((uint64_t)bytes > len - at)
		return err_set(e, SLOG_ECORRUPT_MESSAGE,
			       "the frame of %s-%d says %lld bytes, but only %zu were received", f->topic,
			       f->partition, (long long)bytes, len - at);
	f->data = answer + at;
	f->len = (size_t)bytes;
	*pos = at + (size_t)bytes;
	return 1;
}
