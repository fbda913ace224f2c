/*
 * transform_headers.c: insert-header and drop-headers
 * (transform_headers.h).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "transforms/transform_headers.h"
#include "xalloc.h"

enum value_from { FROM_STATIC = -1, FROM_TIMESTAMP, FROM_TOPIC, FROM_PARTITION, FROM_OFFSET,
		  FROM_CONNECTOR, FROM_HOST };

struct insert_header {
	const char *name;
	const char *value;       /* FROM_STATIC's */
	enum value_from from;
};

static int insert_header_init(struct tstep *s, struct err *e)
{
	struct insert_header *h = xcalloc(1, sizeof(*h));
	s->state = h;
	h->name = tconf_str(&s->conf, "header");
	if (!h->name)
		return tconf_error(&s->conf, "header", e, "missing");
	int given = tconf_given(&s->conf, "value") + tconf_given(&s->conf, "value.literal") +
		    tconf_given(&s->conf, "value.from");
	if (given != 1)
		return tconf_error(&s->conf, NULL, e, "insert-header takes one of value, value.literal "
				   "and value.from");
	h->from = FROM_STATIC;
	if (tconf_given(&s->conf, "value.from"))
		h->from = (enum value_from)tconf_num(&s->conf, "value.from");
	else
		h->value = conf_get_str(&s->conf.conf, tconf_given(&s->conf, "value") ? "value"
									  : "value.literal");
	return 0;
}

static int insert_header_apply(struct tstep *s, struct crec *r, struct err *e)
{
	(void)e;
	const struct insert_header *h = s->state;
	char num[24];
	const char *v = h->value;
	switch (h->from) {
	case FROM_STATIC: break;
	case FROM_TIMESTAMP:
		snprintf(num, sizeof(num), "%" PRId64, r->timestamp >= 0 ? r->timestamp : clock_wall_ms());
		v = num;
		break;
	case FROM_TOPIC: v = tstep_topic(s, r); break;
	case FROM_PARTITION:
		snprintf(num, sizeof(num), "%" PRId32, r->partition);
		v = num;
		break;
	case FROM_OFFSET:
		snprintf(num, sizeof(num), "%" PRId64, r->offset);
		v = num;
		break;
	case FROM_CONNECTOR: v = s->env->connector; break;
	case FROM_HOST: v = s->env->host; break;
	}
	crec_add_header(r, h->name, v ? v : "", (int32_t)strlen(v ? v : ""));
	return 1;
}

static void state_free(struct tstep *s)
{
	free(s->state);
}

static const struct conf_def insert_header_keys[] = {
	TRANSFORM_COMMON_KEYS,
	{ "header", CONF_STRING, NULL, 0, 0, 0, NULL, "the header's name" },
	{ "value", CONF_STRING, NULL, 0, 0, 0, NULL, "its value, as written" },
	{ "value.literal", CONF_STRING, NULL, 0, 0, 0, NULL, "the same as value (Kafka's name)" },
	{ "value.from", CONF_ENUM, "timestamp", 0, 0, 0,
	  "timestamp|topic|partition|offset|connector|host", "its value, from the record or the process" },
};

const struct transform_type transform_insert_header = {
	.name = "insert-header",
	.aliases = (const char *const[]){ "InsertHeader", "org.apache.kafka.connect.transforms.InsertHeader",
					   NULL },
	.doc = "add a header: header, and value or value.from "
	       "(timestamp|topic|partition|offset|connector|host)",
	.keys = insert_header_keys,
	.nkeys = sizeof(insert_header_keys) / sizeof(insert_header_keys[0]),
	.init = insert_header_init,
	.apply = insert_header_apply,
	.free = state_free,
};

/* drop-headers */

struct drop_headers {
	char **names;
	size_t n;
};

static int drop_headers_init(struct tstep *s, struct err *e)
{
	struct drop_headers *d = xcalloc(1, sizeof(*d));
	s->state = d;
	int rc = tconf_list(&s->conf, "headers", &d->names, &d->n, e);
	if (rc == 0 && d->n == 0)
		return tconf_error(&s->conf, "headers", e, "missing");
	return rc;
}

static int drop_headers_apply(struct tstep *s, struct crec *r, struct err *e)
{
	(void)e;
	const struct drop_headers *d = s->state;
	for (size_t i = 0; i < d->n && r->nheaders; i++)
		crec_drop_header(r, d->names[i]);
	return 1;
}

static void drop_headers_free(struct tstep *s)
{
	struct drop_headers *d = s->state;
	if (d)
		tconf_list_free(d->names);
	free(d);
}

static const struct conf_def drop_headers_keys[] = {
	TRANSFORM_COMMON_KEYS,
	{ "headers", CONF_STRING, NULL, 0, 0, 0, NULL, "the names of the headers to drop, by commas" },
};

const struct transform_type transform_drop_headers = {
	.name = "drop-headers",
	.aliases = (const char *const[]){ "DropHeaders", "org.apache.kafka.connect.transforms.DropHeaders",
					   NULL },
	.doc = "remove every header named in headers",
	.keys = drop_headers_keys,
	.nkeys = sizeof(drop_headers_keys) / sizeof(drop_headers_keys[0]),
	.init = drop_headers_init,
	.apply = drop_headers_apply,
	.free = drop_headers_free,
};
