/*
 * transform_chain.c: a connector's chain of transforms (transform.h).
 *
 * Building: each predicates.<p> block becomes a predicate, each
 * transforms.<alias> block a step of its type, its keys checked by the
 * type's table.  Running: the steps in order, each guarded by its
 * predicate.  A JSON step parses the value only if no step before it in
 * the run has; the parsed value stays across the steps of the run and
 * across steps that do not look at the value's bytes (headers, topic),
 * and is written back once, before a step that does, or at the end.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runtime/connector_conf.h"
#include "transforms/predicate.h"
#include "transforms/transform.h"
#include "transforms/transform_exec.h"
#include "transforms/transform_filter.h"
#include "transforms/transform_from_value.h"
#include "transforms/transform_headers.h"
#include "transforms/transform_json.h"
#include "transforms/transform_mask.h"
#include "transforms/transform_route.h"
#include "transforms/transform_timestamp.h"
#include "transforms/transform_type.h"
#include "xalloc.h"

static const struct transform_type *const types[] = {
	&transform_filter,        &transform_route,         &transform_route_time,
	&transform_insert_header, &transform_drop_headers,  &transform_value_to_key,
	&transform_header_from,   &transform_insert_field,  &transform_replace_field,
	&transform_extract_field, &transform_hoist_field,   &transform_mask,
	&transform_timestamp,     &transform_exec,
};
#define NTYPES (sizeof(types) / sizeof(types[0]))

struct transform_chain {
	struct transform_env env;
	struct predicate **preds;
	size_t npreds;
	struct tstep *steps;
	size_t nsteps;
	struct tjson json;
};

/* The type name names; *on_key for a Kafka $Key class, *kafka for any Kafka class. */
static const struct transform_type *find_type(const char *name, int *on_key, int *kafka)
{
	char value_name[256];
	size_t n = strlen(name);
	*on_key = n > 4 && n < sizeof(value_name) - 2 && strcmp(name + n - 4, "$Key") == 0;
	if (*on_key) {
		snprintf(value_name, sizeof(value_name), "%.*s$Value", (int)(n - 4), name);
		name = value_name;
	}
	for (size_t i = 0; i < NTYPES; i++) {
		if (!tconf_type_is(name, types[i]->name, types[i]->aliases))
			continue;
		if (*on_key && !types[i]->key_variant)
			return NULL;
		*kafka = strcmp(name, types[i]->name) != 0;
		return types[i];
	}
	return NULL;
}

static const struct predicate *find_predicate(const struct transform_chain *tc, const char *alias)
{
	for (size_t i = 0; i < tc->npreds; i++)
		if (strcmp(tc->preds[i]->alias, alias) == 0)
			return tc->preds[i];
	return NULL;
}

/* The step's guard: predicate and negate (filter reads its own negate). */
static int set_guard(struct transform_chain *tc, struct tstep *s, struct err *e)
{
	const char *p = tconf_str(&s->conf, "predicate");
	int negate = tconf_bool(&s->conf, "negate");
	if (!p) {
		if (negate && s->type != &transform_filter)
			return tconf_error(&s->conf, "negate", e, "negate needs a predicate");
		return 0;
	}
	s->pred = find_predicate(tc, p);
	if (!s->pred)
		return tconf_error(&s->conf, "predicate", e,
				   "no predicate '%s' (predicates = ... and predicates.%s.type)", p, p);
	s->negate = negate;
	return 0;
}

static int add_step(struct transform_chain *tc, const struct conf_block *b, struct err *e)
{
	const char *origin, *name = tconf_block_value(b, "type", &origin);
	struct tconf bare = { .prefix = (char *)"transforms", .alias = b->alias, .origin = (char *)origin };
	if (!name)
		return tconf_error(&bare, "type", e, "missing");
	int on_key, kafka;
	const struct transform_type *t = find_type(name, &on_key, &kafka);
	if (!t)
		return tconf_error(&bare, "type", e, "unknown transform type '%s'", name);
	struct tstep *s = &tc->steps[tc->nsteps++];
	s->type = t;
	s->env = &tc->env;
	s->on_key = on_key;
	s->kafka = kafka;
	int rc = tconf_load(&s->conf, "transforms", b, t->keys, t->nkeys, e);
	if (rc == 0)
		rc = set_guard(tc, s, e);
	if (rc == 0)
		rc = t->init(s, e);
	if (rc == 0 && s->on_key && s->mode != TSTEP_JSON)
		return tconf_error(&s->conf, "type", e, "%s works on JSON fields of the key only", name);
	return rc;
}

static void init_env(struct transform_env *env, const struct connector_conf *cc, int task_id)
{
	env->connector = cc->name ? cc->name : "";
	env->task_id = task_id;
	env->topic = "";
	/* A source's topic, or the one topic a sink reads: what a record
	 * without a topic (an NDJSON line, `transform`) is taken to be in. */
	static const char *const keys[] = { "topic", "topics" };
	for (int i = 0; i < 2 && !env->topic[0]; i++) {
		const char *t = NULL;
		if (cc->conf.defs && conf_find(cc->conf.defs, cc->conf.ndefs, keys[i]))
			t = conf_get_str(&cc->conf, keys[i]);
		if (t && !strchr(t, ','))
			env->topic = t;
	}
	if (gethostname(env->host, sizeof(env->host)) < 0)
		snprintf(env->host, sizeof(env->host), "localhost");
	env->host[sizeof(env->host) - 1] = '\0';
}

static int chain_build(const struct connector_conf *cc, int task_id, int check_only,
		       struct transform_chain **out, struct err *e)
{
	struct transform_chain *tc = xcalloc(1, sizeof(*tc));
	int rc = 0;
	init_env(&tc->env, cc, task_id);
	tc->env.check_only = check_only;
	tc->preds = xcalloc(cc->npredicates + 1, sizeof(*tc->preds));
	for (size_t i = 0; rc == 0 && i < cc->npredicates; i++) {
		rc = predicate_new(&cc->predicates[i], &tc->preds[i], e);
		if (rc == 0)
			tc->npreds++;
	}
	tc->steps = xcalloc(cc->ntransforms + 1, sizeof(*tc->steps));
	for (size_t i = 0; rc == 0 && i < cc->ntransforms; i++)
		rc = add_step(tc, &cc->transforms[i], e);
	if (rc < 0) {
		transform_chain_free(tc);
		return rc;
	}
	*out = tc;
	return 0;
}

int transform_chain_new(const struct connector_conf *cc, int task_id,
			struct transform_chain **out, struct err *e)
{
	return chain_build(cc, task_id, 0, out, e);
}

int transform_chain_check(const struct connector_conf *cc, struct err *e)
{
	struct transform_chain *tc;
	int rc = chain_build(cc, 0, 1, &tc, e);
	if (rc == 0)
		transform_chain_free(tc);
	return rc;
}

void transform_chain_free(struct transform_chain *tc)
{
	if (!tc)
		return;
	for (size_t i = 0; i < tc->nsteps; i++) {
		struct tstep *s = &tc->steps[i];
		if (s->type->free)
			s->type->free(s);
		tconf_free(&s->conf);
	}
	for (size_t i = 0; i < tc->npreds; i++)
		predicate_destroy(tc->preds[i]);
	tjson_drop(&tc->json);
	free(tc->steps);
	free(tc->preds);
	free(tc);
}

/* The step should run on r (its guard). */
static int guard_passes(struct transform_chain *tc, const struct tstep *s, struct crec *r)
{
	if (!s->pred)
		return 1;
	if (predicate_reads_value(s->pred))
		tjson_store(&tc->json, r, 0);
	return predicate_match(s->pred, r, tstep_topic(s, r)) != s->negate;
}

/* A $Key step: the key parsed on its own (keys are small; no run to share). */
static int run_key_step(struct tstep *s, struct crec *r, struct err *e)
{
	struct tjson kj = { 0 };
	if (r->null_key)
		return 1;
	int rc = tjson_load(&kj, r, 1, s->text_ok, e);
	if (rc == 0)
		rc = s->type->apply_json(s, r, &kj, e);
	if (rc == 1)
		tjson_store(&kj, r, 1);
	tjson_drop(&kj);
	return rc;
}

static int run_step(struct transform_chain *tc, struct tstep *s, struct crec *r, struct err *e)
{
	if (s->on_key)
		return run_key_step(s, r, e);
	if (s->mode == TSTEP_JSON) {
		/* JSON transforms leave tombstones alone, as Kafka's do. */
		if (r->null_value)
			return 1;
		int rc = tjson_load(&tc->json, r, 0, s->text_ok, e);
		return rc < 0 ? rc : s->type->apply_json(s, r, &tc->json, e);
	}
	if (s->reads_value || s->writes_value)
		tjson_store(&tc->json, r, 0);
	if (s->writes_value)
		tjson_drop(&tc->json);
	return s->type->apply(s, r, e);
}

int transform_chain_apply(struct transform_chain *tc, struct crec *r, struct err *e)
{
	int rc = 1;
	if (!tc->nsteps)
		return 1;
	/* An empty topic is the connector's: say so, so that every step and
	 * what comes after see the same name. */
	if (!r->topic.len && tc->env.topic[0])
		crec_set_topic(r, tc->env.topic);
	for (size_t i = 0; i < tc->nsteps && rc == 1; i++) {
		struct tstep *s = &tc->steps[i];
		if (!guard_passes(tc, s, r))
			continue;
		rc = run_step(tc, s, r, e);
		if (rc < 0)
			err_wrap(e, "transforms.%s", s->conf.alias);
	}
	if (rc == 1)
		tjson_store(&tc->json, r, 0);
	tjson_drop(&tc->json);
	return rc;
}

int transform_chain_empty(const struct transform_chain *tc)
{
	return tc->nsteps == 0;
}

void transform_list_types(void (*fn)(void *arg, const char *type, const char *doc), void *arg)
{
	for (size_t i = 0; i < NTYPES; i++)
		fn(arg, types[i]->name, types[i]->doc);
}

uint64_t transform_chain_parses(const struct transform_chain *tc)
{
	return tc->json.parses;
}
