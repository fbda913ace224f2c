/*
 * topic_args.c: -t and -r.  See topic_args.h.
 */
#include "topic_args.h"

#include <stdlib.h>
#include <string.h>

#include "http_client.h"
#include "topic_name.h"
#include "xalloc.h"

static void add_name(struct topic_args *t, const char *name, size_t len)
{
	for (int i = 0; i < t->n; i++)
		if (strlen(t->names[i]) == len && !memcmp(t->names[i], name, len))
			return;
	t->names = xrealloc(t->names, (size_t)(t->n + 1) * sizeof(*t->names));
	t->names[t->n++] = xstrndup(name, len);
}

int topic_args_add(struct topic_args *t, const char *arg, struct err *e)
{
	const char *p = arg;

	for (;;) {
		size_t len = strcspn(p, ",");
		char *name = xstrndup(p, len);
		int rc = topic_name_check(name, e);

		if (rc)
			err_wrap(e, "'%s'", name);
		free(name);
		if (rc)
			return rc;
		add_name(t, p, len);
		if (!p[len])
			return 0;
		p += len + 1;
	}
}

int topic_args_match(struct topic_args *t, struct cluster *cl, const regex_t *re,
		     const char *pattern, int64_t deadline, struct err *e)
{
	char **names;
	size_t n;
	int rc = cluster_topic_names(cl, re, deadline, &names, &n, e);

	if (rc)
		return rc;
	for (size_t i = 0; i < n; i++)
		add_name(t, names[i], strlen(names[i]));
	cluster_names_free(names, n);
	if (!n)
		return err_set(e, SLOG_EUNKNOWN_TOPIC_OR_PARTITION, "no topic matches -r '%s'", pattern);
	return 0;
}

void topic_args_free(struct topic_args *t)
{
	for (int i = 0; i < t->n; i++)
		free((char *)t->names[i]);
	free(t->names);
	t->names = NULL;
	t->n = 0;
}
