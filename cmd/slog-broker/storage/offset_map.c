/*
 * offset_map.c: an open-addressing hash table of whole keys.  See
 * offset_map.h.
 */
#include "storage/offset_map.h"

#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

/* FNV-1a, 64 bits; never 0, which marks an empty slot. */
static uint64_t hash_key(const void *p, size_t n)
{
	const uint8_t *s = p;
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < n; i++) {
		h ^= s[i];
		h *= 0x100000001b3ull;
	}
	return h ? h : 1;
}

void offset_map_init(struct offset_map *m, size_t max_bytes)
{
	memset(m, 0, sizeof(*m));
	m->max_bytes = max_bytes;
	/* Start small enough that a small budget still holds some keys. */
	m->cap = 16;
	while (m->cap < 1024 && m->cap * 4 * sizeof(*m->slots) <= max_bytes)
		m->cap *= 2;
	m->slots = xcalloc(m->cap, sizeof(*m->slots));
}

void offset_map_free(struct offset_map *m)
{
	free(m->slots);
	buf_free(&m->keys);
	memset(m, 0, sizeof(*m));
}

static struct om_slot *find(const struct offset_map *m, uint64_t h, const void *key, size_t len)
{
	size_t mask = m->cap - 1, i = (size_t)h & mask;

	for (;; i = (i + 1) & mask) {
		struct om_slot *s = &m->slots[i];
		if (!s->hash)
			return s;
		if (s->hash == h && s->key_len == len &&
		    memcmp(m->keys.data + s->key_off, key, len) == 0)
			return s;
	}
}

static size_t footprint(size_t cap, size_t key_bytes)
{
	return cap * sizeof(struct om_slot) + key_bytes;
}

/* Double the table (kept at most half full). */
static int grow(struct offset_map *m)
{
	size_t ncap = m->cap * 2;
	struct om_slot *old = m->slots;
	size_t ocap = m->cap;

	if (footprint(ncap, m->keys.len) > m->max_bytes)
		return -1;
	m->slots = xcalloc(ncap, sizeof(*m->slots));
	m->cap = ncap;
	for (size_t i = 0; i < ocap; i++) {
		if (!old[i].hash)
			continue;
		struct om_slot *s = &m->slots[(size_t)old[i].hash & (ncap - 1)];
		while (s->hash)
			s = s + 1 == m->slots + ncap ? m->slots : s + 1;
		*s = old[i];
	}
	free(old);
	return 0;
}

int offset_map_put(struct offset_map *m, const void *key, size_t len, int64_t offset)
{
	uint64_t h = hash_key(key, len);
	struct om_slot *s = find(m, h, key, len);

	if (s->hash) {
		if (offset > s->offset)
			s->offset = offset;
		return 0;
	}
	if (len > UINT32_MAX || m->keys.len + len > UINT32_MAX ||
	    footprint(m->cap, m->keys.len + len) > m->max_bytes)
		return -1;
	if ((m->n + 1) * 2 > m->cap) {
		if (grow(m))
			return -1;
		s = find(m, h, key, len);
	}
	s->hash = h;
	s->key_off = (uint32_t)m->keys.len;
	s->key_len = (uint32_t)len;
	s->offset = offset;
	buf_add(&m->keys, key, len);
	m->n++;
	return 0;
}

int64_t offset_map_get(const struct offset_map *m, const void *key, size_t len)
{
	struct om_slot *s = find(m, hash_key(key, len), key, len);

	return s->hash ? s->offset : -1;
}
