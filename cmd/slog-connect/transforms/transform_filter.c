/*
 * transform_filter.c: the filter step (transform_filter.h).
 */
#include <stdlib.h>

#include "transforms/predicate.h"
#include "transforms/transform_filter.h"
#include "xalloc.h"

struct filter {
	struct predicate own;
	int negate;   /* of the own conditions; a predicate's negate is the chain's */
};

static int filter_init(struct tstep *s, struct err *e)
{
	struct filter *f = xcalloc(1, sizeof(*f));
	s->state = f;
	int rc = predicate_init(&f->own, &s->conf, e);
	if (rc < 0)
		return rc;
	if (s->pred && f->own.nconds)
		return tconf_error(&s->conf, "predicate", e,
				   "a filter takes a predicate or its own conditions, not both");
	f->negate = !s->pred && tconf_bool(&s->conf, "negate");
	s->reads_value = predicate_reads_value(&f->own);
	return 0;
}

static int filter_apply(struct tstep *s, struct crec *r, struct err *e)
{
	(void)e;
	const struct filter *f = s->state;
	int match = predicate_match(&f->own, r, tstep_topic(s, r));
	return match != f->negate ? 0 : 1;
}

static void filter_free(struct tstep *s)
{
	struct filter *f = s->state;
	if (f)
		predicate_free(&f->own);
	free(f);
}

static const struct conf_def filter_keys[] = { TRANSFORM_COMMON_KEYS, PREDICATE_KEYS };

const struct transform_type transform_filter = {
	.name = "filter",
	.aliases = (const char *const[]){ "Filter", "org.apache.kafka.connect.transforms.Filter", NULL },
	.doc = "drop the records its conditions (topic.regex, key.regex, value.regex, "
	       "header.exists, header.regex, tombstone) or its predicate match; negate keeps them",
	.keys = filter_keys,
	.nkeys = sizeof(filter_keys) / sizeof(filter_keys[0]),
	.init = filter_init,
	.apply = filter_apply,
	.free = filter_free,
};
