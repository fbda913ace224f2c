/*
 * connector_conf.c: a connector's file checked against the keys every
 * connector takes and its class's own, and the worker's file.
 *
 * A file is read whole first (conf_reader.c), so that connector.class,
 * wherever it stands, chooses the table the other keys are checked
 * against.  The table is the common keys below plus the class's; a key
 * the class defines itself (a sink's topics) replaces the common one, so
 * its doc and default are the class's.  transforms.<alias>.* and
 * predicates.<alias>.* are kept as written, for the transforms to check
 * by their own tables.
 *
 * The errors.* keys are the error policy's table (error_policy.h), in
 * both files: the worker's values are the connectors' defaults.  The
 * writer's producer.override.* keys (record_writer.h) are common too.
 */
#include <ctype.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "runtime/conf_reader.h"
#include "runtime/connector_conf.h"
#include "runtime/error_policy.h"
#include "runtime/record_writer.h"
#include "xalloc.h"

/* Connect's converters, accepted where records stay bytes. */
#define CONVERTER_KEYS                                                                  \
	{ "key.converter", CONF_STRING, NULL, 0, 0, 0, NULL,                             \
	  "accepted for Kafka configs: a String, ByteArray or Json converter" },         \
	{ "value.converter", CONF_STRING, NULL, 0, 0, 0, NULL, "the same, for values" }, \
	{ "key.converter.schemas.enable", CONF_BOOL, "false", 0, 0, 0, NULL,             \
	  "accepted and ignored" },                                                      \
	{ "value.converter.schemas.enable", CONF_BOOL, "false", 0, 0, 0, NULL,           \
	  "accepted and ignored" }

static const struct conf_def common_defs[] = {
	{ "name", CONF_STRING, NULL, 0, 0, 0, NULL, "the connector's name (required)" },
	{ "connector.class", CONF_STRING, NULL, 0, 0, 0, NULL,
	  "its class: file-source, FileStreamSource, ... (required)" },
	{ "tasks.max", CONF_INT, "1", 1, 1024, 0, NULL, "tasks (threads) of a sink or mirror" },
	{ "enabled", CONF_BOOL, "true", 0, 0, 0, NULL, "false: loaded and checked, not run" },
	{ "topic", CONF_STRING, NULL, 0, 0, 0, NULL, "the topic a source writes to" },
	{ "topics", CONF_STRING, NULL, 0, 0, 0, NULL, "the topics a sink reads, comma-separated" },
	{ "topics.regex", CONF_STRING, NULL, 0, 0, 0, NULL,
	  "or every topic matching this (extended) regex" },
	{ "transforms", CONF_STRING, NULL, 0, 0, 0, NULL, "aliases of the transforms, in order" },
	{ "predicates", CONF_STRING, NULL, 0, 0, 0, NULL, "aliases of the predicates" },
	CONVERTER_KEYS,
};
#define NCOMMON (sizeof(common_defs) / sizeof(common_defs[0]))

static const struct conf_def worker_defs[] = {
	{ "bootstrap.servers", CONF_STRING, NULL, 0, 0, 0, NULL,
	  "the cluster (default $SLOG_BROKERS, else " SLOG_DEFAULT_BROKERS ")" },
	{ "listeners", CONF_STRING, "http://127.0.0.1:8083", 0, 0, 0, NULL,
	  "the REST API's address (empty: none)" },
	{ "connectors.dir", CONF_STRING, NULL, 0, 0, 0, NULL,
	  "connector files (*.conf) when run names none (default /etc/slog/connect.d)" },
	{ "offset.storage.topic", CONF_STRING, "__connect_offsets", 0, 0, 0, NULL,
	  "the compacted topic of the sources' progress" },
	{ "offset.flush.interval.ms", CONF_DURATION, "1000", 1, INT64_MAX, 1, NULL,
	  "how often progress is saved" },
	{ "log.level", CONF_ENUM, "info", 0, 0, 0, "error|warn|info|debug", "what is logged" },
	CONVERTER_KEYS,
};
#define NWORKER_OWN (sizeof(worker_defs) / sizeof(worker_defs[0]))

/*
 * The tables with the keys other modules define: the error policy's
 * errors.* (both files) and the writer's producer overrides (connector
 * files).  Built once, before any thread reads them.
 */
static struct conf_def *worker_table, *common_table;
static size_t nworker, ncommon;
static pthread_once_t tables_once = PTHREAD_ONCE_INIT;

static struct conf_def *concat(const struct conf_def *a, size_t na, const struct conf_def *b,
			       size_t nb, const struct conf_def *c, size_t nc, size_t *n)
{
	struct conf_def *v = xcalloc(na + nb + nc, sizeof(*v));

	memcpy(v, a, na * sizeof(*v));
	memcpy(v + na, b, nb * sizeof(*v));
	if (nc)
		memcpy(v + na + nb, c, nc * sizeof(*v));
	*n = na + nb + nc;
	return v;
}

static void make_tables(void)
{
	worker_table = concat(worker_defs, NWORKER_OWN, error_policy_keys, error_policy_nkeys,
			      NULL, 0, &nworker);
	common_table = concat(common_defs, NCOMMON, error_policy_keys, error_policy_nkeys,
			      writer_keys, writer_nkeys, &ncommon);
}

static void tables(void)
{
	pthread_once(&tables_once, make_tables);
}

static const char *const converters[] = {
	"org.apache.kafka.connect.storage.StringConverter",
	"org.apache.kafka.connect.converters.ByteArrayConverter",
	"org.apache.kafka.connect.json.JsonConverter",
	"StringConverter", "ByteArrayConverter", "JsonConverter", NULL,
};

static int is_worker_only(const char *key)
{
	tables();
	return conf_find(worker_table, nworker, key) && !conf_find(common_table, ncommon, key);
}

/* The converters named are ones whose bytes pass through unchanged. */
static int check_converters(const struct conf *c, struct err *e)
{
	static const char *const keys[] = { "key.converter", "value.converter" };

	for (size_t k = 0; k < 2; k++) {
		const char *v = conf_get_str(c, keys[k]);
		size_t i = 0;

		if (!v)
			continue;
		while (converters[i] && strcmp(converters[i], v) != 0)
			i++;
		if (!converters[i]) {
			err_set(e, SLOG_EINVALID_CONFIG,
				"'%s' is not supported: records stay bytes, so only Connect's "
				"String, ByteArray and Json converters are taken", v);
			return conf_wrap_key(c, keys[k], e);
		}
	}
	return 0;
}

/* --- the connector file ----------------------------------------------- */

/* common_defs plus the class's keys; a class's key replaces a common one. */
static struct conf_def *build_defs(const struct connector_class *cls, size_t *n)
{
	struct conf_def *defs;
	size_t k = 0;

	tables();
	defs = xcalloc(ncommon + cls->nkeys, sizeof(*defs));
	for (size_t i = 0; i < ncommon; i++)
		if (!conf_find(cls->keys, cls->nkeys, common_table[i].key))
			defs[k++] = common_table[i];
	for (size_t i = 0; i < cls->nkeys; i++)
		defs[k++] = cls->keys[i];
	*n = k;
	return defs;
}

/* The class connector.class names (the last value wins, as for every key). */
static int find_class(const char *path, const struct conf_entries *es,
		      const char *const *overrides, size_t noverrides,
		      const struct connector_class **out, struct err *e)
{
	const struct conf_entry *en = conf_entries_last(es, "connector.class");
	const char *name = en ? en->value : NULL, *where = en ? en->origin : path;

	for (size_t i = 0; i < noverrides; i++)
		if (strncmp(overrides[i], "connector.class=", 16) == 0) {
			name = overrides[i] + 16;
			where = "--set";
		}
	if (!name || !*name)
		return err_set(e, SLOG_EINVALID_CONFIG, "%s: connector.class is not set", path);
	*out = connector_class_find(name);
	if (!*out)
		return err_set(e, SLOG_EINVALID_CONFIG,
			       "%s: connector.class: unknown class '%s' (see slog-connect(1) for "
			       "the classes)", where, name);
	return 0;
}

/* "a, b,c" -> the aliases, each once. */
static struct conf_block *split_aliases(const char *list, size_t *n)
{
	struct conf_block *v = NULL;
	size_t cap = 0;
	const char *p = list ? list : "";

	*n = 0;
	for (;;) {
		size_t len;
		int dup = 0;

		p += strspn(p, ", \t");
		len = strcspn(p, ", \t");
		if (!len)
			break;
		for (size_t i = 0; i < *n; i++)
			dup |= strlen(v[i].alias) == len && strncmp(v[i].alias, p, len) == 0;
		if (!dup) {
			v = xgrow(v, &cap, *n + 1, sizeof(*v));
			memset(&v[*n], 0, sizeof(*v));
			v[(*n)++].alias = xstrndup(p, len);
		}
		p += len;
	}
	return v;
}

static void block_add(struct conf_block *b, const char *key, const char *value,
		      const char *origin)
{
	b->keys = xrealloc(b->keys, (b->n + 1) * sizeof(char *));
	b->values = xrealloc(b->values, (b->n + 1) * sizeof(char *));
	b->origins = xrealloc(b->origins, (b->n + 1) * sizeof(char *));
	b->keys[b->n] = xstrdup(key);
	b->values[b->n] = xstrdup(value);
	b->origins[b->n++] = xstrdup(origin);
}

/*
 * key is "<kind>.<alias>.<rest>" (kind "transforms" or "predicates"):
 * 1 when it was one and was added to its block, 0 when it is not of the
 * kind, or an error when the alias is not listed.
 */
static int add_block_key(const char *kind, struct conf_block *v, size_t n, const char *key,
			 const char *value, const char *origin, struct err *e)
{
	size_t klen = strlen(kind);
	const char *alias = key + klen + 1, *dot;

	if (strncmp(key, kind, klen) != 0 || key[klen] != '.')
		return 0;
	dot = strchr(alias, '.');
	if (!dot || !dot[1])
		return err_set(e, SLOG_EINVALID_CONFIG, "%s: '%s' is not %s.<alias>.<key>", origin,
			       key, kind);
	for (size_t i = 0; i < n; i++)
		if (strlen(v[i].alias) == (size_t)(dot - alias) &&
		    strncmp(v[i].alias, alias, (size_t)(dot - alias)) == 0) {
			block_add(&v[i], dot + 1, value, origin);
			return 1;
		}
	return err_set(e, SLOG_EINVALID_CONFIG, "%s: %s: '%.*s' is not listed in '%s'", origin,
		       key, (int)(dot - alias), alias, kind);
}

static void blocks_free(struct conf_block *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		for (size_t k = 0; k < v[i].n; k++) {
			free(v[i].keys[k]);
			free(v[i].values[k]);
			free(v[i].origins[k]);
		}
		free(v[i].keys);
		free(v[i].values);
		free(v[i].origins);
		free(v[i].alias);
	}
	free(v);
}

/* One key of the file (or of --set) into its place. */
static int set_key(struct connector_conf *cc, const char *key, const char *value,
		   enum conf_source src, const char *origin, struct err *e)
{
	int rc = add_block_key("transforms", cc->transforms, cc->ntransforms, key, value, origin, e);

	if (rc == 0)
		rc = add_block_key("predicates", cc->predicates, cc->npredicates, key, value,
				   origin, e);
	if (rc == 0)
		rc = conf_set_from(&cc->conf, key, value, src, origin, e);
	return rc < 0 ? rc : 0;
}

/* The worker's errors.* values become this connector's defaults. */
static void worker_defaults(struct connector_conf *cc, const struct worker_conf *w)
{
	for (size_t i = 0; w && i < w->conf.ndefs; i++) {
		const char *key = w->conf.defs[i].key;
		char v[512];

		if (strncmp(key, "errors.", 7) != 0 || w->conf.vals[i].source == CONF_SRC_DEFAULT)
			continue;
		conf_format(&w->conf, i, v, sizeof(v));
		conf_set_from(&cc->conf, key, v, CONF_SRC_DEFAULT, w->conf.vals[i].origin, NULL);
	}
}

/* The list of aliases first, so that their keys find their blocks. */
static void make_blocks(struct connector_conf *cc, const struct conf_entries *es,
			const char *const *overrides, size_t noverrides)
{
	const struct conf_entry *t = conf_entries_last(es, "transforms");
	const struct conf_entry *p = conf_entries_last(es, "predicates");
	const char *tl = t ? t->value : NULL, *pl = p ? p->value : NULL;

	for (size_t i = 0; i < noverrides; i++) {
		if (strncmp(overrides[i], "transforms=", 11) == 0)
			tl = overrides[i] + 11;
		if (strncmp(overrides[i], "predicates=", 11) == 0)
			pl = overrides[i] + 11;
	}
	cc->transforms = split_aliases(tl, &cc->ntransforms);
	cc->predicates = split_aliases(pl, &cc->npredicates);
}

static int apply_overrides(struct connector_conf *cc, const char *const *overrides,
			   size_t noverrides, struct err *e)
{
	for (size_t i = 0; i < noverrides; i++) {
		const char *eq = strchr(overrides[i], '=');
		char *key;
		int rc;

		if (!eq || eq == overrides[i])
			return err_set(e, SLOG_EINVALID_CONFIG, "--set: '%s' is not KEY=VALUE",
				       overrides[i]);
		key = xstrndup(overrides[i], (size_t)(eq - overrides[i]));
		rc = is_worker_only(key) ? 0 : set_key(cc, key, eq + 1, CONF_SRC_CMDLINE, "--set", e);
		free(key);
		if (rc)
			return rc;
	}
	return 0;
}

/* FNV-1a over every resolved key: what a reload compares. */
static uint64_t digest_add(uint64_t h, const char *s)
{
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return (h ^ 0xff) * 1099511628211ULL;
}

static uint64_t conf_digest(const struct connector_conf *cc)
{
	uint64_t h = 14695981039346656037ULL;
	const struct conf_block *sets[2] = { cc->transforms, cc->predicates };
	size_t ns[2] = { cc->ntransforms, cc->npredicates };

	for (size_t i = 0; i < cc->conf.ndefs; i++) {
		char v[1024];
		conf_format(&cc->conf, i, v, sizeof(v));
		h = digest_add(digest_add(h, cc->conf.defs[i].key), v);
	}
	for (int k = 0; k < 2; k++)
		for (size_t i = 0; i < ns[k]; i++)
			for (size_t j = 0; j < sets[k][i].n; j++)
				h = digest_add(digest_add(h, sets[k][i].keys[j]), sets[k][i].values[j]);
	return h;
}

static int check_loaded(struct connector_conf *cc, struct err *e)
{
	const char *name = conf_get_str(&cc->conf, "name");

	if (!name || !*name)
		return err_set(e, SLOG_EINVALID_CONFIG, "%s: name is not set",
			       strcmp(cc->path, "-") == 0 ? "stdin" : cc->path);
	for (const char *p = name; *p; p++)
		if (iscntrl((unsigned char)*p) || *p == '/') {
			err_set(e, SLOG_EINVALID_CONFIG,
				"'/' and control characters are not allowed in a name");
			return conf_wrap_key(&cc->conf, "name", e);
		}
	cc->name = xstrdup(name);
	if (check_converters(&cc->conf, e))
		return SLOG_EINVALID_CONFIG;
	return cc->cls->check ? cc->cls->check(cc, e) : 0;
}

static int load_entries(struct connector_conf *cc, const struct conf_entries *es,
			const char *const *overrides, size_t noverrides,
			const struct worker_conf *worker, struct err *e)
{
	size_t ndefs;
	int rc = find_class(strcmp(cc->path, "-") == 0 ? "stdin" : cc->path, es, overrides,
			    noverrides, &cc->cls, e);

	if (rc)
		return rc;
	cc->defs = build_defs(cc->cls, &ndefs);
	rc = conf_init(&cc->conf, cc->defs, ndefs, e);
	if (rc)
		return rc;
	worker_defaults(cc, worker);
	make_blocks(cc, es, overrides, noverrides);
	for (size_t i = 0; !rc && i < es->n; i++)
		rc = set_key(cc, es->v[i].key, es->v[i].value, CONF_SRC_FILE, es->v[i].origin, e);
	if (!rc)
		rc = apply_overrides(cc, overrides, noverrides, e);
	if (!rc)
		rc = check_loaded(cc, e);
	return rc;
}

int connector_conf_load(const char *path, const char *const *overrides, size_t noverrides,
			const struct worker_conf *worker, struct connector_conf **out,
			struct err *e)
{
	struct connector_conf *cc = xcalloc(1, sizeof(*cc));
	struct conf_entries es = { 0 };
	int is_stdin = strcmp(path, "-") == 0;
	int rc;

	/* Messages name stdin's lines "stdin:LINE"; the path stays "-". */
	cc->path = xstrdup(path);
	rc = conf_read(is_stdin ? "stdin" : path, is_stdin ? stdin : NULL, &es, e);
	if (!rc)
		rc = load_entries(cc, &es, overrides, noverrides, worker, e);
	conf_entries_free(&es);
	if (rc) {
		connector_conf_free(cc);
		return rc < 0 ? rc : SLOG_EINVALID_CONFIG;
	}
	cc->digest = conf_digest(cc);
	*out = cc;
	return 0;
}

void connector_conf_free(struct connector_conf *cc)
{
	if (!cc)
		return;
	if (cc->conf.vals)
		conf_free(&cc->conf);
	blocks_free(cc->transforms, cc->ntransforms);
	blocks_free(cc->predicates, cc->npredicates);
	free(cc->defs);
	free(cc->name);
	free(cc->path);
	free(cc);
}

int64_t cc_num(const struct connector_conf *cc, const char *key)
{
	return conf_get_num(&cc->conf, key);
}

int cc_bool(const struct connector_conf *cc, const char *key)
{
	return conf_get_bool(&cc->conf, key);
}

const char *cc_str(const struct connector_conf *cc, const char *key)
{
	return conf_get_str(&cc->conf, key);
}

const char *conf_block_get(const struct conf_block *b, const char *key)
{
	for (size_t i = b->n; i > 0; i--)
		if (strcmp(b->keys[i - 1], key) == 0)
			return b->values[i - 1];
	return NULL;
}

int connector_conf_unset(const struct conf *c, size_t i)
{
	return c->vals[i].source == CONF_SRC_DEFAULT && c->defs[i].type == CONF_STRING &&
	       (!c->vals[i].str || !*c->vals[i].str);
}

/* Listings show that a secret is set, not what it is. */
int connector_conf_is_secret(const char *key)
{
	static const char *const words[] = { "password", "secret", "token", "credential",
					     "api.key", "bearer", NULL };

	for (size_t i = 0; words[i]; i++)
		if (strstr(key, words[i]))
			return 1;
	return 0;
}

static void print_blocks(const char *kind, const struct conf_block *v, size_t n, FILE *out)
{
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < v[i].n; k++)
			fprintf(out, "%s.%s.%s = %s  # file %s\n", kind, v[i].alias, v[i].keys[k],
				connector_conf_is_secret(v[i].keys[k]) ? "(hidden)" : v[i].values[k],
				v[i].origins[k]);
}

void connector_conf_print(const struct connector_conf *cc, FILE *out)
{
	const struct conf *c = &cc->conf;

	fprintf(out, "# %s: connector %s, class %s\n", cc->path, cc->name, cc->cls->name);
	for (size_t i = 0; i < c->ndefs; i++) {
		char v[1024], src[4300];

		/* Keys with no value are left out: the listing reads back as a file. */
		if (connector_conf_unset(c, i))
			continue;
		conf_format(c, i, v, sizeof(v));
		conf_format_source(c, i, src, sizeof(src));
		fprintf(out, "%s = %s  # %s\n", c->defs[i].key,
			connector_conf_is_secret(c->defs[i].key) ? "(hidden)" : v, src);
	}
	print_blocks("transforms", cc->transforms, cc->ntransforms, out);
	print_blocks("predicates", cc->predicates, cc->npredicates, out);
}

/* --- the worker file -------------------------------------------------- */

static int worker_set(struct worker_conf *out, const char *const *overrides, size_t n,
		      struct err *e)
{
	for (size_t i = 0; i < n; i++) {
		const char *eq = strchr(overrides[i], '=');
		char *key;
		int rc = 0;

		if (!eq || eq == overrides[i])
			return err_set(e, SLOG_EINVALID_CONFIG, "--set: '%s' is not KEY=VALUE",
				       overrides[i]);
		key = xstrndup(overrides[i], (size_t)(eq - overrides[i]));
		/* Connector keys go to the connectors (connector_conf_load). */
		if (conf_find(worker_table, nworker, key))
			rc = conf_set_from(&out->conf, key, eq + 1, CONF_SRC_CMDLINE, "--set", e);
		free(key);
		if (rc)
			return rc;
	}
	return 0;
}

int worker_conf_load(const char *path, const char *const *overrides, size_t noverrides,
		     struct worker_conf *out, struct err *e)
{
	struct conf_entries es = { 0 };
	const char *b;
	int rc;

	memset(out, 0, sizeof(*out));
	tables();
	rc = conf_init(&out->conf, worker_table, nworker, e);
	if (!rc && path)
		rc = conf_read(path, NULL, &es, e);
	for (size_t i = 0; !rc && i < es.n; i++)
		rc = conf_set_from(&out->conf, es.v[i].key, es.v[i].value, CONF_SRC_FILE,
				   es.v[i].origin, e);
	conf_entries_free(&es);
	if (!rc)
		rc = worker_set(out, overrides, noverrides, e);
	if (!rc)
		rc = check_converters(&out->conf, e);
	if (rc) {
		worker_conf_free(out);
		return rc;
	}
	b = conf_get_str(&out->conf, "bootstrap.servers");
	if (!b || !*b)
		b = getenv("SLOG_BROKERS");
	out->brokers = xstrdup(b && *b ? b : SLOG_DEFAULT_BROKERS);
	return 0;
}

void worker_conf_free(struct worker_conf *wc)
{
	if (wc->conf.vals)
		conf_free(&wc->conf);
	free(wc->brokers);
	memset(wc, 0, sizeof(*wc));
}
