/*
 * test_meta_migrate.c: the metadata log of the format before the quorum.
 *
 * It still replays (records without versions, records that no longer
 * fit), a record of a newer version stops the replay naming where it is,
 * and opening the metadata log imports it into the quorum once: the old
 * log goes aside first, a crash before the import finds it again, and a
 * node that is not the quorum's only voter refuses it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "log.h"
#include "meta/meta_image.h"
#include "meta/meta_log.h"
#include "meta/meta_migrate.h"
#include "meta/meta_state.h"
#include "unit.h"

struct replay {
	struct meta_log ml; /* names the old log in messages */
	struct meta_state *s;
};

static int apply_one(void *arg, json_t *rec, int64_t offset, struct err *e)
{
	struct replay *rp = arg;

	return meta_log_apply(&rp->ml, rp->s, rec, offset, e);
}

/* Replay the old log in dir into s, as the import does. */
static int replay_old(const char *dir, struct meta_state *s, struct err *e)
{
	static struct replay rp;

	snprintf(rp.ml.dir, sizeof(rp.ml.dir), "%s", dir);
	rp.s = s;
	return meta_migrate_read(dir, apply_one, &rp, e);
}

/* Write records (given as text) to an old log in dir, each in a batch of
 * its own as the broker wrote them before versions. */
static void write_old_log(const char *dir, const char *const *texts, size_t n)
{
	struct err e;

	for (size_t i = 0; i < n; i++) {
		json_error_t je;
		json_t *rec = json_loads(texts[i], 0, &je), *one;

		REQUIRE(rec != NULL);
		one = json_pack("[o]", rec);
		REQUIRE(meta_migrate_append(dir, one, &e) == 0);
		json_decref(one);
	}
}

static const char *const old_records[] = {
	"{\"type\":\"cluster\",\"cluster_id\":\"c1\"}",
	"{\"type\":\"topic\",\"name\":\"t\",\"id\":\"i1\",\"partitions\":2,"
	"\"replication_factor\":1,\"configs\":{\"retention.ms\":\"1d\"}}",
	"{\"type\":\"partitions\",\"name\":\"t\",\"count\":3}",
	"{\"type\":\"topic\",\"name\":\"gone\",\"id\":\"i2\",\"partitions\":1,"
	"\"replication_factor\":1}",
	"{\"type\":\"remove_topic\",\"name\":\"gone\",\"id\":\"i2\"}",
	/* Refused when it was written today; a no-op when replayed. */
	"{\"type\":\"partitions\",\"name\":\"t\",\"count\":2}",
};
#define NOLD (sizeof(old_records) / sizeof(old_records[0]))

/* Whether s is the state old_records make, placed on node. */
static int is_old_state(const struct meta_state *s, int32_t node)
{
	struct meta_topic *t = meta_find(s, "t");

	if (strcmp(s->cluster_id, "c1") != 0 || s->ntopics != 1 || !t || t->partitions != 3)
		return 0;
	for (int32_t i = 0; i < 3; i++)
		if (!meta_partition_on(&t->parts[i], node))
			return 0;
	return strcmp(json_string_value(json_object_get(t->configs, "retention.ms")), "1d") == 0;
}

static void test_an_old_log_still_replays(void)
{
	char dir[4200];
	struct meta_state s;
	struct err e;

	snprintf(dir, sizeof(dir), "%s/old", unit_tmpdir());
	write_old_log(dir, old_records, NOLD);
	CHECK(meta_migrate_is_old(dir));
	meta_state_init(&s);
	s.v0_node = 4;
	REQUIRE(replay_old(dir, &s, &e) == 0);
	CHECK(is_old_state(&s, 4));
	meta_state_free(&s);
}

/* Bytes this broker cannot read stop the replay, naming where they are. */
static void test_a_newer_record_in_the_log_stops_the_replay(void)
{
	static const char *newer[] = {
		"{\"v\":1,\"type\":\"cluster\",\"cluster_id\":\"c1\"}",
		"{\"v\":9,\"type\":\"fence\",\"id\":1}",
	};
	char dir[4200];
	struct meta_state s;
	struct err e;

	snprintf(dir, sizeof(dir), "%s/newer", unit_tmpdir());
	write_old_log(dir, newer, 2);
	meta_state_init(&s);
	CHECK_EQ(replay_old(dir, &s, &e), SLOG_ECORRUPT_MESSAGE);
	CHECK(strstr(e.msg, dir) != NULL);
	CHECK(strstr(e.msg, "offset 1") != NULL);
	CHECK(strstr(e.msg, "version 9") != NULL);
	meta_state_free(&s);
}

static int is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Open the metadata log in dir as node 1, the only voter (or one of
 * two), into img (initialised here). */
static int open_as_node_1(const char *dir, size_t nvoters, struct meta_image *img,
			  struct meta_log *ml, struct err *e)
{
	struct quorum_voter voters[2] = { { 1, "127.0.0.1:0" }, { 2, "127.0.0.1:1" } };
	struct meta_log_config mc = { .node_id = 1, .voter = 1, .dir = dir, .voters = voters,
				       .nvoters = nvoters, .request_timeout_ms = 10000 };

	meta_image_init(img, 16, 1);
	return meta_log_open(ml, &mc, img, e);
}

/* Whether the metadata log in dir, opened as node 1 alone, holds the
 * state old_records make. */
static int opens_to_old_state(const char *dir)
{
	struct meta_image img;
	struct meta_log ml;
	struct err e;
	int ok;

	if (open_as_node_1(dir, 1, &img, &ml, &e)) {
		unit_diag("%s", e.msg);
		meta_image_free(&img);
		return 0;
	}
	ok = is_old_state(&img.state, 1);
	meta_log_close(&ml);
	meta_image_free(&img);
	return ok;
}

static void test_an_old_log_is_imported_once(void)
{
	static const char *later[] = {
		"{\"type\":\"topic\",\"name\":\"later\",\"id\":\"i3\",\"partitions\":1,"
		"\"replication_factor\":1}",
	};
	char dir[4200], migrated[4300];

	snprintf(dir, sizeof(dir), "%s/import", unit_tmpdir());
	snprintf(migrated, sizeof(migrated), "%s.migrated", dir);
	write_old_log(dir, old_records, NOLD);
	CHECK(opens_to_old_state(dir));
	CHECK(is_dir(migrated));
	CHECK(!meta_migrate_is_old(dir));
	/* Reopened: the quorum's log has it, the old one is not read again. */
	write_old_log(migrated, later, 1);
	CHECK(opens_to_old_state(dir));
}

/* A crash after the old log went aside, before the quorum committed it. */
static void test_an_import_cut_short_is_done_again(void)
{
	char dir[4200], migrated[4300];

	snprintf(dir, sizeof(dir), "%s/cut", unit_tmpdir());
	snprintf(migrated, sizeof(migrated), "%s.migrated", dir);
	write_old_log(migrated, old_records, NOLD);
	CHECK(opens_to_old_state(dir));
}

static void test_only_a_voter_alone_imports_an_old_log(void)
{
	char dir[4200];
	struct meta_image img;
	struct meta_log ml;
	struct err e;

	snprintf(dir, sizeof(dir), "%s/two", unit_tmpdir());
	write_old_log(dir, old_records, NOLD);
	CHECK_EQ(open_as_node_1(dir, 2, &img, &ml, &e), SLOG_EINVALID_CONFIG);
	CHECK(strstr(e.msg, "only a node that is the quorum's one voter") != NULL);
	CHECK(meta_migrate_is_old(dir)); /* left where it was */
	meta_image_free(&img);
}

int main(void)
{
	log_set_level(LOG_LEVEL_ERROR);
	unit_run("a metadata log of the old format still replays", test_an_old_log_still_replays);
	unit_run("a newer record in an old log stops the replay, naming where",
		 test_a_newer_record_in_the_log_stops_the_replay);
	unit_run("an old log is imported into the quorum once", test_an_old_log_is_imported_once);
	unit_run("an import cut short by a crash is done again",
		 test_an_import_cut_short_is_done_again);
	unit_run("only the quorum's one voter imports an old log",
		 test_only_a_voter_alone_imports_an_old_log);
	return unit_done();
}
