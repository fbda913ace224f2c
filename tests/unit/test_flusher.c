/*
 * test_flusher.c: group commit for acks=all (flusher.h).
 *
 * A stalled disk is simulated with fio_stall_syncs: the fsyncs of one
 * log dir wait until it is released.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "batch_builder.h"
#include "broker.h"
#include "compress.h"
#include "storage/fileio.h"
#include "storage/flusher.h"
#include "storage/partition_log.h"
#include "unit.h"

struct done {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int calls, rc;
};

static void on_done(struct flush_req *r, int rc, const struct err *e)
{
	struct done *d = r->arg;

	(void)e;
	pthread_mutex_lock(&d->lock);
	d->calls++;
	if (rc)
		d->rc = rc;
	pthread_cond_broadcast(&d->cond);
	pthread_mutex_unlock(&d->lock);
}

static void done_init(struct done *d)
{
	memset(d, 0, sizeof(*d));
	pthread_mutex_init(&d->lock, NULL);
	pthread_cond_init(&d->cond, NULL);
}

/* Wait up to ms for d to have n calls; returns the calls seen. */
static int done_wait(struct done *d, int n, int64_t ms)
{
	int64_t until = clock_mono_ms() + ms;
	int calls;

	pthread_mutex_lock(&d->lock);
	while (d->calls < n && clock_mono_ms() < until) {
		pthread_mutex_unlock(&d->lock);
		usleep(1000);
		pthread_mutex_lock(&d->lock);
	}
	calls = d->calls;
	pthread_mutex_unlock(&d->lock);
	return calls;
}

/* A partition of log dir dir with one record appended. */
static int open_partition(struct partition *p, const char *root, int dir, int id)
{
	struct plog_open_opts o = { .now_ms = 1000 };
	struct plog_config cfg;
	struct batch_builder bb;
	struct record rec = { .key_len = -1, .value = (const uint8_t *)"v", .value_len = 1 };
	struct buf b = BUF_INIT;
	char path[512];
	struct err e;
	int rc;

	memset(p, 0, sizeof(*p));
	p->dir = dir;
	p->id = id;
	plog_config_default(&cfg);
	snprintf(path, sizeof(path), "%s/dir%d/t-%d", root, dir, id);
	rc = plog_open(path, &cfg, &o, &p->log, NULL, &e);
	if (rc) {
		unit_diag("plog_open %s: %s", path, e.msg);
		return rc;
	}
	batch_builder_init(&bb, CODEC_NONE, 0);
	batch_builder_add(&bb, &rec);
	batch_builder_finish(&bb, &b, NULL);
	batch_builder_free(&bb);
	rc = plog_append(p->log, (uint8_t *)b.data, b.len, 0, 1000, NULL, &e);
	buf_free(&b);
	return rc;
}

static void close_partition(struct partition *p)
{
	struct err e;

	if (p->log)
		plog_close(p->log, &e);
}

static void test_a_stalled_dir_does_not_delay_another_dirs_flush(void)
{
	struct partition slow, fast;
	struct flush_req rs = { 0 }, rf = { 0 };
	struct done ds, df;
	struct flusher *f;
	char prefix[512];

	done_init(&ds);
	done_init(&df);
	REQUIRE(open_partition(&slow, unit_tmpdir(), 0, 0) == 0);
	REQUIRE(open_partition(&fast, unit_tmpdir(), 1, 0) == 0);
	f = flusher_start(2);
	snprintf(prefix, sizeof(prefix), "%s/dir0/", unit_tmpdir());
	fio_stall_syncs(prefix);
	rs = (struct flush_req){ .log = slow.log, .dir = slow.dir, .upto = 1, .done = on_done,
				 .arg = &ds };
	rf = (struct flush_req){ .log = fast.log, .dir = fast.dir, .upto = 1, .done = on_done,
				 .arg = &df };
	flusher_submit(f, &rs);
	flusher_submit(f, &rf);
	CHECK_EQ(done_wait(&df, 1, 5000), 1);
	CHECK_EQ(df.rc, 0);
	CHECK_EQ(plog_recovery_point(fast.log), 1);
	CHECK_EQ(ds.calls, 0);
	fio_stall_syncs(NULL);
	CHECK_EQ(done_wait(&ds, 1, 5000), 1);
	CHECK_EQ(ds.rc, 0);
	CHECK_EQ(plog_recovery_point(slow.log), 1);
	flusher_stop(f);
	close_partition(&slow);
	close_partition(&fast);
}

/* Many requests for few partitions: each answered once, each partition flushed. */
static void test_every_request_is_answered_once(void)
{
	enum { NPART = 6, NREQ = 600 };
	static struct flush_req req[NREQ];
	struct partition p[NPART];
	struct done d;
	struct flusher *f;

	done_init(&d);
	for (int i = 0; i < NPART; i++)
		REQUIRE(open_partition(&p[i], unit_tmpdir(), i % 3, i) == 0);
	f = flusher_start(3);
	for (int i = 0; i < NREQ; i++) {
		struct partition *pi = &p[i % NPART];

		req[i] = (struct flush_req){ .log = pi->log, .dir = pi->dir, .upto = 1,
					     .done = on_done, .arg = &d };
		flusher_submit(f, &req[i]);
	}
	CHECK_EQ(done_wait(&d, NREQ, 10000), NREQ);
	/* A request is answered after its partition's fsync. */
	for (int i = 0; i < NPART; i++)
		CHECK_EQ(plog_recovery_point(p[i].log), 1);
	flusher_stop(f);
	CHECK_EQ(d.calls, NREQ);
	CHECK_EQ(d.rc, 0);
	for (int i = 0; i < NPART; i++)
		close_partition(&p[i]);
}

int main(void)
{
	unit_run("a stalled dir does not delay another dir's flush",
		 test_a_stalled_dir_does_not_delay_another_dirs_flush);
	unit_run("every request is answered once", test_every_request_is_answered_once);
	return unit_done();
}
