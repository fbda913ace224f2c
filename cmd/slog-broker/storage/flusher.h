/*
 * flusher.h: group commit for acks=all, off the request threads.
 *
 * A produce with acks=all appends, suspends its connection and submits a
 * flush request.  Each log dir has its own flusher thread: it takes every
 * request queued so far for its dir, fsyncs each partition involved once
 * (plog_flush), and calls each request's done callback with the result,
 * which resumes the connection.  Requests that arrive during an fsync
 * wait for the next round, which then covers all of them with one more
 * fsync: under load, one fsync serves as many acknowledgements as
 * arrived while the last one ran.
 *
 * No HTTP thread ever blocks in fsync, so a slow disk delays only the
 * requests that asked for durability, and only those whose partitions
 * live on it: a hung disk does not hold up acknowledgements on another.
 *
 * A request's log must stay open until its done callback has returned;
 * done runs on the flusher thread of the log's dir (r->dir), and the
 * flush_req may be freed from inside it.  The flusher knows logs and dirs
 * only, not the partitions that own them, so storage does not depend on
 * the registry.
 */
#ifndef SLOG_FLUSHER_H
#define SLOG_FLUSHER_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

struct flusher;
struct plog;

/*
 * log must stay open until done has returned: the submitter holds a
 * reference to the partition that owns it (partition_get(), taken under
 * meta_lock for the append before it) and gives it back only after done:
 * a request that done resumes drops it when it is freed.  See broker.h.
 */
struct flush_req {
	struct plog *log;
	int dir;      /* the log's dir, which picks the flusher thread */
	int64_t upto; /* offsets below this must be durable */
	void (*done)(struct flush_req *r, int rc, const struct err *e);
	void *arg;
	struct flush_req *next; /* owned by the flusher */
};

/* One thread for each of ndirs log dirs (a partition's dir indexes them). */
struct flusher *flusher_start(size_t ndirs);
/* Finish what is queued, then stop. */
void flusher_stop(struct flusher *f);

void flusher_submit(struct flusher *f, struct flush_req *r);

#endif
