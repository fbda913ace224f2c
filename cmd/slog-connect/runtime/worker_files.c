/*
 * worker_files.c: run's operands to a list of connector files.
 *
 * Directories are read again at each reload, so that a file dropped
 * into connect.d starts on SIGHUP without a restart.
 */
#include <errno.h>
#include <glob.h>
#include <string.h>
#include <sys/stat.h>

#include "runtime/worker_files.h"
#include "xalloc.h"

static void add(struct file_list *l, const char *path)
{
	l->v = xgrow(l->v, &l->cap, l->n + 1, sizeof(*l->v));
	l->v[l->n++] = xstrdup(path);
}

void file_list_free(struct file_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

static int add_dir(struct file_list *l, const char *dir, struct err *e)
{
	char pattern[4200];
	glob_t g;
	int rc;

	snprintf(pattern, sizeof(pattern), "%s/*.conf", dir);
	rc = glob(pattern, 0, NULL, &g);
	if (rc == GLOB_NOMATCH)
		return 0;
	if (rc)
		return err_set(e, SLOG_EIO, "cannot read the directory '%s'", dir);
	/* glob sorts its matches: connectors start in name order. */
	for (size_t i = 0; i < g.gl_pathc; i++)
		add(l, g.gl_pathv[i]);
	globfree(&g);
	return 0;
}

static int add_path(struct file_list *l, const char *path, struct err *e)
{
	struct stat st;

	if (strcmp(path, "-") == 0) {
		add(l, path);
		return 0;
	}
	if (stat(path, &st))
		return err_set(e, SLOG_EINVALID_CONFIG, "cannot open '%s': %s", path,
			       strerror(errno));
	if (S_ISDIR(st.st_mode))
		return add_dir(l, path, e);
	add(l, path);
	return 0;
}

int worker_files(const struct worker_conf *wc, char *const *paths, size_t npaths,
		 struct file_list *out, struct err *e)
{
	const char *dir = conf_get_str(&wc->conf, "connectors.dir");
	int rc = 0;

	memset(out, 0, sizeof(*out));
	if (npaths == 0) {
		dir = dir && *dir ? dir : CONNECTORS_DIR_DEFAULT;
		rc = add_path(out, dir, e);
	}
	for (size_t i = 0; !rc && i < npaths; i++)
		rc = add_path(out, paths[i], e);
	if (!rc && out->n == 0)
		rc = err_set(e, SLOG_EINVALID_CONFIG, "no connector file (*.conf) in '%s'",
			     npaths ? paths[0] : dir);
	if (rc)
		file_list_free(out);
	return rc;
}
