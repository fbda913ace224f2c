/*
 * test_quorum_fixture.c: the metadata image as the quorum's state
 * machine, on libraft's deterministic in-memory cluster (raft/fixture.h).
 *
 * Each server's state machine is what a voter runs: meta_image_fsm()
 * behind quorum_raft_fsm(), the adapter quorum_start() uses.  The
 * fixture's simulated clock and network make elections, partitions,
 * crashes and snapshot installs happen the same way on every run, and
 * every scenario ends with all images in one state at one offset: what
 * Raft promises, checked through our encoding of entries and snapshots.
 */
#include <raft.h>
#include <raft/fixture.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/quorum.h"
#include "log.h"
#include "meta/meta_image.h"
#include "unit.h"

#define SERVERS 3
#define MAX_PROPOSALS 64
#define STEP_MS 10000 /* simulated: enough for elections and catch-up */

struct node {
	struct meta_image img;
	struct quorum_fsm qfsm;
	struct raft_fsm rfsm;
};

/* A proposal's outcome, as the leader's apply callback reports it. */
struct proposal {
	struct raft_apply req;
	int done, rc, status;
};

struct cluster {
	struct raft_fixture *f;
	unsigned n;
	struct node nodes[SERVERS];
	/* Kept until the fixture is closed: raft holds req until its cb. */
	struct proposal props[MAX_PROPOSALS];
	unsigned nprops;
};

static void quiet_emit(struct raft_tracer *t, int type, const void *info)
{
	(void)t;
	(void)type;
	(void)info;
}

/* The fixture traces every step to stderr; LIBRAFT_TRACE=1 keeps that. */
static struct raft_tracer quiet = { .version = 2, .emit = quiet_emit };

/* n voters, each with an empty image; threshold 0 keeps libraft's. */
static struct cluster *cluster_new(unsigned n, unsigned threshold)
{
	struct cluster *c = calloc(1, sizeof(*c));
	struct raft_configuration conf;

	/* calloc: 0.22's raft_fixture_initialize() leaves fields unset. */
	c->f = calloc(1, sizeof(*c->f));
	c->n = n;
	if (raft_fixture_initialize(c->f) != 0)
		unit_diag("raft_fixture_initialize failed");
	for (unsigned i = 0; i < n; i++) {
		struct node *x = &c->nodes[i];
		meta_image_init(&x->img, 16, 0);
		meta_image_fsm(&x->img, &x->qfsm);
		quorum_raft_fsm(&x->rfsm, &x->qfsm);
		raft_fixture_grow(c->f, &x->rfsm);
		if (!getenv("LIBRAFT_TRACE"))
			raft_fixture_get(c->f, i)->tracer = &quiet;
		/* As quorum_start() sets it: a node cut off does not disrupt
		 * the cluster with elections when it is back. */
		raft_set_pre_vote(raft_fixture_get(c->f, i), true);
		if (threshold) {
			raft_set_snapshot_threshold(raft_fixture_get(c->f, i), threshold);
			raft_set_snapshot_trailing(raft_fixture_get(c->f, i), 2);
		}
	}
	raft_fixture_configuration(c->f, n, &conf);
	raft_fixture_bootstrap(c->f, &conf);
	raft_configuration_close(&conf);
	raft_fixture_start(c->f);
	return c;
}

static void cluster_free(struct cluster *c)
{
	raft_fixture_close(c->f);
	for (unsigned i = 0; i < c->n; i++)
		meta_image_free(&c->nodes[i].img);
	free(c->f);
	free(c);
}

static void proposal_done(struct raft_apply *req, int rc, void *result)
{
	struct proposal *p = req->data;

	p->done = 1;
	p->rc = rc;
	p->status = rc == 0 ? (int)(intptr_t)result : 0;
}

/*
 * Propose an entry of records (JSON array text) on server i, as the
 * quorum's thread does: the entry, framed, in a raft_malloc()ed buffer
 * that raft owns once raft_apply() accepts it.  NULL if refused.
 */
static struct proposal *propose(struct cluster *c, unsigned i, const char *records)
{
	json_t *recs = json_loads(records, 0, NULL);
	struct proposal *p = &c->props[c->nprops];
	struct raft_buffer buf;
	size_t len;
	char *text = meta_entry_encode(recs, &len);

	json_decref(recs);
	if (!text || c->nprops == MAX_PROPOSALS || quorum_entry_frame(text, len, &buf) != 0) {
		unit_diag("bad proposal %s", records);
		free(text);
		return NULL;
	}
	free(text);
	p->req.data = p;
	if (raft_apply(raft_fixture_get(c->f, i), &p->req, &buf, 1, proposal_done) != 0) {
		raft_free(buf.base);
		return NULL;
	}
	c->nprops++;
	return p;
}

static char *topic(char *buf, size_t size, const char *name, const char *id)
{
	snprintf(buf, size,
		 "[{\"v\":1,\"type\":\"topic\",\"name\":\"%s\",\"id\":\"%s\",\"partitions\":1,"
		 "\"replication_factor\":1}]", name, id);
	return buf;
}

/* Propose topic t<from>..t<to-1> on server i, one entry each, and step
 * until each applied there (the leader's apply is the proposer's cb). */
static int propose_topics(struct cluster *c, unsigned i, int from, int to)
{
	char recs[256], name[32];

	for (int k = from; k < to; k++) {
		struct proposal *p;
		snprintf(name, sizeof(name), "t%d", k);
		p = propose(c, i, topic(recs, sizeof(recs), name, name));
		if (!p)
			return -1;
		if (!raft_fixture_step_until_applied(c->f, i,
						     raft_last_index(raft_fixture_get(c->f, i)),
						     STEP_MS) || !p->done || p->rc || p->status)
			return -1;
	}
	return 0;
}

/* Step until server i (or all, i == n) applied everything the leader
 * has. */
static int catch_up(struct cluster *c, unsigned leader, unsigned i)
{
	return raft_fixture_step_until_applied(
		c->f, i, raft_last_index(raft_fixture_get(c->f, leader)), STEP_MS);
}

/* Every image at one offset, in one state (compared as encoded). */
static int images_equal(struct cluster *c)
{
	json_t *first = NULL;
	int eq = 1;

	for (unsigned i = 0; i < c->n && eq; i++) {
		struct meta_image *img = &c->nodes[i].img;
		json_t *s;
		pthread_mutex_lock(&img->lock);
		s = meta_state_encode(&img->state);
		pthread_mutex_unlock(&img->lock);
		if (img->offset != c->nodes[0].img.offset) {
			unit_diag("server %u at offset %lld, server 0 at %lld", i,
				  (long long)img->offset, (long long)c->nodes[0].img.offset);
			eq = 0;
		}
		if (first && !json_equal(first, s)) {
			unit_diag("server %u's state differs from server 0's", i);
			eq = 0;
		}
		if (first)
			json_decref(s);
		else
			first = s;
	}
	json_decref(first);
	return eq;
}

/* Cut the link from i to j, or join it again.  Disconnected, sends fail;
 * saturated too, the fixture does not wait for i's acknowledgement of j
 * before it calls j the cluster's leader. */
static void cut_link(struct raft_fixture *f, unsigned i, unsigned j, int cut)
{
	if (cut) {
		raft_fixture_disconnect(f, i, j);
		raft_fixture_saturate(f, i, j);
	} else {
		raft_fixture_desaturate(f, i, j);
		raft_fixture_reconnect(f, i, j);
	}
}

/* Cut server i off from every other, both ways, or join it again. */
static void isolate(struct cluster *c, unsigned i, int cut)
{
	for (unsigned j = 0; j < c->n; j++) {
		if (j != i) {
			cut_link(c->f, i, j, cut);
			cut_link(c->f, j, i, cut);
		}
	}
}

static void test_three_voters_apply_alike(void)
{
	struct cluster *c = cluster_new(SERVERS, 0);

	raft_fixture_elect(c->f, 0);
	CHECK_EQ(propose_topics(c, 0, 0, 5), 0);
	CHECK(catch_up(c, 0, c->n));
	CHECK_EQ(c->nodes[2].img.offset, 5);
	CHECK(meta_find(&c->nodes[2].img.state, "t4") != NULL);
	CHECK(images_equal(c));
	cluster_free(c);
}

/*
 * A leader cut off from the others cannot commit: it steps down, its
 * proposal reports that the leadership was lost, the majority elects a
 * leader of its own and commits; back in the cluster the old leader's
 * uncommitted entry is replaced by the new leader's log.
 */
static bool not_leader(struct raft_fixture *f, void *arg)
{
	(void)f;
	return raft_state(arg) != RAFT_LEADER;
}

static void test_a_partitioned_leader_loses_its_entries(void)
{
	struct cluster *c = cluster_new(SERVERS, 0);
	struct proposal *lost;
	char recs[256];
	unsigned leader;

	raft_fixture_elect(c->f, 0);
	REQUIRE(propose_topics(c, 0, 0, 1) == 0);
	REQUIRE(catch_up(c, 0, c->n));
	isolate(c, 0, 1);
	lost = propose(c, 0, topic(recs, sizeof(recs), "lost", "l1"));
	REQUIRE(lost != NULL);
	REQUIRE(raft_fixture_step_until_has_no_leader(c->f, STEP_MS));
	REQUIRE(raft_fixture_step_until_has_leader(c->f, STEP_MS));
	leader = raft_fixture_leader_index(c->f);
	CHECK(leader != 0);
	REQUIRE(leader < c->n);
	REQUIRE(propose_topics(c, leader, 1, 3) == 0);
	REQUIRE(raft_fixture_step_until(c->f, not_leader, raft_fixture_get(c->f, 0), STEP_MS));
	CHECK(lost->done);
	CHECK_EQ(lost->rc, RAFT_LEADERSHIPLOST);
	isolate(c, 0, 0);
	CHECK(catch_up(c, leader, c->n));
	CHECK(meta_find(&c->nodes[0].img.state, "lost") == NULL);
	CHECK(meta_find(&c->nodes[0].img.state, "t2") != NULL);
	CHECK_EQ(c->nodes[0].img.offset, 3);
	CHECK(images_equal(c));
	cluster_free(c);
}

/*
 * Server 0 leads; all apply topics [0, seen), then server 2 dies and the
 * other two commit topics [seen, total) without it.
 */
static int miss_entries(struct cluster *c, int seen, int total)
{
	raft_fixture_elect(c->f, 0);
	if (propose_topics(c, 0, 0, seen) || !catch_up(c, 0, c->n))
		return -1;
	raft_fixture_kill(c->f, 2);
	/* Two of three still commit. */
	if (propose_topics(c, 0, seen, total) || !catch_up(c, 0, 1))
		return -1;
	return 0;
}

/* A follower that crashed misses entries, and gets them when back. */
static void test_a_revived_follower_catches_up(void)
{
	struct cluster *c = cluster_new(SERVERS, 0);

	REQUIRE(miss_entries(c, 2, 6) == 0);
	CHECK_EQ(c->nodes[2].img.offset, 2);
	raft_fixture_revive(c->f, 2);
	CHECK(catch_up(c, 0, c->n));
	CHECK_EQ(c->nodes[2].img.offset, 6);
	CHECK(images_equal(c));
	cluster_free(c);
}

/* The leader crashes: the others elect one of them and go on; back, the
 * old leader follows. */
static void test_a_killed_leader_is_replaced(void)
{
	struct cluster *c = cluster_new(SERVERS, 0);
	unsigned leader;

	raft_fixture_elect(c->f, 0);
	REQUIRE(propose_topics(c, 0, 0, 2) == 0);
	REQUIRE(catch_up(c, 0, c->n));
	raft_fixture_kill(c->f, 0);
	/* The fixture names the dead leader until a step looks again. */
	REQUIRE(raft_fixture_step_until_has_no_leader(c->f, STEP_MS));
	REQUIRE(raft_fixture_step_until_has_leader(c->f, STEP_MS));
	leader = raft_fixture_leader_index(c->f);
	REQUIRE(leader > 0 && leader < c->n);
	REQUIRE(propose_topics(c, leader, 2, 4) == 0);
	raft_fixture_revive(c->f, 0);
	CHECK(catch_up(c, leader, c->n));
	CHECK_EQ(c->nodes[0].img.offset, 4);
	CHECK(images_equal(c));
	cluster_free(c);
}

/*
 * With a low snapshot threshold the leader compacts its log past what a
 * dead follower has: back, it gets InstallSnapshot, restores the image
 * from it (its ring empty at the snapshot's offset) and applies the rest.
 */
static void test_a_far_follower_catches_up_through_a_snapshot(void)
{
	struct cluster *c = cluster_new(SERVERS, 4);
	struct meta_image *far = &c->nodes[2].img;

	REQUIRE(miss_entries(c, 1, 20) == 0);
	CHECK_EQ(far->offset, 1);
	CHECK_EQ(raft_fixture_n_recv(c->f, 2, RAFT_INSTALL_SNAPSHOT), 0);
	raft_fixture_revive(c->f, 2);
	CHECK(catch_up(c, 0, c->n));
	CHECK(raft_fixture_n_recv(c->f, 2, RAFT_INSTALL_SNAPSHOT) >= 1);
	CHECK_EQ(far->offset, 20);
	/* Restored, not replayed: the ring starts after the first entry. */
	CHECK(far->ring_start > 1);
	CHECK(images_equal(c));
	cluster_free(c);
}

/*
 * Two proposals that raced (two creations of one name) both commit: the
 * second does not fit, every server skips it, it still takes its
 * offset, and its proposer learns that it did not apply.
 */
static void test_a_record_that_does_not_apply_is_skipped_everywhere(void)
{
	struct cluster *c = cluster_new(SERVERS, 0);
	struct proposal *first, *second;
	char recs[256];

	raft_fixture_elect(c->f, 0);
	first = propose(c, 0, topic(recs, sizeof(recs), "t", "id1"));
	second = propose(c, 0, topic(recs, sizeof(recs), "t", "id2"));
	REQUIRE(first != NULL && second != NULL);
	CHECK(catch_up(c, 0, c->n));
	CHECK(first->done && second->done);
	CHECK_EQ(first->rc, 0);
	CHECK_EQ(first->status, 0);
	CHECK_EQ(second->rc, 0);
	CHECK_EQ(second->status, SLOG_EINVALID_REQUEST);
	for (unsigned i = 0; i < c->n; i++) {
		struct meta_topic *t = meta_find(&c->nodes[i].img.state, "t");
		CHECK(t != NULL && strcmp(t->id, "id1") == 0);
		CHECK_EQ(c->nodes[i].img.offset, 2);
	}
	CHECK(images_equal(c));
	cluster_free(c);
}

int main(void)
{
	/* Skipped records are logged as warnings: expected here. */
	log_set_level(LOG_LEVEL_ERROR);
	unit_run("three voters elect a leader and apply entries alike",
		 test_three_voters_apply_alike);
	unit_run("a partitioned leader steps down and its uncommitted entry is gone",
		 test_a_partitioned_leader_loses_its_entries);
	unit_run("a killed follower revived catches up", test_a_revived_follower_catches_up);
	unit_run("a killed leader is replaced, and follows when back",
		 test_a_killed_leader_is_replaced);
	unit_run("a follower far behind catches up through a snapshot",
		 test_a_far_follower_catches_up_through_a_snapshot);
	unit_run("a committed record that does not apply is skipped alike everywhere",
		 test_a_record_that_does_not_apply_is_skipped_everywhere);
	return unit_done();
}
