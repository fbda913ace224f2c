/*
 * broker_fixture.c: a broker without its HTTP side.  See broker_fixture.h.
 */
#include "broker_fixture.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "broker.h"
#include "clock.h"
#include "meta/controller.h"
#include "meta/meta_publisher.h"
#include "replica/fetch_wait.h"
#include "replica/registry.h"
#include "storage/dir_gate.h"
#include "storage/flusher.h"
#include "unit.h"

/* As each start of a broker registers it: a new incarnation. */
static int register_self(struct broker *b, struct err *e)
{
	json_t *endpoints = json_pack("[{s:s, s:s, s:i}]", "name", "http", "host", "127.0.0.1",
				      "port", 9292);
	int rc;

	meta_new_id(b->incarnation);
	rc = controller_register_broker(b, b->node_id, b->incarnation, endpoints, e);
	json_decref(endpoints);
	return rc;
}

/* The metadata quorum of this node alone, its image published. */
static int start_metadata(struct broker *b, const char *cluster, struct err *e)
{
	char mdir[4300];
	struct meta_log_config mc = { .node_id = b->node_id, .voter = 1, .dir = mdir,
				       .voters = b->voters, .nvoters = b->nvoters,
				       .request_timeout_ms = 10000 };
	int64_t deadline = clock_mono_ms() + 10000;

	snprintf(b->mlog.cluster_id, sizeof(b->mlog.cluster_id), "%s", cluster);
	b->publisher = meta_publisher_start(b);
	b->image.change_arg = b->publisher;
	b->image.on_change = meta_publisher_wake;
	if (meta_log_locate(NULL, b->dirs.v[0].path, mdir, sizeof(mdir), e) ||
	    meta_log_open(&b->mlog, &mc, &b->image, e))
		return -1;
	b->quorum = b->mlog.quorum;
	if (meta_publisher_await(b->publisher, atomic_load(&b->image.offset), deadline, e))
		return -1;
	while (!controller_active(b, NULL) && clock_mono_ms() < deadline)
		usleep(1000);
	if (!b->image.state.cluster_id[0] && controller_bootstrap(b, cluster, e))
		return -1;
	return register_self(b, e);
}

int fixture_start(struct broker *b, const char *data)
{
	char sets[4200], cluster[24] = "", new_id[24];
	pthread_rwlockattr_t ra;
	struct err e;

	memset(b, 0, sizeof(*b));
	snprintf(sets, sizeof(sets), "log.dirs=%s", data);
	if (conf_init(&b->conf, broker_conf_defs, broker_conf_ndefs, &e) ||
	    conf_set_pair(&b->conf, sets, CONF_SRC_CMDLINE, &e))
		goto fail;
	pthread_rwlockattr_init(&ra);
	pthread_rwlockattr_setkind_np(&ra, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&b->meta_lock, &ra);
	pthread_rwlockattr_destroy(&ra);
	b->node_id = 1;
	b->flush_on_ack = 1;
	if (broker_config_cluster(&b->conf, b->node_id, &b->roles, b->voters, &b->nvoters, &e))
		goto fail;
	b->waits = fetch_waits_start();
	b->gate = dir_gate_new(4);
	meta_state_init(&b->meta);
	b->meta.v0_node = b->node_id;
	meta_image_init(&b->image, 1024, b->node_id);
	meta_new_id(new_id);
	if (log_dirs_open(&b->dirs, data, b->node_id, new_id, cluster, &e))
		goto fail;
	b->flusher = flusher_start(b->dirs.n);
	if (start_metadata(b, cluster, &e))
		goto fail;
	return 0;
fail:
	unit_diag("broker: %s", e.msg);
	return -1;
}

void fixture_stop(struct broker *b)
{
	flusher_stop(b->flusher);
	fetch_waits_free(b->waits);
	meta_log_close(&b->mlog);
	b->quorum = NULL;
	meta_publisher_stop(b->publisher);
	b->publisher = NULL;
	registry_close_all(b, NULL);
	log_dirs_close(&b->dirs, 1);
	meta_image_free(&b->image);
	meta_state_free(&b->meta);
	dir_gate_free(b->gate);
	conf_free(&b->conf);
	pthread_rwlock_destroy(&b->meta_lock);
}
