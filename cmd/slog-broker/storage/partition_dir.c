/*
 * partition_dir.c: partition.metadata and <dir>.<id>-delete.  See
 * partition_dir.h.
 */
#include "storage/partition_dir.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "log.h"
#include "storage/dir_claim.h"
#include "storage/fileio.h"
#include "storage/log_internal.h"
#include "xalloc.h"

#define ID_LEN 22 /* meta_new_id() */

/* The topic id path/partition.metadata holds into id[ID_LEN + 1]: 1, or 0
 * if none.  Only a whole id ending its line counts: a file torn by a
 * crash reads as none, so its directory is kept, never removed. */
static int read_id(const char *path, char id[ID_LEN + 1])
{
	static const char chars[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	char file[4400];
	struct buf b = BUF_INIT;
	const char *at;
	int found = 0;

	snprintf(file, sizeof(file), "%s/" PARTITION_METADATA, path);
	if (fio_read_file(file, 4096, &b, NULL) == 0) {
		buf_addc(&b, 0);
		at = strstr(b.data, "topic_id: ");
		if (at) {
			at += strlen("topic_id: ");
			found = strspn(at, chars) == ID_LEN && at[ID_LEN] == '\n';
			if (found)
				snprintf(id, ID_LEN + 1, "%.*s", ID_LEN, at);
		}
	}
	buf_free(&b);
	return found;
}

/* Rename path to path.<id>-delete and make the rename durable. */
static int rename_aside(const char *path, const char *id, char *to, size_t size, struct err *e)
{
	char parent[4400];
	int rc;

	snprintf(to, size, "%s.%s" PARTITION_DELETE_SUFFIX, path, id);
	rc = fio_rename(path, to, e);
	fio_dirname(path, parent, sizeof(parent));
	return rc ? rc : fio_fsync_dir(parent, e);
}

int partition_dir_check(const char *path, const char *topic_id, struct err *e)
{
	char old[ID_LEN + 1], to[4500];
	struct stat st;
	struct err ee;
	int rc;

	if (stat(path, &st) != 0 || !read_id(path, old) || strcmp(old, topic_id) == 0)
		return 0;
	if (dir_claimed(path))
		return err_set(e, SLOG_ESTORAGE,
			       "%s still belongs to the deleted topic %s, which is being removed: "
			       "try again", path, old);
	rc = rename_aside(path, old, to, sizeof(to), e);
	if (rc)
		return err_wrap(e, "%s belongs to the deleted topic %s", path, old);
	log_warn("%s belonged to the deleted topic %s: removing it", path, old);
	if (fio_rmdir_r(to, &ee))
		log_warn("%s (removed at the next start)", ee.msg);
	return 0;
}

int partition_dir_stamp(const char *path, const char *topic_id, struct err *e)
{
	char file[4400], text[128], old[ID_LEN + 1];
	int fd, rc;

	if (read_id(path, old) && strcmp(old, topic_id) == 0)
		return 0;
	rc = fio_mkdir_p(path, e);
	if (rc)
		return rc;
	snprintf(file, sizeof(file), "%s/" PARTITION_METADATA, path);
	snprintf(text, sizeof(text), "version: 0\ntopic_id: %s\n", topic_id);
	fd = fio_open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644, e);
	if (fd < 0)
		return fd;
	rc = fio_pwrite(fd, text, strlen(text), 0, file, e);
	fio_close(fd);
	return rc;
}

int partition_dir_retire(struct plog *l, const char *topic_id, struct err *e)
{
	char to[4500];
	int rc = rename_aside(l->dir, topic_id, to, sizeof(to), e);

	if (rc)
		return rc;
	free(l->dir);
	l->dir = xstrdup(to);
	return 0;
}
