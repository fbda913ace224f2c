/*
 * meta_state.c: apply metadata records.  See meta_state.h.
 */
#include "meta/meta_state.h"

#include <stdlib.h>
#include <string.h>
#include <stdatomic.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "sorted.h"
#include "xalloc.h"

void meta_state_init(struct meta_state *s)
{
	memset(s, 0, sizeof(*s));
}

void meta_partition_clear(struct meta_partition *p)
{
	free(p->replicas);
	free(p->isr);
	free(p->elr);
	free(p->adding);
	free(p->removing);
	free(p->offline);
	memset(p, 0, sizeof(*p));
	p->leader = -1;
	p->last_leader = -1;
}

static void topic_free(struct meta_topic *t)
{
	for (int32_t i = 0; i < t->partitions; i++)
		meta_partition_clear(&t->parts[i]);
	free(t->parts);
	json_decref(t->configs);
	free(t);
}

void meta_state_free(struct meta_state *s)
{
	for (size_t i = 0; i < s->ntopics; i++)
		topic_free(s->topics[i]);
	free(s->topics);
	for (size_t i = 0; i < s->nbrokers; i++)
		json_decref(s->brokers[i].endpoints);
	free(s->brokers);
	memset(s, 0, sizeof(*s));
}

/* Index of name, or of where it would go (with *found = 0). */
static int topic_name_cmp(const void *key, const void *elem)
{
	return strcmp(key, (*(struct meta_topic *const *)elem)->name);
}

static size_t locate(const struct meta_state *s, const char *name, int *found)
{
	return sorted_locate(s->topics, s->ntopics, sizeof(*s->topics), name, topic_name_cmp,
			     found);
}

struct meta_topic *meta_find(const struct meta_state *s, const char *name)
{
	int found;
	size_t i = locate(s, name, &found);

	return found ? s->topics[i] : NULL;
}

int meta_topic_internal(const char *name)
{
	return strcmp(name, OFFSETS_TOPIC) == 0;
}

int meta_topic_reserved(const char *name)
{
	static const char connect[] = "__connect_";

	return strncmp(name, "__", 2) == 0 && strncmp(name, connect, sizeof(connect) - 1) != 0;
}

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/*
 * Without getrandom (a kernel before 3.17, a seccomp filter), ids must
 * still differ between brokers and restarts: an unseeded rand() gave
 * every process the same sequence, so two clusters, or a topic and its
 * re-creation, could share an id.  The clock in nanoseconds, the pid and
 * a counter, mixed, differ in each.
 */
static void fallback_random(uint8_t raw[16])
{
	static _Atomic uint64_t counter;
	struct timespec ts;
	uint64_t x, v[2];

	clock_gettime(CLOCK_REALTIME, &ts);
	x = (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
	x ^= (uint64_t)getpid() << 32;
	x ^= atomic_fetch_add(&counter, 1) * 0xd1b54a32d192ed03ULL;
	v[0] = splitmix64(&x);
	v[1] = splitmix64(&x);
	memcpy(raw, v, 16);
}

void meta_new_id(char out[24])
{
	static const char b64url[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	uint8_t raw[16];
	int k = 0;

	if (getrandom(raw, sizeof(raw), 0) != sizeof(raw))
		fallback_random(raw);
	/* 128 bits in 22 six-bit characters, the last holding 2 bits. */
	for (int bit = 0; bit < 128; bit += 6) {
		int v = 0;
		for (int j = 0; j < 6; j++) {
			int b = bit + j;
			v <<= 1;
			if (b < 128 && (raw[b / 8] >> (7 - b % 8)) & 1)
				v |= 1;
		}
		out[k++] = b64url[v];
	}
	out[k] = '\0';
}

/* A record that does not fit the state: every broker skips it alike. */
#define bad(e, ...) err_set((e), SLOG_EINVALID_REQUEST, __VA_ARGS__)
/* Bytes this broker cannot read: it must stop rather than guess. */
#define unreadable(e, ...) err_set((e), SLOG_ECORRUPT_MESSAGE, __VA_ARGS__)

static const char *str_field(json_t *rec, const char *key)
{
	json_t *v = json_object_get(rec, key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

static json_int_t int_field(json_t *rec, const char *key, json_int_t absent)
{
	json_t *v = json_object_get(rec, key);

	return json_is_integer(v) ? json_integer_value(v) : absent;
}

static int node_cmp(const void *key, const void *elem)
{
	int32_t a = *(const int32_t *)key, b = ((const struct meta_broker *)elem)->id;

	return (a > b) - (a < b);
}

struct meta_broker *meta_find_broker(const struct meta_state *s, int32_t id)
{
	int found;
	size_t i = sorted_locate(s->brokers, s->nbrokers, sizeof(*s->brokers), &id, node_cmp, &found);

	return found ? &s->brokers[i] : NULL;
}

int meta_broker_http(const struct meta_broker *mb, const char **host, int *port)
{
	json_t *ep;
	size_t i;

	json_array_foreach(mb->endpoints, i, ep) {
		const char *name = json_string_value(json_object_get(ep, "name"));
		json_int_t n = json_integer_value(json_object_get(ep, "port"));

		if (!name || strcmp(name, "http") != 0 || n <= 0 || n > 65535)
			continue;
		*host = json_string_value(json_object_get(ep, "host"));
		*port = (int)n;
		return *host ? 0 : -1;
	}
	return -1;
}

int meta_partition_on(const struct meta_partition *p, int32_t node)
{
	for (int32_t i = 0; i < p->nreplicas; i++)
		if (p->replicas[i] == node)
			return 1;
	return 0;
}

/* Placement of a version 0 record's partition: the broker that wrote it. */
static void place_v0(struct meta_partition *p, int32_t node)
{
	p->replicas = xmalloc(sizeof(*p->replicas));
	p->isr = xmalloc(sizeof(*p->isr));
	p->replicas[0] = p->isr[0] = p->leader = node;
	p->nreplicas = p->nisr = 1;
	p->leader_epoch = p->partition_epoch = 0;
}

/* Partitions [from, to) of t, placed only for a version 0 record. */
static void add_partitions(struct meta_topic *t, int32_t to, int version, int32_t v0_node)
{
	t->parts = xrealloc(t->parts, (size_t)to * sizeof(*t->parts));
	for (int32_t i = t->partitions; i < to; i++) {
		memset(&t->parts[i], 0, sizeof(t->parts[i]));
		t->parts[i].leader = -1;
		t->parts[i].last_leader = -1;
		if (version == 0)
			place_v0(&t->parts[i], v0_node);
	}
	t->partitions = to;
}

static int apply_topic(struct meta_state *s, json_t *rec, int version, struct err *e)
{
	const char *name = str_field(rec, "name"), *id = str_field(rec, "id");
	json_int_t parts = int_field(rec, "partitions", 0);
	json_int_t rf = int_field(rec, "replication_factor", 0);
	json_t *configs = json_object_get(rec, "configs");
	struct meta_topic *t;
	int found;
	size_t at;

	if (!name || topic_name_check(name, NULL) || !id || strlen(id) >= sizeof(t->id) ||
	    parts < 1 || parts > 1000000 || rf < 1 || rf > 100)
		return bad(e, "malformed topic record");
	at = locate(s, name, &found);
	if (found)
		return bad(e, "topic '%s' exists already", name);
	t = xcalloc(1, sizeof(*t));
	snprintf(t->name, sizeof(t->name), "%s", name);
	snprintf(t->id, sizeof(t->id), "%s", id);
	t->replication_factor = (int32_t)rf;
	t->configs = json_is_object(configs) ? json_deep_copy(configs) : json_object();
	add_partitions(t, (int32_t)parts, version, s->v0_node);
	s->topics = xgrow(s->topics, &s->cap, s->ntopics + 1, sizeof(*s->topics));
	memmove(s->topics + at + 1, s->topics + at, (s->ntopics - at) * sizeof(*s->topics));
	s->topics[at] = t;
	s->ntopics++;
	return 0;
}

static int apply_partitions(struct meta_state *s, json_t *rec, int version, struct err *e)
{
	const char *name = str_field(rec, "name");
	json_int_t count = int_field(rec, "count", 0);
	struct meta_topic *t = name ? meta_find(s, name) : NULL;

	if (!t)
		return bad(e, "partitions record for unknown topic '%s'", name ? name : "");
	if (count <= t->partitions || count > 1000000)
		return bad(e, "partition count of '%s' can only grow", name);
	add_partitions(t, (int32_t)count, version, s->v0_node);
	return 0;
}

/* A list of node ids into a new array (*n of them), or -1 if malformed. */
static int node_list(json_t *v, int32_t **out, int32_t *n)
{
	json_t *x;
	size_t i;

	*out = NULL;
	*n = 0;
	if (!json_is_array(v) || json_array_size(v) > 100)
		return -1;
	json_array_foreach(v, i, x)
		if (!json_is_integer(x) || json_integer_value(x) < 0 ||
		    json_integer_value(x) > INT32_MAX)
			return -1;
	*out = xmalloc((json_array_size(v) + 1) * sizeof(**out));
	json_array_foreach(v, i, x)
		(*out)[(*n)++] = (int32_t)json_integer_value(x);
	return 0;
}

/* An optional list: absent is empty. */
static int opt_node_list(json_t *rec, const char *key, int32_t **out, int32_t *n)
{
	json_t *v = json_object_get(rec, key);

	if (!v) {
		*out = NULL;
		*n = 0;
		return 0;
	}
	return node_list(v, out, n);
}

static int contains(const int32_t *v, int32_t n, int32_t x)
{
	for (int32_t i = 0; i < n; i++)
		if (v[i] == x)
			return 1;
	return 0;
}

/* The fields of a partition record, checked against each other. */
static int read_placement(json_t *rec, struct meta_partition *p, struct err *e)
{
	json_int_t leader = int_field(rec, "leader", -2);
	json_int_t le = int_field(rec, "leader_epoch", -1), pe = int_field(rec, "partition_epoch", -1);
	json_int_t last = int_field(rec, "last_leader", -1);

	memset(p, 0, sizeof(*p));
	if (node_list(json_object_get(rec, "replicas"), &p->replicas, &p->nreplicas) ||
	    node_list(json_object_get(rec, "isr"), &p->isr, &p->nisr) ||
	    opt_node_list(rec, "elr", &p->elr, &p->nelr) ||
	    opt_node_list(rec, "adding", &p->adding, &p->nadding) ||
	    opt_node_list(rec, "removing", &p->removing, &p->nremoving) ||
	    opt_node_list(rec, "offline_replicas", &p->offline, &p->noffline) || p->nreplicas < 1 ||
	    leader < -1 || leader > INT32_MAX || le < 0 || le > INT32_MAX || pe < 0 ||
	    pe > INT32_MAX || last < -1 || last > INT32_MAX)
		goto malformed;
	for (int32_t i = 0; i < p->nisr; i++)
		if (!contains(p->replicas, p->nreplicas, p->isr[i]))
			goto malformed;
	for (int32_t i = 0; i < p->nelr; i++)
		if (!contains(p->replicas, p->nreplicas, p->elr[i]) ||
		    contains(p->isr, p->nisr, p->elr[i]))
			goto malformed;
	for (int32_t i = 0; i < p->nadding; i++)
		if (!contains(p->replicas, p->nreplicas, p->adding[i]))
			goto malformed;
	for (int32_t i = 0; i < p->nremoving; i++)
		if (!contains(p->replicas, p->nreplicas, p->removing[i]))
			goto malformed;
	for (int32_t i = 0; i < p->noffline; i++)
		if (!contains(p->replicas, p->nreplicas, p->offline[i]) ||
		    contains(p->elr, p->nelr, p->offline[i]))
			goto malformed;
	p->last_leader = (int32_t)last;
	if (leader >= 0 && !contains(p->isr, p->nisr, (int32_t)leader))
		goto malformed;
	p->leader = (int32_t)leader;
	p->leader_epoch = (int32_t)le;
	p->partition_epoch = (int32_t)pe;
	return 0;
malformed:
	meta_partition_clear(p);
	return bad(e, "malformed partition record");
}

/*
 * Place a partition, or change its placement: a change must come with a
 * newer partition epoch and no older leader epoch, so that a record that
 * lost a race against another change does not undo it.
 */
static int apply_partition(struct meta_state *s, json_t *rec, int version, struct err *e)
{
	const char *name = str_field(rec, "topic"), *id = str_field(rec, "topic_id");
	json_int_t idx = int_field(rec, "partition", -1);
	struct meta_topic *t = name ? meta_find(s, name) : NULL;
	struct meta_partition p, *cur;
	int rc;
	(void)version;

	if (!t || (id && strcmp(id, t->id) != 0))
		return bad(e, "partition record for unknown topic '%s'", name ? name : "");
	if (idx < 0 || idx >= t->partitions)
		return bad(e, "partition record for unknown partition %s-%lld", name, (long long)idx);
	rc = read_placement(rec, &p, e);
	if (rc)
		return rc;
	cur = &t->parts[idx];
	if (cur->nreplicas > 0 && (p.partition_epoch <= cur->partition_epoch ||
				   p.leader_epoch < cur->leader_epoch)) {
		meta_partition_clear(&p);
		return bad(e, "partition record for %s-%lld is older than its placement", name,
			   (long long)idx);
	}
	meta_partition_clear(cur);
	*cur = p;
	return 0;
}

/* A broker's endpoints: an array of {"name","host","port"}. */
static int endpoints_ok(json_t *v)
{
	json_t *x;
	size_t i;

	if (!json_is_array(v))
		return 0;
	json_array_foreach(v, i, x)
		if (!str_field(x, "name") || !str_field(x, "host") || int_field(x, "port", -1) < 0 ||
		    int_field(x, "port", -1) > 65535)
			return 0;
	return 1;
}

/* A broker registers at each start: a new incarnation replaces the old. */
static int apply_broker(struct meta_state *s, json_t *rec, int version, struct err *e)
{
	json_int_t id = int_field(rec, "id", -1);
	const char *inc = str_field(rec, "incarnation");
	json_t *ep = json_object_get(rec, "endpoints");
	struct meta_broker *m;
	int32_t key = (int32_t)id;
	int found;
	size_t at;
	(void)version;

	if (id < 0 || id > INT32_MAX || !inc || strlen(inc) >= sizeof(m->incarnation) ||
	    !endpoints_ok(ep))
		return bad(e, "malformed broker record");
	at = sorted_locate(s->brokers, s->nbrokers, sizeof(*s->brokers), &key, node_cmp, &found);
	if (!found) {
		s->brokers = xgrow(s->brokers, &s->brokers_cap, s->nbrokers + 1, sizeof(*s->brokers));
		memmove(s->brokers + at + 1, s->brokers + at, (s->nbrokers - at) * sizeof(*s->brokers));
		s->nbrokers++;
		s->brokers[at].endpoints = NULL;
	}
	m = &s->brokers[at];
	m->id = key;
	snprintf(m->incarnation, sizeof(m->incarnation), "%s", inc);
	json_decref(m->endpoints);
	m->endpoints = json_deep_copy(ep);
	/* Registered is not caught up: the controller unfences it later. */
	m->state = META_BROKER_FENCED;
	return 0;
}

static const char *const broker_state_names[] = {
	[META_BROKER_FENCED] = "fenced",
	[META_BROKER_ALIVE] = "alive",
	[META_BROKER_SHUTTING_DOWN] = "shutting_down",
};

const char *meta_broker_state_name(enum meta_broker_state state)
{
	if ((unsigned)state >= sizeof(broker_state_names) / sizeof(broker_state_names[0]))
		return "unknown";
	return broker_state_names[state];
}

int meta_broker_state_parse(const char *name, enum meta_broker_state *state)
{
	for (size_t i = 0; i < sizeof(broker_state_names) / sizeof(broker_state_names[0]); i++)
		if (name && strcmp(name, broker_state_names[i]) == 0) {
			*state = (enum meta_broker_state)i;
			return 0;
		}
	return -1;
}

/*
 * A state decided for one incarnation: a broker that restarted since
 * (a new registration) is not touched by what was decided for the old
 * process, as Kafka's broker epoch fences a stale heartbeat.
 */
static int apply_broker_state(struct meta_state *s, json_t *rec, int version, struct err *e)
{
	json_int_t id = int_field(rec, "id", -1);
	const char *inc = str_field(rec, "incarnation");
	enum meta_broker_state state;
	struct meta_broker *m;

	(void)version;
	if (id < 0 || id > INT32_MAX || !inc ||
	    meta_broker_state_parse(str_field(rec, "state"), &state))
		return bad(e, "malformed broker_state record");
	m = meta_find_broker(s, (int32_t)id);
	if (!m)
		return bad(e, "broker_state record for unknown broker %lld", (long long)id);
	if (strcmp(m->incarnation, inc) != 0)
		return bad(e, "broker_state record for incarnation %s of broker %lld, which "
			      "registered again as %s", inc, (long long)id, m->incarnation);
	m->state = state;
	return 0;
}

static int apply_configs(struct meta_state *s, json_t *rec, int version, struct err *e)
{
	const char *name = str_field(rec, "name");
	struct meta_topic *t = name ? meta_find(s, name) : NULL;
	json_t *set = json_object_get(rec, "set"), *del = json_object_get(rec, "delete"), *v;
	const char *k;
	size_t i;
	(void)version;

	if (!t)
		return bad(e, "configs record for unknown topic '%s'", name ? name : "");
	json_array_foreach(del, i, v)
		if (json_is_string(v))
			json_object_del(t->configs, json_string_value(v));
	json_object_foreach(set, k, v)
		if (json_is_string(v))
			json_object_set(t->configs, k, v);
	return 0;
}

static int apply_remove(struct meta_state *s, json_t *rec, int version, struct err *e)
{
	const char *name = str_field(rec, "name"), *id = str_field(rec, "id");
	int found;
	size_t at = name ? locate(s, name, &found) : 0;
	(void)version;

	if (!name || !found)
		return bad(e, "remove record for unknown topic '%s'", name ? name : "");
	if (id && strcmp(id, s->topics[at]->id) != 0)
		return bad(e, "remove record for another incarnation of '%s'", name);
	topic_free(s->topics[at]);
	memmove(s->topics + at, s->topics + at + 1, (s->ntopics - at - 1) * sizeof(*s->topics));
	s->ntopics--;
	return 0;
}

static int apply_cluster(struct meta_state *s, json_t *rec, int version, struct err *e)
{
	const char *id = str_field(rec, "cluster_id");
	(void)version;

	if (!id || strlen(id) >= sizeof(s->cluster_id))
		return bad(e, "malformed cluster record");
	snprintf(s->cluster_id, sizeof(s->cluster_id), "%s", id);
	return 0;
}

/* The record's version: absent is 0, the format before versions. */
static int record_version(json_t *rec, struct err *e)
{
	json_t *v = json_object_get(rec, "v");

	if (!json_is_object(rec))
		return unreadable(e, "a metadata record is a JSON object");
	if (!v)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return unreadable(e, "metadata record with a malformed version");
	if (json_integer_value(v) > META_RECORD_VERSION)
		return unreadable(e, "metadata record of version %lld, newer than version %d that "
				     "this broker reads: upgrade this broker to a release that knows "
				     "version %lld",
				  (long long)json_integer_value(v), META_RECORD_VERSION,
				  (long long)json_integer_value(v));
	return (int)json_integer_value(v);
}

/* Every type, and the version it came with. */
static const struct record_type {
	const char *name;
	int since;
	int (*apply)(struct meta_state *s, json_t *rec, int version, struct err *e);
} record_types[] = {
	{ "cluster", 0, apply_cluster },
	{ "topic", 0, apply_topic },
	{ "partitions", 0, apply_partitions },
	{ "configs", 0, apply_configs },
	{ "remove_topic", 0, apply_remove },
	{ "partition", 1, apply_partition },
	{ "broker", 1, apply_broker },
	{ "broker_state", 1, apply_broker_state },
};

/* The type of a record this broker can read, with its version. */
static const struct record_type *record_type(json_t *rec, int *version, struct err *e)
{
	const char *type = str_field(rec, "type");

	*version = record_version(rec, e);
	if (*version < 0)
		return NULL;
	if (!type) {
		unreadable(e, "metadata record without a type");
		return NULL;
	}
	for (size_t i = 0; i < sizeof(record_types) / sizeof(record_types[0]); i++)
		if (*version >= record_types[i].since && strcmp(type, record_types[i].name) == 0)
			return &record_types[i];
	unreadable(e, "unknown metadata record type '%s' of version %d", type, *version);
	return NULL;
}

int meta_record_check(json_t *rec, struct err *e)
{
	int version;

	return record_type(rec, &version, e) ? 0 : SLOG_ECORRUPT_MESSAGE;
}

int meta_state_apply(struct meta_state *s, json_t *rec, struct err *e)
{
	int version;
	const struct record_type *t = record_type(rec, &version, e);

	return t ? t->apply(s, rec, version, e) : SLOG_ECORRUPT_MESSAGE;
}


/* ---- snapshot: the records that build the state from nothing ---- */

static json_t *id_list(const int32_t *v, int32_t n)
{
	json_t *a = json_array();

	for (int32_t i = 0; i < n; i++)
		json_array_append_new(a, json_integer(v[i]));
	return a;
}

json_t *meta_partition_record(const struct meta_topic *t, int32_t idx,
			      const struct meta_partition *p)
{
	json_t *rec = json_pack("{s:i, s:s, s:s, s:s, s:i, s:o, s:o, s:i, s:i, s:i}", "v",
				META_RECORD_VERSION, "type", "partition", "topic", t->name,
				"topic_id", t->id, "partition", idx, "replicas",
				id_list(p->replicas, p->nreplicas), "isr", id_list(p->isr, p->nisr),
				"leader", p->leader, "leader_epoch", p->leader_epoch,
				"partition_epoch", p->partition_epoch);

	/* The replication fields only when set: records stay as they were
	 * for a partition that never changed leader. */
	if (p->nelr > 0)
		json_object_set_new(rec, "elr", id_list(p->elr, p->nelr));
	if (p->last_leader >= 0)
		json_object_set_new(rec, "last_leader", json_integer(p->last_leader));
	if (p->nadding > 0)
		json_object_set_new(rec, "adding", id_list(p->adding, p->nadding));
	if (p->nremoving > 0)
		json_object_set_new(rec, "removing", id_list(p->removing, p->nremoving));
	if (p->noffline > 0)
		json_object_set_new(rec, "offline_replicas", id_list(p->offline, p->noffline));
	return rec;
}

static void encode_topic(json_t *out, const struct meta_topic *t)
{
	json_array_append_new(out, json_pack("{s:i, s:s, s:s, s:s, s:i, s:i, s:O}", "v",
					     META_RECORD_VERSION, "type", "topic", "name", t->name,
					     "id", t->id, "partitions", t->partitions,
					     "replication_factor", t->replication_factor,
					     "configs", t->configs));
	for (int32_t i = 0; i < t->partitions; i++)
		if (t->parts[i].nreplicas > 0)
			json_array_append_new(out, meta_partition_record(t, i, &t->parts[i]));
}

/* Its registration, which fences it, then its state if not fenced. */
static void encode_broker(json_t *out, const struct meta_broker *m)
{
	json_array_append_new(out, json_pack("{s:i, s:s, s:i, s:s, s:O}", "v", META_RECORD_VERSION,
					     "type", "broker", "id", m->id, "incarnation",
					     m->incarnation, "endpoints", m->endpoints));
	if (m->state != META_BROKER_FENCED)
		json_array_append_new(out, meta_broker_state_record(m->id, m->incarnation,
								    m->state));
}

json_t *meta_broker_state_record(int32_t id, const char *incarnation,
				 enum meta_broker_state state)
{
	return json_pack("{s:i, s:s, s:i, s:s, s:s}", "v", META_RECORD_VERSION, "type",
			 "broker_state", "id", id, "incarnation", incarnation, "state",
			 meta_broker_state_name(state));
}

json_t *meta_state_encode(const struct meta_state *s)
{
	json_t *recs = json_array();

	if (s->cluster_id[0])
		json_array_append_new(recs, json_pack("{s:i, s:s, s:s}", "v", META_RECORD_VERSION,
						      "type", "cluster", "cluster_id",
						      s->cluster_id));
	for (size_t i = 0; i < s->nbrokers; i++)
		encode_broker(recs, &s->brokers[i]);
	for (size_t i = 0; i < s->ntopics; i++)
		encode_topic(recs, s->topics[i]);
	return json_pack("{s:i, s:o}", "v", META_RECORD_VERSION, "records", recs);
}

int meta_state_decode(struct meta_state *s, json_t *snap, struct err *e)
{
	json_t *recs = json_object_get(snap, "records"), *rec;
	int version = record_version(snap, e);
	size_t i;

	if (version < 0)
		return err_wrap(e, "metadata snapshot");
	if (!json_is_array(recs))
		return unreadable(e, "metadata snapshot without records");
	json_array_foreach(recs, i, rec) {
		/* A snapshot is a state: every record in it applies. */
		int rc = meta_state_apply(s, rec, e);
		if (rc) {
			meta_state_free(s);
			err_wrap(e, "metadata snapshot, record %zu", i);
			if (e)
				e->code = SLOG_ECORRUPT_MESSAGE;
			return SLOG_ECORRUPT_MESSAGE;
		}
	}
	return 0;
}

int meta_state_copy(struct meta_state *to, const struct meta_state *from, struct err *e)
{
	json_t *snap = meta_state_encode(from);
	int rc;

	meta_state_init(to);
	to->v0_node = from->v0_node;
	rc = meta_state_decode(to, snap, e);
	json_decref(snap);
	return rc;
}
