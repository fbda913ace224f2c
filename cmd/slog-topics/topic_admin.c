/*
 * topic_admin.c: the commands of slog-topics that change topics:
 * create, delete, alter, add-partitions.  Each names the topic in every
 * message, and --if-exists / --if-not-exists turn "nothing to do" into
 * success so scripts can run them again.  Only delete asks first, and
 * only a person at a terminal: scripts go on as before.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cli.h"
#include "topics_cmd.h"
#include "units.h"
#include "xalloc.h"

static const char *topic_path(struct buf *b, const char *name, const char *tail)
{
	buf_reset(b);
	buf_adds(b, "/v1/topics/");
	http_escape(b, name);
	buf_adds(b, tail);
	return b->data;
}

int cmd_create(struct cluster *cl, const struct topics_opts *o, char **names, int n)
{
	int status = 0;

	for (int i = 0; i < n; i++) {
		json_t *req = json_pack("{s:s}", "name", names[i]);
		struct err e;
		int rc;

		if (o->partitions)
			json_object_set_new(req, "partitions", json_integer(o->partitions));
		if (o->replicas)
			json_object_set_new(req, "replication_factor", json_integer(o->replicas));
		if (json_object_size(o->set))
			json_object_set(req, "configs", o->set);
		if (o->dry_run)
			json_object_set_new(req, "validate_only", json_true());
		rc = cluster_json(cl, "POST", "/v1/topics", req, o->deadline_ms, NULL, &e);
		json_decref(req);
		if (rc == SLOG_ETOPIC_ALREADY_EXISTS && o->if_not_exists)
			continue;
		if (rc) {
			cli_error("cannot create topic '%s': %s", names[i], e.msg);
			status = 1;
		} else if (o->dry_run) {
			fprintf(stderr, "%s: topic '%s' can be created (dry run)\n", cli_prog(), names[i]);
		}
	}
	return status;
}

static const char *plural(int64_t n)
{
	return n == 1 ? "" : "s";
}

/* "Topic 'x': 3 partitions, 1200 records, 48.2 KiB" on stderr; 0, or -1 if it is not there. */
static int say_what_goes(struct cluster *cl, const struct topics_opts *o, const char *name)
{
	int64_t records, bytes;
	char size[32];
	struct err e;
	size_t parts;
	json_t *d;

	if (topic_get(cl, o, name, &d, &e))
		return -1; /* the delete itself says why */
	topic_totals(d, &records, &bytes);
	units_format_bytes(size, sizeof(size), bytes);
	parts = json_array_size(json_object_get(d, "partitions"));
	fprintf(stderr, "Topic '%s': %zu partition%s, %lld record%s, %s\n", name, parts,
		plural((int64_t)parts), (long long)records, plural(records), size);
	json_decref(d);
	return 0;
}

/*
 * On a terminal (and without -y) say what would be deleted and ask, as
 * kaf and kafkactl do: a deleted topic cannot be had back.  0 to go on.
 */
static int confirm_delete(struct cluster *cl, const struct topics_opts *o, char **names, int n)
{
	char answer[16];
	int found = 0;

	if (o->yes || !isatty(STDIN_FILENO))
		return 0;
	for (int i = 0; i < n; i++)
		found += say_what_goes(cl, o, names[i]) == 0;
	if (!found)
		return 0;
	fprintf(stderr, "Delete %s and all %s records? [y/N] ", found == 1 ? "this topic" : "these topics",
		found == 1 ? "its" : "their");
	fflush(stderr);
	if (fgets(answer, sizeof(answer), stdin)) {
		answer[strcspn(answer, "\n")] = '\0';
		if (strcasecmp(answer, "y") == 0 || strcasecmp(answer, "yes") == 0)
			return 0;
	}
	cli_error("nothing deleted");
	return -1;
}

/*
 * delete -r: the names given, then every topic whose name matches (the
 * broker's own internal topics never do).  In *names, owned by the
 * caller (cluster_names_free); 0, or 1 after saying why.
 */
static int names_to_delete(struct cluster *cl, const struct topics_opts *o, char **given,
			   int ngiven, char ***names, size_t *n)
{
	char **matched = NULL;
	size_t nmatched = 0;
	struct err e;

	if (o->re && cluster_topic_names(cl, o->re, o->deadline_ms, &matched, &nmatched, &e)) {
		cli_error("cannot list topics: %s", e.msg);
		return 1;
	}
	*n = 0;
	*names = xcalloc((size_t)ngiven + nmatched + 1, sizeof(**names));
	for (int i = 0; i < ngiven; i++)
		(*names)[(*n)++] = xstrdup(given[i]);
	for (size_t i = 0; i < nmatched; i++)
		(*names)[(*n)++] = matched[i];
	free(matched);
	if (*n == 0 && !o->if_exists) {
		cli_error("no topic matches '%s'", o->re_text);
		return 1;
	}
	return 0;
}

static int delete_each(struct cluster *cl, const struct topics_opts *o, char **names, int n)
{
	struct buf path = BUF_INIT;
	int status = 0;

	for (int i = 0; i < n; i++) {
		struct err e;
		int rc = cluster_json(cl, "DELETE", topic_path(&path, names[i], ""), NULL,
				   o->deadline_ms, NULL, &e);
		if (rc == SLOG_EUNKNOWN_TOPIC_OR_PARTITION && o->if_exists)
			continue;
		if (rc) {
			cli_error("cannot delete topic '%s': %s", names[i], e.msg);
			status = 1;
		}
	}
	buf_free(&path);
	return status;
}

int cmd_delete(struct cluster *cl, const struct topics_opts *o, char **given, int ngiven)
{
	char **names = NULL;
	size_t n = 0;
	int status;

	status = names_to_delete(cl, o, given, ngiven, &names, &n);
	if (!status)
		status = confirm_delete(cl, o, names, (int)n) ? 1 : delete_each(cl, o, names, (int)n);
	cluster_names_free(names, n);
	return status;
}

int cmd_alter(struct cluster *cl, const struct topics_opts *o, const char *name)
{
	struct buf path = BUF_INIT;
	json_t *req = json_pack("{s:O, s:O}", "set", o->set, "delete", o->del);
	struct err e;
	int rc;

	if (o->dry_run)
		json_object_set_new(req, "validate_only", json_true());
	rc = cluster_json(cl, "PATCH", topic_path(&path, name, "/configs"), req, o->deadline_ms,
		       NULL, &e);
	json_decref(req);
	buf_free(&path);
	if (rc) {
		cli_error("cannot alter topic '%s': %s", name, e.msg);
		return 1;
	}
	if (o->dry_run)
		fprintf(stderr, "%s: the change to '%s' is valid (dry run)\n", cli_prog(), name);
	return 0;
}

int cmd_add_partitions(struct cluster *cl, const struct topics_opts *o, const char *name)
{
	struct buf path = BUF_INIT;
	json_t *req = json_pack("{s:i}", "count", o->partitions);
	struct err e;
	int rc;

	if (o->dry_run)
		json_object_set_new(req, "validate_only", json_true());
	rc = cluster_json(cl, "POST", topic_path(&path, name, "/partitions"), req,
		       o->deadline_ms, NULL, &e);
	json_decref(req);
	buf_free(&path);
	if (rc) {
		cli_error("cannot add partitions to '%s': %s", name, e.msg);
		return 1;
	}
	if (o->dry_run) {
		fprintf(stderr, "%s: '%s' can grow to %d partitions (dry run)\n", cli_prog(), name,
			o->partitions);
		return 0;
	}
	/* Keys now map to other partitions: say so, as Kafka's tool does. */
	fprintf(stderr, "%s: '%s' has %d partitions; records with a key may now go to a "
			"different partition than before\n", cli_prog(), name, o->partitions);
	return 0;
}
