/*
 * file_sink.c: the file-sink class (Kafka's FileStreamSink under its own
 * names as well): records of the topics read, written to files.
 *
 * Each record is rendered by file.format (sink_format.h) and appended to
 * the file its partition's file.path template names (sink_files.h),
 * which rolls by size, age and idleness.  flush() writes and fsyncs
 * every file before the runner commits the group offset, so what the
 * group has committed is on the disk: a crash or kill -9 replays records
 * from the last commit, which the files may hold already (duplicates,
 * never a loss).  With file.fsync = never the commit waits for the
 * write only, so a power loss may lose what the page cache held.
 *
 * The template's time is the wall clock when the record is written:
 * processing time, as a log file's name usually is.
 */
#include <stdlib.h>

#include "clock.h"
#include "connectors/sink_files.h"
#include "connectors/sink_format.h"
#include "connectors/sink_path.h"
#include "runtime/connector.h"
#include "runtime/connector_conf.h"
#include "runtime/sink.h"
#include "xalloc.h"

static const struct conf_def file_sink_keys[] = {
	{ "file.path", CONF_STRING, NULL, 0, 0, 0, NULL,
	  "the file to write: a template with %t (topic), %p (partition), %i (roll index) and strftime tokens" },
	{ "file", CONF_STRING, NULL, 0, 0, 0, NULL, "Kafka's FileStreamSink name for file.path" },
	{ "file.format", CONF_STRING, "value", 0, 0, 0, NULL,
	  "value (a line per value), ndjson (slog-consume -J's shape) or a slog-consume -f format" },
	{ "file.max.bytes", CONF_BYTES, "0", 0, INT64_MAX, 0, NULL,
	  "roll to the next file before one would grow past this size; 0: never" },
	{ "file.roll.ms", CONF_DURATION, "0", 0, INT64_MAX, 1, NULL,
	  "roll to the next file once one has been open this long; 0: never" },
	{ "file.idle.close.ms", CONF_DURATION, "0", 0, INT64_MAX, 1, NULL,
	  "close a file no record reached for this long; 0: keep it open" },
	{ "file.fsync", CONF_ENUM, "commit", 0, 0, 0, "commit|never",
	  "commit: fsync every file before the group offset is committed; never: write only" },
};

enum { FSYNC_COMMIT, FSYNC_NEVER };

struct file_sink {
	struct sink_files *files;
	int timed;               /* the path template reads the clock */
	struct sink_format *fmt;
	struct buf line;
};

/* file.path, or Kafka's file. */
static const char *file_sink_path(const struct connector_conf *cc)
{
	const char *p = cc_str(cc, "file.path");
	return p ? p : cc_str(cc, "file");
}

static int file_sink_check(const struct connector_conf *cc, struct err *e)
{
	struct sink_format *f;

	if (cc_str(cc, "file.path") && cc_str(cc, "file"))
		return err_set(e, SLOG_EINVALID_CONFIG, "file and file.path: set one of them");
	if (!file_sink_path(cc))
		return err_set(e, SLOG_EINVALID_CONFIG, "file.path (or Kafka's file): required");
	if (sink_path_check(file_sink_path(cc), e))
		return err_wrap(e, "file.path");
	f = sink_format_new(cc_str(cc, "file.format"), e);
	if (!f)
		return err_wrap(e, "file.format");
	sink_format_free(f);
	return 0;
}

static void file_sink_close(void *state)
{
	struct file_sink *s = state;

	sink_files_free(s->files);
	sink_format_free(s->fmt);
	buf_free(&s->line);
	free(s);
}

static int file_sink_open(struct connect_task *t, void **state, struct err *e)
{
	const struct connector_conf *cc = t->cc;
	struct sink_files_opts o = {
		.path_template = file_sink_path(cc),
		.max_bytes = cc_num(cc, "file.max.bytes"),
		.roll_ms = cc_num(cc, "file.roll.ms"),
		.idle_close_ms = cc_num(cc, "file.idle.close.ms"),
		.fsync = cc_num(cc, "file.fsync") == FSYNC_COMMIT,
	};
	struct file_sink *s = xcalloc(1, sizeof(*s));

	s->files = sink_files_new(&o, e);
	s->fmt = s->files ? sink_format_new(cc_str(cc, "file.format"), e) : NULL;
	s->timed = sink_path_has_time(o.path_template);
	if (!s->fmt) {
		file_sink_close(s);
		return e ? e->code : SLOG_EINVALID_CONFIG;
	}
	*state = s;
	return 0;
}

static int file_sink_put(void *state, const struct crec *r, struct err *e)
{
	struct file_sink *s = state;

	buf_reset(&s->line);
	sink_format_write(s->fmt, r, &s->line);
	/* The wall clock only when the path needs it: a clock read per record shows. */
	return sink_files_write(s->files, buf_cstr(&r->topic), r->partition, s->line.data,
				s->line.len, s->timed ? clock_wall_ms() : 0, clock_mono_ms(), e);
}

static int file_sink_flush(void *state, struct err *e)
{
	struct file_sink *s = state;
	return sink_files_flush(s->files, clock_mono_ms(), e);
}

static void file_sink_release(void *state, const char *topic, int32_t partition)
{
	struct file_sink *s = state;
	sink_files_release(s->files, topic, partition);
}

static const struct sink_ops file_sink_ops = {
	.open = file_sink_open,
	.put = file_sink_put,
	.flush = file_sink_flush,
	.release = file_sink_release,
	.close = file_sink_close,
};

static const char *const file_sink_aliases[] = {
	"FileStreamSink",
	"org.apache.kafka.connect.file.FileStreamSinkConnector",
	NULL,
};

const struct connector_class file_sink_class = {
	.name = "file-sink",
	.aliases = file_sink_aliases,
	.kind = CONNECTOR_SINK,
	.keys = file_sink_keys,
	.nkeys = sizeof(file_sink_keys) / sizeof(file_sink_keys[0]),
	.check = file_sink_check,
	.sink = &file_sink_ops,
};
