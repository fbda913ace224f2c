/*
 * test_replication_follower.c: a follower's side of replication
 * (replica/replication_follower.c): what its fetch names, appending the
 * leader's batches (CRC-checked), its high watermark, and truncation by
 * a diverging epoch (KIP-279's walk-back) or the leader's log range.
 */
#include <string.h>

#include "batch.h"
#include "broker.h"
#include "replica/replication.h"
#include "unit.h"
#include "plog_fixture.h"

static struct topic topic = { .name = "t" };

/* A partition followed from broker 2 in epoch 9, its log in dir name. */
static void follower(struct partition *p, const char *name)
{
	struct plog_config cfg = small_config();
	char dir[512];

	memset(p, 0, sizeof(*p));
	snprintf(dir, sizeof(dir), "%s/%s", unit_tmpdir(), name);
	p->topic = &topic;
	p->log = open_log(dir, &cfg, 0, 0, NULL);
	pthread_mutex_init(&p->repl_lock, NULL);
	p->rs.self = 1;
	p->rs.role = REPLICA_FOLLOWER;
	p->rs.leader = 2;
	p->rs.leader_epoch = 9;
}

static void done(struct partition *p)
{
	close_log(p->log);
	pthread_mutex_destroy(&p->repl_lock);
}

/* One batch of n records at base under epoch, as a leader sends it. */
static void add_batch(struct buf *out, int n, int64_t base, int32_t epoch)
{
	size_t at = out->len;

	make_batch(out, n, 1000, 0, CODEC_NONE, 10, NULL);
	batch_set_base_offset((uint8_t *)out->data + at, base);
	batch_set_leader_epoch((uint8_t *)out->data + at, epoch);
}

/* Append batches of 5 records under each of epochs[0..n). */
static void append_epochs(struct partition *p, const int32_t *epochs, size_t n)
{
	struct buf b = BUF_INIT;
	int64_t end;
	struct err e;

	plog_offsets(p->log, NULL, &end);
	for (size_t i = 0; i < n; i++)
		add_batch(&b, 5, end + 5 * (int64_t)i, epochs[i]);
	if (!CHECK(replication_follower_append(NULL, p, (uint8_t *)b.data, b.len, &e) == 0))
		unit_diag("append: %s", e.msg);
	buf_free(&b);
}

static int64_t leo(struct partition *p)
{
	int64_t end;

	plog_offsets(p->log, NULL, &end);
	return end;
}

static void test_a_follower_names_its_log_end_last_epoch_and_fsynced_offset(void)
{
	static const int32_t epochs[] = { 1, 1, 4 };
	struct replica_position pos;
	struct partition p;
	struct err e;

	follower(&p, "pos");
	append_epochs(&p, epochs, 3);
	REQUIRE(replication_position(&p, &pos) == 0);
	CHECK_EQ(pos.leader, 2);
	CHECK_EQ(pos.leader_epoch, 9);
	CHECK_EQ(pos.offset, 15);
	CHECK_EQ(pos.last_fetched_epoch, 4);
	CHECK_EQ(pos.log_start, 0);
	CHECK(pos.durable <= 15);
	CHECK(plog_flush(p.log, 15, &e) == 0);
	REQUIRE(replication_position(&p, &pos) == 0);
	CHECK_EQ(pos.durable, 15);
	p.rs.role = REPLICA_LEADER;
	CHECK_EQ(replication_position(&p, &pos), -1);
	done(&p);
}

static void test_a_damaged_batch_is_refused_and_what_came_before_it_kept(void)
{
	struct buf b = BUF_INIT;
	struct partition p;
	struct err e;
	size_t second;

	follower(&p, "crc");
	add_batch(&b, 5, 0, 1);
	second = b.len;
	add_batch(&b, 5, 5, 1);
	add_batch(&b, 5, 10, 1);
	b.data[second + b.len / 3 - 2] ^= 0x20; /* a bit in the second batch's records */
	CHECK_EQ(replication_follower_append(NULL, &p, (uint8_t *)b.data, b.len, &e),
		 SLOG_ECORRUPT_MESSAGE);
	CHECK(strstr(e.msg, "damaged") != NULL);
	CHECK_EQ(leo(&p), 5);
	CHECK_EQ(atomic_load(&p.leo), 5);
	buf_free(&b);
	done(&p);
}

static void test_the_high_watermark_stays_within_the_log_and_never_goes_back(void)
{
	static const int32_t epochs[] = { 1, 1 };
	struct partition p;

	follower(&p, "hw");
	append_epochs(&p, epochs, 2);
	replication_follower_hw(NULL, &p, 100, 0);
	CHECK_EQ(atomic_load(&p.hw), 10);
	replication_follower_hw(NULL, &p, 3, 0);
	CHECK_EQ(atomic_load(&p.hw), 10);
	done(&p);
}

static void test_a_diverging_epoch_truncates_to_the_leaders_end_of_it(void)
{
	static const int32_t epochs[] = { 1, 2, 2, 2 };
	struct partition p;
	struct err e;

	follower(&p, "div");
	append_epochs(&p, epochs, 4);
	replication_follower_hw(NULL, &p, 20, 0);
	/* The leader's epoch 2 ended at 12: the rest was never committed. */
	CHECK(replication_truncate_diverging(NULL, &p, 2, 12, &e) == 0);
	CHECK_EQ(leo(&p), 10); /* the start of the batch holding 12 */
	CHECK_EQ(atomic_load(&p.hw), 10);
	CHECK_EQ(plog_latest_epoch(p.log), 2);
	done(&p);
}

/* KIP-279: the follower holds epoch 3, which the leader never had; the
 * leader's largest epoch below it is 2, which the follower never had
 * either.  Each answer walks one epoch back, to the follower's own end
 * of the epoch before, until both agree. */
static void test_a_follower_walks_back_one_epoch_per_answer(void)
{
	static const int32_t epochs[] = { 1, 1, 3, 3 };
	struct replica_position pos;
	struct partition p;
	struct err e;

	follower(&p, "walk");
	append_epochs(&p, epochs, 4);
	/* Asked with last fetched epoch 3, the leader answers (2, 17). */
	CHECK(replication_truncate_diverging(NULL, &p, 2, 17, &e) == 0);
	CHECK_EQ(leo(&p), 10); /* the follower's epoch 1 ended at 10 */
	REQUIRE(replication_position(&p, &pos) == 0);
	CHECK_EQ(pos.last_fetched_epoch, 1);
	/* Asked again with epoch 1, the leader's epoch 1 ended at 7. */
	CHECK(replication_truncate_diverging(NULL, &p, 1, 7, &e) == 0);
	CHECK_EQ(leo(&p), 5);
	done(&p);
}

static void test_a_log_behind_the_leaders_start_restarts_there(void)
{
	static const int32_t epochs[] = { 1, 1 };
	struct replica_position pos;
	struct partition p;
	struct err e;

	follower(&p, "oor-start");
	append_epochs(&p, epochs, 2);
	CHECK(replication_out_of_range(NULL, &p, 1000, 1500, &e) == 0);
	REQUIRE(replication_position(&p, &pos) == 0);
	CHECK_EQ(pos.offset, 1000);
	CHECK_EQ(pos.log_start, 1000);
	CHECK_EQ(pos.last_fetched_epoch, -1);
	done(&p);
}

static void test_a_log_past_the_leaders_end_is_cut_to_it(void)
{
	static const int32_t epochs[] = { 1, 1, 1 };
	struct partition p;
	struct err e;

	follower(&p, "oor-end");
	append_epochs(&p, epochs, 3);
	CHECK(replication_out_of_range(NULL, &p, 0, 10, &e) == 0);
	CHECK_EQ(leo(&p), 10);
	/* Within the leader's log: nothing to cut, the next fetch is valid. */
	CHECK(replication_out_of_range(NULL, &p, 0, 30, &e) == 0);
	CHECK_EQ(leo(&p), 10);
	done(&p);
}

int main(void)
{
	unit_run("a follower names its log end, last epoch and fsynced offset",
		 test_a_follower_names_its_log_end_last_epoch_and_fsynced_offset);
	unit_run("a damaged batch is refused and what came before it kept",
		 test_a_damaged_batch_is_refused_and_what_came_before_it_kept);
	unit_run("the high watermark stays within the log and never goes back",
		 test_the_high_watermark_stays_within_the_log_and_never_goes_back);
	unit_run("a diverging epoch truncates to the leader's end of it",
		 test_a_diverging_epoch_truncates_to_the_leaders_end_of_it);
	unit_run("a follower walks back one epoch per answer",
		 test_a_follower_walks_back_one_epoch_per_answer);
	unit_run("a log behind the leader's start restarts there",
		 test_a_log_behind_the_leaders_start_restarts_there);
	unit_run("a log past the leader's end is cut to it",
		 test_a_log_past_the_leaders_end_is_cut_to_it);
	return unit_done();
}
