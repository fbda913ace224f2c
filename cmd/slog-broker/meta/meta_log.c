/*
 * meta_log.c: the metadata log on the quorum, and the import of the old
 * format.  See meta_log.h.
 */
#include "meta/meta_log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "clock.h"
#include "log.h"
#include "meta/meta_migrate.h"
#include "storage/fileio.h"

/* meta_log_apply() for the log in dir. */
static int apply_in(const char *dir, struct meta_state *s, json_t *rec, int64_t offset,
		    struct err *e)
{
	struct err why;
	char where[64] = "a proposed record";
	int rc = meta_state_apply(s, rec, &why);

	if (offset >= 0)
		snprintf(where, sizeof(where), "record at offset %lld", (long long)offset);
	if (rc == SLOG_EINVALID_REQUEST) {
		log_warn("metadata log %s, %s does not apply, skipped: %s", dir, where, why.msg);
		return 0;
	}
	if (rc)
		return err_set(e, rc, "metadata log %s, %s: %s", dir, where, why.msg);
	return 0;
}

int meta_log_apply(const struct meta_log *ml, struct meta_state *s, json_t *rec, int64_t offset,
		   struct err *e)
{
	return apply_in(ml->dir, s, rec, offset, e);
}

/* The old log's records, applied as they always were. */
struct replay {
	const char *dir;
	struct meta_state *s;
};

static int replay_record(void *arg, json_t *rec, int64_t offset, struct err *e)
{
	struct replay *rp = arg;

	return apply_in(rp->dir, rp->s, rec, offset, e);
}

static int is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int meta_log_locate(const char *configured, const char *first_log_dir, char *out, size_t size,
		    struct err *e)
{
	char old[4200], parent[4200];
	int rc;

	if (configured && *configured)
		snprintf(out, size, "%s", configured);
	else
		snprintf(out, size, "%s/" META_LOG_DIR_NAME, first_log_dir);
	snprintf(old, sizeof(old), "%s/__cluster_metadata-0", first_log_dir);
	if (!is_dir(old))
		return 0;
	if (is_dir(out))
		return err_set(e, SLOG_EINVALID_CONFIG,
			       "both %s (the old place of the metadata log) and %s exist: "
			       "keep the one that holds this cluster's metadata", old, out);
	/* Renamed, then the rename made durable: a crash in between finds
	 * either the old place or the new one, never both or neither. */
	rc = fio_rename(old, out, e);
	fio_dirname(out, parent, sizeof(parent));
	if (!rc)
		rc = fio_fsync_dir(parent, e);
	if (!rc && strcmp(parent, first_log_dir) != 0)
		rc = fio_fsync_dir(first_log_dir, e);
	if (rc)
		return err_wrap(e, "moving the metadata log out of the topics' names");
	log_info("moved the metadata log from %s to %s", old, out);
	return 0;
}

/* A log of the old format at dir goes aside to migrated, before the
 * quorum makes its directory there. */
static int set_old_log_aside(const struct meta_log_config *cfg, const char *migrated,
			     struct err *e)
{
	if (!meta_migrate_is_old(cfg->dir))
		return 0;
	if (!cfg->voter || cfg->nvoters != 1)
		return err_set(e, SLOG_EINVALID_CONFIG,
			       "%s holds a metadata log of the format before the quorum: only a "
			       "node that is the quorum's one voter imports it (start this node alone, "
			       "without controller.quorum.voters, then add the others)", cfg->dir);
	if (is_dir(migrated))
		return err_set(e, SLOG_EINVALID_CONFIG,
			       "both %s and %s hold a metadata log of the format before the quorum: "
			       "keep the one that holds this cluster's metadata", cfg->dir, migrated);
	return meta_migrate_move(cfg->dir, migrated, e);
}

/* Whether the image holds a cluster yet. */
static int image_has_cluster(struct meta_image *img)
{
	int has;

	pthread_mutex_lock(&img->lock);
	has = img->state.cluster_id[0] != 0;
	pthread_mutex_unlock(&img->lock);
	return has;
}

/* Commit the state the old log at migrated replays to as one entry. */
static int import_old_log(struct meta_log *ml, const struct meta_log_config *cfg,
			  const char *migrated, struct err *e)
{
	struct meta_state s;
	json_t *snap;
	char *text = NULL;
	size_t len;
	int status = 0, rc;

	meta_state_init(&s);
	s.v0_node = cfg->node_id; /* records before versions were its own */
	rc = meta_migrate_read(migrated, replay_record, &(struct replay){ migrated, &s }, e);
	if (rc) {
		meta_state_free(&s);
		return rc;
	}
	snap = meta_state_encode(&s);
	meta_state_free(&s);
	if (json_array_size(json_object_get(snap, "records")))
		text = meta_entry_encode(json_object_get(snap, "records"), &len);
	json_decref(snap);
	if (!text)
		return 0;
	rc = quorum_propose_wait(ml->quorum, text, len, clock_mono_ms() + cfg->request_timeout_ms,
				 &status, e);
	free(text);
	if (rc)
		return err_wrap(e, "importing the metadata log %s", migrated);
	if (status)
		log_warn("metadata log %s: some of its records did not apply to the quorum's state",
			 migrated);
	log_info("imported the metadata log %s into the quorum in %s (kept until removed by hand)",
		 migrated, ml->dir);
	return 0;
}

static int start_quorum(struct meta_log *ml, const struct meta_log_config *cfg,
			struct meta_image *img, struct err *e)
{
	struct quorum_config qc = {
		.id = cfg->node_id,
		.dir = cfg->dir,
		.voters = cfg->voters,
		.nvoters = cfg->nvoters,
		.bind = cfg->bind,
		.election_timeout_ms = cfg->election_timeout_ms,
		.snapshot_threshold = cfg->snapshot_threshold,
	};

	meta_image_fsm(img, &qc.fsm);
	if (quorum_start(&qc, &ml->quorum, e))
		return err_wrap(e, "metadata quorum in %s", cfg->dir);
	return 0;
}

static int refuse_cluster(struct meta_log *ml, const char *theirs, const char *ours,
			  struct err *e)
{
	ml->refused = 1;
	return err_set(e, SLOG_EINCONSISTENT_CLUSTER_ID,
		       "the metadata log %s belongs to cluster %s, meta.properties to %s", ml->dir,
		       theirs, ours);
}

/* The cluster this node joined, if it did: dir/cluster.id. */
static int read_joined(struct meta_log *ml, struct err *e)
{
	char path[4300];
	struct buf text = BUF_INIT;
	size_t n;
	int rc = 0;

	ml->joined[0] = 0;
	snprintf(path, sizeof(path), "%s/" META_LOG_CLUSTER_FILE, ml->dir);
	if (access(path, F_OK) != 0)
		return 0;
	rc = fio_read_file(path, 256, &text, e);
	n = rc ? 0 : strcspn(buf_cstr(&text), "\r\n");
	if (!rc && (n == 0 || n >= sizeof(ml->joined)))
		rc = err_set(e, SLOG_EINVALID_CONFIG, "%s: malformed cluster id", path);
	if (!rc)
		snprintf(ml->joined, sizeof(ml->joined), "%.*s", (int)n, buf_cstr(&text));
	buf_free(&text);
	if (!rc && strcmp(ml->joined, ml->cluster_id) != 0)
		rc = refuse_cluster(ml, ml->joined, ml->cluster_id, e);
	return rc;
}

int meta_log_join(struct meta_log *ml, const char *image_id, struct log_dirs *dirs,
		  int32_t node_id, struct err *e)
{
	char path[4300], text[32];
	int rc;

	if (ml->joined[0])
		return strcmp(ml->joined, image_id) == 0 ? 0
							 : refuse_cluster(ml, image_id, ml->joined, e);
	/* meta.properties first: a crash between the two writes leaves a node
	 * that has not joined yet, and joins again. */
	if (strcmp(image_id, ml->cluster_id) != 0) {
		rc = log_dirs_set_cluster_id(dirs, node_id, image_id, e);
		if (rc)
			return rc;
		log_info("joined cluster %s (this node had made cluster id %s before it joined)",
			 image_id, ml->cluster_id);
		snprintf(ml->cluster_id, sizeof(ml->cluster_id), "%s", image_id);
	}
	snprintf(path, sizeof(path), "%s/" META_LOG_CLUSTER_FILE, ml->dir);
	snprintf(text, sizeof(text), "%s\n", image_id);
	rc = fio_mkdir_p(ml->dir, e);
	if (!rc)
		rc = fio_write_atomic(path, text, strlen(text), e);
	if (rc)
		return err_wrap(e, "recording the cluster this node joined");
	snprintf(ml->joined, sizeof(ml->joined), "%s", image_id);
	return 0;
}

int meta_log_open(struct meta_log *ml, const struct meta_log_config *cfg, struct meta_image *img,
		  struct err *e)
{
	char migrated[4300];
	int rc;

	ml->quorum = NULL;
	ml->refused = 0;
	snprintf(ml->dir, sizeof(ml->dir), "%s", cfg->dir);
	snprintf(migrated, sizeof(migrated), "%s" META_LOG_MIGRATED_SUFFIX, cfg->dir);
	rc = read_joined(ml, e);
	if (!rc)
		rc = set_old_log_aside(cfg, migrated, e);
	if (rc || !cfg->voter)
		return rc;
	rc = start_quorum(ml, cfg, img, e);
	/* A crash after the move and before the import committed finds the
	 * old log still aside and the image still without a cluster. */
	if (!rc && cfg->nvoters == 1 && is_dir(migrated) && !image_has_cluster(img))
		rc = import_old_log(ml, cfg, migrated, e);
	if (rc)
		meta_log_close(ml);
	return rc;
}

void meta_log_close(struct meta_log *ml)
{
	if (ml->quorum)
		quorum_stop(ml->quorum);
	ml->quorum = NULL;
}
