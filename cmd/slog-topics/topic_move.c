/*
 * topic_move.c: alter --replicas and --reassignment-json, moving
 * partitions to other brokers.
 *
 * Both forms become one list of moves {"topic","partition","replicas"},
 * checked here so that a typo is a usage error before any request: the
 * plan of --replicas P=1,2,3;P=4,5,6 names the topic on the command
 * line, Kafka's plan file (kafka-reassign-partitions' format,
 * {"version":1,"partitions":[{"topic","partition","replicas"}]}) names
 * it per entry.  The moves go to POST /v1/topics/{t}/reassignments, one
 * request per topic.  The broker answers when the move has started; the
 * new replicas then catch up, and describe shows the move (adding,
 * removing) until they are in sync.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "topic_name.h"
#include "topics_cmd.h"
#include "units.h"
#include "xalloc.h"

#define MOVE_MAX_REPLICAS 32

/* A number from min to INT32_MAX spelled s[0..n): 0, or -1. */
static int parse_id(const char *s, size_t n, int64_t min, int32_t *out)
{
	char text[16];
	int64_t v;

	if (n == 0 || n >= sizeof(text))
		return -1;
	memcpy(text, s, n);
	text[n] = '\0';
	if (units_parse_int(text, min, INT32_MAX, &v, NULL))
		return -1;
	*out = (int32_t)v;
	return 0;
}

/* Distinct ids, 1 to MOVE_MAX_REPLICAS of them: 0, or why not in e. */
static int check_replicas(json_t *replicas, int32_t partition, struct err *e)
{
	json_t *v, *w;
	size_t i, k;

	if (!json_is_array(replicas) || json_array_size(replicas) < 1 ||
	    json_array_size(replicas) > MOVE_MAX_REPLICAS)
		return err_set(e, SLOG_EINVALID_REQUEST,
			       "partition %d: replicas must be a list of 1 to %d broker ids", partition,
			       MOVE_MAX_REPLICAS);
	json_array_foreach(replicas, i, v) {
		if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > INT32_MAX)
			return err_set(e, SLOG_EINVALID_REQUEST,
				       "partition %d: a broker id is a positive integer", partition);
		json_array_foreach(replicas, k, w)
			if (k < i && json_equal(v, w))
				return err_set(e, SLOG_EINVALID_REQUEST,
					       "partition %d: broker %lld is named twice", partition,
					       (long long)json_integer_value(v));
	}
	return 0;
}

/* One P=1,2,3 of --replicas into moves. */
static int parse_one(const char *s, size_t n, json_t *moves, struct err *e)
{
	const char *eq = memchr(s, '=', n), *end = s + n;
	json_t *replicas = json_array();
	int32_t partition, id;

	if (!eq || parse_id(s, (size_t)(eq - s), 0, &partition)) {
		json_decref(replicas);
		return err_set(e, SLOG_EINVALID_REQUEST, "'%.*s' is not PARTITION=ID,ID,...", (int)n, s);
	}
	for (const char *p = eq + 1, *c; p <= end; p = c + 1) {
		c = memchr(p, ',', (size_t)(end - p));
		if (!c)
			c = end;
		if (parse_id(p, (size_t)(c - p), 1, &id)) {
			json_decref(replicas);
			return err_set(e, SLOG_EINVALID_REQUEST, "partition %d: '%.*s' is not a broker id",
				       partition, (int)(c - p), p);
		}
		json_array_append_new(replicas, json_integer(id));
	}
	json_array_append_new(moves, json_pack("{s:n, s:i, s:o}", "topic", "partition", partition,
					       "replicas", replicas));
	return check_replicas(replicas, partition, e);
}

int topic_moves_parse(const char *arg, json_t *moves, struct err *e)
{
	const char *end = arg + strlen(arg);

	if (!*arg)
		return err_set(e, SLOG_EINVALID_REQUEST, "no move given");
	for (const char *p = arg, *c; p <= end; p = c + 1) {
		int rc;

		c = strchr(p, ';');
		if (!c)
			c = end;
		rc = parse_one(p, (size_t)(c - p), moves, e);
		if (rc)
			return rc;
	}
	return 0;
}

/* One entry of a plan file, checked, onto moves. */
static int plan_entry(json_t *o, size_t i, json_t *moves, struct err *e)
{
	json_t *topic = json_object_get(o, "topic"), *part = json_object_get(o, "partition");
	json_t *dirs = json_object_get(o, "log_dirs"), *d;
	const char *k;
	json_t *v;
	size_t j;

	if (!json_is_object(o))
		return err_set(e, SLOG_EINVALID_REQUEST, "entry %zu is not an object", i);
	json_object_foreach(o, k, v)
		if (strcmp(k, "topic") && strcmp(k, "partition") && strcmp(k, "replicas") &&
		    strcmp(k, "log_dirs"))
			return err_set(e, SLOG_EINVALID_REQUEST, "entry %zu: unknown field \"%s\"", i, k);
	if (!json_is_string(topic) || topic_name_check(json_string_value(topic), NULL))
		return err_set(e, SLOG_EINVALID_REQUEST, "entry %zu: \"topic\" must be a topic name", i);
	if (!json_is_integer(part) || json_integer_value(part) < 0 ||
	    json_integer_value(part) > INT32_MAX)
		return err_set(e, SLOG_EINVALID_REQUEST, "entry %zu: \"partition\" must be an integer >= 0", i);
	/* Kafka's log directories: slog places replicas by broker only. */
	json_array_foreach(dirs, j, d)
		if (!json_is_string(d) || strcmp(json_string_value(d), "any"))
			return err_set(e, SLOG_EINVALID_REQUEST,
				       "entry %zu: log_dirs other than \"any\" are not supported", i);
	if (check_replicas(json_object_get(o, "replicas"), (int32_t)json_integer_value(part), e))
		return SLOG_EINVALID_REQUEST;
	json_array_append_new(moves, json_pack("{s:O, s:O, s:O}", "topic", topic, "partition", part,
					       "replicas", json_object_get(o, "replicas")));
	return 0;
}

int topic_moves_read(const char *file, json_t *moves, struct err *e)
{
	json_error_t je;
	json_t *plan = strcmp(file, "-") == 0 ? json_loadf(stdin, 0, &je) : json_load_file(file, 0, &je);
	json_t *list = json_object_get(plan, "partitions"), *o;
	int rc = 0;
	size_t i;

	if (!plan && je.line > 0)
		return err_set(e, SLOG_EINVALID_REQUEST, "%s:%d: %s", file, je.line, je.text);
	if (!plan)
		return err_set(e, SLOG_EINVALID_REQUEST, "%s", je.text);
	if (!json_is_array(list) || !json_array_size(list))
		rc = err_set(e, SLOG_EINVALID_REQUEST,
			     "%s: not a reassignment plan: {\"partitions\":[{\"topic\",\"partition\","
			     "\"replicas\"},...]}", file);
	json_array_foreach(list, i, o)
		if (!rc)
			rc = plan_entry(o, i, moves, e);
	json_decref(plan);
	return rc;
}

/* Say what moved, as the broker committed it: "partition t-0: replicas
 * 4,2,3,1, adding 4, removing 1 (moving)". */
static void say_moved(const char *topic, json_t *rec)
{
	static const char *const keys[] = { "replicas", "adding", "removing" };
	struct buf line = BUF_INIT;

	buf_addf(&line, "partition %s-%lld", topic,
		 (long long)json_integer_value(json_object_get(rec, "partition")));
	for (size_t k = 0; k < 3; k++) {
		json_t *ids = json_object_get(rec, keys[k]), *v;
		size_t i;

		if (!json_array_size(ids))
			continue;
		buf_addf(&line, "%s %s ", k ? "," : ":", keys[k]);
		json_array_foreach(ids, i, v)
			buf_addf(&line, "%s%lld", i ? "," : "", (long long)json_integer_value(v));
	}
	fprintf(stderr, "%s: %s%s\n", cli_prog(), buf_cstr(&line),
		json_array_size(json_object_get(rec, "adding")) ||
				json_array_size(json_object_get(rec, "removing")) ? " (moving)" : "");
	buf_free(&line);
}

/* The moves of topic (entries of moves naming it) as one request. */
static int move_topic(struct cluster *cl, const struct topics_opts *o, const char *topic,
		      json_t *moves)
{
	json_t *req = json_pack("{s:[]}", "partitions"), *m, *out = NULL;
	struct buf path = BUF_INIT;
	struct err e;
	size_t i;
	int rc;

	json_array_foreach(moves, i, m)
		if (strcmp(json_string_value(json_object_get(m, "topic")), topic) == 0)
			json_array_append_new(json_object_get(req, "partitions"),
					      json_pack("{s:O, s:O}", "partition",
							json_object_get(m, "partition"), "replicas",
							json_object_get(m, "replicas")));
	if (o->dry_run)
		json_object_set_new(req, "validate_only", json_true());
	buf_adds(&path, "/v1/topics/");
	http_escape(&path, topic);
	buf_adds(&path, "/reassignments");
	rc = cluster_json(cl, "POST", buf_cstr(&path), req, o->deadline_ms, &out, &e);
	json_decref(req);
	buf_free(&path);
	if (rc)
		cli_error("cannot move partitions of '%s': %s", topic, e.msg);
	else if (o->dry_run)
		fprintf(stderr, "%s: the move of '%s' is valid (dry run)\n", cli_prog(), topic);
	else
		json_array_foreach(json_object_get(out, "partitions"), i, m)
			if (json_is_object(m))
				say_moved(topic, m);
	json_decref(out);
	return rc ? 1 : 0;
}

int cmd_move(struct cluster *cl, const struct topics_opts *o)
{
	json_t *done = json_object(), *m;
	int status = 0;
	size_t i;

	/* One request per topic, in the plan's order. */
	json_array_foreach(o->moves, i, m) {
		const char *topic = json_string_value(json_object_get(m, "topic"));

		if (json_object_get(done, topic))
			continue;
		json_object_set_new(done, topic, json_true());
		status |= move_topic(cl, o, topic, o->moves);
	}
	json_decref(done);
	return status;
}
