/*
 * transform_fixture.c: connectors with transforms, built by hand
 * (transform_fixture.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "transform_fixture.h"
#include "unit.h"
#include "xalloc.h"

static void tf_add_block(struct tfix *f, struct conf_block *b, const char *alias, va_list ap)
{
	const char *kv;
	b->alias = xstrdup(alias);
	while ((kv = va_arg(ap, const char *))) {
		const char *eq = strchr(kv, '=');
		b->keys = xrealloc(b->keys, (b->n + 1) * sizeof(char *));
		b->values = xrealloc(b->values, (b->n + 1) * sizeof(char *));
		b->origins = xrealloc(b->origins, (b->n + 1) * sizeof(char *));
		b->keys[b->n] = xstrndup(kv, (size_t)(eq - kv));
		b->values[b->n] = xstrdup(eq + 1);
		char origin[32];
		snprintf(origin, sizeof(origin), "t.conf:%d", ++f->line);
		b->origins[b->n] = xstrdup(origin);
		b->n++;
	}
}

void tf_transform(struct tfix *f, const char *alias, ...)
{
	va_list ap;
	va_start(ap, alias);
	tf_add_block(f, &f->t[f->cc.ntransforms++], alias, ap);
	va_end(ap);
}

void tf_predicate(struct tfix *f, const char *alias, ...)
{
	va_list ap;
	va_start(ap, alias);
	tf_add_block(f, &f->p[f->cc.npredicates++], alias, ap);
	va_end(ap);
}

void tf_init(struct tfix *f)
{
	memset(f, 0, sizeof(*f));
	f->cc.path = (char *)"t.conf";
	f->cc.name = (char *)"conn";
	f->cc.transforms = f->t;
	f->cc.predicates = f->p;
}

static void tf_block_free(struct conf_block *b)
{
	for (size_t i = 0; i < b->n; i++) {
		free(b->keys[i]);
		free(b->values[i]);
		free(b->origins[i]);
	}
	free(b->keys);
	free(b->values);
	free(b->origins);
	free(b->alias);
}

void tf_free(struct tfix *f)
{
	for (size_t i = 0; i < f->cc.ntransforms; i++)
		tf_block_free(&f->t[i]);
	for (size_t i = 0; i < f->cc.npredicates; i++)
		tf_block_free(&f->p[i]);
}

/* A test's start: an empty connector and record. */
void tf_begin(struct tfix *f, struct crec *r)
{
	tf_init(f);
	crec_init(r);
}

/* A test's end: everything tf_begin() and tf_chain() made. */
void tf_finish(struct transform_chain *tc, struct crec *r, struct tfix *f)
{
	transform_chain_free(tc);
	crec_free(r);
	tf_free(f);
}

/* Start over with a new connector in the same test, keeping the record. */
void tf_again(struct transform_chain *tc, struct tfix *f)
{
	transform_chain_free(tc);
	tf_free(f);
	tf_init(f);
}

struct transform_chain *tf_chain(struct tfix *f)
{
	struct transform_chain *tc = NULL;
	struct err e;
	if (transform_chain_new(&f->cc, 0, &tc, &e) < 0)
		unit_diag("  chain: %s", e.msg);
	return tc;
}

/* The error building f's chain gives ("" when it builds). */
const char *tf_chain_error(struct tfix *f)
{
	static struct err e;
	struct transform_chain *tc = NULL;
	memset(&e, 0, sizeof(e));
	if (transform_chain_new(&f->cc, 0, &tc, &e) == 0)
		transform_chain_free(tc);
	return e.msg;
}

void tf_rec(struct crec *r, const char *topic, const char *key, const char *value)
{
	crec_reset(r);
	crec_set_topic(r, topic);
	crec_set_key(r, key, key ? (int32_t)strlen(key) : -1);
	crec_set_value(r, value, value ? (int32_t)strlen(value) : -1);
}

int tf_is(const struct buf *b, const char *s)
{
	int ok = b->len == strlen(s) && memcmp(buf_cstr(b), s, b->len) == 0;
	if (!ok)
		unit_diag("  got '%s', expected '%s'", buf_cstr(b), s);
	return ok;
}

const char *tf_header(const struct crec *r, const char *name)
{
	const struct crec_header *h = crec_find_header(r, name);
	return h ? (h->null_value ? "(null)" : buf_cstr(&h->value)) : NULL;
}

/* Apply tc to a record of topic/key/value; the result code. */
int tf_run(struct transform_chain *tc, struct crec *r, const char *topic, const char *key,
	       const char *value, struct err *e)
{
	tf_rec(r, topic, key, value);
	memset(e, 0, sizeof(*e));
	return transform_chain_apply(tc, r, e);
}

