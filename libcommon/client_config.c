/*
 * client_config.c: the client configuration keys, their sources, and the
 * rewriting of a client's command line.  See client_config.h.
 *
 * Why rewrite argv instead of filling a struct: every client already
 * checks each option's value in its getopt loop (ranges, units, choices,
 * conflicts).  Handing that loop "--linger-ms=5" for a file's
 * "linger.ms = 5" keeps those checks in one place, and the order of the
 * rewritten arguments (file or environment, then the user's, -X where it
 * stood) is the precedence.  The user's command line is read once here
 * with the program's own option table, so that an option's value that
 * looks like -X is never taken for one, and is handed back in canonical
 * form (--name=value, operands after "--").
 */
#include "client_config.h"

#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "cli.h"
#include "conf.h"
#include "table.h"
#include "xalloc.h"

#define PRODUCE CLIENT_PRODUCE
#define CONSUME CLIENT_CONSUME

/* Keys are the options worth setting once for every run; not the ones
 * that say what a run does (-t, -p, -k, -g, -o, -c). */
static const struct client_key keys[] = {
	{ "brokers", CLIENT_ALL, 0, 0, SLOG_DEFAULT_BROKERS,
	  "brokers to ask: host[:port],... (port 9292 when none is given)" },
	{ "timeout.ms", CLIENT_ALL, 0, 0, "30000", "give up after this long (ms, or 10s, 2m)" },
	{ "compression", PRODUCE, 0, 0, "none", "codec of the batches sent: none or zstd" },
	{ "acks", PRODUCE, 0, 0, "all", "when the broker answers: 0, 1 or all" },
	{ "linger.ms", PRODUCE, 0, 0, "5", "wait up to this long to fill a batch" },
	{ "batch.bytes", PRODUCE, 0, 0, "1000000",
	  "largest batch (the topic's max.message.bytes caps it)" },
	{ "buffer.bytes", PRODUCE, 0, 0, "64MiB", "stop reading while this much is unacknowledged" },
	{ "max.in.flight", PRODUCE, 0, 0, "16", "requests on the wire at once, one per partition" },
	{ "partitioner", PRODUCE, 0, 'p', "murmur2",
	  "murmur2 (by key), random or roundrobin; a file's value yields to -p" },
	{ "max.bytes", CONSUME, 0, 0, "1MiB", "fetch at most this much per partition and request" },
	{ "commit", CONSUME, 'g', 0, "after",
	  "with -g: commit after writing (at least once) or before" },
	{ "commit.interval.ms", CONSUME, 'g', 0, "5000", "with -g: commit this often" },
	{ "session.timeout.ms", CONSUME, 'g', 0, "broker's",
	  "with -g: leave the group when silent this long" },
	{ "client.id", CONSUME, 'g', 0, "slog-consume",
	  "with -g: this member's name in slog-groups describe" },
};

#define NKEYS (sizeof(keys) / sizeof(keys[0]))

const struct client_key *client_config_keys(size_t *n)
{
	*n = NKEYS;
	return keys;
}

const struct client_key *client_config_find(const char *name)
{
	for (size_t i = 0; i < NKEYS; i++)
		if (strcmp(keys[i].key, name) == 0)
			return &keys[i];
	return NULL;
}

void client_config_option(const struct client_key *k, char *out, size_t size)
{
	size_t n = 0;

	for (const char *p = k->key; *p && n + 1 < size; p++)
		out[n++] = *p == '.' ? '-' : *p;
	out[n] = '\0';
}

void client_config_env_name(const struct client_key *k, char *out, size_t size)
{
	size_t n = (size_t)snprintf(out, size, "SLOG_");

	for (const char *p = k->key; *p && n + 1 < size; p++)
		out[n++] = *p == '.' ? '_' : (char)toupper((unsigned char)*p);
	out[n] = '\0';
}

/* "slog-consume" or "slog-produce and slog-consume": who takes a key. */
static void program_names(unsigned programs, struct buf *out)
{
	static const char *names[] = { "slog-produce", "slog-consume", "slog-topics", "slog-groups" };
	int n = 0;

	for (int i = 0; i < 4; i++)
		if (programs & (1u << i))
			buf_addf(out, "%s%s", n++ ? ", " : "", names[i]);
}

void client_config_init(struct client_config *cc, enum client_program prog)
{
	cc->prog = prog;
	cc->v = xcalloc(NKEYS, sizeof(*cc->v));
}

void client_config_free(struct client_config *cc)
{
	for (size_t i = 0; cc->v && i < NKEYS; i++) {
		free(cc->v[i].value);
		free(cc->v[i].where);
	}
	free(cc->v);
	cc->v = NULL;
}

int client_config_set(struct client_config *cc, const char *key, const char *value,
		      enum client_source src, const char *where, struct err *e)
{
	const struct client_key *k = client_config_find(key);
	struct client_value *v;

	if (!k)
		return err_set(e, SLOG_EINVALID_CONFIG, "unknown key '%s' (-X list shows the keys)", key);
	if (!(k->programs & cc->prog)) {
		struct buf me = BUF_INIT, who = BUF_INIT;
		program_names(cc->prog, &me);
		program_names(k->programs, &who);
		err_set(e, SLOG_EINVALID_CONFIG, "%s does not take '%s' (%s does)", buf_cstr(&me), key,
			buf_cstr(&who));
		buf_free(&me);
		buf_free(&who);
		return SLOG_EINVALID_CONFIG;
	}
	v = &cc->v[k - keys];
	free(v->value);
	free(v->where);
	v->value = xstrdup(value);
	v->src = src;
	v->where = where ? xstrdup(where) : NULL;
	return 0;
}

/* One line of a config file; where is "FILE:LINE". */
static int load_line(struct client_config *cc, char *line, const char *where, struct err *e)
{
	const struct client_key *k;
	char *key, *value;
	int rc = conf_split_line(line, &key, &value);

	if (rc > 0)
		return 0;
	if (rc < 0)
		return err_set(e, SLOG_EINVALID_CONFIG, "%s: expected 'key = value'", where);
	k = client_config_find(key);
	if (!k)
		return err_set(e, SLOG_EINVALID_CONFIG, "%s: unknown key '%s'", where, key);
	if (!(k->programs & cc->prog))
		return 0; /* another program's key: the file is shared */
	return client_config_set(cc, key, value, CLIENT_SRC_FILE, where, e);
}

int client_config_load_file(struct client_config *cc, const char *path, struct err *e)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	int lineno = 0, rc = 0;

	if (!f)
		return err_set(e, SLOG_EINVALID_CONFIG, "cannot read config file '%s': %s", path,
			       strerror(errno));
	while (!rc && getline(&line, &cap, f) >= 0) {
		struct buf where = BUF_INIT;
		buf_addf(&where, "%s:%d", path, ++lineno);
		rc = load_line(cc, line, buf_cstr(&where), e);
		buf_free(&where);
	}
	if (!rc && ferror(f))
		rc = err_set(e, SLOG_EINVALID_CONFIG, "cannot read config file '%s': %s", path,
			     strerror(errno));
	free(line);
	fclose(f);
	return rc;
}

void client_config_load_env(struct client_config *cc)
{
	for (size_t i = 0; i < NKEYS; i++) {
		char name[80];
		const char *value;

		if (!(keys[i].programs & cc->prog))
			continue;
		client_config_env_name(&keys[i], name, sizeof(name));
		value = getenv(name);
		if (value && *value)
			client_config_set(cc, keys[i].key, value, CLIENT_SRC_ENV, name, NULL);
	}
}

int client_config_default_file(char **path)
{
	const char *env = getenv("SLOG_CONFIG_FILE");
	const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
	struct buf b = BUF_INIT;

	if (env && *env) {
		*path = xstrdup(env);
		return 0;
	}
	/* The XDG base directory rule: a relative $XDG_CONFIG_HOME is ignored. */
	if (xdg && xdg[0] == '/')
		buf_addf(&b, "%s/slog/slog.conf", xdg);
	else if (home && *home)
		buf_addf(&b, "%s/.config/slog/slog.conf", home);
	if (b.len && access(buf_cstr(&b), F_OK) == 0) {
		*path = buf_detach(&b, NULL);
		return 0;
	}
	buf_free(&b);
	return 1;
}

int client_config_set_pair(struct client_config *cc, const char *pair, struct err *e)
{
	const char *eq = strchr(pair, '=');
	char *key;
	int rc;

	if (!eq || eq == pair)
		return err_set(e, SLOG_EINVALID_CONFIG, "-X: '%s' is not KEY=VALUE or list", pair);
	key = xstrndup(pair, (size_t)(eq - pair));
	rc = client_config_set(cc, key, eq + 1, CLIENT_SRC_FLAG, "-X", e);
	free(key);
	return rc ? err_wrap(e, "-X") : 0;
}

void client_config_list(const struct client_config *cc, FILE *out)
{
	struct table t;

	table_init(&t, "KEY", "VALUE", "SOURCE", "DEFAULT", "DESCRIPTION", NULL);
	for (size_t i = 0; i < NKEYS; i++) {
		const struct client_value *v = &cc->v[i];

		if (!(keys[i].programs & cc->prog))
			continue;
		table_row(&t, keys[i].key, v->value ? v->value : keys[i].def,
			  v->where ? v->where : "default", keys[i].def, keys[i].doc, NULL);
	}
	table_print(&t, out);
	table_free(&t);
}

/* ---- the command line ---- */

/* One option of the user's command line, in the order given. */
struct item {
	int c;                    /* getopt_long's value */
	const struct option *opt; /* its longopts entry; NULL for a short-only option */
	char *arg;                /* its argument, or NULL */
};

struct line {
	struct item *items;
	size_t nitems;
	char **scan;     /* getopt's copy of argv, owned */
	char **operands; /* in scan */
	int noperands;
};

/* What lives until exit: the rewritten argv and where its values came from. */
static struct {
	struct client_config cc;
	struct buf argv;          /* char *[] */
	struct source {
		const char *elem;
		char *where;
	} *src;
	size_t nsrc;
} state;

/* getopt's short option string, from the long table: ":b:t:JZ..." */
static char *short_options(const struct option *longopts)
{
	struct buf b = BUF_INIT;

	buf_addc(&b, ':');
	for (const struct option *o = longopts; o->name; o++) {
		if (o->flag || o->val <= ' ' || o->val >= 127)
			continue;
		buf_addc(&b, o->val);
		if (o->has_arg != no_argument)
			buf_adds(&b, o->has_arg == required_argument ? ":" : "::");
	}
	return buf_detach(&b, NULL);
}

static const struct option *long_of(const struct option *longopts, int c)
{
	for (const struct option *o = longopts; o->name; o++)
		if (!o->flag && o->val == c)
			return o;
	return NULL;
}

/*
 * Read the user's options with the program's own table, on a copy of argv
 * (getopt permutes it); a bad option is the usage error main() would give.
 */
static void read_line(const char *synopsis, const struct option *longopts, int argc, char **argv,
		      struct line *l)
{
	char *shorts = short_options(longopts);
	char **scan = xmemdup(argv, (size_t)(argc + 1) * sizeof(char *));
	int c, idx = -1;

	memset(l, 0, sizeof(*l));
	opterr = 0;
	optind = 0; /* glibc: start afresh */
	while ((c = getopt_long(argc, scan, shorts, longopts, &idx)) != -1) {
		struct item *it;
		if (c == '?' || c == ':')
			cli_option_error(synopsis, scan, c);
		l->items = xrealloc(l->items, (l->nitems + 1) * sizeof(*l->items));
		it = &l->items[l->nitems++];
		it->c = c;
		it->opt = idx >= 0 ? &longopts[idx] : long_of(longopts, c);
		it->arg = optarg;
		idx = -1;
	}
	l->scan = scan;
	l->operands = scan + optind;
	l->noperands = argc - optind;
	free(shorts);
}

static void push_arg(char *elem, const char *where)
{
	buf_add(&state.argv, &elem, sizeof(elem));
	if (!where)
		return;
	state.src = xrealloc(state.src, (state.nsrc + 1) * sizeof(*state.src));
	state.src[state.nsrc].elem = elem;
	state.src[state.nsrc++].where = xstrdup(where);
}

/* "--name=value" for key k, after checking the program has that option. */
static void push_key(const struct option *longopts, const struct client_key *k, const char *value,
		     const char *where)
{
	char name[64];
	struct buf b = BUF_INIT;

	client_config_option(k, name, sizeof(name));
	for (const struct option *o = longopts; o->name; o++)
		if (strcmp(o->name, name) == 0) {
			buf_addf(&b, "--%s=%s", name, value);
			push_arg(buf_detach(&b, NULL), where);
			return;
		}
	cli_error("key '%s' has no option --%s", k->key, name);
	abort(); /* the registry and the program disagree: a bug */
}

static int line_has(const struct line *l, int c)
{
	for (size_t i = 0; i < l->nitems; i++)
		if (l->items[i].c == c)
			return 1;
	return 0;
}

/* The file's and the environment's values, where they apply. */
static void push_defaults(const struct option *longopts, const struct line *l)
{
	for (size_t i = 0; i < NKEYS; i++) {
		const struct client_value *v = &state.cc.v[i];

		if (v->src != CLIENT_SRC_FILE && v->src != CLIENT_SRC_ENV)
			continue;
		if ((keys[i].needs && !line_has(l, keys[i].needs)) ||
		    (keys[i].unless && line_has(l, keys[i].unless)))
			continue;
		push_key(longopts, &keys[i], v->value, v->where);
	}
}

/* The user's option as --name=value (or -c VALUE when it has no long name). */
static void push_item(const struct item *it)
{
	struct buf b = BUF_INIT;
	char key[64];
	size_t n = 0;

	if (!it->opt) {
		buf_addf(&b, "-%c", it->c);
		push_arg(buf_detach(&b, NULL), NULL);
		if (it->arg)
			push_arg(it->arg, NULL);
		return;
	}
	buf_addf(&b, "--%s%s%s", it->opt->name, it->arg ? "=" : "", it->arg ? it->arg : "");
	push_arg(buf_detach(&b, NULL), NULL);
	/* An option that is a key: -X list shows its value as the flag's. */
	for (const char *p = it->opt->name; *p && n + 1 < sizeof(key); p++)
		key[n++] = *p == '-' ? '.' : *p;
	key[n] = '\0';
	if (it->arg && client_config_find(key)) {
		buf_addf(&b, "--%s", it->opt->name);
		client_config_set(&state.cc, key, it->arg, CLIENT_SRC_FLAG, buf_cstr(&b), NULL);
		buf_free(&b);
	}
}

/* -X key=value: where it stood, as --option=value. */
static void push_set(const char *synopsis, const struct option *longopts, const char *pair)
{
	struct buf where = BUF_INIT;
	struct err e;
	char *key;

	if (client_config_set_pair(&state.cc, pair, &e))
		cli_usage_error(synopsis, "%s", e.msg);
	key = xstrndup(pair, strcspn(pair, "="));
	buf_addf(&where, "-X %s", key);
	push_key(longopts, client_config_find(key), strchr(pair, '=') + 1, buf_cstr(&where));
	buf_free(&where);
	free(key);
}

/* The file: the last -F, else the default one, if any. */
static void load_file(const char *synopsis, const struct line *l)
{
	char *path = NULL;
	struct err e;

	for (size_t i = 0; i < l->nitems; i++)
		if (l->items[i].c == 'F')
			path = l->items[i].arg;
	if (path)
		path = xstrdup(path);
	else if (client_config_default_file(&path))
		return;
	if (client_config_load_file(&state.cc, path, &e))
		cli_usage_error(synopsis, "%s", e.msg);
	free(path);
}

void client_config_args(enum client_program prog, const char *synopsis,
			const struct option *longopts, int *argc, char ***argv)
{
	char *null = NULL;
	int list = 0;
	struct line l;

	read_line(synopsis, longopts, *argc, *argv, &l);
	client_config_init(&state.cc, prog);
	load_file(synopsis, &l);
	client_config_load_env(&state.cc);

	push_arg((*argv)[0], NULL);
	push_defaults(longopts, &l);
	for (size_t i = 0; i < l.nitems; i++) {
		const struct item *it = &l.items[i];
		if (it->c == 'X' && strcmp(it->arg, "list") == 0)
			list = 1;
		else if (it->c == 'X')
			push_set(synopsis, longopts, it->arg);
		else if (it->c != 'F')
			push_item(it);
	}
	if (l.noperands)
		push_arg(xstrdup("--"), NULL);
	for (int i = 0; i < l.noperands; i++)
		push_arg(l.operands[i], NULL);
	buf_add(&state.argv, &null, sizeof(null));
	free(l.items);
	free(l.scan);
	if (list) {
		client_config_list(&state.cc, stdout);
		exit(fflush(stdout) == 0 ? 0 : 1);
	}
	*argc = (int)(state.argv.len / sizeof(char *)) - 1;
	*argv = (char **)(void *)state.argv.data;
	optind = 0; /* main()'s loop starts afresh on the new argv */
}

const char *client_config_source(const char *arg)
{
	uintptr_t a = (uintptr_t)arg;

	for (size_t i = 0; arg && i < state.nsrc; i++) {
		uintptr_t s = (uintptr_t)state.src[i].elem;
		if (a >= s && a <= s + strlen(state.src[i].elem))
			return state.src[i].where;
	}
	return NULL;
}
