/*
 * broker_fixture.c: a broker without its HTTP side.  See broker_fixture.h.
 */
#include "broker_fixture.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "broker.h"
#include "meta/controller.h"
#include "replica/fetch_wait.h"
#include "replica/registry.h"
#include "storage/dir_gate.h"
#include "storage/flusher.h"
#include "unit.h"

int fixture_start(struct broker *b, const char *data)
{
	char sets[4200], cluster[24] = "", new_id[24], mdir[4300];
	struct meta_state replayed;
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
	b->waits = fetch_waits_start();
	b->gate = dir_gate_new(4);
	meta_state_init(&b->meta);
	meta_state_init(&replayed);
	b->meta.v0_node = replayed.v0_node = b->node_id;
	meta_new_id(new_id);
	if (log_dirs_open(&b->dirs, data, b->node_id, new_id, cluster, &e))
		goto fail;
	b->flusher = flusher_start(b->dirs.n);
	if (meta_log_locate(NULL, b->dirs.v[0].path, mdir, sizeof(mdir), &e) ||
	    meta_log_open(&b->mlog, mdir, 0, &replayed, &e) ||
	    controller_start(b, &replayed, &e) || controller_bootstrap(b, cluster, &e))
		goto fail;
	return 0;
fail:
	unit_diag("broker: %s", e.msg);
	return -1;
}

void fixture_stop(struct broker *b)
{
	flusher_stop(b->flusher);
	fetch_waits_stop(b->waits);
	registry_close_all(b, NULL);
	meta_log_close(&b->mlog, NULL);
	log_dirs_close(&b->dirs, 1);
	meta_state_free(&b->meta);
	dir_gate_free(b->gate);
	conf_free(&b->conf);
	pthread_rwlock_destroy(&b->meta_lock);
}
