/*
 * worker_files.h: which connector files a worker runs.
 *
 * run's operands are files, directories (their *.conf, in name order)
 * or "-" (one connector on stdin, read once).  With none, the worker
 * file's connectors.dir, else /etc/slog/connect.d.
 */
#ifndef SLOG_WORKER_FILES_H
#define SLOG_WORKER_FILES_H

#include <stddef.h>

#include "runtime/connector_conf.h"
#include "err.h"

#define CONNECTORS_DIR_DEFAULT "/etc/slog/connect.d"

struct file_list {
	char **v;
	size_t n, cap;
};

/* The files of paths (or of the default place); at least one, or an error. */
int worker_files(const struct worker_conf *wc, char *const *paths, size_t npaths,
		 struct file_list *out, struct err *e);
void file_list_free(struct file_list *l);

#endif
