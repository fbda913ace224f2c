/*
 * test_dir_gate.c: per-log-dir admission (dir_gate.h).
 */
#include <pthread.h>

#include "storage/dir_gate.h"
#include "unit.h"

struct waiter {
	struct dir_gate_wait w;
	int woken;
};

static void on_wake(struct dir_gate_wait *w)
{
	((struct waiter *)w->arg)->woken++;
}

static void waiters_init(struct waiter *v, int n)
{
	for (int i = 0; i < n; i++)
		v[i] = (struct waiter){ .w = { .wake = on_wake, .arg = &v[i] } };
}

/* v[0] takes dir 0's only slot, v[1..n-1] queue behind it. */
static struct dir_gate *one_slot_queue(struct waiter *v, int n)
{
	struct dir_gate *g = dir_gate_new(1);

	waiters_init(v, n);
	CHECK_EQ(dir_gate_enter(g, dir_gate_bit(0), &v[0].w), 1);
	for (int i = 1; i < n; i++)
		CHECK_EQ(dir_gate_enter(g, dir_gate_bit(0), &v[i].w), 0);
	return g;
}

static void test_a_full_dir_queues_and_leaves_other_dirs_open(void)
{
	struct dir_gate *g = dir_gate_new(2);
	struct waiter v[4], *a = &v[0], *b = &v[1], *c = &v[2], *d = &v[3];

	waiters_init(v, 4);
	CHECK_EQ(dir_gate_enter(g, dir_gate_bit(0), &a->w), 1);
	CHECK_EQ(dir_gate_enter(g, dir_gate_bit(0), &b->w), 1);
	CHECK_EQ(dir_gate_busy(g, 0), 2);
	/* Dir 0 is full: the third request waits, dir 1 is not affected. */
	CHECK_EQ(dir_gate_enter(g, dir_gate_bit(0), &c->w), 0);
	CHECK_EQ(dir_gate_enter(g, dir_gate_bit(1), &d->w), 1);
	CHECK_EQ(c->woken, 0);
	dir_gate_leave(g, dir_gate_bit(1));
	CHECK_EQ(c->woken, 0);
	/* A slot of dir 0 frees: the waiter is woken and gets in. */
	dir_gate_leave(g, dir_gate_bit(0));
	CHECK_EQ(c->woken, 1);
	CHECK_EQ(dir_gate_enter(g, dir_gate_bit(0), &c->w), 1);
	dir_gate_leave(g, dir_gate_bit(0));
	dir_gate_leave(g, dir_gate_bit(0));
	CHECK_EQ(dir_gate_busy(g, 0), 0);
	dir_gate_free(g);
}

static void test_several_dirs_are_entered_all_or_none(void)
{
	struct dir_gate *g = dir_gate_new(1);
	struct waiter v[2], *a = &v[0], *b = &v[1];

	waiters_init(v, 2);
	CHECK_EQ(dir_gate_enter(g, dir_gate_bit(1), &a->w), 1);
	/* Dirs 0 and 1: 1 is full, so 0 is not taken either. */
	CHECK_EQ(dir_gate_enter(g, dir_gate_bit(0) | dir_gate_bit(1), &b->w), 0);
	CHECK_EQ(dir_gate_busy(g, 0), 0);
	dir_gate_leave(g, dir_gate_bit(1));
	CHECK_EQ(b->woken, 1);
	CHECK_EQ(dir_gate_enter(g, dir_gate_bit(0) | dir_gate_bit(1), &b->w), 1);
	CHECK_EQ(dir_gate_busy(g, 0), 1);
	CHECK_EQ(dir_gate_busy(g, 1), 1);
	dir_gate_leave(g, dir_gate_bit(0) | dir_gate_bit(1));
	dir_gate_free(g);
}

static void test_a_woken_waiter_that_loses_the_race_stays_first(void)
{
	struct waiter v[4], *b = &v[1], *c = &v[2], *d = &v[3];
	struct dir_gate *g = one_slot_queue(v, 3);

	waiters_init(d, 1);
	dir_gate_leave(g, dir_gate_bit(0));
	CHECK_EQ(b->woken, 1);
	/* A newcomer takes the slot before b comes back. */
	CHECK_EQ(dir_gate_enter(g, dir_gate_bit(0), &d->w), 1);
	CHECK_EQ(dir_gate_enter(g, dir_gate_bit(0), &b->w), 0);
	dir_gate_leave(g, dir_gate_bit(0));
	CHECK_EQ(b->woken, 2);
	CHECK_EQ(c->woken, 0);
	CHECK_EQ(dir_gate_enter(g, dir_gate_bit(0), &b->w), 1);
	dir_gate_leave(g, dir_gate_bit(0));
	CHECK_EQ(c->woken, 1);
	CHECK_EQ(dir_gate_enter(g, dir_gate_bit(0), &c->w), 1);
	dir_gate_leave(g, dir_gate_bit(0));
	dir_gate_free(g);
}

static void test_a_request_gone_passes_its_wake_on(void)
{
	struct waiter v[4], *a = &v[0], *b = &v[1], *c = &v[2], *d = &v[3];
	struct dir_gate *g = one_slot_queue(v, 4);

	/* c goes away while queued: it is simply dropped. */
	dir_gate_forget(&c->w);
	dir_gate_leave(g, dir_gate_bit(0));
	CHECK_EQ(b->woken, 1);
	/* b goes away after its wake, without coming back: d gets the wake. */
	dir_gate_forget(&b->w);
	CHECK_EQ(c->woken, 0);
	CHECK_EQ(d->woken, 1);
	CHECK_EQ(dir_gate_enter(g, dir_gate_bit(0), &d->w), 1);
	dir_gate_leave(g, dir_gate_bit(0));
	dir_gate_forget(&a->w); /* never waited: nothing to do */
	CHECK_EQ(dir_gate_busy(g, 0), 0);
	dir_gate_free(g);
}

static void test_closing_wakes_everyone_and_queues_no_more(void)
{
	struct dir_gate *g = dir_gate_new(1);
	struct waiter v[3], *a = &v[0], *b = &v[1], *c = &v[2];

	waiters_init(v, 3);
	CHECK_EQ(dir_gate_enter(g, dir_gate_bit(3), &a->w), 1);
	CHECK_EQ(dir_gate_enter(g, dir_gate_bit(3), &b->w), 0);
	dir_gate_close(g);
	CHECK_EQ(b->woken, 1);
	CHECK_EQ(dir_gate_enter(g, dir_gate_bit(3), &b->w), -1);
	CHECK_EQ(dir_gate_enter(g, dir_gate_bit(3), &c->w), -1);
	dir_gate_forget(&b->w);
	dir_gate_leave(g, dir_gate_bit(3));
	CHECK_EQ(dir_gate_enter(g, dir_gate_bit(3), &c->w), 1);
	dir_gate_leave(g, dir_gate_bit(3));
	dir_gate_free(g);
}

/* Many threads through a gate of 2 slots: never more than 2 inside. */
struct stress {
	struct dir_gate *g;
	pthread_mutex_t lock;
	int inside, max_inside, done;
};

static void stress_wake(struct dir_gate_wait *w)
{
	(void)w;
}

static void *stress_thread(void *arg)
{
	struct stress *s = arg;
	struct dir_gate_wait w = { .wake = stress_wake };

	for (int i = 0; i < 20000; i++) {
		while (dir_gate_enter(s->g, dir_gate_bit(0), &w) != 1)
			dir_gate_forget(&w); /* spin instead of suspending */
		pthread_mutex_lock(&s->lock);
		if (++s->inside > s->max_inside)
			s->max_inside = s->inside;
		pthread_mutex_unlock(&s->lock);
		pthread_mutex_lock(&s->lock);
		s->inside--;
		s->done++;
		pthread_mutex_unlock(&s->lock);
		dir_gate_leave(s->g, dir_gate_bit(0));
	}
	return NULL;
}

static void test_never_more_threads_inside_than_slots(void)
{
	struct stress s = { .g = dir_gate_new(2) };
	pthread_t t[4];

	pthread_mutex_init(&s.lock, NULL);
	for (int i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, stress_thread, &s);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	CHECK(s.max_inside <= 2);
	CHECK_EQ(s.done, 80000);
	CHECK_EQ(dir_gate_busy(s.g, 0), 0);
	pthread_mutex_destroy(&s.lock);
	dir_gate_free(s.g);
}

int main(void)
{
	unit_run("a full dir queues and leaves other dirs open",
		 test_a_full_dir_queues_and_leaves_other_dirs_open);
	unit_run("several dirs are entered all or none", test_several_dirs_are_entered_all_or_none);
	unit_run("a woken waiter that loses the race stays first",
		 test_a_woken_waiter_that_loses_the_race_stays_first);
	unit_run("a request gone passes its wake on", test_a_request_gone_passes_its_wake_on);
	unit_run("closing wakes everyone and queues no more",
		 test_closing_wakes_everyone_and_queues_no_more);
	unit_run("never more threads inside than slots", test_never_more_threads_inside_than_slots);
	return unit_done();
}
