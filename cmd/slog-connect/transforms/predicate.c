/*
 * predicate.c: conditions on a record (predicate.h).
 *
 * Kafka's three predicate classes are not separate code here: each is a
 * table of its own keys whose values are written onto the one condition
 * set, so a filter and a predicate can never disagree on what "matches"
 * means.
 */
#include <string.h>

#include "runtime/connector_conf.h"
#include "transforms/predicate.h"
#include "transforms/transform_conf.h"
#include "xalloc.h"

#define TYPE_KEY { "type", CONF_STRING, NULL, 0, 0, 0, NULL, "the predicate's type" }

static const struct conf_def match_keys[] = { TYPE_KEY, PREDICATE_KEYS };
static const struct conf_def topic_keys[] = {
	TYPE_KEY,
	{ "pattern", CONF_STRING, NULL, 0, 0, 0, NULL, "a regex the whole topic name matches" },
};
static const struct conf_def header_keys[] = {
	TYPE_KEY,
	{ "name", CONF_STRING, NULL, 0, 0, 0, NULL, "the header's name" },
};
static const struct conf_def tombstone_keys[] = { TYPE_KEY };

#define KAFKA_PREDICATE(c) "org.apache.kafka.connect.transforms.predicates." c

struct predicate_type {
	const char *name;
	const char *const *aliases;
	const struct conf_def *keys;
	size_t nkeys;
	const char *required;   /* the key it cannot go without, or NULL */
	const char *doc;
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const struct predicate_type types[] = {
	{ "match", NULL, match_keys, N(match_keys), NULL,
	  "every condition given holds (topic.regex, key.regex, value.regex, header.exists, "
	  "header.regex, tombstone)" },
	{ "topic-matches", (const char *const[]){ "TopicNameMatches", KAFKA_PREDICATE("TopicNameMatches"), NULL },
	  topic_keys, N(topic_keys), "pattern", "the topic name matches pattern" },
	{ "has-header", (const char *const[]){ "HasHeaderKey", KAFKA_PREDICATE("HasHeaderKey"), NULL },
	  header_keys, N(header_keys), "name", "a header called name is there" },
	{ "tombstone", (const char *const[]){ "RecordIsTombstone", KAFKA_PREDICATE("RecordIsTombstone"), NULL },
	  tombstone_keys, N(tombstone_keys), NULL, "the value is null" },
};

static int set_regex(struct predicate *p, struct tregex *r, const struct tconf *tc,
		     const char *key, const char *pattern, struct err *e)
{
	int rc = tregex_compile(r, tc, key, pattern, e);
	if (rc == 0)
		p->nconds++;
	return rc;
}

/* header.regex = NAME:REGEX */
static int set_header_regex(struct predicate *p, const struct tconf *tc, const char *v,
			    struct err *e)
{
	const char *colon = strchr(v, ':');
	if (!colon || colon == v)
		return tconf_error(tc, "header.regex", e, "'%s' is not NAME:REGEX", v);
	p->header_name = xstrndup(v, (size_t)(colon - v));
	return set_regex(p, &p->header, tc, "header.regex", colon + 1, e);
}

int predicate_init(struct predicate *p, const struct tconf *tc, struct err *e)
{
	const char *v;
	int rc = 0;
	memset(p, 0, sizeof(*p));
	if (rc == 0 && (v = tconf_str(tc, "topic.regex")))
		rc = set_regex(p, &p->topic, tc, "topic.regex", v, e);
	if (rc == 0 && (v = tconf_str(tc, "key.regex")))
		rc = set_regex(p, &p->key, tc, "key.regex", v, e);
	if (rc == 0 && (v = tconf_str(tc, "value.regex")))
		rc = set_regex(p, &p->value, tc, "value.regex", v, e);
	if (rc == 0 && (v = tconf_str(tc, "header.regex")))
		rc = set_header_regex(p, tc, v, e);
	if (rc == 0 && (v = tconf_str(tc, "header.exists"))) {
		p->header_exists = xstrdup(v);
		p->nconds++;
	}
	if (rc == 0 && tconf_bool(tc, "tombstone")) {
		p->tombstone = 1;
		p->nconds++;
	}
	return rc;
}

void predicate_free(struct predicate *p)
{
	tregex_free(&p->topic);
	tregex_free(&p->key);
	tregex_free(&p->value);
	tregex_free(&p->header);
	free(p->header_exists);
	free(p->header_name);
	free(p->alias);
	memset(p, 0, sizeof(*p));
}

static const struct predicate_type *find_type(const char *name)
{
	for (size_t i = 0; i < N(types); i++)
		if (tconf_type_is(name, types[i].name, types[i].aliases))
			return &types[i];
	return NULL;
}

/* Kafka's keys, written as the condition keys they mean. */
static int init_kafka(struct predicate *p, const struct predicate_type *t, const struct tconf *tc,
		      struct err *e)
{
	memset(p, 0, sizeof(*p));
	if (t->keys == topic_keys)
		return set_regex(p, &p->topic, tc, "pattern", tconf_str(tc, "pattern"), e);
	if (t->keys == header_keys) {
		p->header_exists = xstrdup(tconf_str(tc, "name"));
		p->nconds++;
		return 0;
	}
	p->tombstone = 1;
	p->nconds++;
	return 0;
}

static int build(struct predicate *p, const struct conf_block *b, struct tconf *tc, struct err *e)
{
	const char *origin, *name = tconf_block_value(b, "type", &origin);
	struct tconf bare = { .prefix = (char *)"predicates", .alias = b->alias, .origin = (char *)origin };
	if (!name)
		return tconf_error(&bare, "type", e, "missing (one of match, topic-matches, has-header, tombstone)");
	const struct predicate_type *t = find_type(name);
	if (!t)
		return tconf_error(&bare, "type", e, "unknown predicate type '%s'", name);
	int rc = tconf_load(tc, "predicates", b, t->keys, t->nkeys, e);
	if (rc < 0)
		return rc;
	if (t->required && !tconf_str(tc, t->required))
		return tconf_error(tc, NULL, e, "%s needs '%s'", t->name, t->required);
	rc = t->keys == match_keys ? predicate_init(p, tc, e) : init_kafka(p, t, tc, e);
	if (rc == 0 && p->nconds == 0)
		return tconf_error(tc, NULL, e, "a match predicate needs a condition");
	return rc;
}

int predicate_new(const struct conf_block *b, struct predicate **out, struct err *e)
{
	struct predicate *p = xcalloc(1, sizeof(*p));
	struct tconf tc;
	memset(&tc, 0, sizeof(tc));
	int rc = build(p, b, &tc, e);
	tconf_free(&tc);
	if (rc < 0) {
		predicate_destroy(p);
		return rc;
	}
	p->alias = xstrdup(b->alias);
	*out = p;
	return 0;
}

void predicate_destroy(struct predicate *p)
{
	if (!p)
		return;
	predicate_free(p);
	free(p);
}

static int bytes_match(const struct tregex *r, const struct buf *b, int null)
{
	regmatch_t m[TREGEX_GROUPS];
	return !null && tregex_match(r, buf_cstr(b), b->len, 0, m);
}

static int header_matches(const struct predicate *p, const struct crec *r)
{
	size_t n = strlen(p->header_name);
	for (size_t i = 0; i < r->nheaders; i++) {
		const struct crec_header *h = &r->headers[i];
		if (h->key.len == n && memcmp(buf_cstr(&h->key), p->header_name, n) == 0 &&
		    bytes_match(&p->header, &h->value, h->null_value))
			return 1;
	}
	return 0;
}

int predicate_match(const struct predicate *p, const struct crec *r, const char *topic)
{
	regmatch_t m[TREGEX_GROUPS];
	if (p->topic.compiled && !tregex_match(&p->topic, topic, strlen(topic), 1, m))
		return 0;
	if (p->key.compiled && !bytes_match(&p->key, &r->key, r->null_key))
		return 0;
	if (p->value.compiled && !bytes_match(&p->value, &r->value, r->null_value))
		return 0;
	if (p->header_exists && !crec_find_header(r, p->header_exists))
		return 0;
	if (p->header.compiled && !header_matches(p, r))
		return 0;
	return !p->tombstone || r->null_value;
}

int predicate_reads_value(const struct predicate *p)
{
	return p->value.compiled;
}

void predicate_list_types(void (*fn)(void *arg, const char *type, const char *doc), void *arg)
{
	for (size_t i = 0; i < N(types); i++)
		fn(arg, types[i].name, types[i].doc);
}
