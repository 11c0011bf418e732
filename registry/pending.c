/*
 * pending.c - a key's value edits, staged and written in one call.
 *
 * libhivex can only replace a key's whole value set: its
 * hivex_node_set_value() reads every value of the key and writes them all
 * again, new value list, records and data at the end of the hive, and
 * never reuses the cells it frees.  Setting 100 values of a key one by one
 * so writes 5,050 value records; a .reg import of 2,000 values into a real
 * SYSTEM hive grew it from 11.8 to 40.9 MB (issue 19).
 *
 * So value edits are staged here instead: the first edit of a key loads
 * its values once, every later edit (set, replace, delete) changes that
 * copy, and reads of the key's values are served from it.  The staged set
 * reaches libhivex in one hivex_node_set_values() per key when the hive
 * is committed, or before a key is deleted (reg_int_pending_flush()).
 * Every caller (reg import, reg set, apply's hive edits) gets this
 * without doing anything.
 */
#include <config.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "registry/internal.h"

struct pending_key {
	hive_node_h node;
	hive_set_value *vals; /* key (UTF-8), t, len, value: all owned */
	size_t n, cap;
};

static int hivex_error(struct reg_hive *h, const char *what)
{
	return reg_int_fail(h, REG_ERR_HIVEX, "libhivex: %s: %s", what,
			    strerror(errno ? errno : EIO));
}

static void key_free(struct pending_key *pk)
{
	for (size_t i = 0; i < pk->n; i++) {
		free(pk->vals[i].key);
		free(pk->vals[i].value);
	}
	free(pk->vals);
	free(pk);
}

void reg_int_pending_free(struct reg_hive *h)
{
	for (size_t i = 0; i < h->npending; i++)
		key_free(h->pending[i]);
	free(h->pending);
	free(h->pending_index);
	h->pending = NULL;
	h->pending_index = NULL;
	h->npending = h->pending_cap = h->pending_slots = 0;
}

/* Open addressing on the node offset: slots hold index + 1 (0: empty). */
static size_t slot_of(const struct reg_hive *h, hive_node_h node)
{
	size_t mask = h->pending_slots - 1;
	size_t s = (node * 0x9e3779b97f4a7c15ull >> 17) & mask;
	while (h->pending_index[s] != 0 &&
	       h->pending[h->pending_index[s] - 1]->node != node)
		s = (s + 1) & mask;
	return s;
}

struct pending_key *reg_int_pending_find(const struct reg_hive *h,
					 hive_node_h node)
{
	if (h->npending == 0)
		return NULL;
	size_t s = slot_of(h, node);
	return h->pending_index[s] ? h->pending[h->pending_index[s] - 1] : NULL;
}

static int rehash(struct reg_hive *h, size_t slots)
{
	size_t *idx = calloc(slots, sizeof(*idx));
	if (idx == NULL)
		return REG_ERR_NOMEM;
	free(h->pending_index);
	h->pending_index = idx;
	h->pending_slots = slots;
	for (size_t i = 0; i < h->npending; i++)
		idx[slot_of(h, h->pending[i]->node)] = i + 1;
	return 0;
}

/* Loads @node's values into a new staged set. */
static int load(struct reg_hive *h, hive_node_h node, struct pending_key **ret)
{
	if ((h->npending + 1) * 2 > h->pending_slots &&
	    rehash(h, h->pending_slots ? h->pending_slots * 2 : 64))
		return reg_int_fail(h, REG_ERR_NOMEM, "out of memory");
	if (h->npending == h->pending_cap) {
		size_t nc = h->pending_cap ? h->pending_cap * 2 : 32;
		struct pending_key **p = realloc(h->pending, nc * sizeof(*p));
		if (p == NULL)
			return reg_int_fail(h, REG_ERR_NOMEM, "out of memory");
		h->pending = p;
		h->pending_cap = nc;
	}
	struct pending_key *pk = calloc(1, sizeof(*pk));
	if (pk == NULL)
		return reg_int_fail(h, REG_ERR_NOMEM, "out of memory");
	pk->node = node;
	errno = 0;
	hive_value_h *vals = hivex_node_values(h->hx, node);
	if (vals == NULL) {
		free(pk);
		return hivex_error(h, "reading values");
	}
	size_t n = 0;
	while (vals[n] != 0)
		n++;
	pk->cap = n + 8;
	pk->vals = calloc(pk->cap, sizeof(*pk->vals));
	int rc = pk->vals ? 0 : reg_int_fail(h, REG_ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < n && rc == 0; i++) {
		hive_set_value *v = &pk->vals[i];
		hive_type t;
		size_t len;
		v->key = hivex_value_key(h->hx, vals[i]);
		v->value = v->key ? hivex_value_value(h->hx, vals[i], &t, &len)
				  : NULL;
		if (v->key == NULL || v->value == NULL) {
			free(v->key);
			v->key = NULL;
			rc = hivex_error(h, "reading values");
			break;
		}
		v->t = t;
		v->len = len;
		pk->n++;
	}
	free(vals);
	if (rc) {
		key_free(pk);
		return rc;
	}
	h->pending[h->npending++] = pk;
	h->pending_index[slot_of(h, node)] = h->npending;
	*ret = pk;
	return 0;
}

static size_t index_of(const struct pending_key *pk, const char *name)
{
	for (size_t i = 0; i < pk->n; i++)
		if (reg_int_name_eq(pk->vals[i].key, name))
			return i;
	return SIZE_MAX;
}

const hive_set_value *reg_int_pending_value(const struct pending_key *pk,
					    const char *name)
{
	size_t i = index_of(pk, name);
	return i == SIZE_MAX ? NULL : &pk->vals[i];
}

const hive_set_value *reg_int_pending_values(const struct pending_key *pk,
					     size_t *n_ret)
{
	*n_ret = pk->n;
	return pk->vals;
}

int reg_int_pending_set(struct reg_hive *h, hive_node_h node, const char *name,
			uint32_t type, const void *data, size_t len)
{
	struct pending_key *pk = reg_int_pending_find(h, node);
	int rc = pk ? 0 : load(h, node, &pk);
	if (rc)
		return rc;
	char *copy = malloc(len ? len : 1);
	if (copy == NULL)
		return reg_int_fail(h, REG_ERR_NOMEM, "out of memory");
	if (len)
		memcpy(copy, data, len);
	size_t i = index_of(pk, name);
	if (i == SIZE_MAX) {
		/* A new value, after the others (as hivex_node_set_value
		 * adds it). */
		if (pk->n == pk->cap) {
			size_t nc = pk->cap * 2 + 8;
			hive_set_value *p = realloc(pk->vals, nc * sizeof(*p));
			if (p == NULL) {
				free(copy);
				return reg_int_fail(h, REG_ERR_NOMEM,
						    "out of memory");
			}
			pk->vals = p;
			pk->cap = nc;
		}
		char *key = strdup(name);
		if (key == NULL) {
			free(copy);
			return reg_int_fail(h, REG_ERR_NOMEM, "out of memory");
		}
		i = pk->n++;
		pk->vals[i].key = key;
	} else {
		/* An existing value keeps its spelling, as in Windows. */
		free(pk->vals[i].value);
	}
	pk->vals[i].t = (hive_type)type;
	pk->vals[i].len = len;
	pk->vals[i].value = copy;
	return 0;
}

int reg_int_pending_delete(struct reg_hive *h, hive_node_h node,
			   const char *name, bool *found_ret)
{
	*found_ret = false;
	struct pending_key *pk = reg_int_pending_find(h, node);
	int rc = pk ? 0 : load(h, node, &pk);
	if (rc)
		return rc;
	size_t i = index_of(pk, name);
	if (i == SIZE_MAX)
		return 0;
	free(pk->vals[i].key);
	free(pk->vals[i].value);
	memmove(&pk->vals[i], &pk->vals[i + 1],
		(pk->n - i - 1) * sizeof(pk->vals[0]));
	pk->n--;
	*found_ret = true;
	return 0;
}

int reg_int_pending_flush(struct reg_hive *h)
{
	int rc = 0;
	for (size_t i = 0; i < h->npending && rc == 0; i++) {
		struct pending_key *pk = h->pending[i];
		errno = 0;
		if (hivex_node_set_values(h->hx, pk->node, pk->n, pk->vals,
					  0) != 0)
			rc = hivex_error(h, "setting values");
	}
	reg_int_pending_free(h);
	return rc;
}
