/*
 * test_meta_log.c: which cluster a node belongs to.
 *
 * A node that never joined a cluster takes the id its image holds, in
 * its metadata directory and in meta.properties; once joined, an image of
 * another cluster is refused naming both ids, and so is a start whose
 * meta.properties names another cluster than the one it joined.
 */
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "meta/meta_log.h"
#include "storage/fileio.h"
#include "storage/log_dirs.h"
#include "unit.h"

/* The cluster id in path's meta.properties, into out. */
static void properties_id(const char *data, char out[64])
{
	char path[4300];
	struct buf text = BUF_INIT;
	const char *p;
	struct err e;

	out[0] = 0;
	snprintf(path, sizeof(path), "%s/meta.properties", data);
	if (fio_read_file(path, 4096, &text, &e))
		return;
	p = strstr(buf_cstr(&text), "cluster.id=");
	if (p)
		snprintf(out, 64, "%.*s", (int)strcspn(p + 11, "\n"), p + 11);
	buf_free(&text);
}

/* Open the data in data as node 1 (made fresh with id "mine"), and the
 * metadata log's record of what it joined, without a quorum. */
static int open_node(const char *data, struct log_dirs *d, struct meta_log *ml, struct err *e)
{
	char mdir[4300];
	struct meta_log_config mc = { .node_id = 1, .dir = mdir };

	memset(ml, 0, sizeof(*ml));
	if (log_dirs_open(d, data, 1, "mine", ml->cluster_id, e))
		return -1;
	snprintf(mdir, sizeof(mdir), "%s/" META_LOG_DIR_NAME, data);
	return meta_log_open(ml, &mc, NULL, e);
}

static void test_a_new_node_takes_the_clusters_id(void)
{
	char data[4200], id[64];
	struct log_dirs d;
	struct meta_log ml;
	struct err e;

	snprintf(data, sizeof(data), "%s/new", unit_tmpdir());
	REQUIRE(open_node(data, &d, &ml, &e) == 0);
	CHECK(strcmp(ml.cluster_id, "mine") == 0);
	CHECK_EQ(meta_log_join(&ml, "theirs", &d, 1, &e), 0);
	properties_id(data, id);
	CHECK(strcmp(id, "theirs") == 0);
	log_dirs_close(&d, 1);
	REQUIRE(open_node(data, &d, &ml, &e) == 0);
	CHECK(strcmp(ml.joined, "theirs") == 0);
	CHECK_EQ(meta_log_join(&ml, "theirs", &d, 1, &e), 0);
	log_dirs_close(&d, 1);
}

static void test_a_node_of_another_cluster_is_refused(void)
{
	char data[4200], path[4300], id[64];
	struct log_dirs d;
	struct meta_log ml;
	struct err e;

	snprintf(data, sizeof(data), "%s/other", unit_tmpdir());
	REQUIRE(open_node(data, &d, &ml, &e) == 0);
	REQUIRE(meta_log_join(&ml, "mine", &d, 1, &e) == 0);
	CHECK_EQ(meta_log_join(&ml, "theirs", &d, 1, &e), SLOG_EINCONSISTENT_CLUSTER_ID);
	CHECK(strstr(e.msg, "belongs to cluster theirs, meta.properties to mine") != NULL);
	CHECK(ml.refused);
	properties_id(data, id);
	CHECK(strcmp(id, "mine") == 0);
	log_dirs_close(&d, 1);
	/* A meta.properties copied from another cluster's node. */
	snprintf(path, sizeof(path), "%s/meta.properties", data);
	REQUIRE(fio_write_atomic(path, "cluster.id=theirs\nnode.id=1\n", 28, &e) == 0);
	CHECK_EQ(open_node(data, &d, &ml, &e), SLOG_EINCONSISTENT_CLUSTER_ID);
	CHECK(strstr(e.msg, "belongs to cluster mine, meta.properties to theirs") != NULL);
	log_dirs_close(&d, 1);
}

int main(void)
{
	log_set_level(LOG_LEVEL_ERROR);
	unit_run("a node that never joined takes the cluster's id",
		 test_a_new_node_takes_the_clusters_id);
	unit_run("a node of another cluster is refused, naming both ids",
		 test_a_node_of_another_cluster_is_refused);
	return unit_done();
}
