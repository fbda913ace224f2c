/*
 * consumer_output.c: where the consumer's records go.  See consumer.h.
 *
 * slog-consume's records are formatted into one buffer and written to
 * stdout once per fetched answer (-u: once per record); a position counts
 * as written once every byte before it is out.  A program's sink takes
 * each record (or batch) as it is read and says when they are safe with
 * its flush(); a position counts as written only then, so a commit never
 * gets ahead of the sink.
 */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "consumer_internal.h"
#include "ndjson.h"

/*
 * Has the reader of stdout gone away?  A pipe whose reader closed reports
 * POLLERR on its write end, a tty or socket that hung up POLLHUP, with no
 * event asked for; a file never does.  GNU tail -f watches the same way.
 */
int output_stdout_gone(void)
{
	struct pollfd p = { .fd = 1, .events = 0 };

	return poll(&p, 1, 0) == 1 && (p.revents & (POLLERR | POLLHUP));
}

static void written_all(struct consumer *c)
{
	for (size_t i = 0; i < c->nparts; i++)
		c->parts[i]->written = c->parts[i]->next;
}

/*
 * Write out what is buffered.  A reader that went away ends us quietly.
 * Once every byte is out, each partition's position counts as written
 * (what --commit after commits).  With --commit before, the positions
 * are committed first, and a failed commit drops the output instead.
 */
static void flush_stdout(struct consumer *c)
{
	size_t off = 0;

	if (c->out.len && c->gm && c->o->commit == COMMIT_BEFORE && group_commit_before_write(c)) {
		buf_reset(&c->out);
		return;
	}
	while (off < c->out.len && !c->stdout_closed) {
		ssize_t n = write(1, c->out.data + off, c->out.len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			if (errno != EPIPE)
				consumer_fail(c, SLOG_EUNKNOWN, "cannot write to stdout: %s", strerror(errno));
			c->stdout_closed = 1; /* | head: done, not failed */
			break;
		}
		off += (size_t)n;
	}
	if (!c->stdout_closed)
		written_all(c);
	buf_reset(&c->out);
}

/* The sink failed: stop, and commit nothing more. */
static int sink_failed(struct consumer *c, const struct err *e)
{
	consumer_fail(c, e->code ? e->code : SLOG_EUNKNOWN, "%s", e->msg);
	c->sink_failed = 1;
	c->quit = 1;
	return -1;
}

int output_flush(struct consumer *c)
{
	const struct consumer_sink *s = c->o->sink;
	struct err e;

	if (!s) {
		flush_stdout(c);
		return 0;
	}
	if (c->sink_failed)
		return -1;
	if (s->flush(s->arg, &e))
		return sink_failed(c, &e);
	written_all(c);
	return 0;
}

int output_unflushed(const struct consumer *c)
{
	for (size_t i = 0; i < c->nparts; i++)
		if (c->parts[i]->next > c->parts[i]->written)
			return 1;
	return 0;
}

int output_record(struct consumer *c, struct cpart *cp, const struct record *r)
{
	const struct consumer_sink *s = c->o->sink;
	struct format_marks m = { cp->resp.log_start, cp->resp.high_watermark };
	struct err e;

	c->printed++;
	if (s) {
		if (s->put(s->arg, cp->topic, cp->id, r, &e))
			return sink_failed(c, &e);
		return 0;
	}
	if (c->o->json)
		ndjson_write(&c->out, cp->topic, cp->id, r);
	else
		format_record_marked(c->o->format, &c->out, cp->topic, cp->id, r, c->o->null_text, &m);
	if (c->o->unbuffered || c->out.len >= (1 << 16))
		flush_stdout(c);
	return 0;
}

int output_batch(struct consumer *c, struct cpart *cp, const uint8_t *batch, size_t len)
{
	const struct consumer_sink *s = c->o->sink;
	struct err e;

	c->printed++;
	if (s->put_batch(s->arg, cp->topic, cp->id, batch, len, &e))
		return sink_failed(c, &e);
	return 0;
}

void output_release(struct consumer *c, const struct cpart *cp)
{
	const struct consumer_sink *s = c->o->sink;

	if (s && s->release)
		s->release(s->arg, cp->topic, cp->id);
}
