/*
 * file_source.c: the file-source connector (Kafka's FileStreamSource
 * names run it too): files followed like tail -F, each line a record.
 *
 * Data path: file_tail says which file has bytes; they are read straight
 * into that file's framer; each frame becomes a record (key, headers
 * file.path and file.offset) through source_pipeline (transforms, error
 * policy, writer).  The writer acknowledges in its own order; the ack
 * ring turns writer_done_upto() into, per file, the end of the last line
 * delivered with every line before it.  Only those positions reach
 * __connect_offsets, every offset.flush.interval.ms and at stop, so a
 * restart (even after kill -9) replays at most the lines of the last
 * interval and never skips one.
 *
 * Progress is keyed by the file's identity, as Connect keys a source
 * partition: key ["<name>",{"dev":D,"ino":I}], value
 * {"path":"/var/log/a.log","fp":"1c2d3e4f","pos":81920}.  A file found
 * again is resumed at pos only when its fingerprint still matches (see
 * file_tail.h: "1c2d3e4f/37" is the CRC of a file's first 37 bytes when
 * it was shorter than 256); otherwise it is another file on a reused
 * inode and is read from 0.  A file's position is saved as soon as it is
 * opened, so read.from=end is applied once: a restart never skips lines
 * appended while it was down.  Once a file that left the globs (rotated
 * away, deleted) is drained and acknowledged, its key is tombstoned.
 */
#include <dirent.h>
#include <inttypes.h>
#include <jansson.h>
#include <regex.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "clock.h"
#include "connectors/file_tail.h"
#include "connectors/line_framing.h"
#include "connectors/source_pipeline.h"
#include "log.h"
#include "runtime/connector.h"
#include "runtime/connector_conf.h"
#include "runtime/metrics.h"
#include "runtime/offset_store.h"
#include "runtime/record_writer.h"
#include "xalloc.h"

#define READ_CHUNK (64 * 1024)
#define OPEN_DEADLINE_MS 30000

enum key_mode { KEY_NONE, KEY_PATH, KEY_REGEX };

struct src_file {
	struct file_source *fs;
	struct framer fr;
	struct tail_file *tf;  /* NULL once closed */
	dev_t dev;
	ino_t ino;
	char *path;
	int32_t path_len;
	char *source;          /* "file:PATH", for the dead-letter header */
	char fp[24];
	int64_t acked;         /* every line before it is delivered */
	int64_t saved;         /* what the store has; -1: nothing yet */
	size_t inflight;       /* entries in the ack ring */
	char labels[320];      /* file="..." for the lag gauge */
	struct src_file *next;
};

struct file_source {
	struct connect_task *t;
	struct file_tail *tail;
	struct source_pipeline p;
	struct offset_store *store;
	struct framing_opts framing;
	enum key_mode key;
	regex_t re;
	int exit_on_eof;
	int headers;           /* file.headers: file.path and file.offset on each record */
	int64_t batch_size, poll_ms;
	struct src_file *files;
	char offset_text[24];
	int closed_one;        /* a rotated file closed: its successor opens at the next scan, now */
	int unsaved_opens;     /* files opened whose identity the store does not hold yet */
};

static void gauge_labels(char *out, size_t size, const char *path)
{
	struct buf b = BUF_INIT;
	buf_adds(&b, "file=\"");
	for (const char *p = path; *p; p++) {
		if (*p == '"' || *p == '\\')
			buf_addc(&b, '\\');
		if (*p == '\n')
			buf_adds(&b, "\\n");
		else
			buf_addc(&b, *p);
	}
	buf_addc(&b, '"');
	snprintf(out, size, "%s", buf_cstr(&b));
	buf_free(&b);
}

static json_t *partition_of(dev_t dev, ino_t ino)
{
	return json_pack("{s:I,s:I}", "dev", (json_int_t)dev, "ino", (json_int_t)ino);
}

/* ---- where a file starts ---- */

static int64_t start_at(void *arg, const struct tail_file *f)
{
	struct file_source *fs = arg;
	json_t *part = partition_of(f->dev, f->ino);
	json_t *saved = offset_store_get(fs->store, part);
	json_decref(part);
	if (!saved)
		return -1;
	json_t *pos = json_object_get(saved, "pos");
	const char *fp_text = json_string_value(json_object_get(saved, "fp"));
	uint32_t fp;
	size_t fp_len;
	if (!json_is_integer(pos))
		return -1;
	if (fp_text && (tail_fp_parse(fp_text, &fp, &fp_len) < 0 || !tail_fp_matches(f, fp, fp_len))) {
		task_log(fs->t, LOG_LEVEL_INFO,
			 "file '%s': its inode held another file when progress was saved; reading from 0",
			 f->path);
		return 0;
	}
	return json_integer_value(pos);
}

/* ---- per-file state ---- */

/* The names a file goes by: its path, the dead-letter source, the gauge's labels. */
static void src_name(struct src_file *sf, const char *path)
{
	free(sf->path);
	free(sf->source);
	sf->path = xstrdup(path);
	sf->path_len = (int32_t)strlen(path);
	size_t n = strlen(path) + sizeof("file:");
	sf->source = xmalloc(n);
	snprintf(sf->source, n, "file:%s", path);
	gauge_labels(sf->labels, sizeof(sf->labels), path);
}

static struct src_file *src_open(struct file_source *fs, struct tail_file *tf)
{
	struct src_file *sf = xcalloc(1, sizeof(*sf));
	sf->fs = fs;
	sf->tf = tf;
	sf->dev = tf->dev;
	sf->ino = tf->ino;
	src_name(sf, tf->path);
	sf->acked = tf->pos;
	sf->saved = -1;
	tail_fp_format(tf->fp, tf->fp_len, sf->fp, sizeof(sf->fp));
	framer_init(&sf->fr, &fs->framing, tf->pos);
	sf->next = fs->files;
	fs->files = sf;
	tf->user = sf;
	task_log(fs->t, LOG_LEVEL_INFO, "following '%s' from %" PRId64, tf->path, tf->pos);
	return sf;
}

static void save(struct file_source *fs, struct src_file *sf);

/*
 * Before the first line of a file just opened is read, the store holds
 * its identity and start: a restart then resumes it (read.from=end is
 * applied once), and finds it by inode if logrotate renames it while we
 * are down.  One round trip covers every file a scan opened.
 */
static void save_opened(struct file_source *fs)
{
	if (!fs->unsaved_opens)
		return;
	fs->unsaved_opens = 0;
	struct err e = { 0 };
	if (offset_store_flush(fs->store, clock_mono_ms() + fs->p.flush_ms * 10, &e) < 0)
		task_log(fs->t, LOG_LEVEL_WARN, "saving the files just opened: %s", e.msg);
}

static void src_free(struct src_file *sf)
{
	framer_free(&sf->fr);
	free(sf->path);
	free(sf->source);
	free(sf);
}

/* Refresh what the store will say of an open file. */
static void src_sync(struct src_file *sf)
{
	struct tail_file *tf = sf->tf;
	if (!tf)
		return;
	if (strcmp(sf->path, tf->path) != 0) {
		metrics_gauge_drop(sf->fs->t->metrics, "source_lag_bytes", sf->labels);
		src_name(sf, tf->path);
	}
	tail_fp_format(tf->fp, tf->fp_len, sf->fp, sizeof(sf->fp));
	int64_t lag = tf->size > sf->acked ? tf->size - sf->acked : 0;
	metrics_gauge(sf->fs->t->metrics, "source_lag_bytes", sf->labels, lag);
}

/* ---- records ---- */

/* v in decimal at out (room for 20 digits): printf costs more than the
 * rest of a line's headers together. */
static int32_t decimal(char *out, int64_t v)
{
	char tmp[24];
	int n = 0;
	uint64_t u = v < 0 ? 0 : (uint64_t)v;
	do
		tmp[n++] = (char)('0' + u % 10);
	while ((u /= 10) != 0);
	for (int i = 0; i < n; i++)
		out[i] = tmp[n - 1 - i];
	return n;
}

static void decorate(void *arg, struct crec *r, const struct frame *f)
{
	struct src_file *sf = arg;
	struct file_source *fs = sf->fs;
	if (fs->key == KEY_PATH) {
		crec_set_key(r, sf->path, sf->path_len);
	} else if (fs->key == KEY_REGEX) {
		regmatch_t m[2] = { { .rm_so = 0, .rm_eo = (regoff_t)f->len } };
		if (regexec(&fs->re, f->p, 2, m, REG_STARTEND) == 0 && m[1].rm_so >= 0)
			crec_set_key(r, f->p + m[1].rm_so, (int32_t)(m[1].rm_eo - m[1].rm_so));
		else
			crec_set_key(r, NULL, -1);
	} else if (fs->framing.format != FRAME_NDJSON) {
		crec_set_key(r, NULL, -1);
	}
	if (!fs->headers)
		return;
	crec_add_header(r, "file.path", sf->path, sf->path_len);
	crec_add_header(r, "file.offset", fs->offset_text, decimal(fs->offset_text, f->start));
}

static int put(struct src_file *sf, const struct frame *f, struct err *e)
{
	struct file_source *fs = sf->fs;
	int rc = source_pipeline_put(&fs->p, &sf->fr, f, decorate, sf, sf->source, sf, e);
	if (rc == 0)
		sf->inflight++;
	return rc;
}

/* The bytes pending in a file's framer, as a last record (the file ended). */
static int put_rest(struct src_file *sf, struct err *e)
{
	struct frame f;
	if (framer_flush(&sf->fr, &f) != 1)
		return 0;
	return put(sf, &f, e);
}

static int frames(struct src_file *sf, int64_t *taken, struct err *e)
{
	struct frame f;
	int rc;
	while ((rc = framer_next(&sf->fr, &f, e)) == 1) {
		rc = put(sf, &f, e);
		if (rc < 0)
			return rc;
		(*taken)++;
	}
	if (rc < 0)
		return err_wrap(e, "file '%s'", sf->path);
	return 0;
}

/* Read a file until batch.size records or its end; bytes framing ends a record there. */
static int read_file(struct file_source *fs, struct src_file *sf, struct err *e)
{
	int64_t taken = 0;
	while (taken < fs->batch_size) {
		char *dst = framer_space(&sf->fr, READ_CHUNK);
		ssize_t n = file_tail_read(fs->tail, sf->tf, dst, READ_CHUNK, e);
		if (n < 0)
			return (int)n;
		framer_commit(&sf->fr, (size_t)n);
		int rc = frames(sf, &taken, e);
		if (rc < 0)
			return rc;
		if (n == 0)
			return fs->framing.format == FRAME_BYTES ? put_rest(sf, e) : 0;
	}
	return 0;
}

static int on_event(struct file_source *fs, const struct tail_event *ev, struct err *e)
{
	struct src_file *sf = ev->f->user;
	int rc;
	switch (ev->type) {
	case TAIL_OPENED:
		save(fs, src_open(fs, ev->f));
		fs->unsaved_opens = 1;
		return 0;
	case TAIL_READABLE:
		save_opened(fs);
		return read_file(fs, sf, e);
	case TAIL_TRUNCATED:
		/* What was pending was in the file: deliver it, then start over. */
		rc = put_rest(sf, e);
		framer_reset(&sf->fr, 0);
		return rc;
	case TAIL_CLOSING:
		rc = put_rest(sf, e);
		src_sync(sf);
		metrics_gauge_drop(fs->t->metrics, "source_lag_bytes", sf->labels);
		sf->tf = NULL;
		fs->closed_one = 1;
		return rc;
	}
	return 0;
}

/* ---- progress ---- */

static void acked(void *arg, void *owner, int64_t pos)
{
	(void)arg;
	struct src_file *sf = owner;
	sf->acked = pos;
	sf->inflight--;
}

static void save(struct file_source *fs, struct src_file *sf)
{
	json_t *part = partition_of(sf->dev, sf->ino);
	json_t *val = json_pack("{s:s,s:s,s:I}", "path", sf->path, "fp", sf->fp, "pos",
				(json_int_t)sf->acked);
	offset_store_put(fs->store, part, val);
	json_decref(part);
	sf->saved = sf->acked;
}

/* Put what changed; forget files closed and fully delivered. */
static void stage_progress(struct file_source *fs)
{
	source_pipeline_acked(&fs->p, acked, fs);
	for (struct src_file **pp = &fs->files; *pp;) {
		struct src_file *sf = *pp;
		src_sync(sf);
		if (sf->acked != sf->saved)
			save(fs, sf);
		if (sf->tf || sf->inflight) {
			pp = &sf->next;
			continue;
		}
		json_t *part = partition_of(sf->dev, sf->ino);
		offset_store_put(fs->store, part, NULL);
		json_decref(part);
		*pp = sf->next;
		src_free(sf);
	}
}

static int flush_progress(void *arg, int64_t deadline, struct err *e)
{
	struct file_source *fs = arg;
	stage_progress(fs);
	return offset_store_flush(fs->store, deadline, e);
}

/* ---- the task ---- */

static int drain_events(struct file_source *fs, struct err *e)
{
	int rc = file_tail_scan(fs->tail, e);
	struct tail_event ev;
	while (rc == 0 && !task_stopping(fs->t) && file_tail_next(fs->tail, &ev))
		rc = on_event(fs, &ev, e);
	return rc;
}

/* file.exit.on.eof: every file is read; its last unterminated lines go too.
 * A file that could not be read fails the load: it is not loaded. */
static int finish_batch(struct file_source *fs, struct err *e)
{
	const char *bad = file_tail_unreadable(fs->tail);
	if (bad)
		return err_set(e, SLOG_EIO, "file '%s' could not be read; the load is incomplete", bad);
	for (struct src_file *sf = fs->files; sf; sf = sf->next) {
		int rc = sf->tf ? put_rest(sf, e) : 0;
		if (rc < 0)
			return rc;
	}
	if (!fs->files)
		task_log(fs->t, LOG_LEVEL_WARN, "no file matched file.paths; nothing to load");
	return 0;
}

static int follow(struct file_source *fs, struct err *e)
{
	fs->t->ready = 1;
	while (!task_stopping(fs->t)) {
		int rc = drain_events(fs, e);
		if (rc < 0)
			return task_stopping(fs->t) ? 0 : rc; /* a stop while the writer was full */
		source_pipeline_tick(&fs->p, flush_progress, fs);
		if (fs->exit_on_eof && file_tail_idle(fs->tail))
			return finish_batch(fs, e);
		int64_t wait = fs->p.next_flush - clock_mono_ms();
		if (wait > fs->poll_ms)
			wait = fs->poll_ms;
		if (fs->closed_one)
			wait = 0;
		fs->closed_one = 0;
		rc = writer_poll(fs->p.w, file_tail_fd(fs->tail), wait > 0 ? (int)wait : 0, e);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* Stop: deliver what was queued, then save how far that got. */
static int drain(struct file_source *fs, int rc, struct err *e)
{
	struct err de = { 0 };
	int64_t deadline = clock_mono_ms() + SOURCE_DRAIN_MS;
	int drc = source_pipeline_drain(&fs->p, deadline, &de);
	int frc = flush_progress(fs, deadline, rc < 0 ? &de : e);
	if (rc < 0)
		return rc;
	if (drc < 0) {
		*e = de;
		return drc;
	}
	return frc;
}

static int parse_key(struct file_source *fs, const char *key, struct err *e)
{
	if (!key || strcmp(key, "none") == 0) {
		fs->key = KEY_NONE;
		return 0;
	}
	if (strcmp(key, "path") == 0) {
		fs->key = KEY_PATH;
		return 0;
	}
	if (strncmp(key, "regex:", 6) != 0)
		return err_set(e, SLOG_EINVALID_CONFIG, "key: '%s' is not none, path or regex:<re>", key);
	int rc = regcomp(&fs->re, key + 6, REG_EXTENDED);
	if (rc != 0) {
		char why[128];
		regerror(rc, &fs->re, why, sizeof(why));
		return err_set(e, SLOG_EINVALID_CONFIG, "key: regex '%s': %s", key + 6, why);
	}
	fs->key = KEY_REGEX;
	if (fs->re.re_nsub != 1) {
		regfree(&fs->re);
		fs->key = KEY_NONE;
		return err_set(e, SLOG_EINVALID_CONFIG, "key: regex '%s' has %zu groups; it needs one",
			       key + 6, fs->re.re_nsub);
	}
	return 0;
}

static int file_source_opts(struct file_source *fs, const struct connector_conf *cc, struct err *e)
{
	int rc = framing_opts_from_conf(cc, "file.", &fs->framing, e);
	if (rc == 0)
		rc = parse_key(fs, cc_str(cc, "key"), e);
	if (rc < 0)
		return rc;
	if (!cc_str(cc, "file.paths") && !cc_str(cc, "file"))
		return err_set(e, SLOG_EINVALID_CONFIG, "file.paths: required (or Kafka's file)");
	if (!cc_str(cc, "topic") && fs->framing.format != FRAME_NDJSON)
		return err_set(e, SLOG_EINVALID_CONFIG,
			       "topic: required (unless file.format=ndjson names one per line)");
	fs->exit_on_eof = cc_bool(cc, "file.exit.on.eof");
	fs->headers = cc_bool(cc, "file.headers");
	fs->batch_size = cc_num(cc, "batch.size");
	fs->poll_ms = cc_num(cc, "file.poll.ms");
	return 0;
}

static int file_source_check(const struct connector_conf *cc, struct err *e)
{
	struct file_source fs;
	memset(&fs, 0, sizeof(fs));
	int rc = file_source_opts(&fs, cc, e);
	if (fs.key == KEY_REGEX)
		regfree(&fs.re);
	return rc;
}

/* The file on (dev, ino) in dir, whose name the caller frees, or NULL. */
static char *find_inode(const char *dir, dev_t dev, ino_t ino)
{
	DIR *d = opendir(dir);
	if (!d)
		return NULL;
	char *found = NULL;
	struct dirent *de;
	struct buf path = BUF_INIT;
	while (!found && (de = readdir(d)) != NULL) {
		struct stat st;
		buf_reset(&path);
		buf_addf(&path, "%s/%s", dir, de->d_name);
		if ((ino_t)de->d_ino == ino && stat(buf_cstr(&path), &st) == 0 && st.st_dev == dev &&
		    st.st_ino == ino && S_ISREG(st.st_mode))
			found = buf_detach(&path, NULL);
	}
	buf_free(&path);
	closedir(d);
	return found;
}

/*
 * A file renamed while we were down (logrotate while slog-connect was
 * killed) is no longer under the name the globs match, but still in the
 * same directory: find it by its saved identity and read its rest.
 */
static void adopt_rotated(struct file_source *fs)
{
	json_t *list = offset_store_list(fs->store), *entry;
	size_t i;
	json_array_foreach(list, i, entry) {
		json_t *part = json_object_get(entry, "partition"), *off = json_object_get(entry, "offset");
		const char *path = json_string_value(json_object_get(off, "path"));
		json_int_t dev = json_integer_value(json_object_get(part, "dev"));
		json_int_t ino = json_integer_value(json_object_get(part, "ino"));
		struct stat st;
		if (!path || (stat(path, &st) == 0 && st.st_dev == (dev_t)dev && st.st_ino == (ino_t)ino))
			continue; /* still under its name: the globs find it */
		char *dir = xstrdup(path);
		char *slash = strrchr(dir, '/');
		if (slash)
			*slash = 0;
		char *now = find_inode(slash ? (*dir ? dir : "/") : ".", (dev_t)dev, (ino_t)ino);
		struct err e = { 0 };
		if (now && file_tail_adopt(fs->tail, now, &e) < 0)
			task_log(fs->t, LOG_LEVEL_WARN, "%s", e.msg);
		free(now);
		free(dir);
	}
	json_decref(list);
}

static int open_all(struct file_source *fs, struct connect_task *t, struct err *e)
{
	const struct connector_conf *cc = t->cc;
	int64_t deadline = clock_mono_ms() + OPEN_DEADLINE_MS;
	int rc = offset_store_open(t->wc->brokers, conf_get_str(&t->wc->conf, "offset.storage.topic"),
				   cc->name, deadline, &fs->store, e);
	if (rc < 0)
		return rc;
	rc = source_pipeline_open(&fs->p, t, deadline, e);
	if (rc < 0)
		return rc;
	struct tail_opts o = {
		.paths = cc_str(cc, "file.paths"),
		.literal = cc_str(cc, "file"),
		.poll_ms = fs->poll_ms,
		.rotate_wait_ms = cc_num(cc, "file.rotate.wait.ms"),
		.inotify = cc_bool(cc, "file.inotify"),
		.from_end = cc_num(cc, "read.from") == 1,
		.start_at = start_at,
		.arg = fs,
		.log_prefix = cc->name,
	};
	rc = file_tail_new(&o, &fs->tail, e);
	if (rc == 0)
		adopt_rotated(fs);
	return rc;
}

static void close_all(struct file_source *fs)
{
	file_tail_free(fs->tail);
	if (fs->p.w)
		source_pipeline_close(&fs->p);
	offset_store_close(fs->store);
	while (fs->files) {
		struct src_file *sf = fs->files;
		fs->files = sf->next;
		metrics_gauge_drop(fs->t->metrics, "source_lag_bytes", sf->labels);
		src_free(sf);
	}
	if (fs->key == KEY_REGEX)
		regfree(&fs->re);
}

static int file_source_run(struct connect_task *t, struct err *e)
{
	struct file_source fs;
	memset(&fs, 0, sizeof(fs));
	fs.t = t;
	int rc = file_source_opts(&fs, t->cc, e);
	if (rc == 0)
		rc = open_all(&fs, t, e);
	if (rc == 0)
		rc = drain(&fs, follow(&fs, e), e);
	close_all(&fs);
	return rc;
}

static const struct conf_def file_source_keys[] = {
	{ "file.paths", CONF_STRING, NULL, 0, 0, 0, NULL,
	  "the files to follow: globs, comma-separated, found again at each scan" },
	{ "file", CONF_STRING, NULL, 0, 0, 0, NULL,
	  "Kafka's FileStreamSource key: one path, taken as written" },
	{ "batch.size", CONF_INT, "2000", 1, 1000000, 0, NULL,
	  "records taken from one file before the next file's turn (Kafka's key)" },
	{ "key", CONF_STRING, "none", 0, 0, 0, NULL,
	  "the record key: none, path (the file's), or regex:<re> (its one group, from the line)" },
	{ "read.from", CONF_ENUM, "beginning", 0, 0, 0, "beginning|end",
	  "where files found at start without saved progress are read from" },
	{ "file.poll.ms", CONF_DURATION, "250ms", 10, 3600000, 1, NULL,
	  "how often the files are looked at (at once on inotify events)" },
	{ "file.rotate.wait.ms", CONF_DURATION, "5000ms", 0, 3600000, 1, NULL,
	  "how long a rotated file is read before it is closed (and the new one opened)" },
	{ "file.inotify", CONF_BOOL, "true", 0, 0, 0, NULL, "wake on inotify events; false: poll only" },
	{ "file.exit.on.eof", CONF_BOOL, "false", 0, 0, 0, NULL,
	  "finish once every file is read and delivered (a batch load; the process exits 0)" },
	{ "file.headers", CONF_BOOL, "true", 0, 0, 0, NULL,
	  "add the headers file.path and file.offset (where the line starts) to each record" },
	FRAMING_KEYS("file."),
};

static const char *const file_source_aliases[] = {
	"FileStreamSource",
	"FileStreamSourceConnector",
	"org.apache.kafka.connect.file.FileStreamSourceConnector",
	NULL,
};

const struct connector_class file_source_class = {
	.name = "file-source",
	.aliases = file_source_aliases,
	.kind = CONNECTOR_SOURCE,
	.keys = file_source_keys,
	.nkeys = sizeof(file_source_keys) / sizeof(file_source_keys[0]),
	.check = file_source_check,
	.run = file_source_run,
};
