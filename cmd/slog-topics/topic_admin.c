/*
 * topic_admin.c: the commands of slog-topics that change topics:
 * create, delete, alter, add-partitions.  Each names the topic in every
 * message, and --if-exists / --if-not-exists turn "nothing to do" into
 * success so scripts can run them again.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "topics_cmd.h"

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
		rc = http_json(&cl->boot, "POST", "/v1/topics", req, o->deadline_ms, NULL, &e);
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

int cmd_delete(struct cluster *cl, const struct topics_opts *o, char **names, int n)
{
	struct buf path = BUF_INIT;
	int status = 0;

	for (int i = 0; i < n; i++) {
		struct err e;
		int rc = http_json(&cl->boot, "DELETE", topic_path(&path, names[i], ""), NULL,
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

int cmd_alter(struct cluster *cl, const struct topics_opts *o, const char *name)
{
	struct buf path = BUF_INIT;
	json_t *req = json_pack("{s:O, s:O}", "set", o->set, "delete", o->del);
	struct err e;
	int rc;

	if (o->dry_run)
		json_object_set_new(req, "validate_only", json_true());
	rc = http_json(&cl->boot, "PATCH", topic_path(&path, name, "/configs"), req, o->deadline_ms,
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
	rc = http_json(&cl->boot, "POST", topic_path(&path, name, "/partitions"), req,
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
