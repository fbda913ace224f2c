/*
 * test_fetch_wait.c: long-poll waiters, without a broker.
 *
 * A waiter is woken exactly once: at once when its records are there,
 * by the append that passes its offset, by its deadline, when its
 * partition goes, or at shutdown; and never after it was cancelled.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include "replica/fetch_wait.h"
#include "unit.h"

/* One partition: its high watermark and its waiters. */
struct part {
	_Atomic int64_t hw;
	struct fetch_wait_list list;
};

static atomic_int wakes;

static void count_wake(struct fetch_wait *w)
{
	atomic_int *n = w->arg;

	atomic_fetch_add(n, 1);
	atomic_fetch_add(&wakes, 1);
}

static void arm(struct fetch_wait *w, struct part *p, int64_t offset, int64_t wait_ms, atomic_int *n)
{
	w->list = &p->list;
	w->hw = &p->hw;
	w->offset = offset;
	w->deadline_ms = clock_mono_ms() + wait_ms;
	w->wake = count_wake;
	w->arg = n;
	w->queued = 0;
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

/* Wait up to a few seconds for *n to reach want. */
static int reaches(atomic_int *n, int want)
{
	for (int i = 0; i < 500 && atomic_load(n) < want; i++)
		sleep_ms(10);
	return atomic_load(n) == want;
}

static void test_records_already_there_wake_at_once(void)
{
	struct fetch_waits *fw = fetch_waits_start();
	struct part p = { .hw = 5 };
	struct fetch_wait w;
	atomic_int n = 0;

	arm(&w, &p, 4, 60000, &n);
	fetch_waits_add(fw, &w);
	CHECK_EQ(atomic_load(&n), 1);
	CHECK_EQ(atomic_load(&p.list.n), 0);
	fetch_waits_free(fw);
	CHECK_EQ(atomic_load(&n), 1);
}

static void test_an_append_wakes_only_whom_it_passes(void)
{
	struct fetch_waits *fw = fetch_waits_start();
	struct part p = { .hw = 3 };
	struct fetch_wait near, far;
	atomic_int n_near = 0, n_far = 0;

	arm(&near, &p, 3, 60000, &n_near);
	arm(&far, &p, 10, 60000, &n_far);
	fetch_waits_add(fw, &near);
	fetch_waits_add(fw, &far);
	CHECK_EQ(atomic_load(&p.list.n), 2);
	p.hw = 4;
	fetch_waits_notify(fw, &p.list);
	CHECK_EQ(atomic_load(&n_near), 1);
	CHECK_EQ(atomic_load(&n_far), 0);
	p.hw = 11;
	fetch_waits_notify(fw, &p.list);
	fetch_waits_notify(fw, &p.list);
	CHECK_EQ(atomic_load(&n_near), 1);
	CHECK_EQ(atomic_load(&n_far), 1);
	CHECK_EQ(atomic_load(&p.list.n), 0);
	fetch_waits_free(fw);
}

static void test_the_deadline_wakes_the_earliest_first(void)
{
	struct fetch_waits *fw = fetch_waits_start();
	struct part p = { .hw = 0 };
	struct fetch_wait late, soon;
	atomic_int n_late = 0, n_soon = 0;
	int64_t t0 = clock_mono_ms();

	arm(&late, &p, 0, 60000, &n_late);
	arm(&soon, &p, 0, 50, &n_soon);
	fetch_waits_add(fw, &late);
	fetch_waits_add(fw, &soon);
	CHECK(reaches(&n_soon, 1));
	CHECK(clock_mono_ms() - t0 >= 50);
	CHECK_EQ(atomic_load(&n_late), 0);
	fetch_waits_free(fw);
	CHECK_EQ(atomic_load(&n_late), 1); /* shutdown answers everyone */
}

static void test_a_cancelled_waiter_is_never_woken(void)
{
	struct fetch_waits *fw = fetch_waits_start();
	struct part p = { .hw = 0 };
	struct fetch_wait a, b;
	atomic_int n_a = 0, n_b = 0;

	arm(&a, &p, 0, 30, &n_a);
	arm(&b, &p, 0, 60000, &n_b);
	fetch_waits_add(fw, &a);
	fetch_waits_add(fw, &b);
	fetch_waits_cancel(fw, &a);
	CHECK_EQ(a.queued, 0);
	CHECK_EQ(atomic_load(&p.list.n), 1);
	sleep_ms(100); /* past a's deadline */
	p.hw = 1;
	fetch_waits_notify(fw, &p.list);
	CHECK_EQ(atomic_load(&n_a), 0);
	CHECK_EQ(atomic_load(&n_b), 1);
	fetch_waits_cancel(fw, &b); /* woken already: a no-op */
	fetch_waits_free(fw);
	CHECK_EQ(atomic_load(&n_a), 0);
	CHECK_EQ(atomic_load(&n_b), 1);
}

static void test_a_removed_partition_wakes_its_waiters_only(void)
{
	struct fetch_waits *fw = fetch_waits_start();
	struct part gone = { .hw = 0 }, kept = { .hw = 0 };
	struct fetch_wait g1, g2, k;
	atomic_int n_g = 0, n_k = 0;

	arm(&g1, &gone, 0, 60000, &n_g);
	arm(&g2, &gone, 0, 60000, &n_g);
	arm(&k, &kept, 0, 60000, &n_k);
	fetch_waits_add(fw, &g1);
	fetch_waits_add(fw, &g2);
	fetch_waits_add(fw, &k);
	fetch_waits_drop_partition(fw, &gone.list);
	CHECK_EQ(atomic_load(&n_g), 2);
	CHECK_EQ(atomic_load(&n_k), 0);
	CHECK_EQ(atomic_load(&gone.list.n), 0);
	fetch_waits_wake_all(fw);
	CHECK_EQ(atomic_load(&n_k), 1);
	fetch_waits_free(fw);
}

/* Many waiters with random deadlines: each is woken once, in time. */
static void test_many_deadlines_each_wake_once(void)
{
	enum { N = 64 };
	struct fetch_waits *fw = fetch_waits_start();
	struct part p = { .hw = 0 };
	struct fetch_wait w[N];
	atomic_int n[N];

	atomic_store(&wakes, 0);
	for (int i = 0; i < N; i++) {
		atomic_init(&n[i], 0);
		arm(&w[i], &p, 0, (int64_t)unit_rand_below(80), &n[i]);
		fetch_waits_add(fw, &w[i]);
	}
	CHECK(reaches(&wakes, N));
	for (int i = 0; i < N; i++)
		CHECK_EQ(atomic_load(&n[i]), 1);
	fetch_waits_free(fw);
	CHECK_EQ(atomic_load(&wakes), N);
}

/* At shutdown the metadata publisher may still delete a topic after the
 * waits stopped: dropping its partition, or a late waiter, must work. */
static void test_stopped_waits_still_take_a_drop_and_a_late_waiter(void)
{
	struct fetch_waits *fw = fetch_waits_start();
	struct part p = { .hw = 0 };
	struct fetch_wait early, late;
	atomic_int n = 0;

	arm(&early, &p, 0, 60000, &n);
	fetch_waits_add(fw, &early);
	fetch_waits_stop(fw);
	CHECK_EQ(atomic_load(&n), 1);
	fetch_waits_drop_partition(fw, &p.list);
	arm(&late, &p, 0, 60000, &n);
	fetch_waits_add(fw, &late);
	CHECK_EQ(atomic_load(&n), 2);
	fetch_waits_stop(fw);
	fetch_waits_free(fw);
}

int main(void)
{
	unit_run("a waiter whose records are there is woken at once",
		 test_records_already_there_wake_at_once);
	unit_run("an append wakes only the waiters it passes", test_an_append_wakes_only_whom_it_passes);
	unit_run("deadlines wake the earliest first", test_the_deadline_wakes_the_earliest_first);
	unit_run("a cancelled waiter is never woken", test_a_cancelled_waiter_is_never_woken);
	unit_run("a removed partition wakes its own waiters only",
		 test_a_removed_partition_wakes_its_waiters_only);
	unit_run("many deadlines each wake once", test_many_deadlines_each_wake_once);
	unit_run("stopped waits still take a dropped partition and a late waiter",
		 test_stopped_waits_still_take_a_drop_and_a_late_waiter);
	return unit_done();
}
