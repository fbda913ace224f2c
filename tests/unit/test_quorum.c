/*
 * test_quorum.c: the quorum module on libraft's real disk and TCP
 * backend, with voters in this process on loopback.  (The state machine
 * through elections and partitions is test_quorum_fixture.c's, on
 * libraft's deterministic fixture.)
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cluster/quorum.h"
#include "log.h"
#include "unit.h"

/* A state machine that sums the numbers it is given. */
struct counter {
	pthread_mutex_t mu;
	long sum;
	int applied;
};

static int counter_apply(void *arg, const void *data, size_t len, int *status)
{
	struct counter *c = arg;
	char text[32];

	if (len == 0 || len >= sizeof(text))
		return -1;
	memcpy(text, data, len);
	text[len] = 0;
	pthread_mutex_lock(&c->mu);
	c->sum += strtol(text, NULL, 10);
	c->applied++;
	pthread_mutex_unlock(&c->mu);
	*status = strtol(text, NULL, 10) < 0 ? SLOG_EINVALID_REQUEST : 0;
	return 0;
}

static int counter_snapshot(void *arg, void **data, size_t *len)
{
	struct counter *c = arg;
	char *text = malloc(32);

	pthread_mutex_lock(&c->mu);
	*len = (size_t)snprintf(text, 32, "%ld", c->sum);
	pthread_mutex_unlock(&c->mu);
	*data = text;
	return 0;
}

static int counter_restore(void *arg, const void *data, size_t len)
{
	struct counter *c = arg;
	char text[32];

	if (len >= sizeof(text))
		return -1;
	memcpy(text, data, len);
	text[len] = 0;
	pthread_mutex_lock(&c->mu);
	c->sum = strtol(text, NULL, 10);
	pthread_mutex_unlock(&c->mu);
	return 0;
}

static long counter_sum(struct counter *c)
{
	long s;

	pthread_mutex_lock(&c->mu);
	s = c->sum;
	pthread_mutex_unlock(&c->mu);
	return s;
}

struct node {
	struct counter c;
	struct quorum *q;
	char dir[4200];
};

static int start_node(struct node *n, int32_t id, const struct quorum_voter *voters,
		      size_t nvoters)
{
	struct quorum_config cfg = {
		.id = id, .dir = n->dir, .voters = voters, .nvoters = nvoters,
		.fsm = { &n->c, counter_apply, counter_snapshot, counter_restore },
		.election_timeout_ms = 200, .snapshot_threshold = 64,
	};
	struct err e;
	int rc = quorum_start(&cfg, &n->q, &e);

	if (rc)
		unit_diag("node %d: %s", id, e.msg);
	return rc;
}

static void node_init(struct node *n, const char *root, int id)
{
	memset(n, 0, sizeof(*n));
	pthread_mutex_init(&n->c.mu, NULL);
	snprintf(n->dir, sizeof(n->dir), "%s/q%d", root, id);
}

static int propose(struct quorum *q, const char *text, int *status)
{
	struct err e;

	return quorum_propose_wait(q, text, strlen(text), clock_mono_ms() + 5000, status, &e);
}

static void test_a_voter_alone_leads_and_commits(void)
{
	struct quorum_voter v = { 1, "127.0.0.1:0" };
	struct quorum_view view;
	struct node n;
	int status = -1;

	node_init(&n, unit_tmpdir(), 1);
	REQUIRE(start_node(&n, 1, &v, 1) == 0);
	quorum_view(n.q, &view);
	CHECK_EQ(view.role, QUORUM_LEADER);
	CHECK_EQ(view.leader_id, 1);
	CHECK(propose(n.q, "5", &status) == 0);
	CHECK_EQ(status, 0);
	CHECK(propose(n.q, "-2", &status) == 0);
	CHECK_EQ(status, SLOG_EINVALID_REQUEST);
	CHECK_EQ(counter_sum(&n.c), 3);
	quorum_stop(n.q);

	/* Started again, it applies its log again: the state comes back. */
	node_init(&n, unit_tmpdir(), 1);
	REQUIRE(start_node(&n, 1, &v, 1) == 0);
	CHECK_EQ(counter_sum(&n.c), 3);
	quorum_stop(n.q);
}

/* Wait until some node leads and is ready; its index, or -1. */
static int await_leader(struct node *nodes, int n, int except, int64_t deadline)
{
	while (clock_mono_ms() < deadline) {
		for (int i = 0; i < n; i++) {
			struct quorum_view v;

			if (i == except)
				continue;
			quorum_view(nodes[i].q, &v);
			if (v.role == QUORUM_LEADER && v.ready)
				return i;
		}
		usleep(10000);
	}
	return -1;
}

static int await_sum(struct node *nodes, int n, int except, long sum, int64_t deadline)
{
	while (clock_mono_ms() < deadline) {
		int all = 1;

		for (int i = 0; i < n; i++)
			all &= i == except || counter_sum(&nodes[i].c) == sum;
		if (all)
			return 1;
		usleep(10000);
	}
	return 0;
}

static void voters_on_loopback(struct quorum_voter *v, int n)
{
	/* Ports from the pid keep parallel runs of this test apart. */
	int base = 20000 + (getpid() % 2000) * 8;

	for (int i = 0; i < n; i++) {
		v[i].id = i + 1;
		snprintf(v[i].addr, sizeof(v[i].addr), "127.0.0.1:%d", base + i);
	}
}

static void test_three_voters_elect_commit_and_survive_the_leader(void)
{
	struct quorum_voter v[3];
	struct node nodes[3];
	struct err e;
	int leader, next, status = -1, rc;

	voters_on_loopback(v, 3);
	for (int i = 0; i < 3; i++) {
		node_init(&nodes[i], unit_tmpdir(), i + 1);
		REQUIRE(start_node(&nodes[i], i + 1, v, 3) == 0);
	}
	leader = await_leader(nodes, 3, -1, clock_mono_ms() + 10000);
	REQUIRE(leader >= 0);
	/* A follower refuses to propose. */
	rc = quorum_propose_wait(nodes[(leader + 1) % 3].q, "1", 1, clock_mono_ms() + 2000,
				 &status, &e);
	CHECK_EQ(rc, SLOG_ENOT_CONTROLLER);
	for (int i = 0; i < 100; i++)
		CHECK(propose(nodes[leader].q, "1", &status) == 0);
	CHECK(await_sum(nodes, 3, -1, 100, clock_mono_ms() + 10000));
	quorum_stop(nodes[leader].q);
	next = await_leader(nodes, 3, leader, clock_mono_ms() + 10000);
	REQUIRE(next >= 0);
	CHECK(next != leader);
	CHECK(propose(nodes[next].q, "7", &status) == 0);
	CHECK(await_sum(nodes, 3, leader, 107, clock_mono_ms() + 10000));
	/* The old leader comes back and catches up. */
	node_init(&nodes[leader], unit_tmpdir(), leader + 1);
	REQUIRE(start_node(&nodes[leader], leader + 1, v, 3) == 0);
	CHECK(await_sum(nodes, 3, -1, 107, clock_mono_ms() + 10000));
	for (int i = 0; i < 3; i++)
		quorum_stop(nodes[i].q);
}

static void test_voters_are_parsed_and_bad_ones_named(void)
{
	struct quorum_voter v[QUORUM_MAX_VOTERS];
	size_t n;
	struct err e;

	CHECK(quorum_parse_voters("1@a:1, 2@b:2,3@10.0.0.3:9293", v, &n, &e) == 0);
	CHECK_EQ(n, 3);
	CHECK_EQ(v[2].id, 3);
	CHECK(strcmp(v[2].addr, "10.0.0.3:9293") == 0);
	CHECK(quorum_parse_voters("1@a:1,1@b:2", v, &n, &e) == SLOG_EINVALID_CONFIG);
	CHECK(strstr(e.msg, "twice") != NULL);
	CHECK(quorum_parse_voters("a:1", v, &n, &e) == SLOG_EINVALID_CONFIG);
	CHECK(quorum_parse_voters("0@a:1", v, &n, &e) == SLOG_EINVALID_CONFIG);
	CHECK(quorum_parse_voters("1@a", v, &n, &e) == SLOG_EINVALID_CONFIG);
	CHECK(quorum_parse_voters("1@a:99999", v, &n, &e) == SLOG_EINVALID_CONFIG);
	CHECK(quorum_parse_voters("", v, &n, &e) == SLOG_EINVALID_CONFIG);
}

static void test_a_node_missing_from_the_voters_is_refused(void)
{
	struct quorum_voter v = { 2, "127.0.0.1:0" };
	struct node n;
	struct quorum_config cfg = { .id = 1, .voters = &v, .nvoters = 1 };
	struct err e;

	node_init(&n, unit_tmpdir(), 1);
	cfg.dir = n.dir;
	cfg.fsm = (struct quorum_fsm){ &n.c, counter_apply, counter_snapshot, counter_restore };
	CHECK(quorum_start(&cfg, &n.q, &e) == SLOG_EINVALID_CONFIG);
	CHECK(strstr(e.msg, "not among the voters") != NULL);
}

int main(void)
{
	log_set_level(LOG_LEVEL_ERROR);
	unit_run("voters are parsed, and a bad one is named", test_voters_are_parsed_and_bad_ones_named);
	unit_run("a node missing from the voters is refused",
		 test_a_node_missing_from_the_voters_is_refused);
	unit_run("a voter alone leads, commits, and keeps its log over a restart",
		 test_a_voter_alone_leads_and_commits);
	unit_run("three voters elect, commit, and go on without their leader",
		 test_three_voters_elect_commit_and_survive_the_leader);
	return unit_done();
}
