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

static void topic_free(struct meta_topic *t)
{
	json_decref(t->configs);
	free(t);
}

void meta_state_free(struct meta_state *s)
{
	for (size_t i = 0; i < s->ntopics; i++)
		topic_free(s->topics[i]);
	free(s->topics);
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
	return strncmp(name, "__", 2) == 0;
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

#define bad(e, ...) err_set((e), SLOG_EINVALID_REQUEST, __VA_ARGS__)

static const char *str_field(json_t *rec, const char *key)
{
	json_t *v = json_object_get(rec, key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

static int apply_topic(struct meta_state *s, json_t *rec, int dry, struct err *e)
{
	const char *name = str_field(rec, "name"), *id = str_field(rec, "id");
	json_int_t parts = json_integer_value(json_object_get(rec, "partitions"));
	json_int_t rf = json_integer_value(json_object_get(rec, "replication_factor"));
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
	if (dry)
		return 0;
	t = xcalloc(1, sizeof(*t));
	snprintf(t->name, sizeof(t->name), "%s", name);
	snprintf(t->id, sizeof(t->id), "%s", id);
	t->partitions = (int32_t)parts;
	t->replication_factor = (int32_t)rf;
	t->configs = json_is_object(configs) ? json_deep_copy(configs) : json_object();
	s->topics = xgrow(s->topics, &s->cap, s->ntopics + 1, sizeof(*s->topics));
	memmove(s->topics + at + 1, s->topics + at, (s->ntopics - at) * sizeof(*s->topics));
	s->topics[at] = t;
	s->ntopics++;
	return 0;
}

static int apply_partitions(struct meta_state *s, json_t *rec, int dry, struct err *e)
{
	const char *name = str_field(rec, "name");
	json_int_t count = json_integer_value(json_object_get(rec, "count"));
	struct meta_topic *t = name ? meta_find(s, name) : NULL;

	if (!t)
		return bad(e, "partitions record for unknown topic '%s'", name ? name : "");
	if (count <= t->partitions || count > 1000000)
		return bad(e, "partition count of '%s' can only grow", name);
	if (dry)
		return 0;
	t->partitions = (int32_t)count;
	return 0;
}

static int apply_configs(struct meta_state *s, json_t *rec, int dry, struct err *e)
{
	const char *name = str_field(rec, "name");
	struct meta_topic *t = name ? meta_find(s, name) : NULL;
	json_t *set = json_object_get(rec, "set"), *del = json_object_get(rec, "delete"), *v;
	const char *k;
	size_t i;

	if (!t)
		return bad(e, "configs record for unknown topic '%s'", name ? name : "");
	if (dry)
		return 0;
	json_array_foreach(del, i, v)
		if (json_is_string(v))
			json_object_del(t->configs, json_string_value(v));
	json_object_foreach(set, k, v)
		if (json_is_string(v))
			json_object_set(t->configs, k, v);
	return 0;
}

static int apply_remove(struct meta_state *s, json_t *rec, int dry, struct err *e)
{
	const char *name = str_field(rec, "name"), *id = str_field(rec, "id");
	int found;
	size_t at = name ? locate(s, name, &found) : 0;

	if (!name || !found)
		return bad(e, "remove record for unknown topic '%s'", name ? name : "");
	if (id && strcmp(id, s->topics[at]->id) != 0)
		return bad(e, "remove record for another incarnation of '%s'", name);
	if (dry)
		return 0;
	topic_free(s->topics[at]);
	memmove(s->topics + at, s->topics + at + 1, (s->ntopics - at - 1) * sizeof(*s->topics));
	s->ntopics--;
	return 0;
}

static int apply(struct meta_state *s, json_t *rec, int dry, struct err *e)
{
	const char *type = str_field(rec, "type");

	if (!type)
		return bad(e, "metadata record without a type");
	if (strcmp(type, "cluster") == 0) {
		const char *id = str_field(rec, "cluster_id");
		if (!id || strlen(id) >= sizeof(s->cluster_id))
			return bad(e, "malformed cluster record");
		if (!dry)
			snprintf(s->cluster_id, sizeof(s->cluster_id), "%s", id);
		return 0;
	}
	if (strcmp(type, "topic") == 0)
		return apply_topic(s, rec, dry, e);
	if (strcmp(type, "partitions") == 0)
		return apply_partitions(s, rec, dry, e);
	if (strcmp(type, "configs") == 0)
		return apply_configs(s, rec, dry, e);
	if (strcmp(type, "remove_topic") == 0)
		return apply_remove(s, rec, dry, e);
	return bad(e, "unknown metadata record type '%s'", type);
}

int meta_apply(struct meta_state *s, json_t *rec, struct err *e)
{
	return apply(s, rec, 0, e);
}

int meta_check(const struct meta_state *s, json_t *rec, struct err *e)
{
	/* The dry run reads the state only. */
	return apply((struct meta_state *)s, rec, 1, e);
}
