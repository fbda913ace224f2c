/*
 * ops_fixture.c: a front end for unit tests of the operations layer.
 * See ops_fixture.h.
 */
#include "ops_fixture.h"

#include <string.h>
#include <time.h>
#include <unistd.h>

#include "batch_builder.h"
#include "broker.h"
#include "broker_fixture.h"
#include "clock.h"
#include "compress.h"
#include "meta/controller.h"
#include "meta/publish.h"
#include "replica/registry.h"
#include "unit.h"

static const struct ops_ctx ctx = { .principal = "", .client_id = "test",
				    .deadline_ms = INT64_MAX };

void front_park(void *arg)
{
	atomic_fetch_add(&((struct front *)arg)->parks, 1);
}

void front_wake(void *arg)
{
	struct front *f = arg;

	atomic_fetch_add(&f->wakes, 1);
	sem_post(&f->woken);
}

void front_done(void *arg, int rc, const struct ops_produce_part *results, size_t n)
{
	struct front *f = arg;

	(void)results;
	(void)n;
	f->done_rc = rc;
	atomic_fetch_add(&f->dones, 1);
	sem_post(&f->woken);
}

void front_init(struct front *f)
{
	memset(f, 0, sizeof(*f));
	sem_init(&f->woken, 0, 0);
}

int front_woken_within(struct front *f, int64_t ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += (time_t)(ms / 1000);
	ts.tv_nsec += (long)(ms % 1000) * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	return sem_timedwait(&f->woken, &ts) == 0;
}

void fixture_batch(struct buf *out, int count)
{
	struct batch_builder bb;
	struct record rec;

	memset(&rec, 0, sizeof(rec));
	rec.key_len = -1;
	rec.value = (const uint8_t *)"0123456789";
	rec.value_len = 10;
	rec.timestamp = clock_wall_ms();
	batch_builder_init(&bb, CODEC_NONE, 0);
	for (int i = 0; i < count; i++)
		batch_builder_add(&bb, &rec);
	batch_builder_finish(&bb, out, NULL);
	batch_builder_free(&bb);
}

void fixture_committed(struct broker *b, const char *topic, int32_t partition, int64_t last)
{
	struct partition *p = broker_topic(b, topic)->parts[partition];
	int64_t deadline = clock_mono_ms() + 5000;

	while (atomic_load(&p->hw) <= last && clock_mono_ms() < deadline)
		usleep(1000);
}

int64_t fixture_produce(struct broker *b, const char *topic, int32_t partition, int acks,
			int count, struct front *f)
{
	struct ops_produce req;
	struct buf data = BUF_INIT;
	struct err e;
	int64_t base = -1;
	int rc;

	fixture_batch(&data, count);
	ops_produce_init(&req, topic, partition, acks);
	req.resume = (struct ops_resume){ .park = front_park, .wake = front_wake, .arg = f };
	req.done = front_done;
	req.body = (uint8_t *)data.data;
	req.body_len = data.len;
	if (ops_produce_validate(b, req.body, req.body_len, 0, &e) ||
	    ops_produce_open(b, &ctx, &req, &e) || ops_produce_check(b, &req, &e)) {
		unit_diag("produce: %s", e.msg);
		goto out;
	}
	rc = ops_produce(b, &ctx, &req);
	if (rc == OPS_PENDING && front_woken_within(f, 5000))
		rc = ops_produce(b, &ctx, &req);
	if (rc == 0 && req.parts[0].rc == 0) {
		base = req.parts[0].base;
		fixture_committed(b, topic, partition, req.parts[0].last);
	}
out:
	ops_produce_free(&req);
	buf_free(&data);
	return base;
}

int fixture_topic(struct broker *b, struct front *f, int32_t partitions)
{
	struct err e;

	front_init(f);
	if (fixture_start(b, unit_tmpdir()))
		return -1;
	if (controller_create_topic(b, "t", partitions, 1, NULL, 0, &e)) {
		unit_diag("create: %s", e.msg);
		return -1;
	}
	return 0;
}

int fixture_publish_take(struct broker *b, json_t *recs)
{
	struct err e;
	int rc = publish_records(b, recs, &e);

	json_decref(recs);
	if (rc)
		unit_diag("publishing: %s", e.msg);
	return rc ? -1 : 0;
}

void fixture_fetch_init(struct ops_fetch *req, struct ops_fetch_part *parts, size_t n,
			struct front *f)
{
	memset(req, 0, sizeof(*req));
	req->parts = parts;
	req->nparts = n;
	req->replica_id = -1;
	req->min_bytes = 1;
	req->max_bytes = 1 << 20;
	req->resume = (struct ops_resume){ .park = front_park, .wake = front_wake, .arg = f };
}
