/*
 * log_dirs.c: locking, describing and checkpointing the data directories.
 * See log_dirs.h.
 */
#include "storage/log_dirs.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "storage/fileio.h"
#include "units.h"
#include "xalloc.h"

#define CLEAN_MARKER ".clean-shutdown"
#define RECOVERY_FILE "recovery-point-offset-checkpoint"
#define STARTS_FILE "log-start-offset-checkpoint"
#define CLEANER_FILE "cleaner-offset-checkpoint"
#define REPLICATION_FILE "replication-offset-checkpoint"

static int lock_dir(struct log_dir *ld, struct err *e)
{
	char path[4200], pid[32];
	int n;

	snprintf(path, sizeof(path), "%s/.lock", ld->path);
	ld->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (ld->lock_fd < 0)
		return err_set(e, SLOG_ELOG_DIR_LOCKED, "cannot open %s: %s", path, strerror(errno));
	if (flock(ld->lock_fd, LOCK_EX | LOCK_NB) < 0) {
		n = (int)pread(ld->lock_fd, pid, sizeof(pid) - 1, 0);
		pid[n > 0 ? n : 0] = '\0';
		pid[strcspn(pid, "\n")] = '\0';
		close(ld->lock_fd);
		ld->lock_fd = -1;
		if (*pid)
			return err_set(e, SLOG_ELOG_DIR_LOCKED,
				       "data directory %s is in use by another broker (pid %s)", ld->path, pid);
		return err_set(e, SLOG_ELOG_DIR_LOCKED, "data directory %s is in use by another broker",
			       ld->path);
	}
	n = snprintf(pid, sizeof(pid), "%d\n", (int)getpid());
	if (ftruncate(ld->lock_fd, 0) < 0 || pwrite(ld->lock_fd, pid, (size_t)n, 0) < 0)
		log_warn("cannot write the pid to %s: %s", path, strerror(errno));
	return 0;
}

/* The value of key in a key=value properties text, into out. */
static int prop_get(const char *text, const char *key, char *out, size_t size)
{
	size_t klen = strlen(key);

	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		if (strncmp(p, key, klen) == 0 && p[klen] == '=') {
			size_t n = strcspn(p + klen + 1, "\r\n");
			snprintf(out, size, "%.*s", (int)n, p + klen + 1);
			return 1;
		}
	}
	return 0;
}

/* Check (or write) meta.properties: the same cluster and node everywhere. */
static int check_meta_properties(struct log_dir *ld, int32_t node_id, char cluster_id[24],
				 struct err *e)
{
	char path[4200], value[64];
	struct buf text = BUF_INIT;
	int64_t n;
	int rc = 0;

	snprintf(path, sizeof(path), "%s/meta.properties", ld->path);
	if (access(path, F_OK) == 0) {
		rc = fio_read_file(path, 65536, &text, e);
		if (rc)
			goto out;
		if (prop_get(buf_cstr(&text), "node.id", value, sizeof(value)) &&
		    (units_parse_int(value, 0, INT32_MAX, &n, NULL) || n != node_id)) {
			rc = err_set(e, SLOG_EINVALID_CONFIG,
				     "%s belongs to node.id %s, but this broker is node.id %d", ld->path,
				     value, node_id);
			goto out;
		}
		if (prop_get(buf_cstr(&text), "cluster.id", value, sizeof(value))) {
			if (strlen(value) == 0 || strlen(value) > 23) {
				rc = err_set(e, SLOG_EINVALID_CONFIG, "%s: malformed cluster.id", path);
				goto out;
			}
			if (*cluster_id && strcmp(cluster_id, value) != 0) {
				rc = err_set(e, SLOG_EINVALID_CONFIG,
					     "%s belongs to cluster %s, other directories to %s",
					     ld->path, value, cluster_id);
				goto out;
			}
			memcpy(cluster_id, value, strlen(value) + 1);
			goto out;
		}
	}
	rc = 1; /* written once the cluster id is known */
out:
	buf_free(&text);
	return rc;
}

static int write_meta_properties(struct log_dir *ld, int32_t node_id, const char *cluster_id,
				 struct err *e)
{
	char path[4200];
	struct buf text = BUF_INIT;
	int rc;

	snprintf(path, sizeof(path), "%s/meta.properties", ld->path);
	buf_addf(&text, "#\n#Written by slog-broker\nversion=1\ncluster.id=%s\nnode.id=%d\n",
		 cluster_id, node_id);
	rc = fio_write_atomic(path, text.data, text.len, e);
	buf_free(&text);
	return rc;
}

int log_dirs_set_cluster_id(struct log_dirs *d, int32_t node_id, const char *cluster_id,
			    struct err *e)
{
	for (size_t i = 0; i < d->n; i++)
		if (write_meta_properties(&d->v[i], node_id, cluster_id, e))
			return err_wrap(e, "recording cluster %s", cluster_id);
	return 0;
}

static int read_checkpoints(struct log_dir *ld, struct err *e)
{
	char path[4200];
	struct err ce;

	snprintf(path, sizeof(path), "%s/" RECOVERY_FILE, ld->path);
	if (checkpoint_read(path, 1, &ld->recovery, &ld->nrecovery, &ce)) {
		/* Without recovery points every partition is scanned: slower, safe. */
		log_warn("%s; every partition in %s will be fully checked", ce.msg, ld->path);
		ld->clean = 0;
	}
	snprintf(path, sizeof(path), "%s/" STARTS_FILE, ld->path);
	if (checkpoint_read(path, 1, &ld->starts, &ld->nstarts, &ce))
		return err_set(e, SLOG_ESTORAGE, "%s", ce.msg);
	snprintf(path, sizeof(path), "%s/" CLEANER_FILE, ld->path);
	if (checkpoint_read(path, 1, &ld->cleaner, &ld->ncleaner, &ce))
		log_warn("%s; compaction starts over", ce.msg); /* costs time, loses nothing */
	snprintf(path, sizeof(path), "%s/" REPLICATION_FILE, ld->path);
	/* High watermarks are lower bounds: without them they start low and
	 * the leader moves them again (replication.h). */
	if (checkpoint_read(path, 1, &ld->hws, &ld->nhws, &ce))
		log_warn("%s; high watermarks start from the log start", ce.msg);
	return 0;
}

/* Read and remove the clean-shutdown marker, durably. */
static int take_clean_marker(struct log_dir *ld, struct err *e)
{
	char path[4200];
	int rc;

	snprintf(path, sizeof(path), "%s/" CLEAN_MARKER, ld->path);
	ld->clean = access(path, F_OK) == 0;
	if (!ld->clean)
		return 0;
	rc = fio_unlink(path, e);
	if (rc)
		return rc;
	return fio_fsync_dir(ld->path, e);
}

int log_dirs_open(struct log_dirs *d, const char *csv, int32_t node_id, const char *new_id,
		  char cluster_id[24], struct err *e)
{
	char *copy = xstrdup(csv), *p = copy;
	int need_props[64] = { 0 };
	int rc = 0;

	memset(d, 0, sizeof(*d));
	while (p && *p) {
		char *comma = strchr(p, ',');
		if (comma)
			*comma = '\0';
		while (*p == ' ')
			p++;
		if (*p && d->n < 64) {
			d->v = xrealloc(d->v, (d->n + 1) * sizeof(*d->v));
			memset(&d->v[d->n], 0, sizeof(d->v[0]));
			d->v[d->n].path = xstrdup(p);
			d->v[d->n].lock_fd = -1;
			d->n++;
		}
		p = comma ? comma + 1 : NULL;
	}
	free(copy);
	if (d->n == 0)
		return err_set(e, SLOG_EINVALID_CONFIG, "log.dirs names no directory");
	for (size_t i = 0; i < d->n && !rc; i++) {
		struct log_dir *ld = &d->v[i];
		rc = fio_mkdir_p(ld->path, e);
		if (!rc)
			rc = lock_dir(ld, e);
		if (!rc) {
			rc = check_meta_properties(ld, node_id, cluster_id, e);
			need_props[i] = rc == 1;
			rc = rc == 1 ? 0 : rc;
		}
		if (!rc)
			rc = take_clean_marker(ld, e);
		if (!rc)
			rc = read_checkpoints(ld, e);
	}
	/* The array no longer moves: partition logs may point into it. */
	for (size_t i = 0; i < d->n; i++)
		dir_health_init(&d->v[i].health, d->v[i].path);
	if (!rc && !*cluster_id)
		snprintf(cluster_id, 24, "%s", new_id);
	for (size_t i = 0; i < d->n && !rc; i++)
		if (need_props[i])
			rc = write_meta_properties(&d->v[i], node_id, cluster_id, e);
	if (rc)
		log_dirs_close(d, 0);
	return rc;
}

static int partition_dir_exists(const char *dir, const char *topic, int32_t partition)
{
	char path[4400];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s-%d", dir, topic, partition);
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int log_dirs_find(const struct log_dirs *d, const char *topic, int32_t partition)
{
	for (size_t i = 0; i < d->n; i++)
		if (partition_dir_exists(d->v[i].path, topic, partition))
			return (int)i;
	return -1;
}

int log_dirs_pick(const struct log_dirs *d)
{
	int best = 0;

	for (size_t i = 1; i < d->n; i++) {
		int off_i = dir_health_offline(&d->v[i].health);
		int off_best = dir_health_offline(&d->v[best].health);
		if (off_i != off_best ? off_best : d->v[i].partitions < d->v[best].partitions)
			best = (int)i;
	}
	return best;
}

static int64_t lookup(const struct checkpoint_entry *v, size_t n, const char *topic, int32_t p,
		      int64_t dflt)
{
	for (size_t i = 0; i < n; i++)
		if (v[i].a == p && strcmp(v[i].name, topic) == 0)
			return v[i].b;
	return dflt;
}

int64_t log_dirs_cleaner_offset(const struct log_dirs *d, int dir, const char *topic,
				int32_t partition)
{
	return lookup(d->v[dir].cleaner, d->v[dir].ncleaner, topic, partition, 0);
}

int64_t log_dirs_hw_checkpoint(const struct log_dirs *d, int dir, const char *topic,
			       int32_t partition)
{
	return lookup(d->v[dir].hws, d->v[dir].nhws, topic, partition, -1);
}

int log_dirs_open_partition(struct log_dirs *d, int dir, const char *topic, int32_t partition,
			    const struct plog_config *cfg, struct plog **out, struct err *e)
{
	struct log_dir *ld = &d->v[dir];
	struct plog_open_opts o;
	struct plog_recovery rec;
	char path[4400];
	int rc;

	if (dir_health_offline(&ld->health))
		return dir_health_error(&ld->health, e);
	memset(&o, 0, sizeof(o));
	o.health = &ld->health;
	o.recovery_point = lookup(ld->recovery, ld->nrecovery, topic, partition, 0);
	o.log_start = lookup(ld->starts, ld->nstarts, topic, partition, 0);
	/* A partition not in the checkpoint is trusted only if it is new. */
	o.clean_shutdown = ld->clean && lookup(ld->recovery, ld->nrecovery, topic, partition, -1) >= 0;
	o.now_ms = (int64_t)time(NULL) * 1000;
	snprintf(path, sizeof(path), "%s/%s-%d", ld->path, topic, partition);
	rc = plog_open(path, cfg, &o, out, &rec, e);
	if (rc)
		return rc;
	ld->partitions++;
	if (rec.bytes_truncated || rec.segments_deleted)
		log_warn("%s-%d: recovery cut %llu bytes and deleted %ld segments", topic, partition,
			 (unsigned long long)rec.bytes_truncated, rec.segments_deleted);
	else if (rec.segments_scanned)
		log_debug("%s-%d: recovered %ld batches in %ld segments", topic, partition,
			  rec.batches_checked, rec.segments_scanned);
	return 0;
}

/* The high watermarks of the entries placed in dir, into v: how many. */
static size_t hw_entries(int dir, const struct log_dirs_entry *v, size_t n,
			 struct checkpoint_entry *out)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++) {
		if (v[i].dir != dir || v[i].hw < 0)
			continue;
		snprintf(out[k].name, sizeof(out[k].name), "%s", v[i].topic);
		out[k].a = v[i].partition;
		out[k++].b = v[i].hw;
	}
	return k;
}

int log_dirs_checkpoint_hw(struct log_dirs *d, const struct log_dirs_entry *v, size_t n,
			   struct err *e)
{
	struct checkpoint_entry *hw = xcalloc(n + 1, sizeof(*hw));
	int rc = 0;

	for (size_t dir = 0; dir < d->n; dir++) {
		struct log_dir *ld = &d->v[dir];
		char path[4200];
		struct err de;
		size_t k;

		if (dir_health_offline(&ld->health))
			continue;
		k = hw_entries((int)dir, v, n, hw);
		snprintf(path, sizeof(path), "%s/" REPLICATION_FILE, ld->path);
		if (!checkpoint_write(path, 1, hw, k, &de))
			continue;
		if (fio_last_error_was_sync())
			dir_health_fail(&ld->health, &de, &de);
		if (!rc) {
			rc = de.code;
			if (e)
				*e = de;
		}
	}
	free(hw);
	return rc;
}

/* Write one directory's three checkpoints from the entries placed in it. */
static int checkpoint_dir(struct log_dir *ld, int dir, const struct log_dirs_entry *v, size_t n,
			  struct checkpoint_entry *rp, struct checkpoint_entry *ls,
			  struct checkpoint_entry *cl, struct err *e)
{
	size_t k = 0, kc = 0;
	char path[4200];
	int rc;

	for (size_t i = 0; i < n; i++) {
		int64_t start;
		if (v[i].dir != dir)
			continue;
		snprintf(rp[k].name, sizeof(rp[k].name), "%s", v[i].topic);
		rp[k].a = ls[k].a = v[i].partition;
		rp[k].b = plog_recovery_point(v[i].log);
		plog_offsets(v[i].log, &start, NULL);
		memcpy(ls[k].name, rp[k].name, sizeof(ls[k].name));
		ls[k].b = start;
		if (v[i].cleaner_offset >= 0) {
			cl[kc] = rp[k];
			cl[kc++].b = v[i].cleaner_offset;
		}
		k++;
	}
	snprintf(path, sizeof(path), "%s/" RECOVERY_FILE, ld->path);
	rc = checkpoint_write(path, 1, rp, k, e);
	snprintf(path, sizeof(path), "%s/" STARTS_FILE, ld->path);
	if (!rc)
		rc = checkpoint_write(path, 1, ls, k, e);
	snprintf(path, sizeof(path), "%s/" CLEANER_FILE, ld->path);
	if (!rc)
		rc = checkpoint_write(path, 1, cl, kc, e);
	/* A checkpoint whose fsync failed is a failed fsync in the directory. */
	if (rc && fio_last_error_was_sync())
		dir_health_fail(&ld->health, e, e);
	return rc;
}

int log_dirs_checkpoint(struct log_dirs *d, const struct log_dirs_entry *v, size_t n,
			struct err *e)
{
	struct checkpoint_entry *rp = xcalloc(n + 1, sizeof(*rp)), *ls = xcalloc(n + 1, sizeof(*ls));
	struct checkpoint_entry *cl = xcalloc(n + 1, sizeof(*cl));
	int rc = 0;

	for (size_t dir = 0; dir < d->n; dir++) {
		struct err de;
		int rc_dir;

		/* An offline directory keeps the checkpoints it has: its
		 * recovery points were honest when written. */
		if (dir_health_offline(&d->v[dir].health))
			continue;
		rc_dir = checkpoint_dir(&d->v[dir], (int)dir, v, n, rp, ls, cl, &de);
		if (rc_dir && !rc) {
			rc = rc_dir;
			if (e)
				*e = de;
		}
	}
	free(rp);
	free(ls);
	free(cl);
	return rc;
}

size_t log_dirs_offline_count(const struct log_dirs *d)
{
	size_t n = 0;

	for (size_t i = 0; i < d->n; i++)
		n += dir_health_offline(&d->v[i].health) ? 1 : 0;
	return n;
}

/* "orders-3" -> topic "orders", partition 3; 0 if the name is not of that form. */
static int parse_partition_dir(const char *name, char *topic, size_t size, int32_t *p)
{
	const char *dash = strrchr(name, '-');
	int64_t v;

	if (!dash || dash == name || !dash[1] || (size_t)(dash - name) >= size)
		return 0;
	for (const char *c = dash + 1; *c; c++)
		if (!isdigit((unsigned char)*c))
			return 0;
	if (units_parse_int(dash + 1, 0, INT32_MAX, &v, NULL))
		return 0;
	snprintf(topic, size, "%.*s", (int)(dash - name), name);
	*p = (int32_t)v;
	return 1;
}

void log_dirs_remove_orphans(struct log_dirs *d, int (*keep)(void *arg, const char *topic,
							  int32_t partition), void *arg)
{
	for (size_t i = 0; i < d->n; i++) {
		DIR *dh = opendir(d->v[i].path);
		struct dirent *de;

		if (!dh)
			continue;
		while ((de = readdir(dh))) {
			char topic[256], path[4400];
			int32_t p;
			struct err e;

			size_t len = strlen(de->d_name);

			/* A deleted partition renamed <topic>-<n>.<id>-delete whose
			 * removal did not finish (partition_dir.h). */
			if (de->d_name[0] != '.' && len > 7 && strcmp(de->d_name + len - 7, "-delete") == 0)
				goto remove;
			if (de->d_name[0] == '.' || !parse_partition_dir(de->d_name, topic, sizeof(topic), &p))
				continue;
			if (strcmp(topic, "__cluster_metadata") == 0 || keep(arg, topic, p))
				continue;
remove:
			snprintf(path, sizeof(path), "%s/%s", d->v[i].path, de->d_name);
			log_info("removing %s: its topic no longer exists", path);
			if (fio_rmdir_r(path, &e))
				log_warn("%s", e.msg);
		}
		closedir(dh);
	}
}

void log_dirs_close(struct log_dirs *d, int clean)
{
	for (size_t i = 0; i < d->n; i++) {
		struct log_dir *ld = &d->v[i];
		/* An offline directory is never marked clean: the next start
		 * checks everything after its recovery points. */
		if (clean && ld->lock_fd >= 0 && !dir_health_offline(&ld->health)) {
			char path[4200];
			struct err e;
			snprintf(path, sizeof(path), "%s/" CLEAN_MARKER, ld->path);
			if (fio_write_atomic(path, "", 0, &e))
				log_warn("%s", e.msg);
		}
		if (ld->lock_fd >= 0)
			close(ld->lock_fd); /* releases the flock */
		free(ld->path);
		free(ld->recovery);
		free(ld->starts);
		free(ld->cleaner);
		free(ld->hws);
	}
	free(d->v);
	memset(d, 0, sizeof(*d));
}
