/*
 * strmap.c - a case-insensitive (ASCII) string hash map.
 *
 * INF section names and [Strings] keys are case-insensitive ("General
 * syntax rules for INF files").  A hostile INF can have a million
 * sections; looking each header up in a list would be quadratic, so
 * sections and strings are indexed here.  Open addressing with linear
 * probing, FNV-1a over lower-cased bytes, load factor at most 1/2; the
 * tables live in the arena of the object they index.
 */
#include <config.h>

#include <string.h>

#include "package/internal.h"

struct pkg_int_map_slot {
	const char *key;
	void *value;
	uint64_t hash;
};

static uint64_t hash_ci(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		unsigned c = *p;
		if (c >= 'A' && c <= 'Z')
			c += 32;
		h ^= c;
		h *= 0x100000001b3ull;
	}
	return h;
}

void *pkg_int_map_get(const struct pkg_int_map *m, const char *key)
{
	if (m->cap == 0)
		return NULL;
	uint64_t h = hash_ci(key);
	for (size_t i = (size_t)h & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
		const struct pkg_int_map_slot *s = &m->slots[i];
		if (s->key == NULL)
			return NULL;
		if (s->hash == h && pkg_int_strcasecmp(s->key, key) == 0)
			return s->value;
	}
}

static bool grow(struct pkg_arena *a, struct pkg_int_map *m)
{
	size_t cap = m->cap ? m->cap * 2 : 64;
	struct pkg_int_map_slot *slots = pkg_int_calloc(a, cap, sizeof(*slots));
	if (slots == NULL)
		return false;
	for (size_t i = 0; i < m->cap; i++) {
		struct pkg_int_map_slot *s = &m->slots[i];
		if (s->key == NULL)
			continue;
		size_t j = (size_t)s->hash & (cap - 1);
		while (slots[j].key)
			j = (j + 1) & (cap - 1);
		slots[j] = *s;
	}
	m->slots = slots; /* the old table stays in the arena */
	m->cap = cap;
	return true;
}

bool pkg_int_map_put(struct pkg_arena *a, struct pkg_int_map *m,
		     const char *key, void *value)
{
	if ((m->n + 1) * 2 > m->cap && !grow(a, m))
		return false;
	uint64_t h = hash_ci(key);
	for (size_t i = (size_t)h & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
		struct pkg_int_map_slot *s = &m->slots[i];
		if (s->key == NULL) {
			s->key = key;
			s->value = value;
			s->hash = h;
			m->n++;
			return true;
		}
		if (s->hash == h && pkg_int_strcasecmp(s->key, key) == 0) {
			s->value = value;
			return true;
		}
	}
}
