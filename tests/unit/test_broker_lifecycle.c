/*
 * test_broker_lifecycle.c: the controller's side of broker liveness.
 *
 * First what it decides for one broker from its heartbeats and its
 * record in the image (broker_lifecycle_decide), without a broker or a
 * clock: the session is 3 s, and this controller was elected at t = 10 s.
 * Then the thread, with a controller that stands in for the quorum by
 * writing the image directly.
 */
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

#include "broker.h"
#include "cluster/broker_lifecycle.h"
#include "log.h"
#include "unit.h"

#define SESSION 3000
#define ELECTED 10000

static struct lc_clock at(int64_t now)
{
	return (struct lc_clock){ .now_ms = now, .active_since_ms = ELECTED,
				  .session_ms = SESSION, .self_id = 1 };
}

static struct lc_member member(int32_t id, const char *inc, int64_t last, int64_t offset,
			       int64_t need)
{
	struct lc_member m = { .id = id, .last_ms = last, .meta_offset = offset,
			       .need_offset = need };

	snprintf(m.incarnation, sizeof(m.incarnation), "%s", inc);
	return m;
}

static struct meta_broker record(int32_t id, const char *inc, enum meta_broker_state st)
{
	struct meta_broker r = { .id = id, .state = st };

	snprintf(r.incarnation, sizeof(r.incarnation), "%s", inc);
	return r;
}

static void test_a_new_incarnation_is_registered(void)
{
	struct lc_member m = member(2, "new", 20000, 0, -1);
	struct meta_broker old = record(2, "old", META_BROKER_ALIVE);
	struct lc_clock c = at(20100);

	CHECK_EQ(broker_lifecycle_decide(&m, NULL, &c), LC_REGISTER);
	CHECK_EQ(broker_lifecycle_decide(&m, &old, &c), LC_REGISTER);
	m.want_shutdown = 1; /* stopping before it ever registered */
	CHECK_EQ(broker_lifecycle_decide(&m, NULL, &c), LC_NONE);
}

static void test_a_registered_broker_is_alive_once_caught_up(void)
{
	struct meta_broker r = record(2, "a", META_BROKER_FENCED);
	struct lc_member m = member(2, "a", 20000, 41, 42);
	struct lc_clock c = at(20100);

	CHECK_EQ(broker_lifecycle_decide(&m, &r, &c), LC_NONE);
	m.meta_offset = 42;
	CHECK_EQ(broker_lifecycle_decide(&m, &r, &c), LC_ALIVE);
	m.need_offset = -1; /* not yet seen registered by this controller */
	CHECK_EQ(broker_lifecycle_decide(&m, &r, &c), LC_NONE);
	r.state = META_BROKER_ALIVE;
	m.need_offset = 42;
	CHECK_EQ(broker_lifecycle_decide(&m, &r, &c), LC_NONE);
}

static void test_a_silent_broker_is_fenced_after_the_session(void)
{
	struct meta_broker r = record(2, "a", META_BROKER_ALIVE);
	struct lc_member m = member(2, "a", 20000, 42, 42);
	struct lc_clock c = at(20000 + SESSION);

	CHECK_EQ(broker_lifecycle_decide(&m, &r, &c), LC_NONE);
	c.now_ms++;
	CHECK_EQ(broker_lifecycle_decide(&m, &r, &c), LC_FENCE);
	r.state = META_BROKER_SHUTTING_DOWN;
	CHECK_EQ(broker_lifecycle_decide(&m, &r, &c), LC_FENCE);
	r.state = META_BROKER_FENCED; /* fenced already: nothing to write */
	CHECK_EQ(broker_lifecycle_decide(&m, &r, &c), LC_NONE);
}

static void test_a_new_controller_times_from_its_election(void)
{
	struct meta_broker r = record(2, "a", META_BROKER_ALIVE);
	struct lc_member m = member(2, "a", 1000, 42, 42); /* heard long before */
	struct lc_clock c = at(ELECTED + SESSION);

	CHECK_EQ(broker_lifecycle_decide(&m, &r, &c), LC_NONE);
	CHECK_EQ(broker_lifecycle_decide(NULL, &r, &c), LC_NONE);
	c.now_ms++;
	CHECK_EQ(broker_lifecycle_decide(&m, &r, &c), LC_FENCE);
	CHECK_EQ(broker_lifecycle_decide(NULL, &r, &c), LC_FENCE);
}

static void test_a_closed_connection_fences_at_once_but_not_the_controller(void)
{
	struct meta_broker r = record(2, "a", META_BROKER_ALIVE);
	struct meta_broker self = record(1, "s", META_BROKER_ALIVE);
	struct lc_member m = member(2, "a", 20000, 42, 42);
	struct lc_member ms = member(1, "s", 20000, 42, 42);
	struct lc_clock c = at(20001);

	m.closed = ms.closed = 1;
	CHECK_EQ(broker_lifecycle_decide(&m, &r, &c), LC_FENCE);
	CHECK_EQ(broker_lifecycle_decide(&ms, &self, &c), LC_NONE);
	/* A heartbeat on a new connection clears it: fenced, then alive. */
	m.closed = 0;
	r.state = META_BROKER_FENCED;
	CHECK_EQ(broker_lifecycle_decide(&m, &r, &c), LC_ALIVE);
}

static void test_a_broker_that_stops_shuts_down_then_is_fenced(void)
{
	struct meta_broker r = record(2, "a", META_BROKER_ALIVE);
	struct lc_member m = member(2, "a", 20000, 42, 42);
	struct lc_clock c = at(20001);

	m.want_shutdown = 1;
	CHECK_EQ(broker_lifecycle_decide(&m, &r, &c), LC_SHUTTING_DOWN);
	r.state = META_BROKER_SHUTTING_DOWN;
	CHECK_EQ(broker_lifecycle_decide(&m, &r, &c), LC_NONE);
	m.closed = 1;
	CHECK_EQ(broker_lifecycle_decide(&m, &r, &c), LC_FENCE);
	r.state = META_BROKER_FENCED; /* fenced: stays so, never alive again */
	m.closed = 0;
	CHECK_EQ(broker_lifecycle_decide(&m, &r, &c), LC_NONE);
}

static void test_a_stale_incarnation_says_nothing_of_the_new(void)
{
	struct meta_broker r = record(2, "new", META_BROKER_ALIVE);
	struct lc_member m = member(2, "old", 1000, 42, 42);
	struct lc_clock c = at(ELECTED + 1);

	/* The old process's last heartbeats do not fence the new one. */
	CHECK_EQ(broker_lifecycle_decide(&m, &r, &c), LC_NONE);
}

/* ---- the thread, with a stand-in controller ---- */

static atomic_int active = 1;

static int fake_active(struct broker *b, int32_t *id)
{
	if (id)
		*id = active ? b->node_id : 0;
	return active;
}

static int fake_register(struct broker *b, int32_t id, const char *inc, json_t *endpoints,
			 struct err *e)
{
	json_t *rec = json_pack("{s:i, s:s, s:i, s:s, s:O}", "v", 1, "type", "broker", "id", id,
				"incarnation", inc, "endpoints", endpoints);
	int rc;

	pthread_mutex_lock(&b->image.lock);
	rc = meta_state_apply(&b->image.state, rec, e);
	if (!rc) {
		/* A registration starts fenced (controller.h). */
		meta_find_broker(&b->image.state, id)->state = META_BROKER_FENCED;
		b->image.offset++;
	}
	pthread_mutex_unlock(&b->image.lock);
	json_decref(rec);
	return rc;
}

static int fake_set_state(struct broker *b, int32_t id, const char *inc,
			  enum meta_broker_state st, struct err *e)
{
	struct meta_broker *mb;
	int rc = 0;

	pthread_mutex_lock(&b->image.lock);
	mb = meta_find_broker(&b->image.state, id);
	if (!mb || strcmp(mb->incarnation, inc) != 0)
		rc = err_set(e, SLOG_ESTALE_BROKER_EPOCH, "not that incarnation");
	else if (mb->state != st) {
		mb->state = st;
		b->image.offset++;
	}
	pthread_mutex_unlock(&b->image.lock);
	return rc;
}

static const struct lc_controller fake = { fake_active, fake_register, fake_set_state, NULL,
					   NULL };

static struct broker *new_broker(const char *session)
{
	static struct broker b;
	char set[64];
	struct err e;

	memset(&b, 0, sizeof(b));
	b.node_id = 1;
	conf_init(&b.conf, broker_conf_defs, broker_conf_ndefs, &e);
	snprintf(set, sizeof(set), "broker.session.timeout.ms=%s", session);
	conf_set_pair(&b.conf, set, CONF_SRC_CMDLINE, &e);
	pthread_mutex_init(&b.image.lock, NULL);
	meta_state_init(&b.image.state);
	active = 1;
	return &b;
}

static void free_broker(struct broker *b)
{
	meta_state_free(&b->image.state);
	pthread_mutex_destroy(&b->image.lock);
	conf_free(&b->conf);
}

/* Broker id's state in the image; -1 if it is not registered. */
static int state_of(struct broker *b, int32_t id)
{
	struct meta_broker *mb;
	int st;

	pthread_mutex_lock(&b->image.lock);
	mb = meta_find_broker(&b->image.state, id);
	st = mb ? (int)mb->state : -1;
	pthread_mutex_unlock(&b->image.lock);
	return st;
}

/* Poll until broker id is in state, up to ms; whether it got there. */
static int reaches(struct broker *b, int32_t id, int state, int ms)
{
	for (int i = 0; i < ms / 5; i++) {
		if (state_of(b, id) == state)
			return 1;
		usleep(5000);
	}
	return state_of(b, id) == state;
}

static void beat(struct broker_lifecycle *lc, int32_t id, const char *inc, int64_t offset,
		 uint64_t conn)
{
	json_t *eps = json_pack("[{s:s, s:s, s:i}]", "name", "http", "host", "127.0.0.1", "port",
				9000 + id);
	struct lc_heartbeat hb = { .id = id, .incarnation = inc, .endpoints = eps,
				   .meta_offset = offset, .conn_id = conn };
	enum meta_broker_state st;

	broker_lifecycle_heartbeat(lc, &hb, &st);
	json_decref(eps);
}

static void test_a_heartbeating_broker_is_registered_then_alive(void)
{
	struct broker *b = new_broker("10s");
	struct broker_lifecycle *lc = broker_lifecycle_start(b, &fake);

	beat(lc, 2, "inc-a", 0, 7);
	CHECK(reaches(b, 2, META_BROKER_FENCED, 2000));
	/* Not caught up yet: it stays fenced. */
	beat(lc, 2, "inc-a", 0, 7);
	usleep(250 * 1000);
	CHECK_EQ(state_of(b, 2), META_BROKER_FENCED);
	beat(lc, 2, "inc-a", b->image.offset, 7);
	CHECK(reaches(b, 2, META_BROKER_ALIVE, 2000));
	broker_lifecycle_stop(lc);
	free_broker(b);
}

static void test_a_silent_broker_is_fenced_by_the_thread(void)
{
	struct broker *b = new_broker("300ms");
	struct broker_lifecycle *lc = broker_lifecycle_start(b, &fake);

	beat(lc, 2, "inc-a", 0, 7);
	REQUIRE(reaches(b, 2, META_BROKER_FENCED, 2000));
	beat(lc, 2, "inc-a", b->image.offset, 7);
	REQUIRE(reaches(b, 2, META_BROKER_ALIVE, 2000));
	CHECK(reaches(b, 2, META_BROKER_FENCED, 2000));
	broker_lifecycle_stop(lc);
	free_broker(b);
}

static void test_a_closed_connection_fences_its_broker_only(void)
{
	struct broker *b = new_broker("60s");
	struct broker_lifecycle *lc = broker_lifecycle_start(b, &fake);

	beat(lc, 2, "inc-a", 0, 7);
	beat(lc, 3, "inc-b", 0, 8);
	REQUIRE(reaches(b, 3, META_BROKER_FENCED, 2000));
	beat(lc, 2, "inc-a", b->image.offset, 7);
	beat(lc, 3, "inc-b", b->image.offset, 8);
	REQUIRE(reaches(b, 2, META_BROKER_ALIVE, 2000));
	REQUIRE(reaches(b, 3, META_BROKER_ALIVE, 2000));
	broker_lifecycle_conn_closed(lc, 99); /* nobody's */
	broker_lifecycle_conn_closed(lc, 7);
	CHECK(reaches(b, 2, META_BROKER_FENCED, 1000));
	CHECK_EQ(state_of(b, 3), META_BROKER_ALIVE);
	broker_lifecycle_stop(lc);
	free_broker(b);
}

static void test_nothing_changes_while_another_node_is_controller(void)
{
	struct broker *b = new_broker("10s");
	struct broker_lifecycle *lc = broker_lifecycle_start(b, &fake);

	active = 0;
	beat(lc, 2, "inc-a", 0, 7);
	usleep(300 * 1000);
	CHECK_EQ(state_of(b, 2), -1);
	active = 1;
	CHECK(reaches(b, 2, META_BROKER_FENCED, 2000));
	broker_lifecycle_stop(lc);
	free_broker(b);
}

static void test_await_returns_once_every_alive_broker_reported(void)
{
	struct broker *b = new_broker("10s");
	struct broker_lifecycle *lc = broker_lifecycle_start(b, &fake);
	int64_t target;
	struct err e;

	beat(lc, 2, "inc-a", 0, 7);
	REQUIRE(reaches(b, 2, META_BROKER_FENCED, 2000));
	beat(lc, 2, "inc-a", b->image.offset, 7);
	REQUIRE(reaches(b, 2, META_BROKER_ALIVE, 2000));
	target = b->image.offset + 5;
	CHECK_EQ(broker_lifecycle_await(lc, target, clock_mono_ms() + 100, &e),
		 SLOG_EREQUEST_TIMED_OUT);
	beat(lc, 2, "inc-a", target, 7);
	CHECK_EQ(broker_lifecycle_await(lc, target, clock_mono_ms() + 100, &e), 0);
	broker_lifecycle_stop(lc);
	free_broker(b);
}

int main(void)
{
	log_set_level(LOG_LEVEL_ERROR);
	unit_run("a new incarnation is registered", test_a_new_incarnation_is_registered);
	unit_run("a registered broker is alive once caught up",
		 test_a_registered_broker_is_alive_once_caught_up);
	unit_run("a silent broker is fenced after the session",
		 test_a_silent_broker_is_fenced_after_the_session);
	unit_run("a new controller times from its election",
		 test_a_new_controller_times_from_its_election);
	unit_run("a closed connection fences at once, but not the controller",
		 test_a_closed_connection_fences_at_once_but_not_the_controller);
	unit_run("a broker that stops shuts down, then is fenced",
		 test_a_broker_that_stops_shuts_down_then_is_fenced);
	unit_run("a stale incarnation says nothing of the new one",
		 test_a_stale_incarnation_says_nothing_of_the_new);
	unit_run("a heartbeating broker is registered, then alive",
		 test_a_heartbeating_broker_is_registered_then_alive);
	unit_run("a silent broker is fenced by the thread", test_a_silent_broker_is_fenced_by_the_thread);
	unit_run("a closed connection fences its broker only",
		 test_a_closed_connection_fences_its_broker_only);
	unit_run("nothing changes while another node is controller",
		 test_nothing_changes_while_another_node_is_controller);
	unit_run("await returns once every alive broker reported",
		 test_await_returns_once_every_alive_broker_reported);
	return unit_done();
}
