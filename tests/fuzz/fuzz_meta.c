/*
 * fuzz_meta.c: libFuzzer target for the metadata records: the entries a
 * node reads back from its Raft log, the snapshots it restores, and the
 * answers of GET /v1/meta/records a broker fetches from a voter.
 *
 * An input starting with 'Q' is one raw Raft entry, given to the
 * quorum's state machine adapter (its framing, then the entry).  Any
 * other input is lines, each one step on one image:
 *
 *   E<entry>     meta_image_apply()          {"v":1,"records":[...]}
 *   S<snapshot>  meta_image_restore()        {"v":1,"offset":N,"state":...}
 *   F<answer>    meta_image_apply_fetched()  {"offset":N,"entries":[...]}
 *   <record>     meta_state_apply()          {"v":1,"type":...}
 *
 * Whatever the steps did, the image's promises must hold: its snapshot
 * restores into a fresh image whose snapshot is the same bytes (a state
 * that could not be restored would stop every node at its next start),
 * meta_state_copy() succeeds, and a follower that fetches everything from
 * offset 0 ends in the same state (entries when the ring still has them,
 * else the snapshot).  The ring keeps few entries so that both happen.
 */
#include <jansson.h>
#include <raft.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cluster/quorum.h"
#include "fuzz.h"
#include "log.h"
#include "meta/meta_image.h"
#include "meta/meta_state.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define RING 3
#define V0_NODE 1
/*
 * A record may make a topic of up to a million partitions, each placed
 * when the record is of version 0: a few hundred bytes of input describe
 * a cluster whose snapshots take gigabytes, which is the cluster's size,
 * not a parser believing a size it was not given.  Past this many
 * partitions an input's further steps and the checks are skipped.
 */
#define PARTITIONS_MAX 100000

struct steps {
	struct meta_image *img;
	int changed; /* a step applied */
	int big;     /* the state holds more than PARTITIONS_MAX partitions */
	int direct; /* a state came not from entries: a record applied to
		     * it alone, or a snapshot at offset 0 */
};

/* A snapshot restored at offset 0 holds a state no entry led to. */
static void restored(struct steps *st, int rc)
{
	st->changed |= rc == 0;
	if (rc == 0 && atomic_load(&st->img->offset) == 0)
		st->direct = 1;
}

static void apply_step(struct steps *st, const char *line, size_t n);

static long partitions(const struct meta_state *s)
{
	long n = 0;

	for (size_t i = 0; i < s->ntopics; i++)
		n += s->topics[i]->partitions;
	return n;
}

static void step(const char *line, size_t n, void *arg)
{
	struct steps *st = arg;

	if (n == 0 || st->big)
		return;
	apply_step(st, line, n);
	st->big = partitions(&st->img->state) > PARTITIONS_MAX;
}

static void apply_step(struct steps *st, const char *line, size_t n)
{
	json_t *j;
	struct err e;
	int rc;

	switch (line[0]) {
	case 'E':
		st->changed |= meta_image_apply(st->img, line + 1, n - 1, NULL, &e) == 0;
		return;
	case 'S':
		restored(st, meta_image_restore(st->img, line + 1, n - 1, &e));
		return;
	case 'F':
		j = json_loadb(line + 1, n - 1, 0, NULL);
		rc = meta_image_apply_fetched(st->img, j, &e);
		if (json_object_get(j, "snapshot"))
			restored(st, rc);
		st->changed |= rc == 0;
		json_decref(j);
		return;
	default:
		j = json_loadb(line, n, 0, NULL);
		if (meta_state_apply(&st->img->state, j, &e) == 0)
			st->direct = st->changed = 1;
		json_decref(j);
	}
}

/* One raw Raft entry through the adapter libraft calls. */
static int raft_entry(struct meta_image *img, const uint8_t *data, size_t size)
{
	struct quorum_fsm qf;
	struct raft_fsm rf;
	struct raft_buffer buf = { .base = (void *)data, .len = size };
	void *result;

	meta_image_fsm(img, &qf);
	quorum_raft_fsm(&rf, &qf);
	return rf.apply(&rf, &buf, &result);
}

static char *state_text(const struct meta_state *s)
{
	json_t *j = meta_state_encode(s);
	char *text = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);

	FUZZ_CHECK(text);
	json_decref(j);
	return text;
}

/* The snapshot restores to a state whose snapshot is the same. */
static void check_snapshot(struct meta_image *img)
{
	struct meta_image again;
	void *snap, *snap2;
	size_t len, len2;
	struct meta_state copy;
	struct err e;

	FUZZ_CHECK(meta_image_snapshot(img, &snap, &len, &e) == 0);
	meta_image_init(&again, RING, V0_NODE);
	FUZZ_CHECK(meta_image_restore(&again, snap, len, &e) == 0);
	FUZZ_CHECK(meta_image_snapshot(&again, &snap2, &len2, &e) == 0);
	FUZZ_CHECK(len == len2 && memcmp(snap, snap2, len) == 0);
	FUZZ_CHECK(meta_state_copy(&copy, &img->state, &e) == 0);
	meta_state_free(&copy);
	free(snap);
	free(snap2);
	meta_image_free(&again);
}

/* A follower fetching from 0 ends where the image is. */
static void check_follower(struct meta_image *img)
{
	struct meta_image f;
	json_t *answer;
	struct err e;
	char *want, *got;

	if (meta_image_since(img, 0, 1000, &answer, &e) != 0)
		return;
	meta_image_init(&f, RING, V0_NODE);
	FUZZ_CHECK(meta_image_apply_fetched(&f, answer, &e) == 0);
	FUZZ_CHECK(atomic_load(&f.offset) == atomic_load(&img->offset));
	want = state_text(&img->state);
	got = state_text(&f.state);
	FUZZ_CHECK(strcmp(want, got) == 0);
	free(want);
	free(got);
	json_decref(answer);
	meta_image_free(&f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct meta_image img;
	struct steps st = { .img = &img };

	log_set_level(LOG_LEVEL_NONE); /* what does not apply is logged */
	meta_image_init(&img, RING, V0_NODE);
	if (size > 0 && data[0] == 'Q') {
		st.changed = raft_entry(&img, data + 1, size - 1) == 0;
		st.big = partitions(&img.state) > PARTITIONS_MAX;
	} else
		fuzz_lines((const char *)data, size, step, &st);
	if (!st.changed || st.big) { /* nothing to check, or too large to */
		meta_image_free(&img);
		return 0;
	}
	check_snapshot(&img);
	/* A snapshot at offset 0 or records put straight into the state
	 * describe a state that no entries lead to: nothing to compare. */
	if (!st.direct)
		check_follower(&img);
	meta_image_free(&img);
	return 0;
}
